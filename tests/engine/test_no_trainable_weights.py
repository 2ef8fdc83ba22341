"""Training with nothing to train: loss and metrics are computed, nothing is updated (Keras 2)."""

import numpy as np
import pytest

from openkeras import optimizers
from openkeras.engine.sequential import Sequential
from openkeras.layers import Activation, Dense, Dropout, Input
from openkeras.models import Model


def _data(n=16, dim=32, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, dim)).astype("float32"),
            rng.standard_normal((n, dim)).astype("float32"))


def test_seed_faq_freeze_layers_snippet_runs_as_written():
    data, labels = _data(64)
    # --- the FAQ's "How can I freeze layers?" snippet, code lines as written ---
    x = Input(shape=(32,))
    layer = Dense(32)
    layer.trainable = False
    y = layer(x)

    frozen_model = Model(x, y)
    # in the model below, the weights of `layer` will not be updated during training
    frozen_model.compile(optimizer='rmsprop', loss='mse')

    layer.trainable = True
    trainable_model = Model(x, y)
    # with this model the weights of the layer will be updated during training
    # (which will also affect the above model since it uses the same layer instance)
    trainable_model.compile(optimizer='rmsprop', loss='mse')

    before = [w.copy() for w in layer.get_weights()]
    # Keras 2.2.4 warns here too: `layer.trainable` changed after frozen_model.compile
    with pytest.warns(UserWarning, match="Discrepancy between trainable weights"):
        frozen_model.fit(data, labels, verbose=0)  # this does NOT update the weights of `layer`
    for got, want in zip(layer.get_weights(), before, strict=True):
        np.testing.assert_array_equal(got, want)
    trainable_model.fit(data, labels, verbose=0)  # this updates the weights of `layer`
    assert not np.allclose(layer.get_weights()[0], before[0])


def test_frozen_model_reports_loss_and_metrics_and_counts_steps():
    x, y = _data()
    model = Sequential([Dense(32, input_shape=(32,), trainable=False), Dropout(0.0)])
    model.compile(optimizers.SGD(0.1), "mse", metrics=["mae"])
    k, b = model.get_weights()
    out = x @ k + b
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    np.testing.assert_allclose(history.history["loss"], [np.mean((out - y) ** 2)] * 2,
                               rtol=1e-5)
    np.testing.assert_allclose(history.history["mae"], [np.mean(np.abs(out - y))] * 2,
                               rtol=1e-5)
    np.testing.assert_array_equal(model.get_weights()[0], k)
    assert int(model.optimizer.iterations) == 4  # Keras 2 counts the steps all the same
    loss, mae = model.train_on_batch(x, y)
    np.testing.assert_allclose([loss, mae], [np.mean((out - y) ** 2), np.mean(np.abs(out - y))],
                               rtol=1e-5)


def test_model_without_any_weight_trains_and_evaluates():
    x, y = _data(8, 4)
    model = Sequential([Activation("relu", input_shape=(4,))])
    model.compile("adam", "mse", metrics=["accuracy"])
    history = model.fit(x, y, epochs=1, verbose=0)
    np.testing.assert_allclose(history.history["loss"][0], np.mean((np.maximum(x, 0) - y) ** 2),
                               rtol=1e-5)
    assert model.evaluate(x, y, verbose=0)[0] == history.history["loss"][0]


def test_recompiling_after_freezing_a_model_freezes_it():
    x, y = _data(8, 4)
    model = Sequential([Dense(4, input_shape=(4,))])
    model.compile("sgd", "mse")
    model.trainable = False
    model.compile("sgd", "mse")
    before = model.get_weights()
    model.fit(x, y, verbose=0)
    for got, want in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(got, want)
