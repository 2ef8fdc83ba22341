"""Locally-connected convolutions of Keras 2.2.4's backend: one kernel per output position.

A kernel is (output positions, window size * in, filters), as the LocallyConnected layers
hold it.
"""

import torch

from openkeras import config
from openkeras.backend.common import to_tensor
from openkeras.backend.nn import _channels_first
from openkeras.utils import conv_utils


def _check(windows, kernel, op):
    """The windows of the input, (batch, positions, features), must fit the kernel."""
    if kernel.dim() != 3 or tuple(windows.shape[1:]) != tuple(kernel.shape[:2]):
        raise ValueError(f"K.{op}: the input gives {windows.shape[1]} windows of "
                         f"{windows.shape[2]} features but the kernel expects (positions, "
                         f"features, filters). Received: kernel of shape {tuple(kernel.shape)}")


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
    k = conv_utils.normalize_tuple(kernel_size, 1, "kernel_size")[0]
    s = conv_utils.normalize_tuple(strides, 1, "strides")[0]
    steps = kernel.shape[0]
    windows = inputs.unfold(1, k, s)[:, :steps]  # (batch, steps, in, k)
    windows = windows.transpose(2, 3).reshape(inputs.shape[0], windows.shape[1], -1)
    _check(windows, kernel, "local_conv1d")
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
    kh, kw = conv_utils.normalize_tuple(kernel_size, 2, "kernel_size")
    sh, sw = conv_utils.normalize_tuple(strides, 2, "strides")
    rows, cols = conv_utils.normalize_tuple(output_shape, 2, "output_shape")
    x = _channels_first(inputs, data_format)
    windows = x.unfold(2, kh, sh).unfold(3, kw, sw)[:, :, :rows, :cols]  # (b, c, r, q, kh, kw)
    if data_format == "channels_last":
        windows = windows.permute(0, 2, 3, 4, 5, 1)
    else:
        windows = windows.permute(0, 2, 3, 1, 4, 5)
    windows = windows.reshape(x.shape[0], windows.shape[1] * windows.shape[2], -1)
    _check(windows, kernel, "local_conv2d")
    out = torch.einsum("bof,ofn->bon", windows, kernel).reshape(x.shape[0], rows, cols, -1)
    return out if data_format == "channels_last" else out.permute(0, 3, 1, 2)
