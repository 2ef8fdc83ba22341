"""Weight initializers (tf.keras 2 classes, names and configs) producing torch tensors.

Shapes are in Keras layout: a Dense kernel is (input_dim, units), a Conv2D kernel
(kh, kw, in, out). Every initializer returns a new CPU tensor.
"""

import math

import torch

from openkeras import config
from openkeras.engine import registry
from openkeras.engine.arrays import as_tensor
from openkeras.utils.generic_utils import (  # noqa: F401  (Keras 2 exported them here)
    deserialize_keras_object,
    is_int,
    serialize_keras_object,
    to_snake_case,
)

# scipy.stats.truncnorm.std(a=-2, b=2, loc=0., scale=1.), as tf.keras 2 uses it
_TRUNCATED_STDDEV = 0.87962566103423978


def compute_fans(shape) -> tuple:
    """(fan_in, fan_out) of a Keras-layout weight shape, as Keras computes them.

    Args:
        shape: 1-D (units,), 2-D (in, out), or a conv kernel (..., in, out).
    """
    shape = tuple(shape)
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return int(shape[0]), int(shape[0])
    receptive_field = math.prod(shape[:-2])
    return int(shape[-2] * receptive_field), int(shape[-1] * receptive_field)


def _shape(shape):
    return (int(shape),) if is_int(shape) else tuple(int(d) for d in shape)


def _float_dtype(dtype):
    dtype = config.torch_dtype(dtype)
    if not dtype.is_floating_point:
        raise ValueError(f"Expected floating point type, got {dtype}.")
    return dtype


def _generator(seed):
    """A fresh generator for a seeded initializer (same values every call), else None."""
    if seed is None:
        return None
    return torch.Generator().manual_seed(int(seed))


def _work_dtype(dtype):
    # half-precision sampling and QR are not available everywhere on CPU: draw in float32
    return dtype if dtype in (torch.float32, torch.float64) else torch.float32


def _uniform(shape, minval, maxval, dtype, seed):
    out = torch.empty(shape, dtype=_work_dtype(dtype))
    return out.uniform_(minval, maxval, generator=_generator(seed)).to(dtype)


def _normal(shape, mean, stddev, dtype, seed):
    out = torch.empty(shape, dtype=_work_dtype(dtype))
    return out.normal_(mean, stddev, generator=_generator(seed)).to(dtype)


def _truncated_normal(shape, mean, stddev, dtype, seed):
    """Normal samples cut at two standard deviations (inverse-CDF sampling)."""
    edge = 0.5 * (1.0 + math.erf(-2.0 / math.sqrt(2.0)))
    u = torch.empty(shape, dtype=_work_dtype(dtype))
    u.uniform_(edge, 1.0 - edge, generator=_generator(seed))
    z = torch.clamp(math.sqrt(2.0) * torch.erfinv(2.0 * u - 1.0), -2.0, 2.0)
    return (z * stddev + mean).to(dtype)


class Initializer(registry.Registered):
    """Base class: `__call__(shape, dtype=None)` returns a new tensor of that shape."""

    _registry_kind = "initializer"

    def __call__(self, shape, dtype=None) -> torch.Tensor:
        raise NotImplementedError(
            f"{type(self).__name__} must implement `__call__(shape, dtype=None)`."
        )

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        config.pop("dtype", None)  # tf.keras 1.x initializer configs carry a dtype
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class Zeros(Initializer):
    """Tensors filled with 0."""

    def __call__(self, shape, dtype=None) -> torch.Tensor:
        return torch.zeros(_shape(shape), dtype=config.torch_dtype(dtype))


class Ones(Initializer):
    """Tensors filled with 1."""

    def __call__(self, shape, dtype=None) -> torch.Tensor:
        return torch.ones(_shape(shape), dtype=config.torch_dtype(dtype))


class Constant(Initializer):
    """Tensors filled with a constant (a scalar, or values with as many elements as the shape).

    Args:
        value: The fill value.
    """

    def __init__(self, value=0):
        self.value = value

    def __call__(self, shape, dtype=None) -> torch.Tensor:
        shape = _shape(shape)
        value = as_tensor(self.value, dtype=config.torch_dtype(dtype))
        if value.numel() == 1:
            return value.reshape(()).expand(shape).clone()
        if value.numel() != math.prod(shape):
            raise ValueError(
                f"Constant initializer: cannot make a tensor of shape {shape} from a value with "
                f"{value.numel()} elements. Received: value={self.value!r}"
            )
        return value.reshape(shape).clone()

    def get_config(self) -> dict:
        return {"value": self.value}


class RandomNormal(Initializer):
    """Normal distribution.

    Args:
        mean: Mean of the values.
        stddev: Standard deviation of the values.
        seed: Integer seed; a seeded initializer returns the same values at every call.
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = mean
        self.stddev = stddev
        self.seed = seed

    def __call__(self, shape, dtype=None) -> torch.Tensor:
        return _normal(_shape(shape), self.mean, self.stddev, _float_dtype(dtype), self.seed)

    def get_config(self) -> dict:
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class RandomUniform(Initializer):
    """Uniform distribution on [minval, maxval).

    Args:
        minval: Lower bound (inclusive).
        maxval: Upper bound (exclusive).
        seed: Integer seed; a seeded initializer returns the same values at every call.
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval = minval
        self.maxval = maxval
        self.seed = seed

    def __call__(self, shape, dtype=None) -> torch.Tensor:
        shape, dtype = _shape(shape), config.torch_dtype(dtype)
        if dtype.is_floating_point:
            return _uniform(shape, self.minval, self.maxval, dtype, self.seed)
        if dtype in (torch.bool, torch.complex64, torch.complex128):
            raise ValueError(f"Expected float or integer dtype, got {dtype}.")
        return torch.randint(int(self.minval), int(self.maxval), shape, dtype=dtype,
                             generator=_generator(self.seed))

    def get_config(self) -> dict:
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class TruncatedNormal(Initializer):
    """Normal distribution with values beyond two standard deviations redrawn.

    Args:
        mean: Mean of the values.
        stddev: Standard deviation before truncation.
        seed: Integer seed; a seeded initializer returns the same values at every call.
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = mean
        self.stddev = stddev
        self.seed = seed

    def __call__(self, shape, dtype=None) -> torch.Tensor:
        return _truncated_normal(_shape(shape), self.mean, self.stddev, _float_dtype(dtype),
                                 self.seed)

    def get_config(self) -> dict:
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class VarianceScaling(Initializer):
    """Distribution scaled to the fan of the weight: variance `scale / n`.

    Args:
        scale: Positive scaling factor.
        mode: 'fan_in', 'fan_out' or 'fan_avg' (which n to use).
        distribution: 'truncated_normal' ('normal' is accepted for it), 'untruncated_normal'
            or 'uniform' (on [-limit, limit] with `limit = sqrt(3 * scale / n)`).
        seed: Integer seed; a seeded initializer returns the same values at every call.
    """

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        if scale <= 0.0:
            raise ValueError(f"`scale` must be positive float. Received: scale={scale}.")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(
                f"Invalid `mode` argument: expected one of 'fan_in', 'fan_out', 'fan_avg'. "
                f"Received: mode={mode!r}"
            )
        distribution = distribution.lower()
        if distribution == "normal":  # Keras 2.0-2.2 spelling
            distribution = "truncated_normal"
        if distribution not in ("uniform", "truncated_normal", "untruncated_normal"):
            raise ValueError(
                "Invalid `distribution` argument: expected one of 'uniform', "
                f"'truncated_normal', 'untruncated_normal'. Received: distribution={distribution!r}"
            )
        self.scale = scale
        self.mode = mode
        self.distribution = distribution
        self.seed = seed

    def __call__(self, shape, dtype=None) -> torch.Tensor:
        shape, dtype = _shape(shape), _float_dtype(dtype)
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        scale = self.scale / max(1.0, n)
        if self.distribution == "truncated_normal":
            stddev = math.sqrt(scale) / _TRUNCATED_STDDEV
            return _truncated_normal(shape, 0.0, stddev, dtype, self.seed)
        if self.distribution == "untruncated_normal":
            return _normal(shape, 0.0, math.sqrt(scale), dtype, self.seed)
        limit = math.sqrt(3.0 * scale)
        return _uniform(shape, -limit, limit, dtype, self.seed)

    def get_config(self) -> dict:
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "seed": self.seed}


class Orthogonal(Initializer):
    """Orthogonal matrix (QR of a normal matrix), flattened to (prod(shape[:-1]), shape[-1]).

    Args:
        gain: Multiplicative factor.
        seed: Integer seed; a seeded initializer returns the same values at every call.
    """

    def __init__(self, gain=1.0, seed=None):
        self.gain = gain
        self.seed = seed

    def __call__(self, shape, dtype=None) -> torch.Tensor:
        shape, dtype = _shape(shape), _float_dtype(dtype)
        if len(shape) < 2:
            raise ValueError(
                "The tensor to initialize must be at least two-dimensional. "
                f"Received: shape={shape} of rank {len(shape)}."
            )
        rows, cols = math.prod(shape[:-1]), shape[-1]
        a = _normal((max(rows, cols), min(rows, cols)), 0.0, 1.0, _work_dtype(dtype), self.seed)
        q, r = torch.linalg.qr(a)
        q = q * torch.sign(torch.diagonal(r))
        if rows < cols:
            q = q.T
        return (self.gain * q).reshape(shape).to(dtype).contiguous()

    def get_config(self) -> dict:
        return {"gain": self.gain, "seed": self.seed}


class Identity(Initializer):
    """Identity matrix (rectangular allowed), times `gain`; 2-D shapes only.

    Args:
        gain: Multiplicative factor.
    """

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None) -> torch.Tensor:
        shape, dtype = _shape(shape), _float_dtype(dtype)
        if len(shape) != 2:
            raise ValueError(
                "Identity matrix initializer can only be used for 2D matrices. "
                f"Received: shape={shape} of rank {len(shape)}."
            )
        return self.gain * torch.eye(*shape, dtype=dtype)

    def get_config(self) -> dict:
        return {"gain": self.gain}


class _SeededVarianceScaling(VarianceScaling):
    """A VarianceScaling preset whose only argument is the seed."""

    _preset = {}

    def __init__(self, seed=None):
        super().__init__(seed=seed, **self._preset)

    def get_config(self) -> dict:
        return {"seed": self.seed}


class GlorotUniform(_SeededVarianceScaling):
    """Uniform on [-limit, limit], `limit = sqrt(6 / (fan_in + fan_out))`.

    Args:
        seed: Integer seed; a seeded initializer returns the same values at every call.
    """

    _preset = {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}


class GlorotNormal(_SeededVarianceScaling):
    """Truncated normal with `stddev = sqrt(2 / (fan_in + fan_out))`.

    Args:
        seed: Integer seed; a seeded initializer returns the same values at every call.
    """

    _preset = {"scale": 1.0, "mode": "fan_avg", "distribution": "truncated_normal"}


class HeNormal(_SeededVarianceScaling):
    """Truncated normal with `stddev = sqrt(2 / fan_in)`.

    Args:
        seed: Integer seed; a seeded initializer returns the same values at every call.
    """

    _preset = {"scale": 2.0, "mode": "fan_in", "distribution": "truncated_normal"}


class HeUniform(_SeededVarianceScaling):
    """Uniform on [-limit, limit], `limit = sqrt(6 / fan_in)`.

    Args:
        seed: Integer seed; a seeded initializer returns the same values at every call.
    """

    _preset = {"scale": 2.0, "mode": "fan_in", "distribution": "uniform"}


class LecunNormal(_SeededVarianceScaling):
    """Truncated normal with `stddev = sqrt(1 / fan_in)`.

    Args:
        seed: Integer seed; a seeded initializer returns the same values at every call.
    """

    _preset = {"scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal"}


class LecunUniform(_SeededVarianceScaling):
    """Uniform on [-limit, limit], `limit = sqrt(3 / fan_in)`.

    Args:
        seed: Integer seed; a seeded initializer returns the same values at every call.
    """

    _preset = {"scale": 1.0, "mode": "fan_in", "distribution": "uniform"}


_CLASSES = (Zeros, Ones, Constant, RandomNormal, RandomUniform, TruncatedNormal,
            VarianceScaling, Orthogonal, Identity, GlorotUniform, GlorotNormal,
            HeNormal, HeUniform, LecunNormal, LecunUniform)

zeros = Zeros
ones = Ones
constant = Constant
random_normal = RandomNormal
random_uniform = RandomUniform
truncated_normal = TruncatedNormal
variance_scaling = VarianceScaling
orthogonal = Orthogonal
identity = Identity
glorot_uniform = GlorotUniform
glorot_normal = GlorotNormal
he_normal = HeNormal
he_uniform = HeUniform
lecun_normal = LecunNormal
lecun_uniform = LecunUniform
# Keras 2's other lowercase spellings.
zero = Zeros
one = Ones
normal = RandomNormal
uniform = RandomUniform
_compute_fans = compute_fans  # Keras 2 code (custom initializers) imports the private name

# Besides the class names: the snake-case names, the 'V2' names some tf.keras 2 versions
# wrote, and Keras 2's 'zero', 'one', 'normal', 'uniform' (Embedding's default is 'uniform').
for _cls in _CLASSES:
    registry.register("initializer", _cls, to_snake_case(_cls.__name__), _cls.__name__ + "V2")
registry.register("initializer", Zeros, "zero")
registry.register("initializer", Ones, "one")
registry.register("initializer", RandomNormal, "normal")
registry.register("initializer", RandomUniform, "uniform")


def serialize(initializer) -> dict:
    """{'class_name': ..., 'config': ...} for an initializer.

    Args:
        initializer: An Initializer instance.
    """
    return registry.serialize(initializer)


def deserialize(config, custom_objects=None):
    """The initializer described by a name or a {'class_name', 'config'} dict.

    Args:
        config: A name such as 'glorot_uniform' or a serialized config dict.
        custom_objects: Optional dict of user-defined initializers.
    """
    obj = registry.deserialize("initializer", config, custom_objects)
    return obj() if isinstance(obj, type) else obj


@registry.register_getter("initializer")
def get(identifier):
    """Resolve an initializer identifier.

    Args:
        identifier: None, a name, a config dict, an Initializer (class or instance),
            or any callable `(shape, dtype=None) -> tensor` (returned as is).
    """
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if isinstance(identifier, type):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret initializer identifier: {identifier!r}")
