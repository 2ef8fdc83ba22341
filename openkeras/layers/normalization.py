"""Normalization layers: BatchNormalization, LayerNormalization.

BatchNormalization follows tf.keras 2.x exactly, including which variance feeds the moving
variance. tf.keras takes the *fused* kernel by default for 4D/5D inputs normalized on the
channel axis (axis 1 or the last one): the output is normalized with the biased batch
variance but the moving variance is updated with the unbiased (Bessel-corrected) one, and
epsilon is raised to at least 1.001e-5. Every other input (2D, 3D, other axes, several axes,
``fused=False``) takes the non-fused path, where the moving variance is updated with the
biased batch variance. Both were checked against real tf_keras (tests/fixtures/layers).
"""

import math
import warnings

import torch
import torch.nn.functional as F

from openkeras import constraints, initializers, regularizers
from openkeras.engine import aliases
from openkeras.engine.base_layer import Layer
from openkeras.utils import generic_utils

_FUSED_MIN_EPSILON = 1.001e-5  # the fused kernel's (cuDNN's) floor on epsilon


def _check_axis_arg(axis, owner):
    if isinstance(axis, (list, tuple)):
        if not all(generic_utils.is_int(a) for a in axis):
            raise TypeError(f"{owner}: expected an int or a list/tuple of ints for the argument "
                            f"'axis'. Received: axis={axis!r}")
        return [int(a) for a in axis]
    if generic_utils.is_int(axis):
        return int(axis)
    raise TypeError(f"{owner}: expected an int or a list/tuple of ints for the argument 'axis'. "
                    f"Received: axis={axis!r}")


def _normalize_axes(axis, input_shape, layer):
    rank = len(input_shape)
    axes = [axis] if isinstance(axis, int) else list(axis)
    for a in axes:
        if not -rank <= a < rank:
            raise ValueError(f'Layer "{layer.name}": invalid value for `axis` argument. Expected '
                             f"0 <= axis < inputs.rank (with inputs.rank={rank}). Received: axis={axis}")
    axes = [a % rank for a in axes]
    if len(set(axes)) != len(axes):
        raise ValueError(f'Layer "{layer.name}": duplicate axis: {tuple(axis)}')
    for a in axes:
        if input_shape[a] is None:
            raise ValueError(f'Layer "{layer.name}": axis {a} of the input should have a defined '
                             f"dimension, but the layer received an input with shape "
                             f"{tuple(input_shape)}.")
    return axes


class BatchNormalization(Layer):
    """Normalizes with batch statistics in training and moving statistics in inference.

    Args:
        axis: the feature axis (or list of axes), e.g. 1 for channels_first images.
        momentum: momentum of the moving averages: ``moving = moving * momentum + batch * (1 - momentum)``.
        epsilon: added to the variance to avoid dividing by zero.
        center: whether to add the learned offset ``beta``.
        scale: whether to multiply by the learned ``gamma``.
        renorm, renorm_clipping, renorm_momentum, virtual_batch_size, adjustment: accepted
            for compatibility; only their defaults are supported.
        fused: None chooses as tf.keras does; False forces the non-fused statistics.
    Shapes: any input; output has the same shape. Weights: gamma, beta, moving_mean,
    moving_variance (the last two are not trainable).
    """

    @aliases.legacy_arguments("BatchNormalization")
    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", moving_mean_initializer="zeros",
                 moving_variance_initializer="ones", beta_regularizer=None, gamma_regularizer=None,
                 beta_constraint=None, gamma_constraint=None, renorm=False, renorm_clipping=None,
                 renorm_momentum=0.99, fused=None, virtual_batch_size=None, adjustment=None,
                 **kwargs):
        if "mode" in kwargs:
            mode = kwargs.pop("mode")
            warnings.warn("BatchNormalization: `mode` is deprecated and no longer exists.",
                          DeprecationWarning, stacklevel=2)
            if mode != 0:
                raise TypeError("The `mode` argument of `BatchNormalization` no longer exists: "
                                f"only mode=0 is supported. Received: mode={mode!r}")
        super().__init__(**kwargs)
        for arg, value in (("renorm", renorm), ("virtual_batch_size", virtual_batch_size),
                           ("adjustment", adjustment)):
            if value not in (False, None):
                raise NotImplementedError(
                    f"BatchNormalization: `{arg}` is not supported by openkeras. Received: "
                    f"{arg}={value!r}")
        self.axis = _check_axis_arg(axis, "BatchNormalization")
        self.momentum = momentum
        self.epsilon = epsilon
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.renorm = False
        self.renorm_clipping = renorm_clipping
        self.renorm_momentum = renorm_momentum
        self.fused = fused
        self.supports_masking = True

    def build(self, input_shape):
        rank = len(input_shape)
        self.axis = _normalize_axes(self.axis, input_shape, self)
        fusable = rank in (4, 5) and self.axis in ([1], [rank - 1])
        if self.fused and not fusable:
            raise ValueError(f'Layer "{self.name}": `fused=True` is only possible with axis=1 or '
                             "the last axis of 4D or 5D inputs. Received: "
                             f"axis={self.axis}, input shape {tuple(input_shape)}")
        self._fused = fusable if self.fused is None else bool(self.fused)
        self._eps = max(self.epsilon, _FUSED_MIN_EPSILON) if self._fused else self.epsilon
        self._bshape = [input_shape[i] if i in self.axis else 1 for i in range(rank)]
        # One feature axis: (dim,) parameters and torch's batch_norm kernel on that axis moved
        # to position 1. Several axes: full-rank parameters with 1 on the other axes (as Keras).
        self._channel = self.axis[0] if len(self.axis) == 1 else None
        shape = (input_shape[self._channel],) if self._channel is not None else tuple(self._bshape)
        self.gamma = self.beta = None
        if self.scale:
            self.gamma = self.add_weight("gamma", shape, initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer,
                                         constraint=self.gamma_constraint)
        if self.center:
            self.beta = self.add_weight("beta", shape, initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint)
        self.moving_mean = self.add_weight("moving_mean", shape, trainable=False,
                                           initializer=self.moving_mean_initializer)
        self.moving_variance = self.add_weight("moving_variance", shape, trainable=False,
                                               initializer=self.moving_variance_initializer)
        self.built = True

    def call(self, inputs, training=None):
        # As tf.keras 2: a frozen BatchNormalization layer always runs in inference mode.
        training = bool(training) and self.trainable
        count = math.prod(inputs.shape) // math.prod(self.moving_mean.shape)
        if self._channel is None or (training and count < 2):
            return self._call_broadcast(inputs, training, count)
        c = self._channel
        x = inputs if c == 1 else inputs.movedim(c, 1)
        if not training:
            out = F.batch_norm(x, self.moving_mean, self.moving_variance, self.gamma, self.beta,
                               False, 0.0, self._eps)
        elif self._fused:  # torch updates the moving variance with the unbiased variance too
            out = F.batch_norm(x, self.moving_mean, self.moving_variance, self.gamma, self.beta,
                               True, 1.0 - self.momentum, self._eps)
        else:  # torch's update of a copy, turned into Keras's update with the biased variance
            running_var = self.moving_variance.detach().clone()
            out = F.batch_norm(x, self.moving_mean, running_var, self.gamma, self.beta,
                               True, 1.0 - self.momentum, self._eps)
            with torch.no_grad():
                kept = self.moving_variance * self.momentum
                self.moving_variance.copy_(kept + (running_var - kept) * ((count - 1) / count))
        return out if c == 1 else out.movedim(1, c)

    def _call_broadcast(self, inputs, training, count):
        shape = self._bshape
        if training:
            reduce = [i for i in range(inputs.dim()) if i not in self.axis]
            var, mean = torch.var_mean(inputs, dim=reduce, correction=0, keepdim=True)
            with torch.no_grad():
                unbiased = var * (count / (count - 1)) if self._fused and count > 1 else var
                m = self.momentum
                self.moving_mean.mul_(m).add_(mean.reshape(self.moving_mean.shape), alpha=1 - m)
                self.moving_variance.mul_(m).add_(unbiased.reshape(self.moving_mean.shape),
                                                  alpha=1 - m)
        else:
            mean, var = self.moving_mean.reshape(shape), self.moving_variance.reshape(shape)
        out = (inputs - mean) * torch.rsqrt(var + self._eps)
        if self.gamma is not None:
            out = out * self.gamma.reshape(shape)
        if self.beta is not None:
            out = out + self.beta.reshape(shape)
        return out

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        }


class LayerNormalization(Layer):
    """Normalizes each sample over ``axis``: ``gamma * (x - mean) / sqrt(var + epsilon) + beta``.

    Args:
        axis: the axis or list of axes to normalize over (default: the last one).
        epsilon: added to the variance to avoid dividing by zero.
        center: whether to add the learned offset ``beta``.
        scale: whether to multiply by the learned ``gamma``.
    Shapes: any input; output has the same shape. Weights: gamma, beta, of shape
    ``[input_shape[a] for a in axis]``.
    """

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None,
                 beta_constraint=None, gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.axis = _check_axis_arg(axis, "LayerNormalization")
        self.epsilon = epsilon
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True

    def build(self, input_shape):
        rank = len(input_shape)
        self.axis = _normalize_axes(self.axis, input_shape, self)
        shape = tuple(input_shape[a] for a in self.axis)
        self.gamma = self.beta = None
        if self.scale:
            self.gamma = self.add_weight("gamma", shape, initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer,
                                         constraint=self.gamma_constraint)
        if self.center:
            self.beta = self.add_weight("beta", shape, initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint)
        # Trailing axes in order: torch's fused layer_norm kernel; otherwise broadcast by hand
        # (parameters reshaped to the input's rank, as Keras does).
        self._trailing = self.axis == list(range(rank - len(self.axis), rank))
        self._normalized_shape = shape
        self._bshape = [input_shape[i] if i in self.axis else 1 for i in range(rank)]
        self.built = True

    def call(self, inputs):
        if self._trailing:
            return F.layer_norm(inputs, self._normalized_shape, self.gamma, self.beta, self.epsilon)
        var, mean = torch.var_mean(inputs, dim=self.axis, correction=0, keepdim=True)
        out = (inputs - mean) * torch.rsqrt(var + self.epsilon)
        if self.gamma is not None:
            out = out * self.gamma.reshape(self._bshape)
        if self.beta is not None:
            out = out + self.beta.reshape(self._bshape)
        return out

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        }


# Names Keras 2 code imports from this module, resolved on first access (so this module
# imports nothing more at load time).
from openkeras.engine.lazy_exports import lazy_exports  # noqa: E402

__getattr__ = lazy_exports(__name__, {
    "InputSpec": "openkeras.engine.input_spec:InputSpec",
    "interfaces": "openkeras.legacy.interfaces",
})
