"""ResNet50: tf.keras 2.x's architecture (resnet.py names), checks and weight loading."""

import os
import urllib.error
import urllib.request

import numpy as np
import pytest
import torch

from openkeras.applications import resnet50
from openkeras.applications.resnet50 import ResNet50
from openkeras.utils.data_utils import DownloadError


def test_resnet50_matches_keras_architecture():
    with torch.device("meta"):
        model = ResNet50(weights=None)
    assert model.name == "resnet50"
    assert model.count_params() == 25_636_712
    assert len(model.layers) == 177
    assert sum(1 for layer in model.layers if layer.weights) == 107
    names = [layer.name for layer in model.layers]
    assert names[1:7] == ["conv1_pad", "conv1_conv", "conv1_bn", "conv1_relu", "pool1_pad",
                          "pool1_pool"]
    # Keras's topological order, which the weight files follow.
    assert names[7:19] == [
        "conv2_block1_1_conv", "conv2_block1_1_bn", "conv2_block1_1_relu", "conv2_block1_2_conv",
        "conv2_block1_2_bn", "conv2_block1_2_relu", "conv2_block1_0_conv", "conv2_block1_3_conv",
        "conv2_block1_0_bn", "conv2_block1_3_bn", "conv2_block1_add", "conv2_block1_out"]
    assert names[-3:] == ["conv5_block3_out", "avg_pool", "predictions"]
    assert "conv3_block4_out" in names and "conv3_block5_out" not in names
    assert "conv4_block6_out" in names and "conv4_block2_0_conv" not in names
    assert model.get_layer("pool1_pool").output_shape == (None, 56, 56, 64)
    assert model.get_layer("conv3_block1_out").output_shape == (None, 28, 28, 512)
    assert model.get_layer("conv4_block6_out").output_shape == (None, 14, 14, 1024)
    assert model.get_layer("conv5_block3_out").output_shape == (None, 7, 7, 2048)
    assert model.get_layer("conv2_block1_0_conv").strides == (1, 1)
    assert model.get_layer("conv3_block1_1_conv").strides == (2, 2)
    assert model.get_layer("conv1_bn").epsilon == pytest.approx(1.001e-5)
    assert model.output_shape == (None, 1000)


@pytest.mark.parametrize("pooling, name, output_shape", [
    (None, "conv5_block3_out", (None, 2, 3, 2048)),
    ("avg", "avg_pool", (None, 2048)),
    ("max", "max_pool", (None, 2048)),
])
def test_resnet50_feature_extractor(pooling, name, output_shape):
    with torch.device("meta"):
        model = ResNet50(include_top=False, weights=None, input_shape=(64, 96, 3), pooling=pooling)
    assert model.count_params() == 23_587_712
    assert model.layers[-1].name == name
    assert model.output_shape == output_shape


def test_resnet50_forward_stem_and_residual():
    model = ResNet50(include_top=False, weights=None, input_shape=(32, 32, 3), pooling="avg")
    x = np.random.default_rng(0).uniform(-1, 1, size=(2, 32, 32, 3)).astype(np.float32)
    out = model.predict(x)
    assert out.shape == (2, 2048) and np.all(out >= 0) and np.isfinite(out).all()
    # The stem against torch: pad 3, 7x7 stride-2 conv, BN (inference), relu, pad 1, 3x3 pool.
    stem = resnet50.Model(model.inputs, model.get_layer("pool1_pool").output)
    kernel, bias = (torch.tensor(w) for w in model.get_layer("conv1_conv").get_weights())
    gamma, beta, mean, var = (torch.tensor(w) for w in model.get_layer("conv1_bn").get_weights())
    h = torch.nn.functional.pad(torch.tensor(x).permute(0, 3, 1, 2), (3, 3, 3, 3))
    h = torch.nn.functional.conv2d(h, kernel.permute(3, 2, 0, 1), bias, stride=2)
    h = torch.relu((h - mean[:, None, None]) / torch.sqrt(var[:, None, None] + 1.001e-5)
                   * gamma[:, None, None] + beta[:, None, None])
    h = torch.nn.functional.max_pool2d(torch.nn.functional.pad(h, (1, 1, 1, 1)), 3, stride=2)
    np.testing.assert_allclose(stem.predict(x), h.permute(0, 2, 3, 1).numpy(),
                               rtol=1e-5, atol=1e-5)


def test_resnet50_argument_errors():
    with pytest.raises(ValueError, match="`classes` should be 1000"):
        ResNet50(weights="imagenet", classes=5)
    with pytest.raises(ValueError, match="The `weights` argument should be either"):
        ResNet50(weights="resnet.h5")
    with pytest.raises(ValueError, match=r"Input size must be at least 32x32; Received: "
                                         r"input_shape=\(20, 64, 3\)"):
        ResNet50(include_top=False, weights=None, input_shape=(20, 64, 3))
    with pytest.raises(ValueError, match="you should specify a static `input_shape`"):
        ResNet50(weights=None, input_shape=(None, None, 3))


def test_resnet50_imagenet_weights_offline(monkeypatch, tmp_path):
    monkeypatch.setenv("OPENKERAS_HOME", str(tmp_path))

    def refuse(*args, **kwargs):
        raise urllib.error.URLError("offline")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    with pytest.raises(DownloadError) as info, torch.device("meta"):
        ResNet50(weights="imagenet")
    message = str(info.value)
    assert os.path.join(str(tmp_path), "models",
                        "resnet50_weights_tf_dim_ordering_tf_kernels.h5") in message
    assert ("https://storage.googleapis.com/tensorflow/keras-applications/resnet/"
            "resnet50_weights_tf_dim_ordering_tf_kernels.h5") in message
    assert "2cb95161c43110f7111970584f804107" in message


def test_resnet50_weights_from_path(tmp_path):
    kwargs = dict(include_top=False, input_shape=(32, 32, 3), pooling="avg")
    source = ResNet50(weights=None, **kwargs)
    with torch.no_grad():  # non-trivial batch-norm statistics, so their loading matters
        for layer in source.layers:
            if layer.name.endswith("_bn"):
                layer.moving_mean.uniform_(-0.5, 0.5)
                layer.moving_variance.uniform_(0.5, 1.5)
    path = str(tmp_path / "resnet50.h5")
    source.save_weights(path)
    loaded = ResNet50(weights=path, **kwargs)
    x = resnet50.preprocess_input(
        np.random.default_rng(2).uniform(0, 255, size=(2, 32, 32, 3)).astype(np.float32))
    np.testing.assert_array_equal(loaded.predict(x), source.predict(x))
