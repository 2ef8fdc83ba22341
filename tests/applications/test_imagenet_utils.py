"""Shared application helpers: preprocessing, decoding, input checks, weight files, imports."""

import os
import urllib.error
import urllib.request

import numpy as np
import pytest
import torch

import openkeras.applications as applications
from openkeras import config
from openkeras.applications import imagenet_utils, weights
from openkeras.engine.input_layer import Input
from openkeras.layers import Activation
from openkeras.utils.data_utils import DownloadError

_CAFFE_BGR_MEAN = np.array([103.939, 116.779, 123.68], dtype=np.float32)


def _images(shape, seed=0):
    return np.random.default_rng(seed).uniform(0, 255, size=shape).astype(np.float32)


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """An empty cache folder and no network."""
    monkeypatch.setenv("OPENKERAS_HOME", str(tmp_path))

    def refuse(*args, **kwargs):
        raise urllib.error.URLError("network is unreachable")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    return tmp_path


# ------------------------------------------------------------------ preprocess_input
@pytest.mark.parametrize("shape", [(2, 5, 4, 3), (5, 4, 3)])
def test_preprocess_caffe_channels_last(shape):
    x = _images(shape)
    expected = x[..., ::-1] - _CAFFE_BGR_MEAN
    out = imagenet_utils.preprocess_input(x.copy(), data_format="channels_last", mode="caffe")
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-4)


@pytest.mark.parametrize("shape", [(2, 3, 5, 4), (3, 5, 4)])
def test_preprocess_caffe_channels_first(shape):
    x = _images(shape)
    axis = 0 if x.ndim == 3 else 1
    mean = _CAFFE_BGR_MEAN.reshape((3, 1, 1))
    expected = np.flip(x, axis=axis) - mean
    out = imagenet_utils.preprocess_input(x.copy(), data_format="channels_first", mode="caffe")
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-4)


def test_preprocess_tf_and_torch_modes():
    x = _images((2, 4, 4, 3))
    np.testing.assert_allclose(imagenet_utils.preprocess_input(x.copy(), mode="tf"),
                               x / 127.5 - 1.0, rtol=1e-6, atol=1e-6)
    mean = np.array([0.485, 0.456, 0.406], dtype=np.float32)
    std = np.array([0.229, 0.224, 0.225], dtype=np.float32)
    np.testing.assert_allclose(imagenet_utils.preprocess_input(x.copy(), mode="torch"),
                               (x / 255.0 - mean) / std, rtol=1e-5, atol=1e-5)
    x_cf = _images((2, 3, 4, 4))
    np.testing.assert_allclose(
        imagenet_utils.preprocess_input(x_cf.copy(), data_format="channels_first", mode="torch"),
        (x_cf / 255.0 - mean.reshape(3, 1, 1)) / std.reshape(3, 1, 1), rtol=1e-5, atol=1e-5)


def test_preprocess_float_array_in_place_and_ints_converted():
    x = _images((1, 2, 2, 3))
    out = imagenet_utils.preprocess_input(x, mode="tf")
    assert out is x  # Keras writes over float inputs
    ints = np.full((1, 2, 2, 3), 255, dtype=np.uint8)
    out = imagenet_utils.preprocess_input(ints, mode="tf")
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, np.ones((1, 2, 2, 3)), atol=1e-6)


@pytest.mark.parametrize("mode", ["caffe", "tf", "torch"])
@pytest.mark.parametrize("data_format, shape", [("channels_last", (2, 4, 5, 3)),
                                                 ("channels_first", (2, 3, 4, 5)),
                                                 ("channels_first", (3, 4, 5))])
def test_preprocess_torch_tensor_matches_numpy(mode, data_format, shape):
    x = _images(shape, seed=3)
    expected = imagenet_utils.preprocess_input(x.copy(), data_format=data_format, mode=mode)
    tensor = torch.tensor(x)
    out = imagenet_utils.preprocess_input(tensor, data_format=data_format, mode=mode)
    assert isinstance(out, torch.Tensor)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6, atol=1e-4)
    np.testing.assert_array_equal(tensor.numpy(), x)  # tensors are not modified in place


def test_preprocess_uses_global_data_format(monkeypatch):
    monkeypatch.setattr(config, "_IMAGE_DATA_FORMAT", "channels_first")
    x = _images((1, 3, 2, 2))
    out = imagenet_utils.preprocess_input(x.copy())
    np.testing.assert_allclose(out[0, 0], x[0, 2] - 103.939, atol=1e-4)


def test_preprocess_rejects_bad_arguments():
    with pytest.raises(ValueError, match="Expected mode to be one of `caffe`, `tf` or `torch`. "
                                         "Received: mode=keras"):
        imagenet_utils.preprocess_input(_images((1, 2, 2, 3)), mode="keras")
    with pytest.raises(ValueError, match="Received: data_format=nhwc"):
        imagenet_utils.preprocess_input(_images((1, 2, 2, 3)), data_format="nhwc")


# --------------------------------------------------------------- decode_predictions
def test_decode_predictions_top_k(monkeypatch):
    index = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX", index)
    preds = np.random.default_rng(0).uniform(size=(2, 1000)).astype(np.float32)
    preds[0, 7], preds[0, 3] = 5.0, 4.0
    result = imagenet_utils.decode_predictions(preds, top=3)
    assert len(result) == 2 and all(len(r) == 3 for r in result)
    assert result[0][0] == ("n00000007", "class_7", np.float32(5.0))
    assert result[0][1][:2] == ("n00000003", "class_3")
    for row, pred in zip(result, preds, strict=True):
        scores = [score for _, _, score in row]
        np.testing.assert_allclose(scores, np.sort(pred)[::-1][:3])
    torch_result = imagenet_utils.decode_predictions(torch.tensor(preds), top=3)
    assert [r[:2] for r in torch_result[1]] == [r[:2] for r in result[1]]


def test_decode_predictions_rejects_wrong_shape():
    with pytest.raises(ValueError, match=r"Found array with shape: \(2, 10\)"):
        imagenet_utils.decode_predictions(np.zeros((2, 10)))


def test_decode_predictions_offline_names_the_index_file(offline, monkeypatch):
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX", None)
    with pytest.raises(DownloadError) as info:
        imagenet_utils.decode_predictions(np.zeros((1, 1000)))
    message = str(info.value)
    assert imagenet_utils.CLASS_INDEX_PATH in message
    assert os.path.join(str(offline), "models", "imagenet_class_index.json") in message


# --------------------------------------------------------------- obtain_input_shape
def test_obtain_input_shape_defaults():
    shape = imagenet_utils.obtain_input_shape
    assert shape(None, 224, 32, "channels_last", True) == (224, 224, 3)
    assert shape(None, 224, 32, "channels_first", True) == (3, 224, 224)
    assert shape(None, 224, 32, "channels_last", False) == (None, None, 3)
    assert shape(None, 299, 75, "channels_first", False) == (3, None, None)
    assert shape((100, 120, 3), 224, 32, "channels_last", False, "imagenet") == (100, 120, 3)
    assert shape((224, 224, 3), 224, 32, "channels_last", True, "imagenet") == (224, 224, 3)


def test_obtain_input_shape_errors():
    shape = imagenet_utils.obtain_input_shape
    with pytest.raises(ValueError, match=r"`input_shape` should be \(224, 224, 3\).  Received: "
                                         r"input_shape=\(100, 100, 3\)"):
        shape((100, 100, 3), 224, 32, "channels_last", True, "imagenet")
    with pytest.raises(ValueError, match=r"Input size must be at least 32x32; Received: "
                                         r"input_shape=\(31, 40, 3\)"):
        shape((31, 40, 3), 224, 32, "channels_last", False)
    with pytest.raises(ValueError, match="Input size must be at least 75x75"):
        shape((3, 80, 74), 299, 75, "channels_first", False)
    with pytest.raises(ValueError, match=r"The input must have 3 channels; Received "
                                         r"`input_shape=\(64, 64, 1\)`"):
        shape((64, 64, 1), 224, 32, "channels_last", False, "imagenet")
    with pytest.raises(ValueError, match="`input_shape` must be a tuple of three integers."):
        shape((64, 64), 224, 32, "channels_last", False)
    with pytest.raises(ValueError, match=r"you should specify a static `input_shape`. Received: "
                                         r"input_shape=\(None, 64, 3\)"):
        shape((None, 64, 3), 224, 32, "channels_last", True)


def test_obtain_input_shape_warns_about_unusual_channels():
    with pytest.warns(UserWarning, match="passed an input_shape with 5 input channels"):
        out = imagenet_utils.obtain_input_shape((64, 64, 5), 224, 32, "channels_last", False)
    assert out == (64, 64, 5)


# ------------------------------------------------------------ other shared checks
def test_correct_pad():
    assert imagenet_utils.correct_pad(Input((32, 32, 8)), 3) == ((0, 1), (0, 1))
    assert imagenet_utils.correct_pad(Input((33, 32, 8)), 3) == ((1, 1), (0, 1))
    assert imagenet_utils.correct_pad(Input((None, None, 8)), (5, 3)) == ((1, 2), (0, 1))


def test_validate_activation():
    imagenet_utils.validate_activation("relu", None)
    imagenet_utils.validate_activation("softmax", "imagenet")
    imagenet_utils.validate_activation(None, "imagenet")
    with pytest.raises(ValueError, match="Only `None` and `softmax` activations are allowed"):
        imagenet_utils.validate_activation("sigmoid", "imagenet")


def test_validate_weights_and_classes(tmp_path):
    imagenet_utils.validate_weights_and_classes(None, True, 10)
    existing = tmp_path / "w.h5"
    existing.write_bytes(b"")
    imagenet_utils.validate_weights_and_classes(str(existing), True, 10)
    with pytest.raises(ValueError, match="Received: weights=no/such/file.h5"):
        imagenet_utils.validate_weights_and_classes("no/such/file.h5", True, 1000)
    with pytest.raises(ValueError, match="`classes` should be 1000.  Received `classes=10`"):
        imagenet_utils.validate_weights_and_classes("imagenet", True, 10)
    imagenet_utils.validate_weights_and_classes("imagenet", False, 10)


def test_input_tensor_helpers():
    source = Input((8, 8, 3))
    derived = Activation("linear")(source)
    assert imagenet_utils.image_input(derived, (8, 8, 3)) is derived
    assert imagenet_utils.source_inputs(derived, derived) is source
    fresh = imagenet_utils.image_input(None, (5, 6, 3))
    assert fresh.shape == (None, 5, 6, 3)
    assert imagenet_utils.source_inputs(None, fresh) is fresh
    with pytest.raises(ValueError, match="`input_tensor` must be a Keras tensor"):
        imagenet_utils.image_input(torch.zeros(1, 8, 8, 3), (8, 8, 3))


# -------------------------------------------------------------------- weight files
@pytest.mark.parametrize("name, include_top, fname, url_end, file_hash", [
    ("vgg16", True, "vgg16_weights_tf_dim_ordering_tf_kernels.h5",
     "vgg16/vgg16_weights_tf_dim_ordering_tf_kernels.h5", "64373286793e3c8b2b4e3219cbf3544b"),
    ("vgg19", False, "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
     "vgg19/vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
     "253f8cb515780f3b799900260a226db6"),
    ("resnet50", True, "resnet50_weights_tf_dim_ordering_tf_kernels.h5",
     "resnet/resnet50_weights_tf_dim_ordering_tf_kernels.h5", "2cb95161c43110f7111970584f804107"),
    ("nasnet_mobile", False, "nasnet_mobile_no_top.h5", "nasnet/NASNet-mobile-no-top.h5",
     "1ed92395b5b598bdda52abe5c0dbfd63"),
    ("densenet201", True, "densenet201_weights_tf_dim_ordering_tf_kernels.h5",
     "densenet/densenet201_weights_tf_dim_ordering_tf_kernels.h5",
     "1ceb130c1ea1b78c3bf6114dbdfd8807"),
])
def test_weights_file_table(name, include_top, fname, url_end, file_hash):
    got = weights.weights_file(name, include_top)
    assert got == (fname, "https://storage.googleapis.com/tensorflow/keras-applications/" + url_end,
                   file_hash)


def test_weights_file_mobilenets():
    base = "https://storage.googleapis.com/tensorflow/keras-applications/"
    assert weights.weights_file("mobilenet", False, alpha=0.5, rows=160) == (
        "mobilenet_5_0_160_tf_no_top.h5", base + "mobilenet/mobilenet_5_0_160_tf_no_top.h5", None)
    assert weights.weights_file("mobilenet_v2", True, alpha=1.4, rows=224)[0] == (
        "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.4_224.h5")
    assert weights.weights_file("mobilenet_v2", False, alpha=1, rows=96)[0] == (
        "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_96_no_top.h5")
    with pytest.raises(ValueError, match="No published ImageNet weights are known for 'alexnet'"):
        weights.weights_file("alexnet", True)


def test_load_imagenet_weights_offline_error(offline):
    with pytest.raises(DownloadError) as info:
        weights.load_imagenet_weights(None, "xception", include_top=False)
    message = str(info.value)
    target = os.path.join(str(offline), "models",
                          "xception_weights_tf_dim_ordering_tf_kernels_notop.h5")
    assert target in message
    assert "b0042744bf5b25fce3cb969f33bebb97" in message
    assert "keras-applications/xception/" in message


# ------------------------------------------------------------------ package imports
def test_package_exports_resolve_lazily():
    from openkeras.applications import mobilenet, resnet50, vgg16

    assert applications.VGG16 is vgg16.VGG16
    assert applications.ResNet50 is resnet50.ResNet50
    assert applications.MobileNet is mobilenet.MobileNet
    assert applications.imagenet_utils is imagenet_utils
    assert "MobileNetV2" in dir(applications) and "NASNetLarge" in applications.__all__
    with pytest.raises(AttributeError, match="has no attribute 'AlexNet'"):
        applications.AlexNet  # noqa: B018
