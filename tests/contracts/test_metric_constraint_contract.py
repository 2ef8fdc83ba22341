"""Custom Metric, Constraint and Regularizer written the Keras 2 way: compile, fit, save, load."""

import numpy as np
import pytest

import openkeras as keras
from openkeras import backend as K


def mean_pred(y_true, y_pred):
    """A Keras 2 function metric."""
    return K.mean(y_pred)


class BinaryTruePositives(keras.metrics.Metric):
    """Keras 2.3.1's documented custom Metric: state from ``add_weight``, ``update_state``
    returning ``K.update_add``, ``result``, and its own ``reset_states``."""

    def __init__(self, name="binary_true_positives", **kwargs):
        super(BinaryTruePositives, self).__init__(name=name, **kwargs)
        self.true_positives = self.add_weight(name="tp", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = K.cast(y_true, K.floatx())
        y_pred = K.cast(K.round(y_pred), K.floatx())
        return K.update_add(self.true_positives, K.sum(y_true * y_pred))

    def result(self):
        return self.true_positives

    def reset_states(self):
        K.batch_set_value([(v, 0) for v in self.variables])


class ClipNorm(keras.constraints.Constraint):
    """Clips every weight to [-c, c]."""

    def __init__(self, c=0.1):
        self.c = c

    def __call__(self, w):
        return K.clip(w, -self.c, self.c)

    def get_config(self):
        return {"c": self.c}


class HalfL1(keras.regularizers.Regularizer):
    """``factor * sum(|x|) / 2``."""

    def __init__(self, factor=0.01):
        self.factor = factor

    def __call__(self, x):
        return self.factor * K.sum(K.abs(x)) / 2.0

    def get_config(self):
        return {"factor": self.factor}


CUSTOM = {"mean_pred": mean_pred, "BinaryTruePositives": BinaryTruePositives,
          "ClipNorm": ClipNorm, "HalfL1": HalfL1}


def _model():
    model = keras.models.Sequential([
        keras.layers.Dense(4, activation="relu", input_shape=(3,), kernel_constraint=ClipNorm(0.1),
                           kernel_regularizer=HalfL1(0.01)),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile("sgd", "binary_crossentropy", metrics=["acc", mean_pred, BinaryTruePositives()])
    return model


def _data():
    rng = np.random.RandomState(0)
    x = rng.rand(48, 3).astype("float32")
    return x, (x.sum(1, keepdims=True) > 1.5).astype("float32")


def test_custom_metrics_show_in_logs_with_the_right_values():
    model = _model()
    x, y = _data()
    hist = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert model.metrics_names == ["loss", "acc", "mean_pred", "binary_true_positives"]
    assert set(hist.history) == {"loss", "acc", "mean_pred", "binary_true_positives"}
    loss, acc, mp, tp = model.evaluate(x, y, batch_size=16, verbose=0)
    pred = model.predict(x)
    np.testing.assert_allclose(mp, pred.mean(), rtol=1e-5)
    assert tp == float(np.sum(np.round(pred) * y))  # a sum over the whole evaluation
    # evaluate reset the state first: a second run gives the same count, not twice it
    assert model.evaluate(x, y, batch_size=16, verbose=0)[3] == tp


def test_metric_subclass_directly():
    m = BinaryTruePositives()
    m.update_state(np.array([1, 1, 0, 1.0]), np.array([0.9, 0.2, 0.8, 0.7]))
    assert float(m.result()) == 2.0
    m.reset_states()
    assert float(m.result()) == 0.0
    m.update_state(np.array([1.0]), np.array([0.6]))
    m.reset_state()  # tf.keras's spelling runs the subclass's reset_states
    assert float(m.result()) == 0.0


def test_custom_constraint_and_regularizer_apply_in_fit():
    model = _model()
    x, y = _data()
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    kernel = model.layers[0].get_weights()[0]
    assert np.abs(kernel).max() <= 0.1 + 1e-7
    # the loss is the cross-entropy plus the regularizer's value
    k0, b0, k1, b1 = model.get_weights()
    h = np.maximum(x @ k0 + b0, 0)
    p = np.clip(1 / (1 + np.exp(-(h @ k1 + b1))), 1e-7, 1 - 1e-7)
    bce = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    want = bce + 0.01 * np.abs(k0).sum() / 2
    np.testing.assert_allclose(model.evaluate(x, y, batch_size=48, verbose=0)[0], want, rtol=1e-4)


def test_save_and_load_with_custom_objects(tmp_path):
    model = _model()
    x, y = _data()
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    path = str(tmp_path / "custom.h5")
    model.save(path)
    with pytest.raises(ValueError, match="ClipNorm|HalfL1"):
        keras.models.load_model(path)
    loaded = keras.models.load_model(path, custom_objects=CUSTOM)
    layer = loaded.layers[0]
    assert isinstance(layer.kernel_constraint, ClipNorm) and layer.kernel_constraint.c == 0.1
    assert isinstance(layer.kernel_regularizer, HalfL1) and layer.kernel_regularizer.factor == 0.01
    assert loaded.metrics_names == model.metrics_names
    np.testing.assert_allclose(loaded.predict(x), model.predict(x), rtol=1e-6)
    np.testing.assert_allclose(loaded.evaluate(x, y, verbose=0), model.evaluate(x, y, verbose=0),
                               rtol=1e-5)
    loaded.fit(x, y, epochs=1, batch_size=16, verbose=0)  # the restored optimizer state trains on


def test_metric_state_attributes_follow_the_state_to_another_device():
    # Training moves a metric's states to the outputs' device (a GPU); the tensors a Keras
    # 2.3.1 subclass kept from add_weight must be the moved ones. "meta" stands in for a GPU.
    m = BinaryTruePositives()
    m._states_on("meta")
    assert m.true_positives.device.type == "meta"
    assert m.variables[0] is m.true_positives
