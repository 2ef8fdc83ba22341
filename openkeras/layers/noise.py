"""Noise layers (regularization): GaussianNoise, GaussianDropout, AlphaDropout.

All three are the identity at inference and add noise only when called with
``training=True`` (as ``fit`` does). ``seed`` is accepted and serialized for Keras
compatibility; seed openkeras globally with ``openkeras.utils.set_random_seed``.
"""

import math

import torch

from openkeras.engine import aliases
from openkeras.engine.base_layer import Layer

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _required(value, arg, owner):
    if value is None:  # a default only so that the Keras 1 spelling can stand in for it
        raise TypeError(f"{owner}.__init__() missing required argument: {arg!r}")
    return value


def _check_rate(rate, owner):
    if not 0 <= float(_required(rate, "rate", owner)) <= 1:
        raise ValueError(f"{owner}: invalid value received for argument `rate`. Expected a float "
                         f"value between 0 and 1. Received: rate={rate}")
    return rate


class _Noise(Layer):
    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.supports_masking = True

    def compute_output_shape(self, input_shape):
        return input_shape


class GaussianNoise(_Noise):
    """Adds zero-centered Gaussian noise of standard deviation ``stddev`` in training.

    Args:
        stddev: standard deviation of the noise.
        seed: accepted for compatibility.
    """

    def __init__(self, stddev=None, seed=None, **kwargs):
        aliases.rename_kwargs(kwargs, "GaussianNoise")
        stddev = kwargs.pop("stddev", stddev)
        super().__init__(seed=seed, **kwargs)
        self.stddev = _required(stddev, "stddev", "GaussianNoise")

    def call(self, inputs, training=None):
        if not training:
            return inputs
        return inputs + torch.randn_like(inputs) * self.stddev

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(_Noise):
    """Multiplies the inputs by Gaussian noise of mean 1 and stddev ``sqrt(rate / (1 - rate))``.

    Args:
        rate: drop probability of the equivalent Dropout, in [0, 1].
        seed: accepted for compatibility.
    """

    def __init__(self, rate=None, seed=None, **kwargs):
        aliases.rename_kwargs(kwargs, "Dropout", "GaussianDropout")
        rate = kwargs.pop("rate", rate)
        super().__init__(seed=seed, **kwargs)
        self.rate = _check_rate(rate, "GaussianDropout")

    def call(self, inputs, training=None):
        if not training or not 0 < self.rate < 1:
            return inputs
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        return inputs * (torch.randn_like(inputs) * stddev + 1.0)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class AlphaDropout(_Noise):
    """Dropout that keeps the mean and variance of its inputs (for SELU networks).

    Dropped values are set to SELU's negative saturation value, then an affine map
    restores mean and variance.

    Args:
        rate: fraction of the inputs to drop, in [0, 1].
        noise_shape: shape of the drop mask (None entries follow the input).
        seed: accepted for compatibility.
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = _check_rate(rate, "AlphaDropout")
        self.noise_shape = tuple(noise_shape) if noise_shape is not None else None

    def call(self, inputs, training=None):
        if not training or not 0 < self.rate < 1:
            return inputs
        shape = inputs.shape if self.noise_shape is None else tuple(
            s if n is None else n for s, n in zip(inputs.shape, self.noise_shape, strict=True))
        rate = self.rate
        alpha_p = -_SELU_ALPHA * _SELU_SCALE
        kept = (torch.rand(shape, device=inputs.device) >= rate).to(inputs.dtype)
        a = ((1 - rate) * (1 + rate * alpha_p**2)) ** -0.5
        b = -a * alpha_p * rate
        return a * (inputs * kept + alpha_p * (1 - kept)) + b

    def get_config(self):
        config = {**super().get_config(), "rate": self.rate, "seed": self.seed}
        if self.noise_shape is not None:  # tf.keras drops it; kept here so it round-trips
            config["noise_shape"] = list(self.noise_shape)
        return config


# Names Keras 2 code imports from this module, resolved on first access (so this module
# imports nothing more at load time).
from openkeras.engine.lazy_exports import lazy_exports  # noqa: E402

__getattr__ = lazy_exports(__name__, {
    "interfaces": "openkeras.legacy.interfaces",
})
