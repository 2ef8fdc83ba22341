import numpy as np
import pytest
import torch
import torch.nn.functional as F
from golden_cases import check_golden_case, layer_cases
from layer_test_utils import run_layer_test

from openkeras.engine.input_layer import Input
from openkeras.layers import advanced_activations as aa
from openkeras.utils.generic_utils import custom_object_scope

CLASSES = {name: getattr(aa, name) for name in
           ("LeakyReLU", "PReLU", "ELU", "ThresholdedReLU", "Softmax", "ReLU")}


def x_data(seed=0):
    return (np.random.default_rng(seed).standard_normal((2, 3, 4)) * 2).astype("float32")


@pytest.mark.parametrize("case", layer_cases("advanced_activations").values(), ids=str)
def test_activation_matches_tf_keras(case):
    layer = CLASSES[case.entry["class_name"]].from_config(case.entry["config"])
    # config values are float32-rounded scalars, as tf.keras writes them
    check_golden_case(layer, case, rtol=1e-5, atol=1e-5, config_ignore=(), weight_names=True)


@pytest.mark.parametrize("cls,kwargs,n_weights", [
    (aa.LeakyReLU, {"alpha": 0.2}, 0),
    (aa.PReLU, {}, 1),
    (aa.PReLU, {"shared_axes": [1, 2], "alpha_initializer": "ones"}, 1),
    (aa.ELU, {"alpha": 0.7}, 0),
    (aa.ThresholdedReLU, {"theta": 0.5}, 0),
    (aa.Softmax, {"axis": 1}, 0),
    (aa.Softmax, {"axis": [1, 2]}, 0),
    (aa.ReLU, {"max_value": 1.0, "negative_slope": 0.1, "threshold": 0.2}, 0),
])
def test_activation_layer_test(cls, kwargs, n_weights):
    with custom_object_scope(CLASSES):
        run_layer_test(cls, kwargs, input_data=x_data(), expected_output_shape=(None, 3, 4),
                       expected_num_weights=n_weights)


def test_against_torch_functions():
    x = torch.as_tensor(x_data())
    torch.testing.assert_close(aa.LeakyReLU(0.25)(x), F.leaky_relu(x, 0.25))
    torch.testing.assert_close(aa.ELU(0.5)(x), F.elu(x, 0.5))
    torch.testing.assert_close(aa.Softmax(axis=1)(x), torch.softmax(x, 1))
    torch.testing.assert_close(aa.ReLU()(x), torch.relu(x))
    torch.testing.assert_close(aa.ReLU(max_value=6.0)(x * 5), F.relu6(x * 5))
    torch.testing.assert_close(aa.ThresholdedReLU(0.5)(x), torch.where(x > 0.5, x, 0.0))


def test_relu_piecewise_against_numpy():
    x = np.linspace(-3, 3, 61).astype("float32")
    out = aa.ReLU(max_value=1.5, negative_slope=0.2, threshold=0.5)(x[None]).numpy()[0]
    expected = np.where(x > 0.5, np.minimum(x, 1.5), 0.2 * (x - 0.5))
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)
    assert aa.ReLU(threshold=1.0)(torch.tensor([[1.0]])).item() == 0.0  # x == threshold -> 0


def test_prelu_weight_shape_and_numerics():
    layer = aa.PReLU(shared_axes=[1])
    x = x_data()
    layer(x)
    assert layer.get_weights()[0].shape == (1, 4)
    alpha = np.random.default_rng(3).uniform(0, 1, (1, 4)).astype("float32")
    layer.set_weights([alpha])
    np.testing.assert_allclose(layer(x).detach().numpy(), np.where(x >= 0, x, alpha * x), rtol=1e-6)
    assert aa.PReLU(shared_axes=2).shared_axes == [2]
    with pytest.warns(DeprecationWarning):
        assert aa.PReLU(init="ones").alpha_initializer.__class__.__name__ == "Ones"
    with pytest.raises(ValueError, match="shared_axes"):
        aa.PReLU(shared_axes=[3])(Input(shape=(3, 4)))
    with pytest.raises(ValueError, match="PReLU"):
        aa.PReLU()(Input(shape=(None, 4)))


def test_softmax_mask_and_multi_axis():
    x = torch.as_tensor(x_data())
    mask = torch.as_tensor(np.random.default_rng(1).uniform(size=(2, 3, 4)) > 0.3)
    mask[..., 0] = True
    out = aa.Softmax()(x, mask=mask)
    expected = torch.softmax(x.masked_fill(~mask, -float("inf")), -1)
    torch.testing.assert_close(out, expected, rtol=1e-6, atol=1e-6)
    robust = aa.Softmax(robust_masking=True)
    torch.testing.assert_close(robust(x, mask=mask), expected, rtol=1e-6, atol=1e-6)
    assert robust.get_config()["robust_masking"] is True
    assert "robust_masking" not in aa.Softmax().get_config()
    both = aa.Softmax(axis=[1, 2])(x)
    torch.testing.assert_close(both.sum((1, 2)), torch.ones(2))
    torch.testing.assert_close(both, torch.softmax(x.reshape(2, -1), -1).reshape(2, 3, 4))
    assert aa.Softmax(axis=(1, 2)).get_config()["axis"] == [1, 2]


def test_softmax_timestep_mask_covers_whole_positions():
    x = torch.as_tensor(x_data())
    out = aa.Softmax(axis=1)(x, mask=torch.tensor([[True, True, False], [True, False, False]]))
    torch.testing.assert_close(out[0, :2], torch.softmax(x[0, :2], 0), rtol=1e-6, atol=1e-6)
    assert torch.all(out[0, 2] == 0) and torch.all(out[1, 0] == 1)


def test_float32_precision_configs_and_errors():
    assert aa.LeakyReLU(0.1).get_config()["alpha"] == 0.10000000149011612
    assert aa.ReLU().get_config()["max_value"] is None
    assert aa.ThresholdedReLU(0.7).get_config()["theta"] == float(np.float32(0.7))
    assert aa.LeakyReLU(alpha=-0.5).alpha == -0.5
    for make, match in ((lambda: aa.ReLU(max_value=-1.0), "max_value=-1.0"),
                        (lambda: aa.ReLU(negative_slope=-0.1), "negative_slope=-0.1"),
                        (lambda: aa.ReLU(threshold=None), "threshold=None"),
                        (lambda: aa.LeakyReLU(alpha=None), "alpha=None"),
                        (lambda: aa.ELU(alpha=None), "alpha=None"),
                        (lambda: aa.ThresholdedReLU(theta=-1.0), "theta=-1.0")):
        with pytest.raises(ValueError, match=match):
            make()


def test_masks_pass_through():
    x = Input(shape=(3, 4))
    for cls in (aa.LeakyReLU, aa.ELU, aa.ReLU, aa.ThresholdedReLU, aa.Softmax, aa.PReLU):
        layer = cls()
        assert layer.supports_masking
        assert layer.compute_mask(None, torch.ones(2, 3, dtype=torch.bool)) is not None
        assert layer(x).shape == (None, 3, 4)


def test_fully_masked_float16_softmax_row_is_uniform_not_nan():
    import torch

    from openkeras.layers import Softmax

    out = Softmax()(torch.zeros(1, 3, dtype=torch.float16), mask=torch.zeros(1, 3, dtype=torch.bool))
    assert not torch.isnan(out).any()
    torch.testing.assert_close(out.float(), torch.full((1, 3), 1 / 3), rtol=1e-3, atol=1e-3)
