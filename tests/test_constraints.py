import numpy as np
import pytest
import torch

from openkeras import config, constraints


@pytest.fixture
def w():
    return 3.0 * torch.randn(8, 6, generator=torch.Generator().manual_seed(0))


def np_norms(a, axis):
    return np.sqrt(np.sum(np.square(a), axis=axis, keepdims=True))


def test_max_norm_dense_kernel(w):
    out = constraints.MaxNorm(max_value=2.0)(w)
    norms = torch.linalg.vector_norm(out, dim=0)
    assert torch.all(norms <= 2.0 + 1e-5)
    a = w.numpy()
    n = np_norms(a, 0)
    expected = a * (np.clip(n, 0, 2.0) / (config.epsilon() + n))
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-6)


def test_max_norm_leaves_small_vectors():
    small = torch.full((4, 3), 0.1)
    torch.testing.assert_close(constraints.MaxNorm(2)(small), small, rtol=1e-5, atol=1e-7)


def test_max_norm_conv_kernel_axes():
    k = torch.randn(3, 3, 4, 5, generator=torch.Generator().manual_seed(1))
    out = constraints.MaxNorm(1.0, axis=[0, 1, 2])(k)
    norms = torch.linalg.vector_norm(out.reshape(-1, 5), dim=0)
    torch.testing.assert_close(norms, torch.ones(5), rtol=1e-5, atol=1e-5)


def test_non_neg(w):
    out = constraints.NonNeg()(w)
    assert torch.all(out >= 0)
    np.testing.assert_array_equal(out.numpy(), np.where(w.numpy() >= 0, w.numpy(), 0.0))


@pytest.mark.parametrize("axis", [0, 1])
def test_unit_norm(w, axis):
    out = constraints.UnitNorm(axis=axis)(w)
    norms = torch.linalg.vector_norm(out, dim=axis)
    torch.testing.assert_close(norms, torch.ones_like(norms), rtol=1e-5, atol=1e-5)
    a = w.numpy()
    np.testing.assert_allclose(out.numpy(), a / (config.epsilon() + np_norms(a, axis)),
                               rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("rate", [1.0, 0.5])
def test_min_max_norm(w, rate):
    out = constraints.MinMaxNorm(min_value=1.0, max_value=2.0, rate=rate, axis=1)(w)
    a = w.numpy()
    n = np_norms(a, 1)
    desired = rate * np.clip(n, 1.0, 2.0) + (1 - rate) * n
    np.testing.assert_allclose(out.numpy(), a * desired / (config.epsilon() + n),
                               rtol=1e-5, atol=1e-6)
    if rate == 1.0:
        norms = torch.linalg.vector_norm(out, dim=1)
        assert torch.all((norms >= 1.0 - 1e-5) & (norms <= 2.0 + 1e-5))


def test_epsilon_from_config():
    zero = torch.zeros(3, 2)
    assert torch.equal(constraints.UnitNorm()(zero), zero)  # epsilon avoids 0 / 0
    old = config.epsilon()
    try:
        config.set_epsilon(1.0)
        out = constraints.UnitNorm()(torch.tensor([[3.0], [4.0]]))
        torch.testing.assert_close(out, torch.tensor([[0.5], [2.0 / 3.0]]))
    finally:
        config.set_epsilon(old)


@pytest.mark.parametrize("obj,cfg", [
    (constraints.MaxNorm(3, axis=[0, 1]), {"max_value": 3, "axis": [0, 1]}),
    (constraints.NonNeg(), {}),
    (constraints.UnitNorm(axis=1), {"axis": 1}),
    (constraints.MinMaxNorm(0.5, 1.5, 0.9, 2),
     {"min_value": 0.5, "max_value": 1.5, "rate": 0.9, "axis": 2}),
])
def test_config_roundtrip(obj, cfg):
    assert obj.get_config() == cfg
    assert type(obj).from_config(cfg).get_config() == cfg
    serialized = constraints.serialize(obj)
    assert serialized == {"class_name": type(obj).__name__, "config": cfg}
    restored = constraints.deserialize(serialized)
    assert type(restored) is type(obj) and restored.get_config() == cfg


@pytest.mark.parametrize("name,cls", [
    ("max_norm", constraints.MaxNorm), ("maxnorm", constraints.MaxNorm),
    ("MaxNorm", constraints.MaxNorm), ("non_neg", constraints.NonNeg),
    ("nonneg", constraints.NonNeg), ("NonNeg", constraints.NonNeg),
    ("unit_norm", constraints.UnitNorm), ("unitnorm", constraints.UnitNorm),
    ("UnitNorm", constraints.UnitNorm), ("min_max_norm", constraints.MinMaxNorm),
    ("MinMaxNorm", constraints.MinMaxNorm),
])
def test_get_names(name, cls):
    assert type(constraints.get(name)) is cls
    assert getattr(constraints, name) is cls


def test_get_other_identifiers_and_errors():
    assert constraints.get(None) is None
    inst = constraints.MaxNorm(4)
    assert constraints.get(inst) is inst
    assert constraints.get({"class_name": "MaxNorm", "config": {"max_value": 4, "axis": 0}}
                           ).max_value == 4

    def clip(t):
        return t.clamp(-1, 1)

    assert constraints.get(clip) is clip
    with pytest.raises(ValueError, match="Unknown constraint.*'max_nrom'.*max_norm"):
        constraints.get("max_nrom")
    with pytest.raises(ValueError, match="Could not interpret constraint"):
        constraints.get(1)
