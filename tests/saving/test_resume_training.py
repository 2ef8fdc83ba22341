"""Training continues exactly where it stopped after save/load, for layers whose weights
use another layout inside (Conv2D, LSTM): the optimizer state is saved in Keras layout."""

import numpy as np
import pytest

import openkeras as ok
from openkeras import layers
from openkeras.models import load_model


def _conv_model():
    return ok.Sequential([layers.Conv2D(4, 3, input_shape=(6, 6, 2)), layers.Flatten(), layers.Dense(3)])


def _lstm_model():
    return ok.Sequential([layers.LSTM(5, input_shape=(4, 3)), layers.Dense(3)])


@pytest.mark.parametrize("make,shape,optimizer", [
    (_conv_model, (6, 6, 2), "adam"),
    (_lstm_model, (4, 3), "rmsprop"),
    (_conv_model, (6, 6, 2), ok.optimizers.SGD(learning_rate=0.1, momentum=0.9)),
])
def test_resume_after_reload_matches_uninterrupted_training(tmp_path, make, shape, optimizer):
    rng = np.random.default_rng(0)
    x = rng.random((16,) + shape, dtype=np.float32)
    y = rng.random((16, 3), dtype=np.float32)
    model = make()
    model.compile(optimizer=optimizer, loss="mse")
    model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    path = tmp_path / "m.h5"
    model.save(path)
    reloaded = load_model(path)
    for w_a, w_b in zip(model.optimizer.get_weights(), reloaded.optimizer.get_weights(), strict=True):
        np.testing.assert_array_equal(w_a, w_b)
    model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    reloaded.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    for w_a, w_b in zip(model.get_weights(), reloaded.get_weights(), strict=True):
        np.testing.assert_allclose(w_a, w_b, rtol=1e-6, atol=1e-7)


def test_optimizer_weights_are_in_keras_layout():
    model = _conv_model()
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.zeros((2, 6, 6, 2), "float32"), np.zeros((2, 3), "float32"), verbose=0)
    shapes = [w.shape for w in model.optimizer.get_weights()]
    assert (3, 3, 2, 4) in shapes  # Conv2D kernel slots as Keras shows them
    assert (4, 2, 3, 3) not in shapes
