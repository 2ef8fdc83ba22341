"""Transposed, depthwise and separable convolutions of the Keras backend (Keras layouts).

Kernels are in TensorFlow's layouts, as Keras 2 passes them: ``conv2d_transpose`` takes
(rows, cols, out_channels, in_channels), ``depthwise_conv2d`` (rows, cols, in, multiplier)
and a pointwise kernel (1, 1, in * multiplier, out). 'same' padding is TensorFlow's.
"""

import math

import torch.nn.functional as F

from openkeras import config
from openkeras.backend.common import to_tensor
from openkeras.backend.nn import _channels_first, _restore, _same_pad
from openkeras.utils import conv_utils


def _transpose(op, rank, x, kernel, output_shape, strides, padding, data_format, dilation_rate):
    data_format = config.normalize_data_format(data_format)
    padding = conv_utils.normalize_padding(padding)
    strides = conv_utils.normalize_tuple(strides, rank, "strides")
    dilation = conv_utils.normalize_tuple(dilation_rate, rank, "dilation_rate")
    x = _channels_first(to_tensor(x, op), data_format)
    kernel = to_tensor(kernel, op, like=x)
    weight = kernel.permute((rank + 1, rank) + tuple(range(rank)))  # -> (in, out, *kernel)
    shape = [int(d) if d is not None else None for d in output_shape]
    spatial = shape[1:-1] if data_format == "channels_last" else shape[2:]
    # the convolution this is the gradient of must map `spatial` back to x's size
    reached = [math.ceil(n / s) if padding == "same"
               else math.ceil((n - conv_utils.dilated_size(k, d) + 1) / s)
               for n, k, s, d in zip(spatial, kernel.shape[:rank], strides, dilation, strict=False)]
    if len(shape) != rank + 2 or reached != list(x.shape[2:]):
        raise ValueError(f"K.{op}: output_shape={tuple(output_shape)} does not fit an input of "
                         f"spatial shape {tuple(x.shape[2:])} with kernel "
                         f"{tuple(kernel.shape[:rank])}, strides={strides} and "
                         f"padding={padding!r}.")
    full = (F.conv_transpose2d if rank == 2 else F.conv_transpose3d)(
        x, weight, None, strides, 0, 0, 1, dilation)
    # The transposed convolution is the gradient of a convolution from `spatial` to x's
    # size: crop (or extend with zeros) the full result where that convolution's padding was.
    index = [slice(None), slice(None)]
    for n_in, n_out, k, s, d in zip(x.shape[2:], spatial, weight.shape[2:], strides, dilation,
                                    strict=True):
        before = 0
        if padding == "same":
            before = max((n_in - 1) * s + conv_utils.dilated_size(k, d) - n_out, 0) // 2
        index.append(slice(before, before + n_out))
    out = full[tuple(index)]
    missing = [n - m for n, m in zip(spatial, out.shape[2:], strict=True)]
    if any(missing):
        pads = []
        for m in reversed(missing):
            pads += [0, max(m, 0)]
        out = F.pad(out, pads)
    return _restore(out, data_format)


def conv2d_transpose(x, kernel, output_shape, strides=(1, 1), padding="valid", data_format=None,
                     dilation_rate=(1, 1)):
    """2-D transposed convolution ("deconvolution") to ``output_shape``.

    Args:
        x: (batch, rows, cols, in) (or channels_first).
        kernel: (rows, cols, out, in), TensorFlow's layout.
        output_shape: the full output shape, in ``data_format`` order (batch may be None).
        strides, padding, data_format, dilation_rate: as ``conv2d``.
    """
    return _transpose("conv2d_transpose", 2, x, kernel, output_shape, strides, padding,
                      data_format, dilation_rate)


def conv3d_transpose(x, kernel, output_shape, strides=(1, 1, 1), padding="valid",
                     data_format=None):
    """3-D transposed convolution; ``kernel`` is (depth, rows, cols, out, in)."""
    return _transpose("conv3d_transpose", 3, x, kernel, output_shape, strides, padding,
                      data_format, 1)


def _depthwise(op, x, depthwise_kernel, strides, padding, dilation):
    """Depthwise convolution of channels-first 4-D ``x`` (kernel (rows, cols, in, mult))."""
    kernel = to_tensor(depthwise_kernel, op, like=x)
    kh, kw, channels, mult = kernel.shape
    weight = kernel.permute(2, 3, 0, 1).reshape(channels * mult, 1, kh, kw)
    pad = (0, 0)
    if padding == "same":
        x, pad = _same_pad(x, (kh, kw), strides, dilation)
    return F.conv2d(x, weight, None, strides, pad, dilation, groups=channels)


def depthwise_conv2d(x, depthwise_kernel, strides=(1, 1), padding="valid", data_format=None,
                     dilation_rate=(1, 1)):
    """Each input channel convolved with its own ``multiplier`` filters.

    Args:
        x: (batch, rows, cols, in) (or channels_first).
        depthwise_kernel: (rows, cols, in, multiplier); output channel ``c * multiplier + m``.
        strides, padding, data_format, dilation_rate: as ``conv2d``.
    """
    data_format = config.normalize_data_format(data_format)
    padding = conv_utils.normalize_padding(padding)
    strides = conv_utils.normalize_tuple(strides, 2, "strides")
    dilation = conv_utils.normalize_tuple(dilation_rate, 2, "dilation_rate")
    x = _channels_first(to_tensor(x, "depthwise_conv2d"), data_format)
    out = _depthwise("depthwise_conv2d", x, depthwise_kernel, strides, padding, dilation)
    return _restore(out, data_format)


def separable_conv2d(x, depthwise_kernel, pointwise_kernel, strides=(1, 1), padding="valid",
                     data_format=None, dilation_rate=(1, 1)):
    """A depthwise convolution followed by a 1x1 (pointwise) convolution.

    Args:
        depthwise_kernel: (rows, cols, in, multiplier).
        pointwise_kernel: (1, 1, in * multiplier, out).
    """
    data_format = config.normalize_data_format(data_format)
    padding = conv_utils.normalize_padding(padding)
    strides = conv_utils.normalize_tuple(strides, 2, "strides")
    dilation = conv_utils.normalize_tuple(dilation_rate, 2, "dilation_rate")
    x = _channels_first(to_tensor(x, "separable_conv2d"), data_format)
    out = _depthwise("separable_conv2d", x, depthwise_kernel, strides, padding, dilation)
    pointwise = to_tensor(pointwise_kernel, "separable_conv2d", like=out)
    out = F.conv2d(out, pointwise.permute(3, 2, 0, 1))
    return _restore(out, data_format)


def separable_conv1d(x, depthwise_kernel, pointwise_kernel, strides=1, padding="valid",
                     data_format=None, dilation_rate=1):
    """1-D separable convolution; kernels (length, in, mult) and (1, in * mult, out)."""
    data_format = config.normalize_data_format(data_format)
    axis = 1 if data_format == "channels_last" else 2  # a rows axis of size 1
    x = to_tensor(x, "separable_conv1d").unsqueeze(axis)
    depthwise = to_tensor(depthwise_kernel, "separable_conv1d", like=x).unsqueeze(0)
    pointwise = to_tensor(pointwise_kernel, "separable_conv1d", like=x).unsqueeze(0)
    strides = (1,) + conv_utils.normalize_tuple(strides, 1, "strides")
    dilation = (1,) + conv_utils.normalize_tuple(dilation_rate, 1, "dilation_rate")
    out = separable_conv2d(x, depthwise, pointwise, strides, padding, data_format, dilation)
    return out.squeeze(axis)
