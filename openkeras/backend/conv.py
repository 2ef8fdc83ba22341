"""Transposed, separable, depthwise and locally-connected convolutions of Keras 2.2.4's backend.

Kernels are in Keras layout: a transposed kernel is (*kernel_size, out, in), a depthwise kernel
(*kernel_size, in, depth_multiplier), a pointwise kernel (1, ..., in * depth_multiplier, out)
and a locally-connected kernel (output positions, window size * in, filters). 'same' padding
is TensorFlow's (the odd element goes after).
"""

import math

import torch
import torch.nn.functional as F

from openkeras import config
from openkeras.backend.common import to_tensor
from openkeras.backend.nn import _channels_first, _restore, _same_pad
from openkeras.utils import conv_utils

_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_CONV_T = {2: F.conv_transpose2d, 3: F.conv_transpose3d}


def _check_rank(op, rank, **tensors):
    for name, t in tensors.items():
        if t.dim() != rank + 2:
            raise ValueError(f"K.{op} expects `{name}` of rank {rank + 2}. Received: {name} of "
                             f"shape {tuple(t.shape)}")


def _grouped_conv(x, weight, strides, padding, dilation, groups):
    """A channels-first torch convolution with TF 'same'/'valid'/'causal' padding."""
    rank = weight.dim() - 2
    pad = (0,) * rank
    if padding == "causal":
        x = F.pad(x, [dilation[0] * (weight.shape[2] - 1), 0])
    elif padding == "same":
        x, pad = _same_pad(x, tuple(weight.shape[2:]), strides, dilation)
    return _CONV[rank](x, weight, None, strides, pad, dilation, groups)


def _depthwise_weight(depthwise_kernel, rank):
    """(*k, in, multiplier) -> torch's grouped (in * multiplier, 1, *k), TF's channel order."""
    k = depthwise_kernel
    return k.permute((rank, rank + 1) + tuple(range(rank))).reshape(
        (k.shape[rank] * k.shape[rank + 1], 1) + tuple(k.shape[:rank]))


def _depthwise(op, rank, x, depthwise_kernel, strides, padding, data_format, dilation_rate,
               allowed=("valid", "same")):
    data_format = config.normalize_data_format(data_format)
    padding = conv_utils.normalize_padding(padding, allowed)
    strides = conv_utils.normalize_tuple(strides, rank, "strides")
    dilation = conv_utils.normalize_tuple(dilation_rate, rank, "dilation_rate")
    x = to_tensor(x, op)
    depthwise_kernel = to_tensor(depthwise_kernel, op, like=x)
    _check_rank(op, rank, x=x, depthwise_kernel=depthwise_kernel)
    x = _channels_first(x, data_format)
    if x.shape[1] != depthwise_kernel.shape[rank]:
        raise ValueError(f"K.{op}: the input has {x.shape[1]} channels but the depthwise kernel "
                         f"expects {depthwise_kernel.shape[rank]}. Received: depthwise_kernel of "
                         f"shape {tuple(depthwise_kernel.shape)}")
    weight = _depthwise_weight(depthwise_kernel, rank)
    return _grouped_conv(x, weight, strides, padding, dilation, x.shape[1]), data_format


def depthwise_conv2d(x, depthwise_kernel, strides=(1, 1), padding="valid", data_format=None,
                     dilation_rate=(1, 1)):
    """2-D depthwise convolution: each input channel convolved with its own filters.

    Args:
        x: 4-D input in ``data_format``.
        depthwise_kernel: (kh, kw, in, depth_multiplier).
        strides: int or pair.
        padding: 'valid' or 'same'.
        data_format: 'channels_last' or 'channels_first' (default: image_data_format()).
        dilation_rate: int or pair.
    """
    out, data_format = _depthwise("depthwise_conv2d", 2, x, depthwise_kernel, strides, padding,
                                  data_format, dilation_rate)
    return _restore(out, data_format)


def _separable(op, rank, x, depthwise_kernel, pointwise_kernel, strides, padding, data_format,
               dilation_rate):
    out, data_format = _depthwise(op, rank, x, depthwise_kernel, strides, padding, data_format,
                                  dilation_rate)
    pointwise_kernel = to_tensor(pointwise_kernel, op, like=out)
    _check_rank(op, rank, pointwise_kernel=pointwise_kernel)
    pointwise = pointwise_kernel.reshape(pointwise_kernel.shape[-2:]).t()
    pointwise = pointwise.reshape(tuple(pointwise.shape) + (1,) * rank)
    return _restore(_CONV[rank](out, pointwise), data_format)


def separable_conv1d(x, depthwise_kernel, pointwise_kernel, strides=1, padding="valid",
                     data_format=None, dilation_rate=1):
    """1-D separable convolution: a depthwise convolution followed by a pointwise one.

    Args:
        x: 3-D input in ``data_format``.
        depthwise_kernel: (k, in, depth_multiplier).
        pointwise_kernel: (1, in * depth_multiplier, out).
        strides: int.
        padding: 'valid' or 'same'.
        data_format: 'channels_last' or 'channels_first' (default: image_data_format()).
        dilation_rate: int.
    """
    return _separable("separable_conv1d", 1, x, depthwise_kernel, pointwise_kernel, strides,
                      padding, data_format, dilation_rate)


def separable_conv2d(x, depthwise_kernel, pointwise_kernel, strides=(1, 1), padding="valid",
                     data_format=None, dilation_rate=(1, 1)):
    """2-D separable convolution: a depthwise convolution followed by a pointwise one.

    Args:
        x: 4-D input in ``data_format``.
        depthwise_kernel: (kh, kw, in, depth_multiplier).
        pointwise_kernel: (1, 1, in * depth_multiplier, out).
        strides: int or pair.
        padding: 'valid' or 'same'.
        data_format: 'channels_last' or 'channels_first' (default: image_data_format()).
        dilation_rate: int or pair.
    """
    return _separable("separable_conv2d", 2, x, depthwise_kernel, pointwise_kernel, strides,
                      padding, data_format, dilation_rate)


def _conv_transpose(op, rank, x, kernel, output_shape, strides, padding, data_format,
                    dilation_rate):
    """The gradient of a convolution with ``output_shape``'s size (TF's conv_transpose)."""
    data_format = config.normalize_data_format(data_format)
    padding = conv_utils.normalize_padding(padding)
    strides = conv_utils.normalize_tuple(strides, rank, "strides")
    dilation = conv_utils.normalize_tuple(dilation_rate, rank, "dilation_rate")
    x = to_tensor(x, op)
    kernel = to_tensor(kernel, op, like=x)
    _check_rank(op, rank, x=x, kernel=kernel)
    output_shape = tuple(None if d is None else int(d) for d in output_shape)
    if len(output_shape) != rank + 2:
        raise ValueError(f"K.{op} expects `output_shape` of length {rank + 2}. Received: "
                         f"output_shape={output_shape}")
    spatial = output_shape[1:-1] if data_format == "channels_last" else output_shape[2:]
    x = _channels_first(x, data_format)
    # (*k, out, in) -> torch's (in, out, *k)
    weight = kernel.permute((rank + 1, rank) + tuple(range(rank)))
    full = _CONV_T[rank](x, weight, None, strides, 0, 0, 1, dilation)
    index = [slice(None), slice(None)]
    pads = []
    for n, size, k, s, d in zip(x.shape[2:], spatial, kernel.shape[:rank], strides, dilation,
                                strict=True):
        span = conv_utils.dilated_size(k, d)
        expected = math.ceil(size / s) if padding == "same" else math.ceil((size - span + 1) / s)
        if expected != n:
            raise ValueError(f"K.{op}: output_shape {output_shape} does not fit an input of "
                             f"spatial shape {tuple(x.shape[2:])} with padding={padding!r} and "
                             f"strides={strides}.")
        before = conv_utils.same_padding(size, k, s, d)[0] if padding == "same" else 0
        index.append(slice(before, before + size))
        pads.append(max(before + size - (n - 1) * s - span, 0))
    out = full[tuple(index)]
    if any(pads):  # output positions no input window reaches are zeros
        flat = []
        for p in reversed(pads):
            flat += [0, p]
        out = F.pad(out, flat)
    return _restore(out, data_format)


def conv2d_transpose(x, kernel, output_shape, strides=(1, 1), padding="valid", data_format=None,
                     dilation_rate=(1, 1)):
    """2-D transposed convolution (the gradient of conv2d) to ``output_shape``.

    Args:
        x: 4-D input in ``data_format``.
        kernel: (kh, kw, out, in).
        output_shape: the full output shape in ``data_format`` (the batch entry may be None).
        strides: int or pair.
        padding: 'valid' or 'same'.
        data_format: 'channels_last' or 'channels_first' (default: image_data_format()).
        dilation_rate: int or pair.
    """
    return _conv_transpose("conv2d_transpose", 2, x, kernel, output_shape, strides, padding,
                           data_format, dilation_rate)


def conv3d_transpose(x, kernel, output_shape, strides=(1, 1, 1), padding="valid",
                     data_format=None):
    """3-D transposed convolution (the gradient of conv3d) to ``output_shape``.

    Args:
        x: 5-D input in ``data_format``.
        kernel: (kd, kh, kw, out, in).
        output_shape: the full output shape in ``data_format`` (the batch entry may be None).
        strides: int or triple.
        padding: 'valid' or 'same'.
        data_format: 'channels_last' or 'channels_first' (default: image_data_format()).
    """
    return _conv_transpose("conv3d_transpose", 3, x, kernel, output_shape, strides, padding,
                           data_format, 1)


def local_conv1d(inputs, kernel, kernel_size, strides, data_format=None):
    """1-D convolution with unshared weights: one kernel per output step.

    Args:
        inputs: (batch, steps, in).
        kernel: (output_length, kernel_size * in, filters); a window's features are ordered
            (step, channel).
        kernel_size: a 1-tuple.
        strides: a 1-tuple.
        data_format: accepted for compatibility; the input is always channels_last, as Keras.
    """
    config.normalize_data_format(data_format)
    inputs = to_tensor(inputs, "local_conv1d")
    kernel = to_tensor(kernel, "local_conv1d", like=inputs)
    (k,), (s,) = tuple(kernel_size), tuple(strides)
    steps = kernel.shape[0]
    windows = inputs.unfold(1, k, s)[:, :steps]  # (batch, steps, in, k)
    windows = windows.transpose(2, 3).reshape(inputs.shape[0], steps, -1)
    return torch.einsum("bof,ofn->bon", windows, kernel)


def local_conv2d(inputs, kernel, kernel_size, strides, output_shape, data_format=None):
    """2-D convolution with unshared weights: one kernel per output position.

    Args:
        inputs: 4-D input in ``data_format``.
        kernel: (rows * cols, kh * kw * in, filters); a window's features are ordered
            (row, col, channel) for channels_last and (channel, row, col) for channels_first.
        kernel_size: a pair.
        strides: a pair.
        output_shape: (rows, cols) of the output.
        data_format: 'channels_last' or 'channels_first' (default: image_data_format()).
    """
    data_format = config.normalize_data_format(data_format)
    inputs = to_tensor(inputs, "local_conv2d")
    kernel = to_tensor(kernel, "local_conv2d", like=inputs)
    (kh, kw), (sh, sw) = tuple(kernel_size), tuple(strides)
    rows, cols = (int(d) for d in output_shape)
    x = _channels_first(inputs, data_format)
    windows = x.unfold(2, kh, sh).unfold(3, kw, sw)[:, :, :rows, :cols]  # (b, c, r, q, kh, kw)
    if data_format == "channels_last":
        windows = windows.permute(0, 2, 3, 4, 5, 1)
    else:
        windows = windows.permute(0, 2, 3, 1, 4, 5)
    windows = windows.reshape(x.shape[0], rows * cols, -1)
    out = torch.einsum("bof,ofn->bon", windows, kernel).reshape(x.shape[0], rows, cols, -1)
    return out if data_format == "channels_last" else out.permute(0, 3, 1, 2)
