"""VGG16 and VGG19: Keras 2's architecture, argument checks and weight loading."""

import os
import urllib.error
import urllib.request

import numpy as np
import pytest
import torch

from openkeras.applications import vgg16, vgg19
from openkeras.applications.vgg16 import VGG16
from openkeras.applications.vgg19 import VGG19
from openkeras.engine.input_layer import Input
from openkeras.layers import Activation
from openkeras.utils.data_utils import DownloadError


@pytest.mark.parametrize("fn, params, n_layers, block_convs", [
    (VGG16, 138_357_544, 23, (2, 2, 3, 3, 3)),
    (VGG19, 143_667_240, 26, (2, 2, 4, 4, 4)),
])
def test_vgg_matches_keras_architecture(fn, params, n_layers, block_convs):
    with torch.device("meta"):
        model = fn(weights=None)
    assert model.name == fn.__name__.lower()
    assert model.count_params() == params
    assert len(model.layers) == n_layers
    expected = []
    for block, convs in enumerate(block_convs, start=1):
        expected += [f"block{block}_conv{i}" for i in range(1, convs + 1)]
        expected.append(f"block{block}_pool")
    expected += ["flatten", "fc1", "fc2", "predictions"]
    assert [layer.name for layer in model.layers[1:]] == expected
    assert model.input_shape == (None, 224, 224, 3)
    assert model.get_layer("block5_pool").output_shape == (None, 7, 7, 512)
    assert model.get_layer("fc1").count_params() == 25088 * 4096 + 4096
    assert model.output_shape == (None, 1000)
    assert model.get_layer("predictions").get_config()["activation"] == "softmax"


@pytest.mark.parametrize("pooling, output_shape", [(None, (None, 2, 3, 512)),
                                                   ("avg", (None, 512)), ("max", (None, 512))])
def test_vgg16_feature_extractor(pooling, output_shape):
    with torch.device("meta"):
        model = VGG16(include_top=False, weights=None, input_shape=(64, 96, 3), pooling=pooling)
    assert model.count_params() == 14_714_688
    assert model.output_shape == output_shape


def test_vgg19_custom_classes_and_logits():
    with torch.device("meta"):
        model = VGG19(weights=None, classes=7, classifier_activation=None)
    assert model.output_shape == (None, 7)
    assert model.get_layer("predictions").get_config()["activation"] == "linear"


def test_vgg16_forward_matches_a_torch_reference():
    model = VGG16(include_top=False, weights=None, input_shape=(32, 32, 3), pooling="max")
    x = np.random.default_rng(0).uniform(-1, 1, size=(2, 32, 32, 3)).astype(np.float32)
    h = torch.tensor(x).permute(0, 3, 1, 2)
    for layer in model.layers[1:-1]:
        if layer.name.endswith("pool"):
            h = torch.nn.functional.max_pool2d(h, 2)
            continue
        kernel, bias = (torch.tensor(w) for w in layer.get_weights())
        h = torch.relu(torch.nn.functional.conv2d(h, kernel.permute(3, 2, 0, 1), bias, padding=1))
    expected = h.amax(dim=(2, 3)).numpy()
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-5, atol=1e-5)


def test_vgg16_input_tensor_from_another_layer():
    source = Input((32, 32, 3))
    tensor = Activation("linear", name="prep")(source)
    with torch.device("meta"):
        model = VGG16(include_top=False, weights=None, input_tensor=tensor)
    assert model.inputs == [source]
    assert [layer.name for layer in model.layers[:3]] == [source._keras_history[0].name, "prep",
                                                          "block1_conv1"]


def test_vgg_argument_errors(tmp_path):
    with pytest.raises(ValueError, match="`classes` should be 1000.  Received `classes=10`"):
        VGG16(weights="imagenet", classes=10)
    with pytest.raises(ValueError, match="The `weights` argument should be either"):
        VGG19(weights=str(tmp_path / "missing.h5"))
    with pytest.raises(ValueError, match="Input size must be at least 32x32"):
        VGG16(include_top=False, weights=None, input_shape=(16, 16, 3))
    with pytest.raises(ValueError, match=r"`input_shape` should be \(224, 224, 3\)"):
        VGG16(weights="imagenet", input_shape=(64, 64, 3))
    with pytest.raises(ValueError, match="Only `None` and `softmax` activations are allowed"), \
            torch.device("meta"):
        VGG19(weights="imagenet", classifier_activation="sigmoid")


@pytest.mark.parametrize("fn, fname", [
    (VGG16, "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"),
    (VGG19, "vgg19_weights_tf_dim_ordering_tf_kernels.h5"),
])
def test_vgg_imagenet_weights_offline(fn, fname, monkeypatch, tmp_path):
    monkeypatch.setenv("OPENKERAS_HOME", str(tmp_path))

    def refuse(*args, **kwargs):
        raise urllib.error.URLError("offline")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    include_top = "notop" not in fname
    with pytest.raises(DownloadError) as info, torch.device("meta"):
        fn(include_top=include_top, weights="imagenet")
    message = str(info.value)
    assert os.path.join(str(tmp_path), "models", fname) in message
    assert "https://storage.googleapis.com/tensorflow/keras-applications/" in message


@pytest.mark.parametrize("fn", [VGG16, VGG19])
def test_vgg_weights_from_path(fn, tmp_path):
    kwargs = dict(include_top=False, input_shape=(32, 32, 3), pooling="avg")
    source = fn(weights=None, **kwargs)
    path = str(tmp_path / "vgg.h5")
    source.save_weights(path)
    loaded = fn(weights=path, **kwargs)
    x = np.random.default_rng(1).uniform(0, 255, size=(2, 32, 32, 3)).astype(np.float32)
    x = vgg16.preprocess_input(x)
    np.testing.assert_array_equal(loaded.predict(x), source.predict(x))


def test_vgg_module_preprocess_is_caffe():
    x = np.full((1, 2, 2, 3), 200.0, dtype=np.float32)
    x[..., 0] = 10.0
    out = vgg19.preprocess_input(x.copy())
    np.testing.assert_allclose(out[0, 0, 0], [200 - 103.939, 200 - 116.779, 10 - 123.68],
                               atol=1e-4)
