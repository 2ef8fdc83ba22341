"""Activity regularization losses in layer.losses / model.losses, added once by training.

Keras 2.2.4 / 2.3.1 (engine/base_layer.py) add ``activity_regularizer(output)`` for each
output, summed over the batch, to ``layer.losses`` when the layer is called; openkeras lists
the value of the most recent forward pass.
"""

import copy

import numpy as np
import torch

from openkeras import optimizers, regularizers
from openkeras.engine.sequential import Sequential
from openkeras.layers import Dense, Input
from openkeras.models import Model


def _model():
    model = Sequential([
        Dense(4, input_shape=(3,), activation="relu", activity_regularizer=regularizers.l2(0.1)),
        Dense(1, kernel_regularizer=regularizers.l1(0.01)),
    ])
    model.compile(optimizers.SGD(0.0), "mse")
    return model


def _data(n=8):
    rng = np.random.default_rng(0)
    return rng.standard_normal((n, 3)).astype("float32"), rng.standard_normal((n, 1)).astype(
        "float32")


def _hidden(model, x):
    k, b = model.layers[0].get_weights()
    return np.maximum(x @ k + b, 0)


def test_model_losses_list_weight_and_activity_losses_after_a_call():
    model = _model()
    x, _ = _data()
    assert len(model.losses) == 1  # before any forward: only the kernel regularizer
    model.predict(x, batch_size=8)
    losses = model.losses
    assert len(losses) == 2
    k2 = model.layers[1].get_weights()[0]
    np.testing.assert_allclose(float(losses[1].detach()), 0.01 * np.abs(k2).sum(), rtol=1e-5)
    activity = 0.1 * np.sum(_hidden(model, x) ** 2)
    (only,) = model.layers[0].losses
    np.testing.assert_allclose(float(only.detach()), activity, rtol=1e-5)
    assert losses[0] is only


def test_training_adds_the_activity_loss_once():
    model = _model()
    x, y = _data()
    k2, b2 = model.layers[1].get_weights()
    h = _hidden(model, x)
    expected = (np.mean((h @ k2 + b2 - y) ** 2) + 0.1 * np.sum(h ** 2)
                + 0.01 * np.abs(k2).sum())
    loss = model.train_on_batch(x, y)
    np.testing.assert_allclose(loss, expected, rtol=1e-5)
    # the listed losses are those of that batch, and add up to the regularization part
    regularization = sum(float(v.detach()) for v in model.losses)
    np.testing.assert_allclose(loss - regularization, np.mean((h @ k2 + b2 - y) ** 2),
                               rtol=1e-5)
    history = model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    np.testing.assert_allclose(history.history["loss"][0], expected, rtol=1e-5)


def test_listed_losses_carry_gradients_for_a_custom_loop():
    model = _model()
    x, y = (torch.from_numpy(a) for a in _data())
    out = model(x, training=True)
    total = torch.mean((out - y) ** 2) + sum(model.losses)
    total.backward()
    kernel = model.layers[0].weights[0]
    manual = model.layers[0](x)
    expected = torch.autograd.grad(
        torch.mean((model.layers[1](manual) - y) ** 2) + 0.1 * (manual ** 2).sum(), kernel)[0]
    torch.testing.assert_close(kernel.grad, expected, rtol=1e-5, atol=1e-6)
    clone = copy.deepcopy(model)  # a model holding graph-attached losses still copies
    assert len(clone.losses) == 1


def test_nested_model_losses_reach_the_outer_model():
    inner = Sequential([Dense(2, input_shape=(3,), activity_regularizer="l1")])
    inp = Input((3,))
    outer = Model(inp, Dense(1)(inner(inp)))
    x, _ = _data()
    outer.predict(x, batch_size=8)
    (value,) = outer.losses
    h = x @ inner.get_weights()[0] + inner.get_weights()[1]
    np.testing.assert_allclose(float(value.detach()), 0.01 * np.abs(h).sum(), rtol=1e-5)
