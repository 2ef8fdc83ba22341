"""Fine-tuning: load saved weights by layer name into a new model, freeze, train on.

From the seed tutorials "Keras FAQ" and "For Beginners FAQ" (如何保存 Keras 模型 /
fine-tune: `model.load_weights(fname, by_name=True)` loads only the layers whose names
match) and the FAQ's "如何「冻结」网络层" (`layer.trainable = False`, then compile again).

Run: openkeras run examples/fine_tuning_by_name.py --epochs 5 --samples 1000
"""

import argparse

import numpy as np
from keras.layers import Dense
from keras.models import Sequential

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=5)
parser.add_argument("--samples", type=int, default=1000)
parser.add_argument("--batch-size", type=int, default=32)
parser.add_argument("--weights", default="my_model_weights.h5", help="file for the weights")
args = parser.parse_args()

x = np.random.random((args.samples, 3))
y_old = np.random.random((args.samples, 3))
y_new = np.random.random((args.samples, 10))

# The original model, trained and saved
model = Sequential()
model.add(Dense(2, input_dim=3, name="dense_1"))
model.add(Dense(3, name="dense_2"))
model.compile(optimizer="rmsprop", loss="mse")
model.fit(x, y_old, epochs=args.epochs, batch_size=args.batch_size)
model.save_weights(args.weights)
trained_kernel = model.get_layer("dense_1").get_weights()[0]

# new model
model = Sequential()
model.add(Dense(2, input_dim=3, name="dense_1"))  # will be loaded
model.add(Dense(10, name="new_dense"))  # will not be loaded

# load weights from first model; will only affect the first layer, dense_1.
model.load_weights(args.weights, by_name=True)
assert np.array_equal(model.get_layer("dense_1").get_weights()[0], trained_kernel)
print("dense_1 loaded by name; new_dense keeps its fresh weights")

# Freeze the loaded layer and train only the new head: compile after changing `trainable`
model.layers[0].trainable = False
model.compile(optimizer="rmsprop", loss="mse")
model.fit(x, y_new, epochs=args.epochs, batch_size=args.batch_size)
assert np.array_equal(model.get_layer("dense_1").get_weights()[0], trained_kernel)
print("Frozen dense_1 unchanged by training; trainable weights:", len(model.trainable_weights))
