import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from openkeras import activations

ATOL, RTOL = 1e-6, 1e-5

NAMES = ["relu", "tanh", "sigmoid", "hard_sigmoid", "softmax", "elu", "selu", "softplus",
         "softsign", "exponential", "linear", "swish", "gelu", "mish"]


@pytest.fixture
def x():
    return torch.linspace(-6.0, 6.0, 49).reshape(7, 7)


def assert_close(a, b, atol=ATOL, rtol=RTOL):
    torch.testing.assert_close(a, b, atol=atol, rtol=rtol)


def test_simple_functions_match_torch_references(x):
    assert_close(activations.tanh(x), torch.tanh(x))
    assert_close(activations.sigmoid(x), 1.0 / (1.0 + torch.exp(-x)))
    assert_close(activations.elu(x), torch.where(x > 0, x, torch.exp(x) - 1))
    assert_close(activations.elu(x, alpha=0.5), torch.where(x > 0, x, 0.5 * (torch.exp(x) - 1)))
    assert_close(activations.softplus(x), torch.log(torch.exp(x) + 1))
    assert_close(activations.softsign(x), x / (torch.abs(x) + 1))
    assert_close(activations.exponential(x), torch.exp(x))
    assert_close(activations.swish(x), x * torch.sigmoid(x))
    assert_close(activations.mish(x), x * torch.tanh(torch.log1p(torch.exp(x))))
    assert activations.linear(x) is x


def test_selu_constants(x):
    alpha, scale = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
    expected = scale * torch.where(x > 0, x, alpha * (torch.exp(x) - 1))
    assert_close(activations.selu(x), expected)


def test_gelu_exact_and_approximate(x):
    exact = 0.5 * x * (1 + torch.erf(x / math.sqrt(2)))
    assert_close(activations.gelu(x), exact)
    approx = 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    assert_close(activations.gelu(x, approximate=True), approx)
    # keras docstring golden values
    pts = torch.tensor([-3.0, -1.0, 0.0, 1.0, 3.0])
    golden = torch.tensor([-0.00404951, -0.15865529, 0.0, 0.8413447, 2.9959507])
    assert_close(activations.gelu(pts), golden, atol=1e-6, rtol=1e-5)


def test_hard_sigmoid_is_tf_keras2_definition():
    pts = torch.tensor([-3.0, -2.5, -1.0, 0.0, 1.0, 2.5, 3.0])
    expected = np.clip(0.2 * pts.numpy() + 0.5, 0.0, 1.0)
    np.testing.assert_allclose(activations.hard_sigmoid(pts).numpy(), expected, atol=1e-7)


def test_relu_defaults_is_plain_relu(x):
    assert_close(activations.relu(x), F.relu(x))


def test_relu_variants_keras_golden():
    foo = torch.tensor([-10.0, -5.0, 0.0, 5.0, 10.0])
    assert_close(activations.relu(foo, alpha=0.5), torch.tensor([-5.0, -2.5, 0.0, 5.0, 10.0]))
    assert_close(activations.relu(foo, max_value=5), torch.tensor([0.0, 0.0, 0.0, 5.0, 5.0]))
    assert_close(activations.relu(foo, threshold=5), torch.tensor([0.0, 0.0, 0.0, 0.0, 10.0]))


def test_relu_combined_arguments_match_numpy_formula():
    pts = np.linspace(-4, 8, 25).astype(np.float32)
    alpha, max_value, threshold = 0.3, 6.0, 1.5
    y = np.where(pts > threshold, pts, 0.0)
    y = np.clip(y, 0.0, max_value)
    y = y - alpha * np.maximum(threshold - pts, 0.0)
    out = activations.relu(torch.from_numpy(pts), alpha, max_value, threshold)
    np.testing.assert_allclose(out.numpy(), y, atol=1e-6)
    out = activations.relu(torch.from_numpy(pts), alpha=0.2, max_value=3.0)
    y = np.clip(np.maximum(pts, 0), 0, 3.0) - 0.2 * np.maximum(-pts, 0)
    np.testing.assert_allclose(out.numpy(), y, atol=1e-6)


def test_softmax_axis_and_tuple_axis():
    t = torch.randn(2, 3, 4, generator=torch.Generator().manual_seed(0))
    assert_close(activations.softmax(t), F.softmax(t, dim=-1))
    assert_close(activations.softmax(t, axis=1), F.softmax(t, dim=1))
    out = activations.softmax(t, axis=(1, 2))
    flat = F.softmax(t.reshape(2, 12), dim=-1).reshape(2, 3, 4)
    assert_close(out, flat)


def test_softmax_rejects_1d():
    with pytest.raises(ValueError, match="Cannot apply softmax to a tensor that is 1D"):
        activations.softmax(torch.zeros(3))


@pytest.mark.parametrize("name", NAMES)
def test_get_serialize_deserialize_roundtrip(name):
    fn = activations.get(name)
    assert fn is getattr(activations, name)
    assert activations.serialize(fn) == name
    assert activations.deserialize(name) is fn


def test_get_none_callable_and_errors():
    assert activations.get(None) is activations.linear
    assert activations.get(torch.abs) is torch.abs
    with pytest.raises(ValueError, match="Unknown activation function.*'nope'.*relu"):
        activations.get("nope")
    with pytest.raises(TypeError, match="Could not interpret activation"):
        activations.get(42)


def test_deserialize_custom_objects():
    def my_act(t):
        return t * 2

    assert activations.deserialize("my_act", custom_objects={"my_act": my_act}) is my_act


def test_activations_keep_gradient(x):
    x = x.clone().requires_grad_(True)
    activations.relu(x, alpha=0.1, max_value=4.0, threshold=1.0).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()


def test_deserialize_config_dict_with_custom_class():
    class Scaled:
        def __init__(self, factor=1.0):
            self.factor = factor

        def __call__(self, t):
            return t * self.factor

        def get_config(self):
            return {"factor": self.factor}

    obj = activations.deserialize({"class_name": "Scaled", "config": {"factor": 3.0}},
                                  custom_objects={"Scaled": Scaled})
    assert isinstance(obj, Scaled) and obj.factor == 3.0
    assert activations.serialize(obj) == {"class_name": "Scaled", "config": {"factor": 3.0}}
