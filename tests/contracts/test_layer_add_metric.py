"""Keras 2.3.1's ``Layer.add_metric`` called in a custom layer's ``call``: the value is
logged by fit and evaluate under its name (the mean over the epoch's batches)."""

import numpy as np
import pytest

import openkeras as keras
from openkeras import backend as K


class ActivationStats(keras.layers.Layer):
    """Passes its input on and logs its mean and its largest absolute value per batch."""

    def call(self, inputs):
        self.add_metric(K.mean(inputs), name="act_mean", aggregation="mean")
        self.add_metric(K.max(K.abs(inputs)), name="act_absmax")
        return inputs


def _model():
    inp = keras.layers.Input(shape=(3,))
    hidden = keras.layers.Dense(4, name="hidden")(inp)
    out = keras.layers.Dense(1)(ActivationStats(name="stats")(hidden))
    return keras.models.Model(inp, out)


def test_layer_metrics_are_logged_by_fit_and_evaluate():
    rng = np.random.RandomState(0)
    x = rng.normal(size=(12, 3)).astype("float32")
    y = rng.normal(size=(12, 1)).astype("float32")
    model = _model()
    model.compile(keras.optimizers.SGD(learning_rate=0.0), "mse", metrics=["mae"])  # weights stay put
    dense = model.get_layer("hidden")
    hidden = x @ K.get_value(dense.kernel) + K.get_value(dense.bias)
    batches = [hidden[i:i + 4] for i in range(0, 12, 4)]
    history = model.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False)
    # after the compiled metrics, as Keras 2.3.1's metrics_names
    assert list(history.history) == ["loss", "mae", "act_mean", "act_absmax"]
    want_mean = np.mean([b.mean() for b in batches])
    want_max = np.mean([np.abs(b).max() for b in batches])
    np.testing.assert_allclose(history.history["act_mean"], [want_mean] * 2, rtol=1e-5)
    np.testing.assert_allclose(history.history["act_absmax"], [want_max] * 2, rtol=1e-5)
    assert model.metrics_names[-2:] == ["act_mean", "act_absmax"]
    results = model.evaluate(x, y, batch_size=4, verbose=0)
    np.testing.assert_allclose(results[-2:], [want_mean, want_max], rtol=1e-5)


def test_layer_add_metric_needs_a_name_and_mean():
    layer = ActivationStats(name="s")
    with pytest.raises(ValueError, match="Layer 's'.*provide a name"):
        layer.add_metric(K.constant(1.0))
    with pytest.raises(ValueError, match="aggregation must be 'mean'"):
        layer.add_metric(K.constant(1.0), name="m", aggregation="sum")
