import numpy as np
import pytest
import torch

from openkeras import regularizers


@pytest.fixture
def w():
    return torch.randn(6, 5, generator=torch.Generator().manual_seed(0))


def reference(w, l1=0.0, l2=0.0):
    a = w.numpy().astype(np.float64)
    return l1 * np.abs(a).sum() + l2 * np.square(a).sum()


def test_l1l2_values(w):
    for l1, l2 in [(0.01, 0.0), (0.0, 0.02), (0.3, 0.7), (0.0, 0.0)]:
        out = regularizers.L1L2(l1=l1, l2=l2)(w)
        assert out.dim() == 0
        np.testing.assert_allclose(out.item(), reference(w, l1, l2), rtol=1e-5, atol=1e-7)


def test_l1_l2_classes(w):
    np.testing.assert_allclose(regularizers.L1()(w).item(), reference(w, l1=0.01), rtol=1e-5)
    np.testing.assert_allclose(regularizers.L2(0.5)(w).item(), reference(w, l2=0.5), rtol=1e-5)
    with pytest.warns(DeprecationWarning, match="`l` is deprecated"):
        assert regularizers.L1(l=0.2).l1 == pytest.approx(0.2)
    with pytest.warns(DeprecationWarning):
        assert regularizers.L2(l=0.3).l2 == pytest.approx(0.3)
    with pytest.raises(TypeError, match="not recognized"):
        regularizers.L1(foo=1)


def test_keras2_functions_return_l1l2(w):
    r = regularizers.l1(0.1)
    assert type(r) is regularizers.L1L2 and r.get_config() == {"l1": 0.1, "l2": 0.0}
    r = regularizers.l2()
    assert type(r) is regularizers.L1L2 and r.get_config() == {"l1": 0.0, "l2": 0.01}
    r = regularizers.l1_l2()
    assert r.get_config() == {"l1": 0.01, "l2": 0.01}
    np.testing.assert_allclose(r(w).item(), reference(w, 0.01, 0.01), rtol=1e-5)


def test_zero_coefficient_builds_no_term():
    w = torch.randn(3, 3, requires_grad=True)
    out = regularizers.L1L2(l1=0.0, l2=0.1)(w)
    out.backward()
    torch.testing.assert_close(w.grad, 0.2 * w.detach(), rtol=1e-5, atol=1e-7)
    zero = regularizers.L1L2()(w)
    assert zero.item() == 0.0 and not zero.requires_grad


def test_penalty_validation():
    with pytest.raises(ValueError, match="l1='a'"):
        regularizers.L1L2(l1="a")
    with pytest.raises(ValueError, match="l2=inf"):
        regularizers.L2(float("inf"))
    assert regularizers.L1L2(l1=None).l1 == 0.0
    assert regularizers.L1(None).l1 == 0.01


@pytest.mark.parametrize("reg,config", [
    (regularizers.L1L2(l1=0.1, l2=0.2), {"l1": 0.1, "l2": 0.2}),
    (regularizers.L1(0.3), {"l1": 0.3}),
    (regularizers.L2(0.4), {"l2": 0.4}),
])
def test_config_roundtrip(reg, config):
    cfg = reg.get_config()
    assert cfg.keys() == config.keys()
    for key, value in config.items():
        assert isinstance(cfg[key], float) and cfg[key] == pytest.approx(value)
    assert type(reg).from_config(cfg).get_config() == cfg
    serialized = regularizers.serialize(reg)
    assert serialized == {"class_name": type(reg).__name__, "config": cfg}
    restored = regularizers.deserialize(serialized)
    assert type(restored) is type(reg) and restored.get_config() == cfg


def test_get_names_and_errors(w):
    assert regularizers.get(None) is None
    assert type(regularizers.get("l1")) is regularizers.L1
    assert type(regularizers.get("l2")) is regularizers.L2
    assert regularizers.get("l1_l2").get_config() == {"l1": 0.01, "l2": 0.01}
    assert regularizers.get("L1L2").get_config() == {"l1": 0.0, "l2": 0.0}
    keras22 = regularizers.get({"class_name": "L1L2", "config": {"l1": 0.0, "l2": 0.01}})
    np.testing.assert_allclose(keras22(w).item(), reference(w, l2=0.01), rtol=1e-5)

    def custom(x):
        return x.sum()

    assert regularizers.get(custom) is custom
    assert regularizers.deserialize("custom", custom_objects={"custom": custom}) is custom
    with pytest.raises(ValueError, match="Unknown regularizer.*'l3'"):
        regularizers.get("l3")
    with pytest.raises(ValueError, match="Could not interpret regularizer"):
        regularizers.get(0.5)
