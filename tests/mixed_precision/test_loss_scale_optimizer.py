"""LossScaleOptimizer: skipping overflowing steps and growing / shrinking the scale (CPU)."""

import numpy as np
import pytest
import torch

import openkeras
from openkeras import optimizers
from openkeras.mixed_precision import LossScaleOptimizer


def _setup(**kwargs):
    w = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    opt = LossScaleOptimizer(optimizers.SGD(0.5), **kwargs)
    opt.build([w])
    return w, opt


def _backward(w, opt, grad_values):
    """Gradients as a float16 backward of ``scaled loss`` would give them (maybe inf)."""
    opt.zero_grad()
    scaled = torch.tensor(grad_values, dtype=torch.float16).float() * opt.loss_scale
    w.grad = scaled.to(torch.float16).float()  # overflows to inf beyond 65504, like float16


def test_defaults_are_tf_keras_ones():
    _, opt = _setup()
    assert float(opt.loss_scale) == 2.0 ** 15 and opt.dynamic_growth_steps == 2000


def test_finite_step_applies_unscaled_gradients():
    w, opt = _setup(initial_scale=8.0)
    _backward(w, opt, [0.25, -1.0])
    opt.step()
    np.testing.assert_allclose(w.detach().numpy(), [1.0 - 0.5 * 0.25, 2.0 + 0.5], rtol=0)
    assert int(opt.iterations) == 1 and int(opt.dynamic_counter) == 1


def test_overflow_skips_the_step_and_halves_the_scale():
    w, opt = _setup()  # 2**15 * 4 = 131072 > float16 max: inf
    _backward(w, opt, [4.0, 0.0])
    assert torch.isinf(w.grad).any()
    opt.step()
    np.testing.assert_array_equal(w.detach().numpy(), [1.0, 2.0])  # skipped
    assert float(opt.loss_scale) == 2.0 ** 14
    assert int(opt.iterations) == 1 and int(opt.dynamic_counter) == 0
    _backward(w, opt, [4.0, 0.0])  # 2**14 * 4 = 65536: still inf in float16
    opt.step()
    assert float(opt.loss_scale) == 2.0 ** 13
    _backward(w, opt, [4.0, 0.0])  # 2**13 * 4 fits: applied
    opt.step()
    np.testing.assert_allclose(w.detach().numpy(), [1.0 - 2.0, 2.0], rtol=0)


def test_nan_gradient_skips_and_scale_never_drops_below_one():
    w, opt = _setup(initial_scale=1.0)
    opt.zero_grad()
    w.grad = torch.tensor([float("nan"), 1.0])
    opt.step()
    np.testing.assert_array_equal(w.detach().numpy(), [1.0, 2.0])
    assert float(opt.loss_scale) == 1.0


def test_scale_doubles_after_growth_steps_finite_steps():
    w, opt = _setup(initial_scale=4.0, dynamic_growth_steps=3)
    for expected in (4.0, 4.0, 8.0, 8.0, 8.0, 16.0):
        _backward(w, opt, [0.01, 0.01])
        opt.step()
        assert float(opt.loss_scale) == expected


def test_fixed_scale_never_changes():
    w, opt = _setup(dynamic=False, initial_scale=2.0 ** 15)
    _backward(w, opt, [4.0, 0.0])
    opt.step()
    assert float(opt.loss_scale) == 2.0 ** 15
    np.testing.assert_array_equal(w.detach().numpy(), [1.0, 2.0])


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="initial_scale"):
        LossScaleOptimizer(optimizers.SGD(), dynamic=False)
    with pytest.raises(TypeError, match="inner_optimizer"):
        LossScaleOptimizer(LossScaleOptimizer("sgd"))


def test_config_round_trip_and_model_training():
    opt = LossScaleOptimizer(optimizers.Adam(0.01), initial_scale=256, dynamic_growth_steps=10)
    clone = LossScaleOptimizer.from_config(opt.get_config())
    assert clone.get_config() == opt.get_config()
    assert isinstance(clone.inner_optimizer, optimizers.Adam)
    model = openkeras.Sequential([openkeras.layers.Dense(1, input_shape=(2,))])
    model.compile(clone, "mse")
    x = np.random.RandomState(0).randn(64, 2).astype("float32")
    y = x @ np.array([[1.0], [-2.0]], dtype="float32")
    loss = model.fit(x, y, epochs=5, verbose=0).history["loss"]
    assert loss[-1] < loss[0]
    assert int(clone.iterations) == 10 and float(clone.loss_scale) == 512.0


def test_mixed_float16_model_round_trips_through_hdf5(tmp_path):
    from openkeras import mixed_precision

    mixed_precision.set_global_policy("mixed_float16")
    model = openkeras.Sequential([openkeras.layers.Dense(4, input_shape=(3,)),
                                  openkeras.layers.Activation("softmax", dtype="float32")])
    model.compile("adam", "categorical_crossentropy")
    x = np.random.RandomState(0).rand(16, 3).astype("float32")
    model.fit(x, np.eye(4, dtype="float32")[np.arange(16) % 4], verbose=0)
    model.save(tmp_path / "mixed.h5")
    mixed_precision.set_global_policy(None)
    loaded = openkeras.models.load_model(tmp_path / "mixed.h5")
    assert isinstance(loaded.optimizer, LossScaleOptimizer)
    assert isinstance(loaded.optimizer.inner_optimizer, optimizers.Adam)
    assert [lay.compute_dtype for lay in loaded.layers] == ["float16", "float32"]
    for a, b in zip(model.optimizer.get_weights(), loaded.optimizer.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
