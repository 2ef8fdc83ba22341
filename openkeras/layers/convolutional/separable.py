"""Depthwise and separable convolutions: DepthwiseConv1D/2D, SeparableConv1D/2D.

A Keras depthwise kernel (*kernel, in_channels, depth_multiplier) is a torch grouped-conv
weight (in_channels * depth_multiplier, 1, *kernel) with output channel ``c * multiplier + m``,
TensorFlow's order.
"""

import torch

from openkeras import constraints, initializers, regularizers
from openkeras.engine.base_layer import Transpose
from openkeras.layers.convolutional.conv import Conv
from openkeras.utils.generic_utils import is_int


class DepthwiseLayout:
    """Keras depthwise kernel (*kernel, in, mult) <-> torch weight (in * mult, 1, *kernel)."""

    def __init__(self, depth_multiplier: int):
        self.depth_multiplier = depth_multiplier

    def to_engine(self, value: torch.Tensor) -> torch.Tensor:
        rank = value.dim() - 2
        moved = value.permute((rank, rank + 1) + tuple(range(rank)))
        return moved.reshape((-1, 1) + tuple(value.shape[:rank])).contiguous()

    def to_keras(self, value: torch.Tensor) -> torch.Tensor:
        rank = value.dim() - 2
        split = value.reshape((-1, self.depth_multiplier) + tuple(value.shape[2:]))
        return split.permute(tuple(range(2, rank + 2)) + (0, 1))


def _check_multiplier(layer, depth_multiplier):
    if not is_int(depth_multiplier) or depth_multiplier < 1:
        raise ValueError(f"{type(layer).__name__} {layer.name!r}: `depth_multiplier` must be a "
                         f"positive integer. Received: depth_multiplier={depth_multiplier!r}")
    return int(depth_multiplier)


class DepthwiseConv(Conv):
    """Base of the depthwise convolutions: each input channel is convolved with its own
    ``depth_multiplier`` filters.

    Args:
        rank: number of spatial dimensions.
        kernel_size, strides, dilation_rate: ints or tuples of ``rank`` ints.
        padding: 'valid' or 'same' ('causal' too for rank 1).
        depth_multiplier: output channels per input channel.
        data_format: 'channels_last' or 'channels_first'.
        depthwise_initializer, depthwise_regularizer, depthwise_constraint: for the kernel.
        activation, use_bias, bias_*: as ``Conv``.
    """

    _has_filters = False

    def __init__(self, rank: int, kernel_size=None, strides=1, padding="valid",
                 depth_multiplier=1, data_format=None, dilation_rate=1, activation=None,
                 use_bias=True, depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(rank, None, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate,
                         activation=activation, use_bias=use_bias,
                         bias_initializer=bias_initializer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         bias_constraint=bias_constraint, **kwargs)
        if self.groups != 1:
            raise ValueError(f"{type(self).__name__} {self.name!r} does not take groups. "
                             f"Received: groups={self.groups}")
        self.depth_multiplier = _check_multiplier(self, depth_multiplier)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)

    def _output_channels(self, in_channels):
        return in_channels * self.depth_multiplier

    def _add_depthwise_kernel(self, in_channels):
        self._in_channels = in_channels
        self.depthwise_kernel = self.add_weight(
            "depthwise_kernel", self.kernel_size + (in_channels, self.depth_multiplier),
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint, layout=DepthwiseLayout(self.depth_multiplier))

    def build(self, input_shape):
        in_channels = self._input_channels(input_shape)
        self._output_spatial(input_shape)
        self._add_depthwise_kernel(in_channels)
        self._add_bias(in_channels * self.depth_multiplier)
        self.built = True

    def call(self, inputs):
        x = inputs.permute(self._to_cf) if self._channels_last else inputs
        x, pad = self._padded(x)
        out = self._op(x, self.depthwise_kernel, self.bias, self.strides, pad, self.dilation_rate,
                       self._in_channels)
        if self._channels_last:
            out = out.permute(self._to_cl)
        return out if self._act is None else self._act(out)

    def get_config(self):
        config_ = super().get_config()
        for key in ("filters", "kernel_initializer", "kernel_regularizer", "kernel_constraint"):
            config_.pop(key)
        return {
            **config_,
            "depth_multiplier": self.depth_multiplier,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
        }


class DepthwiseConv1D(DepthwiseConv):
    """Depthwise 1D convolution. Shapes: (batch, steps, channels) ->
    (batch, new_steps, channels * depth_multiplier).

    Args: see ``DepthwiseConv``.
    """

    def __init__(self, kernel_size=None, strides=1, padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(1, kernel_size, strides=strides, padding=padding,
                         depth_multiplier=depth_multiplier, data_format=data_format,
                         dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
                         depthwise_initializer=depthwise_initializer,
                         bias_initializer=bias_initializer,
                         depthwise_regularizer=depthwise_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         depthwise_constraint=depthwise_constraint,
                         bias_constraint=bias_constraint, **kwargs)


class DepthwiseConv2D(DepthwiseConv):
    """Depthwise 2D convolution. Shapes: (batch, rows, cols, channels) ->
    (batch, new_rows, new_cols, channels * depth_multiplier) (channels_last) or channels first.

    Args: see ``DepthwiseConv``.
    """

    def __init__(self, kernel_size=None, strides=(1, 1), padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=(1, 1), activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(2, kernel_size, strides=strides, padding=padding,
                         depth_multiplier=depth_multiplier, data_format=data_format,
                         dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
                         depthwise_initializer=depthwise_initializer,
                         bias_initializer=bias_initializer,
                         depthwise_regularizer=depthwise_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         depthwise_constraint=depthwise_constraint,
                         bias_constraint=bias_constraint, **kwargs)


class SeparableConv(Conv):
    """Base of the separable convolutions: a depthwise convolution, then a pointwise (1x1)
    convolution to ``filters`` channels, then bias and activation.

    Args:
        rank: number of spatial dimensions.
        filters: number of output channels.
        kernel_size, strides, dilation_rate: ints or tuples of ``rank`` ints (depthwise step).
        padding: 'valid' or 'same' ('causal' too for rank 1).
        depth_multiplier: depthwise output channels per input channel.
        depthwise_*, pointwise_*: initializer, regularizer and constraint of each kernel.
        activation, use_bias, bias_*: as ``Conv``.
    """

    def __init__(self, rank: int, filters=None, kernel_size=None, strides=1, padding="valid",
                 data_format=None, dilation_rate=1, depth_multiplier=1, activation=None,
                 use_bias=True, depthwise_initializer="glorot_uniform",
                 pointwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, pointwise_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, depthwise_constraint=None, pointwise_constraint=None,
                 bias_constraint=None, **kwargs):
        super().__init__(rank, filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate,
                         activation=activation, use_bias=use_bias,
                         bias_initializer=bias_initializer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         bias_constraint=bias_constraint, **kwargs)
        if self.groups != 1:
            raise ValueError(f"{type(self).__name__} {self.name!r} does not take groups. "
                             f"Received: groups={self.groups}")
        self.depth_multiplier = _check_multiplier(self, depth_multiplier)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.pointwise_constraint = constraints.get(pointwise_constraint)

    _add_depthwise_kernel = DepthwiseConv._add_depthwise_kernel

    def build(self, input_shape):
        in_channels = self._input_channels(input_shape)
        self._output_spatial(input_shape)
        self._add_depthwise_kernel(in_channels)
        rank = self.rank
        self.pointwise_kernel = self.add_weight(
            "pointwise_kernel", (1,) * rank + (in_channels * self.depth_multiplier, self.filters),
            initializer=self.pointwise_initializer, regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint,
            layout=Transpose((rank + 1, rank) + tuple(range(rank))))
        self._add_bias(self.filters)
        self.built = True

    def call(self, inputs):
        x = inputs.permute(self._to_cf) if self._channels_last else inputs
        x, pad = self._padded(x)
        x = self._op(x, self.depthwise_kernel, None, self.strides, pad, self.dilation_rate,
                     self._in_channels)
        out = self._op(x, self.pointwise_kernel, self.bias)
        if self._channels_last:
            out = out.permute(self._to_cl)
        return out if self._act is None else self._act(out)

    def get_config(self):
        return {
            **super().get_config(),
            "depth_multiplier": self.depth_multiplier,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
            "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
            "pointwise_regularizer": regularizers.serialize(self.pointwise_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
            "pointwise_constraint": constraints.serialize(self.pointwise_constraint),
        }


class SeparableConv1D(SeparableConv):
    """Depthwise-separable 1D convolution. Shapes: (batch, steps, channels) ->
    (batch, new_steps, filters).

    Args: see ``SeparableConv``.
    """

    def __init__(self, filters=None, kernel_size=None, strides=1, padding="valid",
                 data_format=None, dilation_rate=1, depth_multiplier=1, activation=None,
                 use_bias=True, depthwise_initializer="glorot_uniform",
                 pointwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, pointwise_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, depthwise_constraint=None, pointwise_constraint=None,
                 bias_constraint=None, **kwargs):
        super().__init__(1, filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate,
                         depth_multiplier=depth_multiplier, activation=activation,
                         use_bias=use_bias, depthwise_initializer=depthwise_initializer,
                         pointwise_initializer=pointwise_initializer,
                         bias_initializer=bias_initializer,
                         depthwise_regularizer=depthwise_regularizer,
                         pointwise_regularizer=pointwise_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         depthwise_constraint=depthwise_constraint,
                         pointwise_constraint=pointwise_constraint,
                         bias_constraint=bias_constraint, **kwargs)


class SeparableConv2D(SeparableConv):
    """Depthwise-separable 2D convolution. Shapes: (batch, rows, cols, channels) ->
    (batch, new_rows, new_cols, filters) (channels_last) or channels first.

    Args: see ``SeparableConv``.
    """

    def __init__(self, filters=None, kernel_size=None, strides=(1, 1), padding="valid",
                 data_format=None, dilation_rate=(1, 1), depth_multiplier=1, activation=None,
                 use_bias=True, depthwise_initializer="glorot_uniform",
                 pointwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, pointwise_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, depthwise_constraint=None, pointwise_constraint=None,
                 bias_constraint=None, **kwargs):
        super().__init__(2, filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate,
                         depth_multiplier=depth_multiplier, activation=activation,
                         use_bias=use_bias, depthwise_initializer=depthwise_initializer,
                         pointwise_initializer=pointwise_initializer,
                         bias_initializer=bias_initializer,
                         depthwise_regularizer=depthwise_regularizer,
                         pointwise_regularizer=pointwise_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         depthwise_constraint=depthwise_constraint,
                         pointwise_constraint=pointwise_constraint,
                         bias_constraint=bias_constraint, **kwargs)


SeparableConvolution1D = SeparableConv1D
SeparableConvolution2D = SeparableConv2D
