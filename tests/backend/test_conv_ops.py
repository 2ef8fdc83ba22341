"""The convolution and pooling K functions against numpy loops and openkeras's layers.

Kernels are in Keras layout; 'same' padding is TensorFlow's (the odd padding element goes
after), so the numpy references pad with ``tf_same_pad`` and then run a 'valid' loop.
"""

import math

import numpy as np
import pytest
import torch

import openkeras.backend as K
from openkeras.layers.convolutional import (
    Conv1D,
    Conv2D,
    Conv2DTranspose,
    Conv3D,
    Conv3DTranspose,
    DepthwiseConv2D,
    SeparableConv1D,
    SeparableConv2D,
)
from openkeras.layers.local import LocallyConnected1D, LocallyConnected2D
from openkeras.layers.pooling import AveragePooling3D, MaxPooling3D

RNG = np.random.default_rng(7)


def rand(*shape):
    return RNG.standard_normal(shape).astype("float32")


def close(a, b, tol=1e-4):
    a = a.detach().numpy() if isinstance(a, torch.Tensor) else np.asarray(a)
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def tf_same_pad(x, kernel, strides, dilation):
    """Pad the spatial axes (1..n) of channels_last ``x`` as TensorFlow's 'same'."""
    pads = [(0, 0)]
    for n, k, s, d in zip(x.shape[1:-1], kernel, strides, dilation, strict=True):
        total = max((math.ceil(n / s) - 1) * s + (k - 1) * d + 1 - n, 0)
        pads.append((total // 2, total - total // 2))
    return np.pad(x, pads + [(0, 0)])


def numpy_conv2d(x, k, strides=(1, 1), dilation=(1, 1), padding="valid", groups=False):
    """Conv2d of (b, h, w, c) by (kh, kw, c, out), or depthwise by (kh, kw, c, mult)."""
    if padding == "same":
        x = tf_same_pad(x, k.shape[:2], strides, dilation)
    kh, kw = k.shape[:2]
    oh = (x.shape[1] - (kh - 1) * dilation[0] - 1) // strides[0] + 1
    ow = (x.shape[2] - (kw - 1) * dilation[1] - 1) // strides[1] + 1
    out_c = k.shape[2] * k.shape[3] if groups else k.shape[3]
    out = np.zeros((x.shape[0], oh, ow, out_c))
    for i in range(oh):
        for j in range(ow):
            rows = i * strides[0] + dilation[0] * np.arange(kh)
            cols = j * strides[1] + dilation[1] * np.arange(kw)
            patch = x[:, rows][:, :, cols]  # (b, kh, kw, c)
            if groups:
                out[:, i, j] = np.einsum("bhwc,hwcm->bcm", patch, k).reshape(x.shape[0], -1)
            else:
                out[:, i, j] = np.einsum("bhwc,hwco->bo", patch, k)
    return out


def numpy_conv2d_transpose(x, k, out_hw, strides, padding):
    """Scatter each input pixel times the kernel (kh, kw, out, in), then crop as TF."""
    kh, kw = k.shape[:2]
    full_h, full_w = (x.shape[1] - 1) * strides[0] + kh, (x.shape[2] - 1) * strides[1] + kw
    full = np.zeros((x.shape[0], max(full_h, out_hw[0] + kh), max(full_w, out_hw[1] + kw),
                     k.shape[2]))
    for i in range(x.shape[1]):
        for j in range(x.shape[2]):
            full[:, i * strides[0]:i * strides[0] + kh, j * strides[1]:j * strides[1] + kw] += \
                np.einsum("bc,hwoc->bhwo", x[:, i, j], k)
    before = [0, 0]
    if padding == "same":
        for a in range(2):
            n_in = x.shape[1 + a]
            before[a] = max((n_in - 1) * strides[a] + k.shape[a] - out_hw[a], 0) // 2
    return full[:, before[0]:before[0] + out_hw[0], before[1]:before[1] + out_hw[1]]


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("strides,dilation", [((1, 1), (1, 1)), ((2, 2), (1, 1)),
                                              ((1, 1), (2, 2)), ((2, 1), (1, 1))])
def test_conv2d_matches_numpy_including_asymmetric_same(padding, strides, dilation):
    x, k = rand(2, 7, 8, 3), rand(3, 2, 3, 4)
    close(K.conv2d(x, k, strides, padding, "channels_last", dilation),
          numpy_conv2d(x, k, strides, dilation, padding))
    out = K.conv2d(x.transpose(0, 3, 1, 2), k, strides, padding, "channels_first", dilation)
    close(out.permute(0, 2, 3, 1), numpy_conv2d(x, k, strides, dilation, padding))


def test_conv1d_causal_and_conv3d_match_the_layers():
    x = rand(2, 9, 3)
    layer = Conv1D(4, 3, padding="causal", dilation_rate=2, use_bias=False)
    expected = layer(torch.as_tensor(x))
    (k,) = layer.get_weights()
    close(K.conv1d(x, k, padding="causal", dilation_rate=2), expected.detach().numpy())
    # causal is 'valid' after (k - 1) * dilation zeros on the left
    padded = np.pad(x, ((0, 0), (4, 0), (0, 0)))
    close(K.conv1d(x, k, padding="causal", dilation_rate=2),
          numpy_conv2d(padded[:, :, None], k[:, None], dilation=(2, 1))[:, :, 0])
    x3 = rand(1, 5, 6, 4, 2)
    layer3 = Conv3D(3, (2, 3, 2), strides=(2, 1, 2), padding="same", use_bias=False)
    expected3 = layer3(torch.as_tensor(x3))
    close(K.conv3d(x3, layer3.get_weights()[0], (2, 1, 2), "same"), expected3.detach().numpy())


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("strides", [(1, 1), (2, 2), (3, 2)])
def test_conv2d_transpose_matches_numpy_and_the_layer(padding, strides):
    x, k = rand(2, 4, 5, 3), rand(3, 2, 6, 3)  # kernel (kh, kw, out, in)
    layer = Conv2DTranspose(6, (3, 2), strides=strides, padding=padding, use_bias=False)
    layer(torch.as_tensor(x))  # builds the kernel
    layer.set_weights([k])
    expected = layer(torch.as_tensor(x)).detach().numpy()
    out_shape = (None,) + expected.shape[1:]
    out = K.conv2d_transpose(x, k, out_shape, strides, padding)
    close(out, expected)
    close(out, numpy_conv2d_transpose(x, k, expected.shape[1:3], strides, padding))
    # an output one larger than the minimum (allowed with stride > 1) has zeros where no
    # input window reaches, as TensorFlow's conv2d_transpose (the gradient of conv2d)
    if padding == "valid" and strides[0] > 1:
        taller = (2, expected.shape[1] + 1) + expected.shape[2:]
        out = K.conv2d_transpose(x, k, taller, strides, padding)
        close(out, numpy_conv2d_transpose(x, k, taller[1:3], strides, padding))
        close(out[:, -1], np.zeros((2,) + expected.shape[2:]))


def test_conv3d_transpose_matches_the_layer_channels_first():
    x = rand(1, 2, 3, 4, 3)
    layer = Conv3DTranspose(2, 3, strides=2, padding="same", use_bias=False,
                            data_format="channels_first")
    expected = layer(torch.as_tensor(x)).detach().numpy()
    out = K.conv3d_transpose(x, layer.get_weights()[0], expected.shape, (2, 2, 2), "same",
                             "channels_first")
    close(out, expected)


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_depthwise_and_separable_conv2d_match_numpy_and_layers(padding):
    x, dk, pk = rand(2, 7, 6, 3), rand(3, 3, 3, 2), rand(1, 1, 6, 4)
    depthwise = numpy_conv2d(x, dk, (2, 2), (1, 1), padding, groups=True)
    close(K.depthwise_conv2d(x, dk, (2, 2), padding), depthwise)
    close(K.separable_conv2d(x, dk, pk, (2, 2), padding), depthwise @ pk[0, 0])
    layer = DepthwiseConv2D(3, depth_multiplier=2, padding=padding, dilation_rate=2,
                            use_bias=False)
    layer(torch.as_tensor(x))
    layer.set_weights([dk])
    close(K.depthwise_conv2d(x, dk, padding=padding, dilation_rate=(2, 2)),
          layer(torch.as_tensor(x)).detach().numpy())
    sep = SeparableConv2D(4, 3, depth_multiplier=2, padding=padding, use_bias=False,
                          data_format="channels_first")
    xf = x.transpose(0, 3, 1, 2)
    sep(torch.as_tensor(xf))
    sep.set_weights([dk, pk])
    close(K.separable_conv2d(xf, dk, pk, padding=padding, data_format="channels_first"),
          sep(torch.as_tensor(xf)).detach().numpy())


def test_separable_conv1d_matches_the_layer():
    x = rand(2, 9, 3)
    layer = SeparableConv1D(5, 3, strides=2, padding="same", depth_multiplier=2, use_bias=False)
    expected = layer(torch.as_tensor(x)).detach().numpy()
    dk, pk = layer.get_weights()
    close(K.separable_conv1d(x, dk, pk, 2, "same"), expected)


def numpy_local_conv2d(x, k, kernel_size, strides, out_hw):
    out = np.zeros((x.shape[0], out_hw[0], out_hw[1], k.shape[-1]))
    for i in range(out_hw[0]):
        for j in range(out_hw[1]):
            patch = x[:, i * strides[0]:i * strides[0] + kernel_size[0],
                      j * strides[1]:j * strides[1] + kernel_size[1]].reshape(x.shape[0], -1)
            out[:, i, j] = patch @ k[i * out_hw[1] + j]
    return out


def test_local_conv1d_and_2d_match_numpy_and_the_layers():
    x = rand(2, 8, 3)
    layer = LocallyConnected1D(4, 3, strides=2, use_bias=False)
    expected = layer(torch.as_tensor(x)).detach().numpy()
    (k,) = layer.get_weights()
    assert k.shape == (3, 9, 4)
    out = K.local_conv1d(torch.as_tensor(x), k, (3,), (2,))
    close(out, expected)
    close(out, numpy_local_conv2d(x[:, :, None], k, (3, 1), (2, 1), (3, 1))[:, :, 0])
    x2 = rand(2, 6, 5, 3)
    k2 = rand(2 * 2, 3 * 2 * 3, 4)
    ref = numpy_local_conv2d(x2, k2, (3, 2), (2, 2), (2, 2))
    close(K.local_conv2d(x2, k2, (3, 2), (2, 2), (2, 2), "channels_last"), ref)
    layer2 = LocallyConnected2D(4, (3, 2), strides=(2, 2), use_bias=False)
    layer2(torch.as_tensor(x2))
    layer2.set_weights([k2])
    close(layer2(torch.as_tensor(x2)).detach().numpy(), ref)
    # channels_first: a window's features are ordered (channel, row, col)
    xf = x2.transpose(0, 3, 1, 2)
    kf = k2.reshape(4, 3, 2, 3, 4).transpose(0, 3, 1, 2, 4).reshape(4, 18, 4)
    close(K.local_conv2d(xf, kf, (3, 2), (2, 2), (2, 2), "channels_first"),
          ref.transpose(0, 3, 1, 2))


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_pool3d_matches_the_pooling_layers(padding):
    x = rand(2, 5, 4, 6, 2)
    for mode, layer_cls in (("max", MaxPooling3D), ("avg", AveragePooling3D)):
        expected = layer_cls((2, 3, 2), strides=(2, 2, 3), padding=padding)(torch.as_tensor(x))
        close(K.pool3d(x, (2, 3, 2), (2, 2, 3), padding, pool_mode=mode),
              expected.detach().numpy())


def test_conv2d_layer_with_bias_equals_conv2d_plus_bias_add():
    x = rand(2, 6, 6, 3)
    layer = Conv2D(4, 3, strides=2, padding="same", bias_initializer="glorot_uniform",
                   data_format="channels_first")
    xf = x.transpose(0, 3, 1, 2)
    expected = layer(torch.as_tensor(xf)).detach().numpy()
    k, b = layer.get_weights()
    out = K.bias_add(K.conv2d(xf, k, (2, 2), "same", "channels_first"), b, "channels_first")
    close(out, expected)


def test_conv2d_transpose_rejects_an_output_shape_that_does_not_fit():
    x, k = rand(1, 4, 4, 3), rand(3, 3, 2, 3)
    with pytest.raises(ValueError, match="output_shape"):
        K.conv2d_transpose(x, k, (1, 20, 9, 2), (2, 2), "valid")
    with pytest.raises(ValueError, match="output_shape"):
        K.conv2d_transpose(x, k, (1, 8, 2), (2, 2), "same")


def test_local_conv_rejects_a_kernel_that_does_not_fit_the_input():
    with pytest.raises(ValueError, match="local_conv1d.*kernel of shape"):
        K.local_conv1d(rand(2, 8, 3), rand(3, 8, 4), 3, 2)
    with pytest.raises(ValueError, match="local_conv2d.*kernel of shape"):
        K.local_conv2d(rand(2, 6, 5, 3), rand(5, 18, 4), (3, 2), (2, 2), (2, 2))


def test_local_conv1d_on_a_model_input_builds_a_graph_node():
    from openkeras.layers import Input
    from openkeras.models import Model

    x, k = rand(2, 8, 3), rand(3, 9, 4)
    inp = Input((8, 3))
    out = K.local_conv1d(inp, K.variable(k), 3, 2)
    assert K.int_shape(out) == (None, 3, 4)
    close(Model(inp, out).predict(x), K.local_conv1d(x, k, 3, 2).numpy())
