"""The Keras 2 Model contract: Network-style subclasses, positional init, subclassing style."""

import numpy as np
import pytest

import openkeras as keras
from openkeras import backend as K


class Scorer(keras.models.Model):
    """A Network-style subclass (keras-resnet / Keras 2 examples): builds its graph, then hands
    it to ``super().__init__(inputs=..., outputs=..., name=...)``; adds methods of its own."""

    def __init__(self, dim, hidden=4, **kwargs):
        inputs = keras.layers.Input(shape=(dim,), name="features")
        self.encoder = keras.layers.Dense(hidden, activation="tanh", name="encoder")
        encoded = self.encoder(inputs)
        outputs = keras.layers.Dense(1, name="score")(encoded)
        super(Scorer, self).__init__(inputs=inputs, outputs=outputs, name="scorer", **kwargs)
        self.dim = dim

    def encode(self, x):
        """The hidden representation (a second model on the same graph)."""
        return keras.models.Model(self.input, self.encoder.output).predict(x)

    def describe(self):
        return "{} on {} features".format(self.name, self.dim)


class Pair(keras.models.Model):
    """Keras 2's positional form: ``Model.__init__(self, inputs, outputs)``."""

    def __init__(self):
        a = keras.layers.Input(shape=(2,))
        b = keras.layers.Input(shape=(2,))
        out = keras.layers.Dense(1)(keras.layers.concatenate([a, b]))
        keras.models.Model.__init__(self, [a, b], out)


class TwoLayer(keras.models.Model):
    """The subclassing style: layers in ``__init__``, the computation in ``call``."""

    def __init__(self, **kwargs):
        super(TwoLayer, self).__init__(name="two_layer", **kwargs)
        self.hidden = keras.layers.Dense(4, activation="relu")
        self.out = keras.layers.Dense(1)

    def call(self, inputs):
        return self.out(self.hidden(inputs))


def _data(n=32, dim=3):
    rng = np.random.RandomState(0)
    x = rng.rand(n, dim).astype("float32")
    return x, x.sum(axis=1, keepdims=True)


def test_network_style_subclass_is_a_functional_model_of_its_class():
    model = Scorer(3)
    assert isinstance(model, Scorer) and isinstance(model, keras.models.Model)
    assert type(model).__name__ == "Scorer"
    assert model.name == "scorer" and model.describe() == "scorer on 3 features"
    assert [layer.name for layer in model.layers] == ["features", "encoder", "score"]
    assert K.int_shape(model.output) == (None, 1)
    assert model.count_params() == 3 * 4 + 4 + 4 + 1
    lines = []
    model.summary(print_fn=lines.append)
    assert any("encoder (Dense)" in line for line in lines)


def test_network_style_subclass_trains_and_its_methods_use_the_graph(tmp_path):
    model = Scorer(3)
    model.compile("adam", "mse")
    x, y = _data()
    hist = model.fit(x, y, epochs=3, batch_size=8, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    k, b = model.get_layer("encoder").get_weights()
    np.testing.assert_allclose(model.encode(x), np.tanh(x @ k + b), rtol=1e-5, atol=1e-6)
    path = str(tmp_path / "scorer_weights.h5")
    model.save_weights(path)
    other = Scorer(3)
    other.load_weights(path)
    np.testing.assert_allclose(other.predict(x), model.predict(x), rtol=1e-6)
    config = model.get_config()
    assert [layer["name"] for layer in config["layers"]] == ["features", "encoder", "score"]


def test_positional_model_init_in_a_subclass():
    model = Pair()
    assert len(model.inputs) == 2 and isinstance(model, Pair)
    model.compile("sgd", "mse")
    x = np.ones((4, 2), "float32")
    loss = model.train_on_batch([x, x], np.zeros((4, 1), "float32"))
    assert np.isfinite(loss)
    k, b = model.layers[-1].get_weights()
    np.testing.assert_allclose(model.predict([x, x]), np.concatenate([x, x], 1) @ k + b,
                               rtol=1e-6)


def test_subclassing_style_still_works():
    model = TwoLayer()
    model.compile("adam", "mse")
    x, y = _data()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert model.name == "two_layer" and len(model.trainable_weights) == 4
    k1, b1, k2, b2 = model.get_weights()
    want = np.maximum(x @ k1 + b1, 0) @ k2 + b2
    np.testing.assert_allclose(model.predict(x), want, rtol=1e-5, atol=1e-6)


def test_network_style_init_with_a_bad_input_names_the_model():
    class Broken(keras.models.Model):
        def __init__(self):
            super().__init__(inputs=np.zeros(3), outputs=None, name="broken")

    with pytest.raises(TypeError, match="broken"):
        Broken()


def test_add_metric_on_a_symbolic_tensor_shows_in_the_logs():
    inp = keras.layers.Input(shape=(3,))
    hidden = keras.layers.Dense(2, name="hidden")(inp)
    out = keras.layers.Dense(1, name="out")(hidden)
    model = keras.models.Model(inp, out)
    model.add_metric(K.mean(hidden), name="hidden_mean", aggregation="mean")
    model.add_metric(K.mean(hidden), name="hidden_mean")  # a second one of the name is ignored
    model.compile("sgd", "mse", metrics=["mae"])
    assert model.metrics_names == ["loss", "mae", "hidden_mean"]
    x, y = _data(n=12)
    hist = model.fit(x, y, batch_size=4, epochs=1, verbose=0, validation_data=(x, y))
    assert "hidden_mean" in hist.history and "val_hidden_mean" in hist.history
    k, b = model.get_layer("hidden").get_weights()
    # evaluate in one batch: the metric is the mean of the hidden layer's outputs
    values = model.evaluate(x, y, batch_size=12, verbose=0)
    np.testing.assert_allclose(values[2], np.mean(x @ k + b), rtol=1e-5)
    # three batches of equal size: the mean of the batch means
    values = model.evaluate(x, y, batch_size=4, verbose=0)
    np.testing.assert_allclose(values[2], np.mean(x @ k + b), rtol=1e-5)
    with pytest.raises(ValueError, match="name"):
        model.add_metric(K.mean(hidden))
    with pytest.raises(TypeError, match="symbolic"):
        model.add_metric(np.float32(1.0), name="constant")
