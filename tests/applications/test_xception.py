"""Xception: Keras 2's architecture, checks and numerics."""

import urllib.error
import urllib.request

import numpy as np
import pytest
import torch

from openkeras import Model
from openkeras.applications import xception
from openkeras.applications.xception import Xception


def _randomize(model, seed=0):
    """Random weights everywhere (positive moving variances), so batch norms matter."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for w in model.weights:
            if "moving_variance" in w.name:
                w.copy_(torch.rand(w.shape, generator=gen) + 0.5)
            else:
                w.copy_(torch.randn(w.shape, generator=gen) * 0.1)


def test_xception_matches_keras_architecture():
    with torch.device("meta"):
        model = Xception(weights=None)
    assert model.name == "xception"
    assert model.count_params() == 22_910_480
    assert len(model.layers) == 134
    assert sum(1 for layer in model.layers if layer.weights) == 81
    assert model.output_shape == (None, 1000)
    names = [layer.name for layer in model.layers]
    assert names[1:7] == ["block1_conv1", "block1_conv1_bn", "block1_conv1_act", "block1_conv2",
                          "block1_conv2_bn", "block1_conv2_act"]
    assert "block2_sepconv1_act" not in names and "block3_sepconv1_act" in names
    assert names[-2:] == ["avg_pool", "predictions"]
    for block in range(5, 13):
        for i in (1, 2, 3):
            assert model.get_layer(f"block{block}_sepconv{i}").output_shape == (None, 19, 19, 728)
    assert model.get_layer("block13_pool").output_shape == (None, 10, 10, 1024)
    assert model.get_layer("block14_sepconv2_act").output_shape == (None, 10, 10, 2048)
    assert not model.get_layer("block2_sepconv1").use_bias
    residual = model.get_layer("conv2d")
    assert residual.strides == (2, 2) and residual.kernel_size == (1, 1)


@pytest.mark.parametrize("pooling, output_shape", [(None, (None, 3, 5, 2048)),
                                                   ("avg", (None, 2048)), ("max", (None, 2048))])
def test_xception_feature_extractor(pooling, output_shape):
    with torch.device("meta"):
        model = Xception(include_top=False, weights=None, input_shape=(100, 150, 3),
                         pooling=pooling)
    assert model.count_params() == 20_861_480
    assert model.output_shape == output_shape


def test_xception_forward_at_minimum_size_adds_residuals():
    model = Xception(include_top=False, weights=None, input_shape=(71, 71, 3), pooling="avg")
    _randomize(model)
    x = np.random.RandomState(0).uniform(-1, 1, (1, 71, 71, 3)).astype("float32")
    names = ["block2_pool", "batch_normalization", "block4_pool", "batch_normalization_2",
             "block5_sepconv3_bn"]
    add4, add5 = model.get_layer("block5_sepconv1_act").input, model.get_layer("add_3").output
    probe = Model(model.input, [model.get_layer(n).output for n in names] + [
        model.get_layer("block3_sepconv1_act").input, add4, add5, model.output])
    pool2, res2, pool4, res4, sep5, add2, block4, block5, features = probe.predict(x, verbose=0)
    assert features.shape == (1, 2048) and np.isfinite(features).all()
    np.testing.assert_allclose(add2, pool2 + res2, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(block4, pool4 + res4, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(block5, sep5 + block4, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kwargs, message", [
    ({"weights": "no_such_file.h5"}, "`weights` argument should be either"),
    ({"weights": "imagenet", "classes": 2}, "`classes` should be 1000"),
    ({"weights": None, "include_top": False, "input_shape": (70, 71, 3)}, "at least 71x71"),
    ({"weights": "imagenet", "include_top": False, "input_shape": (80, 80, 1)}, "3 channels"),
])
def test_xception_argument_checks(kwargs, message):
    with torch.device("meta"), pytest.raises(ValueError, match=message):
        Xception(**kwargs)


def test_xception_imagenet_weights_offline_error(monkeypatch, tmp_path):
    def refuse(*args, **kwargs):
        raise urllib.error.URLError("network is unreachable")

    monkeypatch.setenv("OPENKERAS_HOME", str(tmp_path))
    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    with torch.device("meta"), pytest.raises(OSError) as info:
        Xception()
    fname = "xception_weights_tf_dim_ordering_tf_kernels.h5"
    assert f"keras-applications/xception/{fname}" in str(info.value)
    assert str(tmp_path / "models" / fname) in str(info.value)


def test_xception_preprocess_input_tf_mode():
    x = np.random.RandomState(1).uniform(0, 255, (2, 3, 3, 3)).astype("float32")
    np.testing.assert_allclose(xception.preprocess_input(x.copy()), x / 127.5 - 1.0, atol=1e-6)
    t = torch.from_numpy(x).permute(0, 3, 1, 2)
    got = xception.preprocess_input(t, data_format="channels_first")
    np.testing.assert_allclose(got.numpy(), t.numpy() / 127.5 - 1.0, atol=1e-6)
