import numpy as np
import pytest
import torch
from golden_cases import check_golden_case, layer_cases
from layer_test_utils import run_layer_test

from openkeras.engine.functional import Functional
from openkeras.engine.input_layer import Input
from openkeras.layers.normalization import BatchNormalization, LayerNormalization
from openkeras.utils.generic_utils import custom_object_scope

CLASSES = {"BatchNormalization": BatchNormalization, "LayerNormalization": LayerNormalization}


def layer_test(cls, **kwargs):
    with custom_object_scope(CLASSES):
        return run_layer_test(cls, **kwargs)


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


@pytest.mark.parametrize("case", layer_cases("normalization").values(), ids=str)
def test_normalization_matches_tf_keras(case):
    layer = CLASSES[case.entry["class_name"]].from_config(case.entry["config"])
    # training cases also compare the moving mean/variance after the call (w_after)
    check_golden_case(layer, case, rtol=1e-5, atol=1e-5, config_ignore=(), weight_names=True)


def test_batchnorm_layer_test():
    layer_test(BatchNormalization, init_kwargs={}, input_shape=(3, 5),
               expected_output_shape=(None, 5), expected_num_weights=4)
    layer_test(BatchNormalization, init_kwargs={"axis": 1, "momentum": 0.8}, input_shape=(2, 3, 4, 4),
               expected_output_shape=(None, 3, 4, 4), expected_num_weights=4)
    layer_test(BatchNormalization, init_kwargs={"center": False, "scale": False},
               input_shape=(2, 3, 4), expected_output_shape=(None, 3, 4), expected_num_weights=2)
    layer_test(BatchNormalization, init_kwargs={"axis": [1, 2]}, input_shape=(2, 3, 4, 2),
               expected_output_shape=(None, 3, 4, 2), expected_num_weights=4)


def test_layernorm_layer_test():
    layer_test(LayerNormalization, init_kwargs={}, input_shape=(2, 3, 5),
               expected_output_shape=(None, 3, 5), expected_num_weights=2)
    layer_test(LayerNormalization, init_kwargs={"axis": [1, 2], "epsilon": 1e-5},
               input_shape=(2, 3, 5), expected_output_shape=(None, 3, 5), expected_num_weights=2)
    layer_test(LayerNormalization, init_kwargs={"axis": 1, "center": False},
               input_shape=(2, 3, 5), expected_output_shape=(None, 3, 5), expected_num_weights=1)


def test_batchnorm_channels_first_matches_torch_batchnorm2d():
    x = rand(6, 3, 5, 4)
    layer = BatchNormalization(axis=1, momentum=0.9, epsilon=1e-3)
    layer(x)
    gamma, beta = rand(3, seed=1) + 2, rand(3, seed=2)
    layer.set_weights([gamma, beta, rand(3, seed=3), np.abs(rand(3, seed=4)) + 0.5])
    ref = torch.nn.BatchNorm2d(3, eps=1e-3, momentum=0.1)
    with torch.no_grad():
        ref.weight.copy_(torch.as_tensor(gamma))
        ref.bias.copy_(torch.as_tensor(beta))
        ref.running_mean.copy_(layer.moving_mean)
        ref.running_var.copy_(layer.moving_variance)
    # fused path (4D, channel axis): Bessel-corrected moving variance, like torch
    out = layer(torch.as_tensor(x), training=True)
    expected = ref.train()(torch.as_tensor(x))
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(layer.moving_mean.detach(), ref.running_mean, rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(layer.moving_variance.detach(), ref.running_var, rtol=1e-6, atol=1e-6)
    x2 = torch.as_tensor(rand(2, 3, 5, 4, seed=9))
    torch.testing.assert_close(layer(x2), ref.eval()(x2), rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(layer(x2, training=False), ref.eval()(x2), rtol=1e-5, atol=1e-5)


def test_batchnorm_gradients_match_torch():
    x = torch.as_tensor(rand(8, 4))
    layer = BatchNormalization()
    ref = torch.nn.BatchNorm1d(4, eps=1e-3)
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    (layer(xa, training=True) ** 3).sum().backward()
    (ref.train()(xb) ** 3).sum().backward()
    torch.testing.assert_close(xa.grad, xb.grad, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(layer.gamma.grad, ref.weight.grad, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(layer.beta.grad, ref.bias.grad, rtol=1e-4, atol=1e-5)


def batchnorm_numpy(x, axes, momentum, eps, unbiased_update):
    """Keras's training step by hand: output and the updated moving statistics (from 0 / 1)."""
    reduce = tuple(i for i in range(x.ndim) if i not in axes)
    x = x.astype("float64")
    mean, var = x.mean(reduce, keepdims=True), x.var(reduce, keepdims=True)
    n = x.size / mean.size
    update_var = var * n / (n - 1) if unbiased_update else var
    return ((x - mean) / np.sqrt(var + eps), mean * (1 - momentum),
            momentum + update_var * (1 - momentum))


@pytest.mark.parametrize("shape,kwargs,unbiased", [
    ((6, 4), {}, False),                                     # 2D: non-fused, biased
    ((3, 4, 5), {}, False),                                  # 3D: non-fused
    ((2, 3, 3, 4), {}, True),                                # 4D channels_last: fused
    ((2, 3, 3, 2, 4), {"axis": 1}, True),                    # 5D axis 1: fused
    ((2, 3, 3, 4), {"fused": False}, False),                 # fused=False forces biased
    ((2, 3, 3, 4), {"axis": 2}, False),                      # an axis the fused kernel refuses
    ((4, 3, 5, 2), {"axis": [1, 3]}, False),                 # several axes
    ((1, 4), {}, False),                                     # one sample per channel
])
def test_batchnorm_training_step_matches_keras_rule(shape, kwargs, unbiased):
    x = rand(*shape) * 2 + 1
    layer = BatchNormalization(momentum=0.8, **kwargs)
    out = layer(torch.as_tensor(x), training=True).detach().numpy()
    axes = layer.axis
    y, mm, mv = batchnorm_numpy(x, axes, 0.8, 1e-3, unbiased)
    np.testing.assert_allclose(out, y, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(layer.get_weights()[2].reshape(-1), mm.reshape(-1), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(layer.get_weights()[3].reshape(-1), mv.reshape(-1), rtol=1e-5, atol=1e-5)


def test_batchnorm_multi_axis_weights_have_keras_shape():
    layer = BatchNormalization(axis=[1, 3])
    layer(torch.zeros(2, 3, 5, 2))
    assert [w.shape for w in layer.get_weights()] == [(1, 3, 1, 2)] * 4
    mm, mv = rand(1, 3, 1, 2, seed=1), np.abs(rand(1, 3, 1, 2, seed=2)) + 0.5
    layer.set_weights([np.ones((1, 3, 1, 2), "float32"), np.zeros((1, 3, 1, 2), "float32"), mm, mv])
    x = rand(2, 3, 5, 2)
    np.testing.assert_allclose(layer(x).detach().numpy(), (x - mm) / np.sqrt(mv + 1e-3),
                               rtol=1e-5, atol=1e-5)


def test_batchnorm_fused_epsilon_floor():
    x = rand(2, 4, 4, 3)
    layer = BatchNormalization(epsilon=1e-7)
    layer(x)
    layer.set_weights([np.ones(3), np.zeros(3), np.zeros(3), np.full(3, 1e-6)])
    # tf.keras's fused kernel raises epsilon to 1.001e-5
    np.testing.assert_allclose(layer(x).detach().numpy(), x / np.sqrt(1e-6 + 1.001e-5), rtol=1e-5)


def test_frozen_batchnorm_runs_in_inference_mode():
    layer = BatchNormalization(trainable=False)
    x = torch.as_tensor(rand(5, 3) + 3)
    out = layer(x, training=True)
    torch.testing.assert_close(out, x / np.sqrt(1 + 1e-3), rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(layer.get_weights()[2], np.zeros(3, "float32"))


def test_batchnorm_in_functional_model_updates_moving_stats_only_in_training():
    inp = Input(shape=(4,))
    bn = BatchNormalization(momentum=0.5)
    model = Functional(inp, bn(inp))
    x = rand(8, 4) + 5
    model(x)
    np.testing.assert_array_equal(bn.get_weights()[2], np.zeros(4, "float32"))
    model(x, training=True)
    np.testing.assert_allclose(bn.get_weights()[2], x.mean(0) * 0.5, rtol=1e-5)


def test_batchnorm_config_and_legacy_arguments():
    layer = BatchNormalization(axis=1)
    assert layer.get_config()["axis"] == 1
    layer(torch.zeros(2, 3, 4))
    assert layer.get_config()["axis"] == [1]
    assert "fused" not in layer.get_config()
    with pytest.warns(DeprecationWarning):
        layer = BatchNormalization(mode=0, beta_init="ones", gamma_init="zeros")
    layer(torch.zeros(2, 3))
    np.testing.assert_array_equal(layer.get_weights()[0], np.zeros(3, "float32"))
    np.testing.assert_array_equal(layer.get_weights()[1], np.ones(3, "float32"))
    with pytest.warns(DeprecationWarning), pytest.raises(TypeError, match="mode=2"):
        BatchNormalization(mode=2)


def test_batchnorm_errors():
    with pytest.raises(NotImplementedError, match="renorm=True"):
        BatchNormalization(renorm=True)
    with pytest.raises(NotImplementedError, match="virtual_batch_size=4"):
        BatchNormalization(virtual_batch_size=4)
    with pytest.raises(TypeError, match="axis='x'"):
        BatchNormalization(axis="x")
    with pytest.raises(ValueError, match=r'"bn".*axis=3'):
        BatchNormalization(axis=3, name="bn")(Input(shape=(4, 2)))
    with pytest.raises(ValueError, match="fused=True"):
        BatchNormalization(fused=True)(Input(shape=(4,)))
    with pytest.raises(ValueError, match="defined dimension"):
        BatchNormalization()(Input(shape=(4, None)))


def test_layernorm_matches_torch_layernorm():
    x = torch.as_tensor(rand(2, 3, 4, 5))
    layer = LayerNormalization(axis=[2, 3], epsilon=1e-5)
    layer(x)
    gamma, beta = rand(4, 5, seed=1), rand(4, 5, seed=2)
    layer.set_weights([gamma, beta])
    ref = torch.nn.LayerNorm((4, 5), eps=1e-5)
    with torch.no_grad():
        ref.weight.copy_(torch.as_tensor(gamma))
        ref.bias.copy_(torch.as_tensor(beta))
    torch.testing.assert_close(layer(x), ref(x), rtol=1e-5, atol=1e-5)


def test_layernorm_non_trailing_axis_matches_numpy():
    x = rand(2, 3, 5)
    layer = LayerNormalization(axis=1, epsilon=1e-3)
    layer(x)
    gamma, beta = rand(3, seed=1), rand(3, seed=2)
    layer.set_weights([gamma, beta])
    mean, var = x.mean(1, keepdims=True), x.var(1, keepdims=True)
    expected = (x - mean) / np.sqrt(var + 1e-3) * gamma[:, None] + beta[:, None]
    np.testing.assert_allclose(layer(x).detach().numpy(), expected, rtol=1e-5, atol=1e-5)
    assert layer.get_config()["axis"] == [1]


def test_layernorm_errors():
    with pytest.raises(TypeError, match="axis=1.5"):
        LayerNormalization(axis=1.5)
    with pytest.raises(ValueError, match="Duplicate axis|duplicate axis"):
        LayerNormalization(axis=[1, -1])(Input(shape=(3,)))
