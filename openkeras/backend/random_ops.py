"""Random tensors: random_normal, random_uniform, random_binomial, truncated_normal.

With a ``seed`` an op draws from a generator kept for that seed, so a program gives the same
sequence of values on every run (as TensorFlow's seeded ops do); without one it draws from torch's global generator
(``openkeras.utils.set_random_seed`` seeds it).
"""

import numpy as np
import torch

from openkeras import config
from openkeras.backend.common import SEEDED_GENERATORS as _GENERATORS
from openkeras.backend.common import default_device
from openkeras.backend.variables import variable
from openkeras.utils.generic_utils import is_int


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


def _shape(shape) -> tuple:
    """A shape as a tuple of Python ints.

    Args:
        shape: an int, a tuple/list of ints (numpy ints too), a torch.Size, or a 1-D integer
            tensor or array (as ``K.shape`` may give).
    """
    if isinstance(shape, (torch.Tensor, np.ndarray)):
        integer = (not shape.dtype.is_floating_point and not shape.dtype.is_complex
                   if isinstance(shape, torch.Tensor) else shape.dtype.kind in "iu")
        if shape.ndim > 1 or not integer:
            raise ValueError(f"A random shape must be a 1-D integer tensor or a tuple of ints. "
                             f"Received: shape={shape!r}")
        return tuple(int(d) for d in shape.reshape(-1).tolist())
    if is_int(shape):
        return (int(shape),)
    dims = tuple(shape) if isinstance(shape, (tuple, list, torch.Size)) else None
    if dims is None or not all(is_int(d) for d in dims):
        raise ValueError(f"A random shape must be a tuple of ints, a torch.Size or a 1-D integer "
                         f"tensor. Received: shape={shape!r}")
    return tuple(int(d) for d in dims)


def _empty(shape, dtype, device=None):
    shape = _shape(shape)
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
