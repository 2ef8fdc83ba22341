"""Random tensors: random_normal, random_uniform, random_binomial, truncated_normal.

With a ``seed`` an op draws from a generator kept for that seed, so a program gives the same
sequence of values on every run (as TensorFlow's seeded ops do); without one it draws from torch's global generator
(``openkeras.utils.set_random_seed`` seeds it).
"""

import torch

from openkeras import config
from openkeras.backend.common import default_device
from openkeras.backend.variables import variable
from openkeras.utils.generic_utils import is_int

_GENERATORS = {}  # (seed, device) -> generator: a seeded op gives a reproducible sequence


def _generator(seed, device):
    if seed is None or device.type == "meta":
        return None
    key = (int(seed), str(device))
    if key not in _GENERATORS:
        gen = torch.Generator(device=device)
        gen.manual_seed(int(seed))
        _GENERATORS[key] = gen
    return _GENERATORS[key]


def reset_generators():
    """Forget seeded generators (clear_session): the next seeded op starts its sequence again."""
    _GENERATORS.clear()


def _empty(shape, dtype, device=None):
    shape = (int(shape),) if is_int(shape) else tuple(int(d) for d in shape)
    return torch.empty(shape, dtype=config.torch_dtype(dtype), device=device or default_device())


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None) -> torch.Tensor:
    """Samples of a normal distribution.

    Args:
        shape: the output shape.
        mean: the mean.
        stddev: the standard deviation.
        dtype: the Keras dtype name (default: floatx).
        seed: an int for reproducible values.
    """
    out = _empty(shape, dtype)
    return out.normal_(mean, stddev, generator=_generator(seed, out.device))


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None) -> torch.Tensor:
    """Samples of a uniform distribution on ``[minval, maxval)``.

    Args:
        shape: the output shape.
        minval: the lower bound.
        maxval: the upper bound.
        dtype: the Keras dtype name (default: floatx).
        seed: an int for reproducible values.
    """
    return uniform_like(_empty(shape, dtype), seed, minval, maxval)


def uniform_like(out, seed=None, minval=0.0, maxval=1.0) -> torch.Tensor:
    """Fill the tensor ``out`` with uniform samples on ``[minval, maxval)``."""
    return out.uniform_(minval, maxval, generator=_generator(seed, out.device))


def random_binomial(shape, p=0.0, dtype=None, seed=None) -> torch.Tensor:
    """1 with probability ``p``, else 0 (Keras's ``uniform <= p``).

    Args:
        shape: the output shape.
        p: the probability of a 1.
        dtype: the Keras dtype name (default: floatx).
        seed: an int for reproducible values.
    """
    u = random_uniform(shape, dtype=dtype, seed=seed)
    return (u <= p).to(u.dtype)


random_bernoulli = random_binomial


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None) -> torch.Tensor:
    """Normal samples redrawn until within two standard deviations of the mean.

    Args:
        shape: the output shape.
        mean: the mean.
        stddev: the standard deviation before truncation.
        dtype: the Keras dtype name (default: floatx).
        seed: an int for reproducible values.
    """
    out = _empty(shape, dtype)
    low, high = mean - 2 * stddev, mean + 2 * stddev
    with torch.no_grad():
        return torch.nn.init.trunc_normal_(out, mean, stddev, low, high,
                                           generator=_generator(seed, out.device))


def random_normal_variable(shape, mean, scale, dtype=None, name=None, seed=None) -> torch.Tensor:
    """A variable of normal samples (``scale`` is the standard deviation)."""
    return variable(random_normal(shape, mean, scale, dtype, seed), dtype=dtype, name=name)


def random_uniform_variable(shape, low, high, dtype=None, name=None, seed=None) -> torch.Tensor:
    """A variable of uniform samples on ``[low, high)``."""
    return variable(random_uniform(shape, low, high, dtype, seed), dtype=dtype, name=name)
