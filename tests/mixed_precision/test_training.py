"""Training under mixed_bfloat16 on CPU (torch.autocast), against the same model in float32."""

import numpy as np
import torch

import openkeras
from openkeras import layers, mixed_precision


def _data(shape, n=128, classes=3):
    rng = np.random.RandomState(0)
    x = rng.randn(n, *shape).astype("float32")
    y = np.eye(classes, dtype="float32")[(x.reshape(n, -1)[:, :3].argmax(1))]
    return x, y


def _mlp():
    inp = openkeras.Input((8,))
    h = layers.Dense(16, activation="relu")(inp)
    logits = layers.Dense(3)(h)
    out = layers.Activation("softmax", dtype="float32")(logits)
    return openkeras.Model(inp, out), openkeras.Model(inp, [h, logits, out])


def _cnn():
    inp = openkeras.Input((8, 8, 1))
    h = layers.Conv2D(4, 3, activation="relu")(inp)
    h = layers.MaxPooling2D()(h)
    h = layers.Flatten()(h)
    logits = layers.Dense(3)(h)
    out = layers.Activation("softmax", dtype="float32")(logits)
    return openkeras.Model(inp, out), openkeras.Model(inp, [h, logits, out])


def _train(make, shape, policy, epochs=8):
    mixed_precision.set_global_policy(policy)
    openkeras.utils.set_random_seed(7)
    model, probe = make()
    model.compile(openkeras.optimizers.SGD(0.1), "categorical_crossentropy")
    x, y = _data(shape)
    history = model.fit(x, y, batch_size=32, epochs=epochs, shuffle=False, verbose=0)
    mixed_precision.set_global_policy(None)
    return model, probe, x, history.history["loss"]


def _check_mixed_against_float32(make, shape):
    mixed, probe, x, mixed_loss = _train(make, shape, "mixed_bfloat16")
    plain, _, _, plain_loss = _train(make, shape, "float32")
    assert all(w.dtype == torch.float32 for w in mixed.weights)
    *hidden, out = probe(torch.from_numpy(x[:4]))
    assert [h.dtype for h in hidden] == [torch.bfloat16, torch.bfloat16]
    assert out.dtype == torch.float32  # the float32-policy softmax
    assert mixed_loss[-1] < 0.8 * mixed_loss[0]  # it trains
    # bfloat16 keeps 8 bits of mantissa (relative rounding ~0.4%); over 8 epochs of SGD the
    # losses stay within 3% of float32's and the weights within 0.05
    np.testing.assert_allclose(mixed_loss, plain_loss, rtol=0.03)
    for a, b in zip(mixed.get_weights(), plain.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, atol=0.05)
    assert mixed.predict(x[:4]).dtype == np.float32


def test_mlp_mixed_bfloat16_trains_close_to_float32():
    _check_mixed_against_float32(_mlp, (8,))


def test_cnn_mixed_bfloat16_trains_close_to_float32():
    _check_mixed_against_float32(_cnn, (8, 8, 1))


def test_float32_policy_is_the_plain_path_bit_for_bit():
    runs = []
    for policy in (None, "float32"):
        mixed_precision.set_global_policy(policy)
        openkeras.utils.set_random_seed(3)
        model, _ = _mlp()
        model.compile("adam", "categorical_crossentropy")
        x, y = _data((8,))
        model.fit(x, y, batch_size=32, epochs=2, verbose=0)
        runs.append(model)
    for a, b in zip(runs[0].get_weights(), runs[1].get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    # nothing wraps the layer calls of a float32 model: the plan calls layer.call directly
    model = runs[1]
    assert model._autocast is None
    assert all(step.fn == step.layer.call for step in model._steps)


def test_a_mixed_layer_in_a_float32_model_computes_in_half():
    inp = openkeras.Input((4,))
    h = layers.Dense(3, dtype="mixed_bfloat16")(inp)
    out = layers.Dense(2)(h)
    model = openkeras.Model(inp, [h, out])
    h_value, out_value = model(torch.ones(2, 4))
    assert (h_value.dtype, out_value.dtype) == (torch.bfloat16, torch.float32)


def test_mixed_float16_compile_wraps_the_optimizer():
    mixed_precision.set_global_policy("mixed_float16")
    model = openkeras.Sequential([layers.Dense(3, input_shape=(8,)),
                                  layers.Activation("softmax", dtype="float32")])
    model.compile(openkeras.optimizers.SGD(0.1), "categorical_crossentropy")
    assert isinstance(model.optimizer, mixed_precision.LossScaleOptimizer)
    assert float(model.optimizer.lr) == np.float32(0.1)
    x, y = _data((8,), n=64)
    loss = model.fit(x, y, batch_size=32, epochs=3, verbose=0).history["loss"]
    assert loss[-1] < loss[0]
    assert int(model.optimizer.iterations) == 6
