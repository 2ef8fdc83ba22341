"""Activation layers with parameters: LeakyReLU, PReLU, ELU, ThresholdedReLU, Softmax, ReLU.

Like tf.keras 2, scalar parameters are stored at float32 precision (``backend.cast_to_floatx``),
so ``LeakyReLU(0.1).get_config()["alpha"]`` is ``0.10000000149011612`` in both.
"""

import numpy as np
import torch
import torch.nn.functional as F

from openkeras import constraints, initializers, regularizers
from openkeras.engine import aliases, registry
from openkeras.engine.base_layer import Layer
from openkeras.layers.attention import softmax_negative


def _floatx(value):
    return float(np.float32(value))


def _require(value, arg, owner, allow_negative=False):
    if value is None or (not allow_negative and value < 0):
        expected = "a float" if allow_negative else "a non-negative float"
        raise ValueError(f"The {arg} value of a {owner} layer cannot be None"
                         f"{'' if allow_negative else ' or negative'}. Expecting {expected}. "
                         f"Received: {arg}={value}")
    return _floatx(value)


class _Elementwise(Layer):
    """Base of the parameter-free activations: mask passes through, shape unchanged."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def compute_output_shape(self, input_shape):
        return input_shape


class LeakyReLU(_Elementwise):
    """Leaky ReLU: ``x`` for ``x > 0``, ``alpha * x`` otherwise.

    Args:
        alpha: slope for negative inputs (>= 0).
    """

    def __init__(self, alpha=0.3, **kwargs):
        super().__init__(**kwargs)
        self.alpha = _require(alpha, "alpha", "Leaky ReLU", allow_negative=True)

    def call(self, inputs):
        return F.leaky_relu(inputs, self.alpha)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


class PReLU(Layer):
    """Parametric ReLU: ``x`` for ``x >= 0``, ``alpha * x`` otherwise, with a learned ``alpha``.

    Args:
        alpha_initializer, alpha_regularizer, alpha_constraint: for the ``alpha`` weight.
        shared_axes: axes (1-based, batch excluded) along which ``alpha`` is shared, e.g.
            ``[1, 2]`` for one slope per channel of (batch, rows, cols, channels) images.
    Weights: alpha of shape ``input_shape[1:]`` with 1 on the shared axes.
    """

    @aliases.legacy_arguments("PReLU")
    def __init__(self, alpha_initializer="zeros", alpha_regularizer=None, alpha_constraint=None,
                 shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        elif isinstance(shared_axes, (list, tuple)):
            self.shared_axes = [int(a) for a in shared_axes]
        else:
            self.shared_axes = [int(shared_axes)]
        self.supports_masking = True

    def build(self, input_shape):
        shape = list(input_shape[1:])
        for a in self.shared_axes or []:
            if not 1 <= a < len(input_shape):
                raise ValueError(f'Layer "{self.name}": shared_axes must be in [1, {len(input_shape)}) '
                                 f"for input shape {tuple(input_shape)}. Received: "
                                 f"shared_axes={self.shared_axes}")
            shape[a - 1] = 1
        if any(d is None for d in shape):
            raise ValueError(f'Layer "{self.name}": PReLU needs every non-shared input dimension to '
                             f"be known. Received input shape {tuple(input_shape)} with "
                             f"shared_axes={self.shared_axes}")
        self.alpha = self.add_weight("alpha", tuple(shape), initializer=self.alpha_initializer,
                                     regularizer=self.alpha_regularizer,
                                     constraint=self.alpha_constraint)
        self.built = True

    def call(self, inputs):
        return torch.where(inputs >= 0, inputs, inputs * self.alpha)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "alpha_initializer": initializers.serialize(self.alpha_initializer),
            "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
            "alpha_constraint": constraints.serialize(self.alpha_constraint),
            "shared_axes": self.shared_axes,
        }


class ELU(_Elementwise):
    """Exponential Linear Unit: ``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise.

    Args:
        alpha: scale of the negative part.
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = _require(alpha, "alpha", "ELU", allow_negative=True)

    def call(self, inputs):
        return F.elu(inputs, self.alpha)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


class ThresholdedReLU(_Elementwise):
    """Thresholded ReLU: ``x`` for ``x > theta``, 0 otherwise.

    Args:
        theta: the threshold (>= 0).
    """

    def __init__(self, theta=1.0, **kwargs):
        super().__init__(**kwargs)
        self.theta = _require(theta, "theta", "Thresholded ReLU")

    def call(self, inputs):
        return inputs * (inputs > self.theta).to(inputs.dtype)

    def get_config(self):
        return {**super().get_config(), "theta": self.theta}


class Softmax(_Elementwise):
    """Softmax along ``axis``; masked positions (mask False) get probability 0.

    Args:
        axis: the axis, or list of axes, normalized over.
        robust_masking: set masked logits to -1e9 instead of adding -1e9 to them.
    Call arguments: ``mask``, a boolean tensor with the inputs' shape (or a prefix of it, such
    as a (batch, steps) timestep mask, which then covers whole positions).
    """

    def __init__(self, axis=-1, robust_masking=False, **kwargs):
        super().__init__(**kwargs)
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else axis
        self.robust_masking = bool(robust_masking)

    def call(self, inputs, mask=None):
        if mask is not None:
            while mask.dim() < inputs.dim():
                mask = mask.unsqueeze(-1)
            if self.robust_masking:
                inputs = inputs.masked_fill(~mask.bool(), softmax_negative(inputs.dtype))
            else:
                inputs = inputs + (1.0 - mask.to(inputs.dtype)) * softmax_negative(inputs.dtype)
        if isinstance(self.axis, list) and len(self.axis) > 1:
            return torch.exp(inputs - torch.logsumexp(inputs, dim=self.axis, keepdim=True))
        axis = self.axis[0] if isinstance(self.axis, list) else self.axis
        return torch.softmax(inputs, dim=axis)

    def get_config(self):
        config = {**super().get_config(), "axis": self.axis}
        if self.robust_masking:
            config["robust_masking"] = True
        return config


class ReLU(_Elementwise):
    """Rectified Linear Unit with options.

    ``x`` above ``threshold`` (capped at ``max_value``), ``negative_slope * (x - threshold)``
    otherwise.

    Args:
        max_value: the largest output (>= 0), None for no cap.
        negative_slope: slope below the threshold (>= 0).
        threshold: the threshold (>= 0).
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        if max_value is not None:
            max_value = _require(max_value, "max_value", "ReLU")
        self.max_value = max_value
        self.negative_slope = _require(negative_slope, "negative_slope", "ReLU")
        self.threshold = _require(threshold, "threshold", "ReLU")

    def call(self, inputs):
        if self.negative_slope == 0 and self.threshold == 0:
            out = F.relu(inputs)
            return out if self.max_value is None else out.clamp(max=self.max_value)
        out = inputs if self.max_value is None else inputs.clamp(max=self.max_value)
        below = (inputs - self.threshold) * self.negative_slope
        return torch.where(inputs > self.threshold, out, below)

    def get_config(self):
        return {**super().get_config(), "max_value": self.max_value,
                "negative_slope": self.negative_slope, "threshold": self.threshold}


# An activation argument may also name these layers by config dict ({'class_name': 'LeakyReLU'}).
for _cls in (LeakyReLU, PReLU, ELU, ThresholdedReLU, Softmax, ReLU):
    registry.register("activation_layer", _cls)

# Names Keras 2 code imports from this module, resolved on first access (so this module
# imports nothing more at load time).
from openkeras.engine.lazy_exports import lazy_exports  # noqa: E402

__getattr__ = lazy_exports(__name__, {
    "InputSpec": "openkeras.engine.input_spec:InputSpec",
    "activations": "openkeras.activations",
    "interfaces": "openkeras.legacy.interfaces",
    "to_list": "openkeras.utils.generic_utils:to_list",
})
