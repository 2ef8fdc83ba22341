import math
import warnings

import numpy as np
import pytest
import torch

from openkeras import config, initializers

TRUNC_STD = 0.87962566103423978  # std of a unit normal truncated at +-2

ALL_CLASSES = [
    (initializers.Zeros, {}),
    (initializers.Ones, {}),
    (initializers.Constant, {"value": 2.5}),
    (initializers.RandomNormal, {"mean": 0.1, "stddev": 0.2, "seed": 3}),
    (initializers.RandomUniform, {"minval": -1.0, "maxval": 2.0, "seed": None}),
    (initializers.TruncatedNormal, {"mean": 0.0, "stddev": 1.0, "seed": 7}),
    (initializers.VarianceScaling,
     {"scale": 2.0, "mode": "fan_out", "distribution": "untruncated_normal", "seed": 1}),
    (initializers.Orthogonal, {"gain": 0.5, "seed": None}),
    (initializers.Identity, {"gain": 2.0}),
    (initializers.GlorotUniform, {"seed": None}),
    (initializers.GlorotNormal, {"seed": 5}),
    (initializers.HeNormal, {"seed": None}),
    (initializers.HeUniform, {"seed": None}),
    (initializers.LecunNormal, {"seed": None}),
    (initializers.LecunUniform, {"seed": None}),
]

ALIASES = {
    "zeros": "Zeros", "ones": "Ones", "constant": "Constant", "random_normal": "RandomNormal",
    "random_uniform": "RandomUniform", "truncated_normal": "TruncatedNormal",
    "variance_scaling": "VarianceScaling", "orthogonal": "Orthogonal", "identity": "Identity",
    "glorot_uniform": "GlorotUniform", "glorot_normal": "GlorotNormal",
    "he_normal": "HeNormal", "he_uniform": "HeUniform", "lecun_normal": "LecunNormal",
    "lecun_uniform": "LecunUniform", "zero": "Zeros", "one": "Ones",
}

# (class, scale, mode, distribution) of the VarianceScaling presets
PRESETS = [
    (initializers.GlorotUniform, 1.0, "fan_avg", "uniform"),
    (initializers.GlorotNormal, 1.0, "fan_avg", "truncated_normal"),
    (initializers.HeNormal, 2.0, "fan_in", "truncated_normal"),
    (initializers.HeUniform, 2.0, "fan_in", "uniform"),
    (initializers.LecunNormal, 1.0, "fan_in", "truncated_normal"),
    (initializers.LecunUniform, 1.0, "fan_in", "uniform"),
]

CONV = (3, 3, 16, 32)  # fan_in 144, fan_out 288


def test_compute_fans_keras_layout():
    assert initializers.compute_fans((7,)) == (7, 7)
    assert initializers.compute_fans((5, 9)) == (5, 9)
    assert initializers.compute_fans(CONV) == (144, 288)
    assert initializers.compute_fans((4, 2, 3)) == (8, 12)
    assert initializers.compute_fans(()) == (1, 1)


def test_constant_fills():
    assert torch.equal(initializers.Zeros()((2, 3)), torch.zeros(2, 3))
    assert torch.equal(initializers.Ones()((2, 3)), torch.ones(2, 3))
    assert torch.equal(initializers.Constant(2.5)((4,)), torch.full((4,), 2.5))
    values = initializers.Constant([1, 2, 3, 4])((2, 2))
    assert torch.equal(values, torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
    with pytest.raises(ValueError, match="shape"):
        initializers.Constant([1, 2, 3])((2, 2))


def test_dtype_default_and_explicit():
    assert initializers.GlorotUniform()((3, 4)).dtype == config.torch_dtype(config.floatx())
    assert initializers.HeNormal()((3, 4), dtype="float64").dtype == torch.float64
    assert initializers.Zeros()((2,), dtype="int32").dtype == torch.int32
    ints = initializers.RandomUniform(0, 5, seed=1)((100,), dtype="int64")
    assert ints.dtype == torch.int64 and ints.min() >= 0 and ints.max() < 5
    half = initializers.TruncatedNormal(seed=1)((10,), dtype="float16")
    assert half.dtype == torch.float16
    with pytest.raises(ValueError, match="floating point"):
        initializers.RandomNormal()((2,), dtype="int32")


def test_random_normal_statistics():
    w = initializers.RandomNormal(mean=0.3, stddev=0.05, seed=0)((1000, 1000)).double()
    np.testing.assert_allclose(w.mean().item(), 0.3, atol=1e-3)
    np.testing.assert_allclose(w.std().item(), 0.05, rtol=1e-2)


def test_random_uniform_statistics():
    w = initializers.RandomUniform(minval=-0.5, maxval=1.5, seed=0)((1000, 1000)).double()
    assert w.min() >= -0.5 and w.max() < 1.5
    np.testing.assert_allclose(w.mean().item(), 0.5, atol=5e-3)
    np.testing.assert_allclose(w.std().item(), 2.0 / math.sqrt(12), rtol=1e-2)


def test_truncated_normal_statistics():
    w = initializers.TruncatedNormal(mean=1.0, stddev=0.1, seed=0)((1000, 1000)).double()
    assert w.min() >= 1.0 - 0.2 - 1e-6 and w.max() <= 1.0 + 0.2 + 1e-6
    np.testing.assert_allclose(w.mean().item(), 1.0, atol=1e-3)
    np.testing.assert_allclose(w.std().item(), 0.1 * TRUNC_STD, rtol=1e-2)


@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
@pytest.mark.parametrize("distribution", ["truncated_normal", "untruncated_normal", "uniform"])
def test_variance_scaling_conv_kernel(mode, distribution):
    w = initializers.VarianceScaling(3.0, mode, distribution, seed=11)(CONV).double()
    n = {"fan_in": 144, "fan_out": 288, "fan_avg": 216}[mode]
    # every distribution has variance scale / n (truncated_normal thanks to the 0.8796 correction)
    np.testing.assert_allclose(w.std().item(), math.sqrt(3.0 / n), rtol=0.05)
    assert abs(w.mean().item()) < 0.1 * math.sqrt(3.0 / n)
    if distribution == "uniform":
        limit = math.sqrt(9.0 / n)
        assert w.abs().max() <= limit and w.abs().max() > 0.95 * limit
    if distribution == "truncated_normal":
        assert w.abs().max() <= 2 * math.sqrt(3.0 / n) / TRUNC_STD + 1e-6


@pytest.mark.parametrize("cls,scale,mode,distribution", PRESETS)
def test_presets_are_variance_scaling(cls, scale, mode, distribution):
    init = cls(seed=4)
    reference = initializers.VarianceScaling(scale, mode, distribution, seed=4)
    assert (init.scale, init.mode, init.distribution) == (scale, mode, distribution)
    torch.testing.assert_close(init(CONV), reference(CONV), atol=0, rtol=0)
    # (3, 3, 64, 64): fan_in = fan_out = fan_avg = 576
    np.testing.assert_allclose(init((3, 3, 64, 64)).double().std().item(),
                               math.sqrt(scale / 576), rtol=0.03)


def test_variance_scaling_accepts_normal_and_validates():
    assert initializers.VarianceScaling(distribution="normal").distribution == "truncated_normal"
    with pytest.raises(ValueError, match="scale=-1"):
        initializers.VarianceScaling(scale=-1)
    with pytest.raises(ValueError, match="mode='fan_sum'"):
        initializers.VarianceScaling(mode="fan_sum")
    with pytest.raises(ValueError, match="distribution='cauchy'"):
        initializers.VarianceScaling(distribution="cauchy")


@pytest.mark.parametrize("shape", [(64, 32), (32, 64), (3, 3, 4, 8), (10, 10)])
def test_orthogonal(shape):
    w = initializers.Orthogonal(gain=1.5, seed=2)(shape).double()
    assert w.shape == shape
    flat = w.reshape(-1, shape[-1]) / 1.5
    gram = flat.T @ flat if flat.shape[0] >= flat.shape[1] else flat @ flat.T
    torch.testing.assert_close(gram, torch.eye(gram.shape[0], dtype=torch.float64),
                               atol=1e-5, rtol=0)
    with pytest.raises(ValueError, match="at least two-dimensional"):
        initializers.Orthogonal()((5,))


def test_identity():
    torch.testing.assert_close(initializers.Identity(gain=3.0)((3, 3)), 3.0 * torch.eye(3))
    torch.testing.assert_close(initializers.Identity()((2, 4)), torch.eye(2, 4))
    with pytest.raises(ValueError, match="only be used for 2D matrices.*rank 3"):
        initializers.Identity()((2, 2, 2))


@pytest.mark.parametrize("cls", [initializers.RandomNormal, initializers.RandomUniform,
                                 initializers.TruncatedNormal, initializers.VarianceScaling,
                                 initializers.Orthogonal, initializers.GlorotUniform,
                                 initializers.HeNormal])
def test_seed_determinism(cls):
    a = cls(seed=42)((20, 30))
    assert torch.equal(a, cls(seed=42)((20, 30)))
    init = cls(seed=42)
    assert torch.equal(init((20, 30)), init((20, 30)))
    assert not torch.equal(a, cls(seed=43)((20, 30)))
    torch.manual_seed(0)
    b = cls()((20, 30))
    torch.manual_seed(0)
    assert torch.equal(b, cls()((20, 30)))
    assert not torch.equal(b, cls()((20, 30)))


@pytest.mark.parametrize("cls,kwargs", ALL_CLASSES)
def test_config_roundtrip(cls, kwargs):
    init = cls(**kwargs)
    cfg = init.get_config()
    assert cfg == kwargs
    assert cls.from_config(cfg).get_config() == cfg
    serialized = initializers.serialize(init)
    assert serialized == {"class_name": cls.__name__, "config": cfg}
    restored = initializers.deserialize(serialized)
    assert type(restored) is cls and restored.get_config() == cfg


def test_serialized_names_as_tf_keras():
    assert initializers.serialize(initializers.GlorotUniform()) == {
        "class_name": "GlorotUniform", "config": {"seed": None}}
    assert initializers.serialize(initializers.Zeros()) == {"class_name": "Zeros", "config": {}}


def test_deserialize_keras_2_2_configs():
    glorot = initializers.deserialize({"class_name": "VarianceScaling", "config": {
        "scale": 1.0, "mode": "fan_avg", "distribution": "uniform", "seed": None}})
    assert isinstance(glorot, initializers.VarianceScaling)
    assert (glorot.scale, glorot.mode, glorot.distribution) == (1.0, "fan_avg", "uniform")
    he = initializers.deserialize({"class_name": "VarianceScaling", "config": {
        "scale": 2.0, "mode": "fan_in", "distribution": "normal", "seed": None}})
    assert he.distribution == "truncated_normal"
    for name, cfg in [("RandomUniform", {"minval": -0.05, "maxval": 0.05, "seed": None}),
                      ("Zeros", {}), ("Ones", {}), ("Orthogonal", {"gain": 1.0, "seed": None}),
                      ("Identity", {"gain": 1.0}), ("Constant", {"value": 0.0})]:
        obj = initializers.deserialize({"class_name": name, "config": cfg})
        assert type(obj).__name__ == name and obj.get_config() == cfg
    # tf.keras 1.x wrote a dtype into initializer configs
    v1 = initializers.deserialize({"class_name": "GlorotUniform",
                                   "config": {"seed": None, "dtype": "float32"}})
    assert isinstance(v1, initializers.GlorotUniform)


@pytest.mark.parametrize("alias,class_name", sorted(ALIASES.items()))
def test_get_aliases(alias, class_name):
    assert getattr(initializers, alias, None) in (None, getattr(initializers, class_name))
    obj = initializers.get(alias)
    assert type(obj) is getattr(initializers, class_name)
    assert type(initializers.get(class_name)) is type(obj)


def test_uniform_and_normal_are_keras2_aliases():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        uniform = initializers.get("uniform")
        normal = initializers.get("normal")
        initializers.get("random_uniform")
    assert isinstance(uniform, initializers.RandomUniform)
    assert (uniform.minval, uniform.maxval) == (-0.05, 0.05)
    assert isinstance(normal, initializers.RandomNormal) and normal.stddev == 0.05


def test_get_other_identifiers_and_errors():
    assert initializers.get(None) is None
    inst = initializers.HeUniform(seed=1)
    assert initializers.get(inst) is inst
    assert isinstance(initializers.get(initializers.Ones), initializers.Ones)

    def custom(shape, dtype=None):
        return torch.full(shape, 7.0)

    assert initializers.get(custom) is custom
    obj = initializers.get({"class_name": "RandomNormal",
                            "config": {"mean": 1.0, "stddev": 2.0, "seed": None}})
    assert (obj.mean, obj.stddev) == (1.0, 2.0)
    with pytest.raises(ValueError, match="Unknown initializer.*'glorot_unifrom'.*glorot_uniform"):
        initializers.get("glorot_unifrom")
    with pytest.raises(ValueError, match="Could not interpret initializer"):
        initializers.get(3.5)


def test_new_cpu_tensor_without_grad():
    w = initializers.GlorotUniform()((4, 5))
    assert w.device.type == "cpu" and not w.requires_grad and w.is_contiguous()
