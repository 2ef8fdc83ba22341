"""NASNetMobile and NASNetLarge: Keras 2's architecture, checks and numerics."""

import urllib.error
import urllib.request

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from openkeras import Model, config
from openkeras.applications import nasnet
from openkeras.applications.nasnet import NASNet, NASNetLarge, NASNetMobile

TINY = {"penultimate_filters": 96, "num_blocks": 1, "stem_block_filters": 8, "default_size": 32}


def _randomize(model, seed=0):
    """Random weights everywhere (positive moving variances), so batch norms matter."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for w in model.weights:
            if "moving_variance" in w.name:
                w.copy_(torch.rand(w.shape, generator=gen) + 0.5)
            else:
                w.copy_(torch.randn(w.shape, generator=gen) * 0.1)


def test_nasnet_mobile_matches_keras_architecture():
    with torch.device("meta"):
        model = NASNetMobile(weights=None)
        notop = NASNetMobile(include_top=False, weights=None)
    assert model.name == "NASNet"
    assert model.count_params() == 5_326_716
    assert len(model.layers) == 771
    assert sum(1 for layer in model.layers if layer.weights) == 389
    assert model.input_shape == (None, 224, 224, 3)
    assert model.output_shape == (None, 1000)
    names = [layer.name for layer in model.layers]
    assert names[1:3] == ["stem_conv1", "stem_bn1"]
    assert names[-2:] == ["global_average_pooling2d", "predictions"]
    assert model.get_layer("reduction_concat_stem_1").output_shape == (None, 56, 56, 44)
    assert model.get_layer("normal_concat_3").output_shape == (None, 28, 28, 264)
    assert model.get_layer("normal_concat_12").output_shape == (None, 7, 7, 1056)
    assert model.get_layer("adjust_conv_projection_6").filters == 88
    bn = model.get_layer("stem_bn1")
    assert bn.momentum == 0.9997 and bn.epsilon == 1e-3
    assert notop.count_params() == 4_269_716
    assert notop.output_shape == (None, 7, 7, 1056)


def test_nasnet_large_matches_keras_architecture():
    with torch.device("meta"):
        model = NASNetLarge(weights=None)
        notop = NASNetLarge(include_top=False, weights=None, pooling="max")
    assert model.count_params() == 88_949_818
    assert len(model.layers) == 1041
    assert sum(1 for layer in model.layers if layer.weights) == 533
    assert model.input_shape == (None, 331, 331, 3)
    assert model.get_layer("normal_concat_18").output_shape == (None, 11, 11, 4032)
    assert model.get_layer("reduction_concat_reduce_12").output_shape == (None, 11, 11, 2688)
    assert notop.count_params() == 84_916_818
    assert notop.output_shape == (None, 4032)
    assert type(notop.layers[-1]).__name__ == "GlobalMaxPooling2D"


def test_nasnet_mobile_forward_at_minimum_size():
    model = NASNetMobile(include_top=False, weights=None, input_shape=(32, 32, 3), pooling="avg")
    x = np.random.RandomState(0).uniform(-1, 1, (1, 32, 32, 3)).astype("float32")
    y = model.predict(x, verbose=0)
    assert y.shape == (1, 1056) and np.isfinite(y).all()


def test_tiny_nasnet_adjust_path_and_reload_from_path(tmp_path):
    model = NASNet(input_shape=(32, 32, 3), weights=None, classes=3, **TINY)
    _randomize(model)
    x = np.random.RandomState(1).uniform(-1, 1, (2, 32, 32, 3)).astype("float32")
    # the second adjust path shifts the previous output by one pixel, then takes every other
    probe = Model(model.input, [model.get_layer("stem_bn1").output,
                                model.get_layer("adjust_avg_pool_2_stem_2").output,
                                model.output])
    previous, shifted, y = probe.predict(x, verbose=0)
    expected = F.pad(torch.relu(torch.from_numpy(previous)), (0, 0, 0, 1, 0, 1))[:, 1::2, 1::2]
    np.testing.assert_allclose(shifted, expected.numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(y.sum(axis=-1), 1.0, rtol=1e-5)
    path = str(tmp_path / "tiny_nasnet.h5")
    model.save_weights(path)
    reloaded = NASNet(input_shape=(32, 32, 3), weights=path, classes=3, **TINY)
    np.testing.assert_allclose(reloaded.predict(x, verbose=0), y, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("kwargs, message", [
    ({"weights": "no_such_file.h5"}, "`weights` argument should be either"),
    ({"weights": "imagenet", "classes": 10}, "`classes` should be 1000"),
    ({"weights": "imagenet", "include_top": False, "input_shape": (None, None, 3)},
     "must be static"),
    ({"weights": None, "include_top": False, "input_shape": (31, 32, 3)}, "at least 32x32"),
    ({"weights": "imagenet", "input_shape": (32, 32, 3)}, r"should be \(224, 224, 3\)"),
])
def test_nasnet_argument_checks(kwargs, message):
    with torch.device("meta"), pytest.raises(ValueError, match=message):
        NASNetMobile(**kwargs)


def test_nasnet_custom_argument_checks():
    with pytest.raises(ValueError, match="must be a multiple of 24"):
        NASNet(weights=None, penultimate_filters=100)
    with pytest.raises(ValueError, match="only be loaded with NASNetLarge or NASNetMobile"):
        NASNet(default_size=32, include_top=False)


def test_nasnet_channels_first_warns_and_restores_the_setting():
    config.set_image_data_format("channels_first")
    try:
        with pytest.warns(UserWarning, match="channels_last"):
            model = NASNet(input_shape=(32, 32, 3), weights=None, include_top=False, **TINY)
        assert config.image_data_format() == "channels_first"
    finally:
        config.set_image_data_format("channels_last")
    assert model.input_shape == (None, 32, 32, 3)


def test_nasnet_imagenet_weights_offline_error(monkeypatch, tmp_path):
    def refuse(*args, **kwargs):
        raise urllib.error.URLError("network is unreachable")

    monkeypatch.setenv("OPENKERAS_HOME", str(tmp_path))
    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    with torch.device("meta"), pytest.raises(OSError) as info:
        NASNetMobile()
    assert "keras-applications/nasnet/NASNet-mobile.h5" in str(info.value)
    assert str(tmp_path / "models" / "nasnet_mobile.h5") in str(info.value)


def test_nasnet_preprocess_input_tf_mode():
    x = np.random.RandomState(2).uniform(0, 255, (1, 3, 3, 3)).astype("float32")
    np.testing.assert_allclose(nasnet.preprocess_input(x.copy()), x / 127.5 - 1.0, atol=1e-6)
