"""DenseNet121/169/201: Keras 2's architecture, checks and numerics."""

import urllib.error
import urllib.request

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from openkeras import config
from openkeras.applications import densenet
from openkeras.applications.densenet import DenseNet, DenseNet121, DenseNet169, DenseNet201
from openkeras.engine.input_layer import Input
from openkeras.layers.core import Activation

EPS = 1.001e-5


def _randomize(model, seed=0):
    """Random weights everywhere (positive moving variances), so batch norms matter."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for w in model.weights:
            if "moving_variance" in w.name:
                w.copy_(torch.rand(w.shape, generator=gen) + 0.5)
            else:
                w.copy_(torch.randn(w.shape, generator=gen) * 0.1)


@pytest.mark.parametrize("builder, name, params, notop_params, n_layers, n_weighted, channels", [
    (DenseNet121, "densenet121", 8_062_504, 7_037_504, 429, 242, 1024),
    (DenseNet169, "densenet169", 14_307_880, 12_642_880, 597, 338, 1664),
    (DenseNet201, "densenet201", 20_242_984, 18_321_984, 709, 402, 1920),
])
def test_densenet_matches_keras_architecture(builder, name, params, notop_params, n_layers,
                                             n_weighted, channels):
    with torch.device("meta"):
        model = builder(weights=None)
        notop = builder(include_top=False, weights=None, input_shape=(64, 96, 3))
    assert model.name == name
    assert model.count_params() == params
    assert len(model.layers) == n_layers
    assert sum(1 for layer in model.layers if layer.weights) == n_weighted
    assert model.output_shape == (None, 1000)
    names = [layer.name for layer in model.layers]
    assert names[1:8] == ["zero_padding2d", "conv1/conv", "conv1/bn", "conv1/relu",
                          "zero_padding2d_1", "pool1", "conv2_block1_0_bn"]
    assert names[-4:] == ["bn", "relu", "avg_pool", "predictions"]
    assert model.get_layer("pool2_conv").filters == 128
    assert model.get_layer("conv2_block6_concat").output_shape == (None, 56, 56, 256)
    assert model.get_layer("relu").output_shape == (None, 7, 7, channels)
    assert model.get_layer("conv1/bn").epsilon == EPS
    assert notop.count_params() == notop_params
    assert notop.output_shape == (None, 2, 3, channels)


@pytest.mark.parametrize("pooling, last_name", [("avg", "avg_pool"), ("max", "max_pool")])
def test_densenet_pooling_layers_are_named(pooling, last_name):
    with torch.device("meta"):
        model = DenseNet121(include_top=False, weights=None, pooling=pooling)
    assert model.layers[-1].name == last_name
    assert model.output_shape == (None, 1024)


def test_densenet_input_tensor_and_channels_first():
    with torch.device("meta"):
        x = Input((64, 64, 3))
        model = DenseNet121(weights=None, include_top=False, input_tensor=Activation("relu")(x))
        assert model.inputs == [x]
        assert model.output_shape == (None, 2, 2, 1024)
        config.set_image_data_format("channels_first")
        try:
            first = DenseNet121(weights=None)
        finally:
            config.set_image_data_format("channels_last")
    assert first.input_shape == (None, 3, 224, 224)
    assert first.get_layer("relu").output_shape == (None, 1024, 7, 7)
    assert first.count_params() == 8_062_504


def test_densenet121_forward_at_minimum_size():
    model = DenseNet121(include_top=False, weights=None, input_shape=(32, 32, 3))
    x = np.random.RandomState(0).uniform(-1, 1, (1, 32, 32, 3)).astype("float32")
    y = model.predict(x, verbose=0)
    assert y.shape == (1, 1, 1, 1024) and np.isfinite(y).all()
    assert (y >= 0).all()  # ends in a ReLU


def _reference_forward(model, x):
    """Tiny DenseNet([1, 1, 1, 1]) in plain torch (NCHW, inference batch norm)."""

    def conv(h, name, stride=1, padding=0):
        (kernel,) = model.get_layer(name).get_weights()
        return F.conv2d(h, torch.from_numpy(kernel).permute(3, 2, 0, 1), stride=stride,
                        padding=padding)

    def bn_relu(h, name):
        gamma, beta, mean, var = (torch.from_numpy(w)[None, :, None, None]
                                  for w in model.get_layer(name).get_weights())
        return torch.relu((h - mean) / torch.sqrt(var + EPS) * gamma + beta)

    h = torch.from_numpy(x).permute(0, 3, 1, 2)
    h = bn_relu(conv(F.pad(h, (3, 3, 3, 3)), "conv1/conv", stride=2), "conv1/bn")
    h = F.max_pool2d(F.pad(h, (1, 1, 1, 1)), 3, stride=2)
    for stage in range(2, 6):
        block = f"conv{stage}_block1"
        h1 = conv(bn_relu(h, block + "_0_bn"), block + "_1_conv")
        h1 = conv(bn_relu(h1, block + "_1_bn"), block + "_2_conv", padding=1)
        h = torch.cat([h, h1], dim=1)
        if stage < 5:
            h = F.avg_pool2d(conv(bn_relu(h, f"pool{stage}_bn"), f"pool{stage}_conv"), 2)
    h = bn_relu(h, "bn").mean(dim=(2, 3))
    kernel, bias = model.get_layer("predictions").get_weights()
    return torch.softmax(h @ torch.from_numpy(kernel) + torch.from_numpy(bias), dim=-1).numpy()


def test_tiny_densenet_matches_torch_reference_and_reloads_from_path(tmp_path):
    model = DenseNet([1, 1, 1, 1], weights=None, input_shape=(32, 32, 3), classes=5)
    assert model.name == "densenet"
    _randomize(model)
    x = np.random.RandomState(1).uniform(-1, 1, (2, 32, 32, 3)).astype("float32")
    y = model.predict(x, verbose=0)
    np.testing.assert_allclose(y, _reference_forward(model, x), rtol=1e-4, atol=1e-5)
    path = str(tmp_path / "tiny_densenet.h5")
    model.save_weights(path)
    reloaded = DenseNet([1, 1, 1, 1], weights=path, input_shape=(32, 32, 3), classes=5)
    np.testing.assert_allclose(reloaded.predict(x, verbose=0), y, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("kwargs, message", [
    ({"weights": "no_such_file.h5"}, "`weights` argument should be either"),
    ({"weights": "imagenet", "classes": 10}, "`classes` should be 1000"),
    ({"weights": None, "include_top": False, "input_shape": (31, 64, 3)}, "at least 32x32"),
    ({"weights": None, "include_top": True, "input_shape": (None, None, 3)}, "static"),
])
def test_densenet_argument_checks(kwargs, message):
    with torch.device("meta"), pytest.raises(ValueError, match=message):
        DenseNet121(**kwargs)
    with pytest.raises(ValueError, match="ImageNet weights exist only"):
        DenseNet([1, 2, 3, 4])


def test_densenet_imagenet_weights_offline_error(monkeypatch, tmp_path):
    def refuse(*args, **kwargs):
        raise urllib.error.URLError("network is unreachable")

    monkeypatch.setenv("OPENKERAS_HOME", str(tmp_path))
    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    with torch.device("meta"), pytest.raises(OSError) as info:
        DenseNet169(include_top=False)
    fname = "densenet169_weights_tf_dim_ordering_tf_kernels_notop.h5"
    assert f"keras-applications/densenet/{fname}" in str(info.value)
    assert str(tmp_path / "models" / fname) in str(info.value)


def test_densenet_preprocess_input_torch_mode():
    x = np.random.RandomState(2).uniform(0, 255, (2, 4, 4, 3)).astype("float32")
    mean = np.array([0.485, 0.456, 0.406], dtype="float32")
    std = np.array([0.229, 0.224, 0.225], dtype="float32")
    np.testing.assert_allclose(densenet.preprocess_input(x.copy()), (x / 255.0 - mean) / std,
                               rtol=1e-5, atol=1e-5)
    first = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    got = densenet.preprocess_input(first.copy(), data_format="channels_first")
    expected = (first / 255.0 - mean[:, None, None]) / std[:, None, None]
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
