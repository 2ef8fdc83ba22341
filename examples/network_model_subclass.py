"""A Keras 2 Network-style Model subclass: the graph is built in `__init__` and handed to
`super().__init__(inputs=..., outputs=..., name=...)`.

The pattern of Keras-2-era model libraries (keras-resnet's `ResNet`, many research code
bases): the subclass builds its layers with the functional API, passes the tensors to
`Model.__init__`, and adds methods of its own. Here a small residual MLP regressor, with a
method returning the learned features (a second model on the same graph), one returning the
residual blocks' layers, and `save_weights` / `load_weights` into a fresh instance.

Run: openkeras run examples/network_model_subclass.py --epochs 20 --samples 2000
"""

import argparse

import keras
import numpy as np
from keras.layers import Activation, Dense, Input, add
from keras.models import Model

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=20)
parser.add_argument("--samples", type=int, default=2000, help="number of training samples")
parser.add_argument("--batch-size", type=int, default=32)
parser.add_argument("--blocks", type=int, default=2)
args = parser.parse_args()


class ResidualRegressor(Model):
    """``blocks`` residual blocks of two Dense layers on ``dim`` features, then one output."""

    def __init__(self, dim, width=32, blocks=2, name="residual_regressor"):
        inputs = Input(shape=(dim,), name="features")
        x = Dense(width, activation="relu", name="stem")(inputs)
        for i in range(blocks):
            y = Dense(width, activation="relu", name="block{}_dense1".format(i))(x)
            y = Dense(width, name="block{}_dense2".format(i))(y)
            x = Activation("relu", name="block{}_out".format(i))(add([x, y]))
        outputs = Dense(1, name="prediction")(x)
        super(ResidualRegressor, self).__init__(inputs=inputs, outputs=outputs, name=name)
        self.dim = dim
        self.blocks = blocks

    def features(self, x):
        """The last residual block's output for ``x``."""
        last = self.get_layer("block{}_out".format(self.blocks - 1))
        return Model(self.input, last.output).predict(x)

    def block_layers(self, i):
        """The layers of residual block ``i``."""
        return [layer for layer in self.layers if layer.name.startswith("block{}_".format(i))]


rng = np.random.RandomState(0)
dim = 8
w = rng.normal(size=(dim,))


def make_data(n):
    x = rng.uniform(-1, 1, size=(n, dim)).astype("float32")
    y = (np.sin(x @ w) + 0.1 * (x ** 2).sum(axis=1)).astype("float32")[:, None]
    return x, y


x_train, y_train = make_data(args.samples)
x_test, y_test = make_data(max(args.samples // 4, 8))

model = ResidualRegressor(dim, blocks=args.blocks)
print("Model class:", type(model).__name__, "- a keras Model:", isinstance(model, keras.models.Model))
model.summary()
model.compile(optimizer="adam", loss="mse", metrics=["mae"])
model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs,
          validation_split=0.1)
print("Test loss: %.4f" % model.evaluate(x_test, y_test, verbose=0)[0])
print("Block 0 layers:", [layer.name for layer in model.block_layers(0)])
print("Feature shape:", model.features(x_test[:5]).shape)

model.save_weights("residual_regressor_weights.h5")
fresh = ResidualRegressor(dim, blocks=args.blocks)
fresh.load_weights("residual_regressor_weights.h5")
same = np.allclose(fresh.predict(x_test), model.predict(x_test), atol=1e-6)
print("Weights reloaded into a new instance, same predictions:", same)
