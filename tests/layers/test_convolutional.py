import json
import math
import os

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from golden_cases import check_golden_case, layer_cases, model_case
from layer_test_utils import run_layer_test

import openkeras as ok
from openkeras.layers import convolutional as conv
from openkeras.layers import pooling
from openkeras.layers.core import Dense, Dropout, Flatten
from openkeras.utils import conv_utils
from openkeras.utils.generic_utils import custom_object_scope

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures")
CLASSES = {name: getattr(conv, name) for name in conv.__all__}


@pytest.fixture(autouse=True)
def _registered():
    with custom_object_scope(CLASSES):
        yield


@pytest.mark.parametrize("case", layer_cases("conv").values(), ids=str)
def test_matches_tf_keras_golden(case):
    layer = CLASSES[case.entry["class_name"]].from_config(case.entry["config"])
    check_golden_case(layer, case, rtol=1e-5, atol=1e-5, config_ignore=(), weight_names=True)


@pytest.mark.parametrize("cls, kwargs, input_shape, output_shape, n_weights", [
    (conv.Conv1D, {"filters": 4, "kernel_size": 3}, (2, 9, 3), (None, 7, 4), 2),
    (conv.Conv1D, {"filters": 4, "kernel_size": 3, "padding": "causal", "dilation_rate": 2},
     (2, 9, 3), (None, 9, 4), 2),
    (conv.Conv1D, {"filters": 4, "kernel_size": 4, "strides": 2, "padding": "same"},
     (2, 9, 3), (None, 5, 4), 2),
    (conv.Conv1D, {"filters": 4, "kernel_size": 3, "groups": 2, "data_format": "channels_first"},
     (2, 6, 9), (None, 4, 7), 2),
    (conv.Conv2D, {"filters": 5, "kernel_size": (3, 2), "activation": "relu"}, (2, 6, 7, 3),
     (None, 4, 6, 5), 2),
    (conv.Conv2D, {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same",
                   "use_bias": False}, (2, 7, 8, 3), (None, 4, 4, 4), 1),
    (conv.Conv2D, {"filters": 4, "kernel_size": 3, "dilation_rate": 2,
                   "data_format": "channels_first"}, (2, 3, 8, 8), (None, 4, 4, 4), 2),
    (conv.Conv3D, {"filters": 2, "kernel_size": 2, "strides": (1, 2, 1), "padding": "same"},
     (2, 4, 5, 3, 2), (None, 4, 3, 3, 2), 2),
    (conv.SeparableConv1D, {"filters": 3, "kernel_size": 3, "depth_multiplier": 2,
                            "padding": "causal"}, (2, 7, 4), (None, 7, 3), 3),
    (conv.SeparableConv2D, {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same"},
     (2, 7, 7, 4), (None, 4, 4, 3), 3),
    (conv.DepthwiseConv2D, {"kernel_size": 3, "depth_multiplier": 3}, (2, 6, 6, 2),
     (None, 4, 4, 6), 2),
    (conv.DepthwiseConv1D, {"kernel_size": 2, "padding": "same", "use_bias": False},
     (2, 6, 3), (None, 6, 3), 1),
    (conv.Conv1DTranspose, {"filters": 2, "kernel_size": 3, "strides": 2}, (2, 5, 3),
     (None, 11, 2), 2),
    (conv.Conv2DTranspose, {"filters": 2, "kernel_size": 4, "strides": 2, "padding": "same"},
     (2, 5, 5, 3), (None, 10, 10, 2), 2),
    (conv.Conv2DTranspose, {"filters": 2, "kernel_size": 3, "strides": 3, "output_padding": 1,
                            "data_format": "channels_first"}, (2, 3, 4, 4), (None, 2, 13, 13), 2),
    (conv.Conv3DTranspose, {"filters": 2, "kernel_size": 2, "strides": 2}, (2, 2, 3, 2, 3),
     (None, 4, 6, 4, 2), 2),
    (conv.Cropping1D, {"cropping": (2, 1)}, (2, 8, 3), (None, 5, 3), 0),
    (conv.Cropping2D, {"cropping": 1, "data_format": "channels_first"}, (2, 3, 6, 5),
     (None, 3, 4, 3), 0),
    (conv.Cropping3D, {"cropping": (1, 0, 2)}, (2, 4, 4, 6, 2), (None, 2, 4, 2, 2), 0),
    (conv.UpSampling1D, {"size": 3}, (2, 4, 3), (None, 12, 3), 0),
    (conv.UpSampling2D, {"size": (2, 3), "interpolation": "bilinear"}, (2, 3, 4, 2),
     (None, 6, 12, 2), 0),
    (conv.UpSampling3D, {"size": 2, "data_format": "channels_first"}, (2, 2, 2, 3, 2),
     (None, 2, 4, 6, 4), 0),
    (conv.ZeroPadding1D, {"padding": 2}, (2, 4, 3), (None, 8, 3), 0),
    (conv.ZeroPadding2D, {"padding": ((1, 0), (2, 3))}, (2, 4, 4, 3), (None, 5, 9, 3), 0),
    (conv.ZeroPadding3D, {"padding": 1, "data_format": "channels_first"}, (2, 2, 2, 3, 2),
     (None, 2, 4, 5, 4), 0),
])
def test_run_layer_test(cls, kwargs, input_shape, output_shape, n_weights):
    run_layer_test(cls, kwargs, input_shape=input_shape, expected_output_shape=output_shape,
                   expected_num_weights=n_weights)


def _tf_same_pads(n, k, s, d=1):
    """TensorFlow's SAME padding, written out independently of conv_utils."""
    span = (k - 1) * d + 1
    total = max((math.ceil(n / s) - 1) * s + span - n, 0)
    return total // 2, total - total // 2


def _keras_to_torch(kernel):
    """Keras (*k, in, out) -> torch (out, in, *k)."""
    rank = kernel.ndim - 2
    return torch.from_numpy(np.ascontiguousarray(
        np.transpose(kernel, (rank + 1, rank) + tuple(range(rank)))))


def test_conv2d_matches_torch_nn_conv2d():
    layer = conv.Conv2D(6, (3, 5), strides=(2, 1), dilation_rate=1, groups=2, activation="tanh")
    x = torch.randn(3, 9, 11, 4)
    out = layer(x)
    kernel, bias = layer.get_weights()
    assert kernel.shape == (3, 5, 2, 6) and tuple(layer.kernel.shape) == (6, 2, 3, 5)
    ref = torch.nn.Conv2d(4, 6, (3, 5), stride=(2, 1), groups=2)
    with torch.no_grad():
        ref.weight.copy_(_keras_to_torch(kernel))
        ref.bias.copy_(torch.from_numpy(bias))
        expected = torch.tanh(ref(x.permute(0, 3, 1, 2))).permute(0, 2, 3, 1)
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("n", [5, 6, 7, 8, 9, 10])
@pytest.mark.parametrize("k, s, d", [(2, 1, 1), (4, 2, 1), (3, 2, 1), (2, 3, 1), (5, 3, 1),
                                     (3, 1, 2), (1, 2, 1)])
def test_same_padding_matches_tensorflow_formula(n, k, s, d):
    layer = conv.Conv2D(3, (k, 2), strides=(s, 1), padding="same", dilation_rate=(d, 1))
    x = torch.randn(2, n, 4, 2)
    out = layer(x)
    assert tuple(out.shape) == (2, math.ceil(n / s), 4, 3)
    top, bottom = _tf_same_pads(n, k, s, d)
    left, right = _tf_same_pads(4, 2, 1)
    padded = F.pad(x.permute(0, 3, 1, 2), (left, right, top, bottom))
    kernel, bias = layer.get_weights()
    expected = F.conv2d(padded, _keras_to_torch(kernel), torch.from_numpy(bias), (s, 1),
                        dilation=(d, 1)).permute(0, 2, 3, 1)
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-5)


def test_same_padding_follows_the_input_size_when_it_varies():
    layer = conv.Conv2D(2, 4, strides=3, padding="same")
    y = layer(ok.Input((None, None, 2)))
    assert y.shape == (None, None, None, 2)
    kernel = _keras_to_torch(layer.get_weights()[0])
    for n in (7, 8, 9):
        x = torch.randn(1, n, n, 2)
        b, a = _tf_same_pads(n, 4, 3)
        expected = F.conv2d(F.pad(x.permute(0, 3, 1, 2), (b, a, b, a)), kernel, stride=3)
        torch.testing.assert_close(layer(x), expected.permute(0, 2, 3, 1), rtol=1e-5, atol=1e-5)


def test_conv1d_causal_pads_on_the_left_only():
    layer = conv.Conv1D(2, 3, padding="causal", dilation_rate=2, use_bias=False)
    x = torch.randn(2, 8, 3)
    out = layer(x)
    expected = F.conv1d(F.pad(x.transpose(1, 2), (4, 0)), _keras_to_torch(layer.get_weights()[0]),
                        dilation=2).transpose(1, 2)
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-5)
    x2 = x.clone()
    x2[:, 5:] += 1.0  # the future must not change the past
    torch.testing.assert_close(layer(x2)[:, :5], out[:, :5])


def test_conv3d_matches_torch_nn_conv3d():
    layer = conv.Conv3D(3, (2, 3, 2), data_format="channels_first")
    x = torch.randn(2, 2, 4, 5, 3)
    out = layer(x)
    kernel, bias = layer.get_weights()
    ref = torch.nn.Conv3d(2, 3, (2, 3, 2))
    with torch.no_grad():
        ref.weight.copy_(_keras_to_torch(kernel))
        ref.bias.copy_(torch.from_numpy(bias))
        torch.testing.assert_close(out, ref(x), rtol=1e-5, atol=1e-5)


def test_conv2d_transpose_matches_torch_nn_conv_transpose2d():
    layer = conv.Conv2DTranspose(3, (3, 4), strides=(2, 3), output_padding=(1, 2))
    x = torch.randn(2, 4, 5, 2)
    out = layer(x)
    kernel, bias = layer.get_weights()
    assert kernel.shape == (3, 4, 3, 2)  # Keras: (*kernel, filters, in_channels)
    ref = torch.nn.ConvTranspose2d(2, 3, (3, 4), stride=(2, 3), output_padding=(1, 2))
    with torch.no_grad():
        ref.weight.copy_(torch.from_numpy(np.ascontiguousarray(kernel.transpose(3, 2, 0, 1))))
        ref.bias.copy_(torch.from_numpy(bias))
        expected = ref(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("k, s", [(3, 2), (4, 2), (2, 3), (5, 1), (1, 2)])
def test_conv_transpose_same_is_the_gradient_of_a_same_conv(k, s):
    """TF defines conv_transpose 'same' as the input-gradient of a 'same' convolution."""
    n_in = 4
    deconv = conv.Conv1DTranspose(2, k, strides=s, padding="same", use_bias=False)
    x = torch.randn(1, n_in, 3)
    out = deconv(x)
    assert out.shape[1] == n_in * s
    forward = conv.Conv1D(3, k, strides=s, padding="same", use_bias=False)
    forward(torch.zeros(1, n_in * s, 2))
    forward.set_weights([deconv.get_weights()[0]])  # (k, 2, 3): same array, other meaning
    probe = torch.zeros(1, n_in * s, 2, requires_grad=True)
    (forward(probe) * x).sum().backward()
    torch.testing.assert_close(out, probe.grad, rtol=1e-5, atol=1e-5)


def _depthwise_to_torch(kernel):
    """Keras (*k, in, mult) -> torch (in*mult, 1, *k), output channel c*mult + m."""
    rank = kernel.ndim - 2
    in_ch, mult = kernel.shape[-2:]
    out = np.zeros((in_ch * mult, 1) + kernel.shape[:rank], np.float32)
    for c in range(in_ch):
        for m in range(mult):
            out[c * mult + m, 0] = kernel[..., c, m]
    return torch.from_numpy(out)


def test_depthwise_and_separable_match_grouped_torch_convs():
    x = torch.randn(2, 7, 6, 3)
    xt = x.permute(0, 3, 1, 2)
    dw = conv.DepthwiseConv2D(3, depth_multiplier=2, strides=2)
    out = dw(x)
    kernel, bias = dw.get_weights()
    assert kernel.shape == (3, 3, 3, 2)
    expected = F.conv2d(xt, _depthwise_to_torch(kernel), torch.from_numpy(bias), 2, groups=3)
    torch.testing.assert_close(out, expected.permute(0, 2, 3, 1), rtol=1e-5, atol=1e-5)

    sep = conv.SeparableConv2D(4, 3, depth_multiplier=2, activation="relu")
    out = sep(x)
    depthwise, pointwise, bias = sep.get_weights()
    assert pointwise.shape == (1, 1, 6, 4)
    mid = F.conv2d(xt, _depthwise_to_torch(depthwise), groups=3)
    expected = torch.relu(F.conv2d(mid, _keras_to_torch(pointwise), torch.from_numpy(bias)))
    torch.testing.assert_close(out, expected.permute(0, 2, 3, 1), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("cls, kwargs", [
    (conv.Conv2D, {"filters": 3, "kernel_size": (4, 3), "strides": 2, "padding": "same"}),
    (conv.Conv3D, {"filters": 2, "kernel_size": 2, "padding": "same"}),
    (conv.SeparableConv2D, {"filters": 3, "kernel_size": 2, "depth_multiplier": 2}),
    (conv.DepthwiseConv2D, {"kernel_size": 3, "padding": "same", "strides": 2}),
    (conv.Conv2DTranspose, {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same"}),
    (conv.Conv3DTranspose, {"filters": 2, "kernel_size": 2, "strides": (1, 2, 1)}),
    (conv.Cropping2D, {"cropping": ((1, 2), (0, 1))}),
    (conv.ZeroPadding3D, {"padding": (1, 2, 0)}),
    (conv.UpSampling2D, {"size": (2, 3), "interpolation": "bilinear"}),
    (conv.UpSampling3D, {"size": (1, 2, 3)}),
])
def test_channels_first_equals_channels_last(cls, kwargs):
    rank = 3 if "3D" in cls.__name__ else 2
    x = torch.randn((2,) + (5, 6, 4)[:rank] + (3,))
    last = cls(data_format="channels_last", **kwargs)
    first = cls(data_format="channels_first", **kwargs)
    out_last = last(x)
    to_first = (0, rank + 1) + tuple(range(1, rank + 1))
    first(x.permute(to_first))
    first.set_weights(last.get_weights())
    out_first = first(x.permute(to_first))
    to_last = (0,) + tuple(range(2, rank + 2)) + (1,)
    torch.testing.assert_close(out_first.permute(to_last), out_last, rtol=1e-5, atol=1e-5)


def test_upsampling_and_padding_values():
    x = torch.arange(6, dtype=torch.float32).reshape(1, 2, 3, 1)
    up = conv.UpSampling2D((2, 1))(x)
    torch.testing.assert_close(up[0, :, :, 0], torch.tensor([[0., 1, 2], [0, 1, 2], [3, 4, 5],
                                                             [3, 4, 5]]))
    pad = conv.ZeroPadding2D(((1, 0), (0, 2)))(x)
    assert tuple(pad.shape) == (1, 3, 5, 1) and pad[0, 0].abs().sum() == 0
    torch.testing.assert_close(pad[0, 1:, :3, 0], x[0, :, :, 0])
    crop = conv.Cropping1D((1, 0))(x[:, 0])
    torch.testing.assert_close(crop, x[:, 0, 1:])


def test_wrong_rank_error_names_the_layer():
    with pytest.raises(ValueError) as info:
        conv.Conv2D(4, 3)(ok.Input((28, 28)))
    assert str(info.value) == (
        'Input 0 of layer "conv2d" is incompatible with the layer: expected min_ndim=4, '
        "found ndim=3. Full shape received: (None, 28, 28)")
    with pytest.raises(ValueError, match=r'layer "cropping2d".*expected ndim=4, found ndim=3'):
        conv.Cropping2D(1)(ok.Input((5, 5)))


def test_kernel_larger_than_input_is_an_error():
    with pytest.raises(ValueError, match=r'"conv2d".*<= 0.*\(None, 2, 2, 3\)'):
        conv.Conv2D(4, 3)(ok.Input((2, 2, 3)))
    with pytest.raises(ValueError, match=r'"conv1d".*<= 0'):
        conv.Conv1D(4, 5)(torch.zeros(1, 4, 2))
    with pytest.raises(ValueError, match=r'"cropping1d".*smaller than the input'):
        conv.Cropping1D((2, 2))(ok.Input((4, 1)))
    y = conv.Conv2D(4, 3, padding="same")(ok.Input((2, 2, 3)))
    assert y.shape == (None, 2, 2, 4)


def test_undefined_channels_and_bad_arguments():
    with pytest.raises(ValueError, match=r'"conv2d".*channel dimension.*None'):
        conv.Conv2D(4, 3)(ok.Input((8, 8, None)))
    with pytest.raises(ValueError, match="groups"):
        conv.Conv2D(4, 3, groups=2)(ok.Input((8, 8, 3)))
    with pytest.raises(ValueError, match="filters=-1"):
        conv.Conv2D(-1, 3)
    with pytest.raises(ValueError, match="kernel_size"):
        conv.Conv2D(4, (3, 0))
    with pytest.raises(ValueError, match="padding='causal'"):
        conv.Conv2D(4, 3, padding="causal")
    with pytest.raises(ValueError, match="output padding"):
        conv.Conv2DTranspose(4, 3, strides=2, output_padding=2)
    with pytest.raises(ValueError, match="interpolation='bicubic'"):
        conv.UpSampling2D(interpolation="bicubic")


def test_keras1_arguments_warn_and_translate():
    with pytest.warns(DeprecationWarning, match="nb_filter"):
        layer = conv.Convolution2D(nb_filter=8, nb_row=3, nb_col=2, border_mode="same",
                                   subsample=(2, 2), dim_ordering="th", init="he_normal",
                                   W_regularizer="l2", bias=False)
    assert (layer.filters, layer.kernel_size, layer.strides) == (8, (3, 2), (2, 2))
    assert layer.padding == "same" and layer.data_format == "channels_first"
    assert type(layer.kernel_initializer).__name__ == "HeNormal" and not layer.use_bias
    assert layer.kernel_regularizer is not None
    with pytest.warns(DeprecationWarning, match="filter_length"):
        layer = conv.Convolution1D(nb_filter=4, filter_length=3, subsample_length=2,
                                   input_dim=5, input_length=10)
    model = ok.Sequential([layer])
    assert model.output_shape == (None, 4, 4)
    with pytest.warns(DeprecationWarning, match="kernel_dim1.*kernel_size"):
        layer = conv.Conv3D(nb_filter=2, kernel_dim1=1, kernel_dim2=2, kernel_dim3=3)
    assert layer.kernel_size == (1, 2, 3)


def test_aliases():
    assert conv.Convolution2D is conv.Conv2D and conv.Convolution3D is conv.Conv3D
    assert conv.Convolution2DTranspose is conv.Conv2DTranspose
    assert conv.SeparableConvolution2D is conv.SeparableConv2D


def test_conv_weights_regularizer_sees_keras_layout():
    layer = conv.DepthwiseConv2D(2, depth_multiplier=2, depthwise_regularizer="l1")
    layer(torch.zeros(1, 3, 3, 3))
    (loss,) = layer.losses
    np.testing.assert_allclose(loss.item(), 0.01 * np.abs(layer.get_weights()[0]).sum(), rtol=1e-5)


def _mnist_cnn(second_filters):
    return ok.Sequential([
        conv.Conv2D(32, kernel_size=(3, 3), activation="relu", input_shape=(28, 28, 1)),
        conv.Conv2D(second_filters, (3, 3), activation="relu"),
        pooling.MaxPooling2D(pool_size=(2, 2)),
        Dropout(0.25),
        Flatten(),
        Dense(128, activation="relu"),
        Dropout(0.5),
        Dense(10, activation="softmax"),
    ])


@pytest.mark.parametrize("name, second_filters, total", [("mnist_cnn_keras1", 32, 600_810),
                                                         ("mnist_cnn", 64, 1_199_882)])
def test_mnist_cnn(name, second_filters, total):
    model = _mnist_cnn(second_filters)
    with open(os.path.join(FIXTURES, "configs", f"{name}.meta.json")) as f:
        meta = json.load(f)
    assert [tuple(layer.output_shape) for layer in model.layers] == [
        tuple(s) for s in meta["output_shapes"]]
    assert model.layers[1].output_shape == (None, 24, 24, second_filters)
    assert model.layers[4].output_shape[1] == 12 * 12 * second_filters
    assert model.count_params() == total == meta["total_params"]
    check_golden_case(model, model_case(f"configs/{name}.npz"), rtol=1e-5, atol=1e-5, build=False)


def test_conv_utils_output_lengths():
    assert conv_utils.conv_output_length(28, 3, "valid", 1) == 26
    assert conv_utils.conv_output_length(7, 4, "same", 2) == 4
    assert conv_utils.conv_output_length(None, 3, "valid", 1) is None
    assert conv_utils.deconv_output_length(4, 3, "valid", None, 2) == 9
    assert conv_utils.deconv_output_length(4, 3, "same", 0, 2) == 7
    assert conv_utils.same_padding(7, 4, 2) == (1, 2)
    assert conv_utils.same_padding(8, 3, 1, dilation=2) == (2, 2)
