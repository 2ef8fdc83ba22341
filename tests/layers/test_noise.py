import math

import numpy as np
import pytest
import torch
from layer_test_utils import run_layer_test

from openkeras.engine.functional import Functional
from openkeras.engine.input_layer import Input
from openkeras.layers.noise import AlphaDropout, GaussianDropout, GaussianNoise
from openkeras.utils.generic_utils import custom_object_scope

CLASSES = {"GaussianNoise": GaussianNoise, "GaussianDropout": GaussianDropout,
           "AlphaDropout": AlphaDropout}
SELU_ALPHA_P = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946


@pytest.mark.parametrize("cls,kwargs", [
    (GaussianNoise, {"stddev": 0.5}),
    (GaussianDropout, {"rate": 0.3}),
    (AlphaDropout, {"rate": 0.2}),
    (AlphaDropout, {"rate": 0.2, "noise_shape": (None, 1, 4), "seed": 3}),
])
def test_noise_layer_test_and_identity_at_inference(cls, kwargs):
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype("float32")
    with custom_object_scope(CLASSES):
        out = run_layer_test(cls, kwargs, input_data=x, expected_output_shape=(None, 3, 4),
                             expected_num_weights=0)
    np.testing.assert_array_equal(out, x)
    layer = cls(**kwargs)
    np.testing.assert_array_equal(layer(x, training=False).numpy(), x)
    assert not torch.equal(layer(torch.as_tensor(x), training=True), torch.as_tensor(x))


def test_gaussian_noise_statistics():
    torch.manual_seed(0)
    x = torch.full((400, 500), 3.0)
    noise = GaussianNoise(0.5)(x, training=True) - x
    assert abs(noise.mean().item()) < 0.01
    assert noise.std().item() == pytest.approx(0.5, abs=0.01)


def test_gaussian_dropout_statistics():
    torch.manual_seed(0)
    x = torch.full((400, 500), 2.0)
    factor = GaussianDropout(0.3)(x, training=True) / x
    assert factor.mean().item() == pytest.approx(1.0, abs=0.01)
    assert factor.std().item() == pytest.approx(math.sqrt(0.3 / 0.7), abs=0.01)
    torch.testing.assert_close(GaussianDropout(0.0)(x, training=True), x)


def test_alpha_dropout_keeps_mean_and_variance():
    torch.manual_seed(0)
    x = torch.randn(400, 500)
    rate = 0.2
    out = AlphaDropout(rate)(x, training=True)
    assert abs(out.mean().item()) < 0.01
    assert out.std().item() == pytest.approx(1.0, abs=0.01)
    a = ((1 - rate) * (1 + rate * SELU_ALPHA_P ** 2)) ** -0.5
    b = -a * SELU_ALPHA_P * rate
    dropped = torch.isclose(out, torch.tensor(a * SELU_ALPHA_P + b), atol=1e-6)
    assert dropped.float().mean().item() == pytest.approx(rate, abs=0.01)
    torch.testing.assert_close(out[~dropped], a * x[~dropped] + b)


def test_alpha_dropout_noise_shape_shares_the_mask():
    torch.manual_seed(1)
    x = torch.randn(8, 5, 6)
    out = AlphaDropout(0.5, noise_shape=(None, 1, 6))(x, training=True)
    rate = 0.5
    a = ((1 - rate) * (1 + rate * SELU_ALPHA_P ** 2)) ** -0.5
    dropped = torch.isclose(out, torch.tensor(a * SELU_ALPHA_P - a * SELU_ALPHA_P * rate))
    assert torch.all(dropped == dropped[:, :1, :])


def test_noise_in_functional_model_follows_training_flag():
    inp = Input(shape=(10,))
    model = Functional(inp, GaussianNoise(1.0)(inp))
    x = np.ones((4, 10), "float32")
    np.testing.assert_array_equal(model(x).numpy(), x)
    assert not np.allclose(model(x, training=True).numpy(), x)


def test_noise_configs_and_legacy_arguments():
    assert GaussianNoise(0.1, seed=2).get_config()["stddev"] == 0.1
    assert {"stddev", "seed"} <= set(GaussianNoise(0.1).get_config())
    assert {"rate", "seed"} <= set(GaussianDropout(0.1).get_config())
    assert "noise_shape" not in AlphaDropout(0.1).get_config()
    assert AlphaDropout(0.1, noise_shape=(None, 1)).get_config()["noise_shape"] == [None, 1]
    with pytest.warns(DeprecationWarning, match="sigma"):
        assert GaussianNoise(sigma=0.3).stddev == 0.3
    with pytest.warns(DeprecationWarning, match="`p`"):
        assert GaussianDropout(p=0.4).rate == 0.4
    for cls in (GaussianDropout, AlphaDropout):
        with pytest.raises(ValueError, match="rate=1.5"):
            cls(1.5)
    assert GaussianNoise(0.1).supports_masking
    with pytest.raises(TypeError, match="stddev"):
        GaussianNoise()
