"""Transposed convolutions: Conv1DTranspose, Conv2DTranspose, Conv3DTranspose.

Keras kernels are (*kernel, filters, in_channels); torch's ``conv_transpose`` wants
(in_channels, filters, *kernel). TensorFlow's 'same' output is matched with torch's symmetric
padding plus ``output_padding`` or, when TF pads one more on the far side, a one-element crop.
"""

import torch.nn.functional as F

from openkeras.engine.base_layer import Transpose
from openkeras.layers.convolutional.conv import Conv, spatial_dims
from openkeras.utils import conv_utils

_TRANSPOSE_OPS = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


def transpose_plan(kernel_size, strides, padding, output_padding, dilation_rate):
    """torch ``(padding, output_padding, crop)`` giving Keras's transposed-convolution output.

    The plan does not depend on the input size; ``crop`` is the number of trailing elements
    to drop per dimension.
    """
    pads, out_pads, crops = [], [], []
    output_padding = output_padding or (None,) * len(kernel_size)
    for k, s, op, d in zip(kernel_size, strides, output_padding, dilation_rate, strict=True):
        span = conv_utils.dilated_size(k, d)
        length = conv_utils.deconv_output_length(1, k, padding, op, s, d)
        before = 0 if padding == "valid" else max(span - length, 0) // 2
        extra = length - span + 2 * before
        pads.append(before)
        out_pads.append(max(extra, 0))
        crops.append(max(-extra, 0))
    return tuple(pads), tuple(out_pads), tuple(crops)


class ConvTranspose(Conv):
    """Base of the transposed (a.k.a. de-) convolutions.

    Args:
        rank: number of spatial dimensions.
        filters: number of output channels.
        kernel_size, strides, dilation_rate: ints or tuples of ``rank`` ints.
        padding: 'valid' or 'same'.
        output_padding: None (Keras infers it) or ints/tuple, each smaller than its stride.
        data_format: 'channels_last' or 'channels_first'.
        activation, use_bias, *_initializer, *_regularizer, *_constraint: as ``Conv``.
    """

    _transposed = True

    def __init__(self, rank: int, filters=None, kernel_size=None, strides=1, padding="valid",
                 output_padding=None, data_format=None, dilation_rate=1, **kwargs):
        super().__init__(rank, filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate, **kwargs)
        if self.groups != 1:
            raise ValueError(f"{type(self).__name__} {self.name!r} does not support groups. "
                             f"Received: groups={self.groups}")
        self.output_padding = None
        if output_padding is not None:
            self.output_padding = conv_utils.normalize_tuple(output_padding, rank,
                                                             "output_padding", allow_zero=True)
            for s, op in zip(self.strides, self.output_padding, strict=True):
                if op >= s:
                    raise ValueError(
                        f"{type(self).__name__} {self.name!r}: strides {self.strides} must be "
                        f"greater than output padding {self.output_padding}. Received "
                        f"strides={self.strides}, output_padding={self.output_padding}.")
        pad, out_pad, crop = transpose_plan(self.kernel_size, self.strides, self.padding,
                                            self.output_padding, self.dilation_rate)
        self._t_pad, self._t_out_pad = pad, out_pad
        self._crop = None
        if any(crop):
            self._crop = (slice(None), slice(None)) + tuple(
                slice(0, -c) if c else slice(None) for c in crop)
        self._op = _TRANSPOSE_OPS[rank]

    def _output_spatial(self, input_shape):
        ops = self.output_padding or (None,) * self.rank
        return tuple(conv_utils.deconv_output_length(n, k, self.padding, op, s, d)
                     for n, k, op, s, d in zip(spatial_dims(input_shape, self.data_format),
                                               self.kernel_size, ops, self.strides,
                                               self.dilation_rate, strict=True))

    def build(self, input_shape):
        in_channels = self._input_channels(input_shape)
        rank = self.rank
        self.kernel = self.add_weight(
            "kernel", self.kernel_size + (self.filters, in_channels),
            initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
            layout=Transpose((rank + 1, rank) + tuple(range(rank))))
        self._add_bias(self.filters)
        self.built = True

    def call(self, inputs):
        x = inputs.permute(self._to_cf) if self._channels_last else inputs
        out = self._op(x, self.kernel, self.bias, self.strides, self._t_pad, self._t_out_pad, 1,
                       self.dilation_rate)
        if self._crop is not None:
            out = out[self._crop]
        if self._channels_last:
            out = out.permute(self._to_cl)
        return out if self._act is None else self._act(out)

    def get_config(self):
        return {**super().get_config(), "output_padding": self.output_padding}


class Conv1DTranspose(ConvTranspose):
    """Transposed 1D convolution. Shapes: (batch, steps, channels) -> (batch, new_steps, filters).

    Args: see ``ConvTranspose``.
    """

    def __init__(self, filters=None, kernel_size=None, strides=1, padding="valid",
                 output_padding=None, data_format=None, dilation_rate=1, activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(1, filters, kernel_size, strides=strides, padding=padding,
                         output_padding=output_padding, data_format=data_format,
                         dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
                         **kwargs)


class Conv2DTranspose(ConvTranspose):
    """Transposed 2D convolution. Shapes: (batch, rows, cols, channels) ->
    (batch, new_rows, new_cols, filters) (channels_last) or channels first.

    Args: see ``ConvTranspose``.
    """

    def __init__(self, filters=None, kernel_size=None, strides=(1, 1), padding="valid",
                 output_padding=None, data_format=None, dilation_rate=(1, 1), activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(2, filters, kernel_size, strides=strides, padding=padding,
                         output_padding=output_padding, data_format=data_format,
                         dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
                         **kwargs)


class Conv3DTranspose(ConvTranspose):
    """Transposed 3D convolution. Shapes: (batch, d1, d2, d3, channels) ->
    (batch, n1, n2, n3, filters) (channels_last) or channels first.

    Args: see ``ConvTranspose``. As in tf.keras, ``dilation_rate`` is left out of the config
    (here: unless it differs from 1).
    """

    def __init__(self, filters=None, kernel_size=None, strides=(1, 1, 1), padding="valid",
                 output_padding=None, data_format=None, dilation_rate=(1, 1, 1), activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(3, filters, kernel_size, strides=strides, padding=padding,
                         output_padding=output_padding, data_format=data_format,
                         dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
                         **kwargs)

    def get_config(self):
        config_ = super().get_config()
        if self.dilation_rate == (1, 1, 1):
            config_.pop("dilation_rate")
        return config_


Convolution2DTranspose = Conv2DTranspose
Convolution3DTranspose = Conv3DTranspose
Deconvolution2D = Conv2DTranspose
Deconvolution3D = Conv3DTranspose
