"""InceptionV3 and InceptionResNetV2: Keras 2's architecture, checks and numerics."""

import urllib.error
import urllib.request

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from openkeras import Model
from openkeras.applications import imagenet_utils, inception_resnet_v2, inception_v3
from openkeras.applications.inception_resnet_v2 import CustomScaleLayer, InceptionResNetV2
from openkeras.applications.inception_v3 import InceptionV3
from openkeras.engine.input_layer import Input


def _randomize(model, seed=0):
    """Random weights everywhere (positive moving variances), so batch norms matter."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for w in model.weights:
            if "moving_variance" in w.name:
                w.copy_(torch.rand(w.shape, generator=gen) + 0.5)
            else:
                w.copy_(torch.randn(w.shape, generator=gen) * 0.1)


def _nchw(x):
    return torch.from_numpy(np.asarray(x)).permute(0, 3, 1, 2)


def _offline(monkeypatch, tmp_path):
    def refuse(*args, **kwargs):
        raise urllib.error.URLError("network is unreachable")

    monkeypatch.setenv("OPENKERAS_HOME", str(tmp_path))
    monkeypatch.setattr(urllib.request, "urlopen", refuse)


def test_inception_v3_matches_keras_architecture():
    with torch.device("meta"):
        model = InceptionV3(weights=None)
    assert model.name == "inception_v3"
    assert model.count_params() == 23_851_784
    assert len(model.layers) == 313
    assert sum(1 for layer in model.layers if layer.weights) == 189
    assert model.output_shape == (None, 1000)
    names = [layer.name for layer in model.layers]
    # Keras's topological order interleaves the four branches of each mixed block
    assert names[18:31] == [
        "conv2d_8", "batch_normalization_8", "activation_8", "conv2d_6", "conv2d_9",
        "batch_normalization_6", "batch_normalization_9", "activation_6", "activation_9",
        "average_pooling2d", "conv2d_5", "conv2d_7", "conv2d_10"]
    assert names[40] == "mixed0" and names[248] == "mixed8"
    assert names[-2:] == ["avg_pool", "predictions"]
    assert model.get_layer("mixed10").output_shape == (None, 8, 8, 2048)
    assert model.get_layer("mixed9_1").output_shape == (None, 8, 8, 768)
    bn = model.get_layer("batch_normalization")
    assert not bn.scale and bn.epsilon == 1e-3


@pytest.mark.parametrize("pooling, last_class", [("avg", "GlobalAveragePooling2D"),
                                                  ("max", "GlobalMaxPooling2D")])
def test_inception_v3_feature_extractor(pooling, last_class):
    with torch.device("meta"):
        model = InceptionV3(include_top=False, weights=None, input_shape=(150, 150, 3),
                            pooling=pooling)
    assert model.count_params() == 21_802_784
    assert len(model.layers) == 312
    assert type(model.layers[-1]).__name__ == last_class
    assert model.output_shape == (None, 2048)
    assert model.get_layer("mixed10").output_shape == (None, 3, 3, 2048)


def test_inception_v3_forward_at_minimum_size_matches_reference():
    model = InceptionV3(include_top=False, weights=None, input_shape=(75, 75, 3))
    _randomize(model)
    x = np.random.RandomState(0).uniform(-1, 1, (1, 75, 75, 3)).astype("float32")
    stem = Model(model.input, [model.get_layer("activation").output, model.output])
    first, features = stem.predict(x, verbose=0)
    assert features.shape == (1, 1, 1, 2048)
    assert np.isfinite(features).all()
    # Conv2D(3x3, stride 2, valid, no bias) -> BatchNormalization(scale=False) -> ReLU
    (kernel,) = model.get_layer("conv2d").get_weights()
    beta, mean, var = model.get_layer("batch_normalization").get_weights()
    y = F.conv2d(_nchw(x), torch.from_numpy(kernel).permute(3, 2, 0, 1), stride=2)
    y = torch.relu((y.permute(0, 2, 3, 1) - torch.from_numpy(mean))
                   / torch.sqrt(torch.from_numpy(var) + 1e-3) + torch.from_numpy(beta))
    np.testing.assert_allclose(first, y.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kwargs, message", [
    ({"weights": "no_such_file.h5"}, "`weights` argument should be either"),
    ({"weights": "imagenet", "classes": 10}, "`classes` should be 1000"),
    ({"weights": None, "include_top": False, "input_shape": (74, 74, 3)}, "at least 75x75"),
    ({"weights": "imagenet", "input_shape": (150, 150, 3)}, r"should be \(299, 299, 3\)"),
    ({"weights": "imagenet", "classifier_activation": "relu"}, "classifier_activation"),
])
def test_inception_argument_checks(kwargs, message):
    for builder in (InceptionV3, InceptionResNetV2):
        with torch.device("meta"), pytest.raises(ValueError, match=message):
            builder(**kwargs)


@pytest.mark.parametrize("builder, fname", [
    (InceptionV3, "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"),
    (InceptionResNetV2, "inception_resnet_v2_weights_tf_dim_ordering_tf_kernels_notop.h5"),
])
def test_imagenet_weights_offline_error_names_the_file(monkeypatch, tmp_path, builder, fname):
    _offline(monkeypatch, tmp_path)
    with torch.device("meta"), pytest.raises(OSError) as info:
        builder(include_top=False)
    message = str(info.value)
    assert "https://storage.googleapis.com/tensorflow/keras-applications/" in message
    assert str(tmp_path / "models" / fname) in message


def test_inception_resnet_v2_matches_keras_architecture():
    with torch.device("meta"):
        model = InceptionResNetV2(weights=None)
    assert model.name == "inception_resnet_v2"
    assert model.count_params() == 55_873_736
    assert len(model.layers) == 782
    assert sum(1 for layer in model.layers if layer.weights) == 449
    assert model.output_shape == (None, 1000)
    names = {layer.name for layer in model.layers}
    for block, count in (("block35", 10), ("block17", 20), ("block8", 10)):
        for i in range(1, count + 1):
            assert {f"{block}_{i}", f"{block}_{i}_mixed", f"{block}_{i}_conv"} <= names
    assert "block8_10_ac" not in names and "block8_9_ac" in names
    assert {"mixed_5b", "mixed_6a", "mixed_7a", "conv_7b", "conv_7b_bn", "conv_7b_ac"} <= names
    assert model.get_layer("block17_20").output_shape == (None, 17, 17, 1088)
    assert model.get_layer("conv_7b_ac").output_shape == (None, 8, 8, 1536)
    assert model.get_layer("block35_1_conv").use_bias
    with torch.device("meta"):
        notop = InceptionResNetV2(include_top=False, weights=None, pooling="avg")
    assert notop.count_params() == 54_336_736 and notop.output_shape == (None, 1536)


def test_inception_resnet_v2_forward_matches_scaled_residual():
    model = InceptionResNetV2(include_top=False, weights=None, input_shape=(75, 75, 3))
    _randomize(model)
    x = np.random.RandomState(1).uniform(-1, 1, (1, 75, 75, 3)).astype("float32")
    names = ["mixed_5b", "block35_1_conv", "block35_1_ac", "block8_10"]
    probe = Model(model.input, [model.get_layer(n).output for n in names] + [model.output])
    shortcut, residual, block, last, features = probe.predict(x, verbose=0)
    assert features.shape == (1, 1, 1, 1536)
    assert np.isfinite(features).all()
    np.testing.assert_allclose(block, np.maximum(shortcut + 0.17 * residual, 0.0),
                               rtol=1e-5, atol=1e-5)
    assert (last < 0).any()  # the last block has no activation


def test_custom_scale_layer():
    a, b = Input((4, 5)), Input((4, 5))
    layer = CustomScaleLayer(0.25, name="scale")
    out = layer([a, b])
    assert out.shape == (None, 4, 5)
    x = np.random.RandomState(2).randn(2, 4, 5).astype("float32")
    y = np.random.RandomState(3).randn(2, 4, 5).astype("float32")
    got = Model([a, b], out).predict([x, y], verbose=0)
    np.testing.assert_allclose(got, x + 0.25 * y, rtol=1e-6, atol=1e-6)
    config = layer.get_config()
    assert config["scale"] == 0.25 and config["name"] == "scale"
    clone = CustomScaleLayer.from_config(config)
    assert clone.scale == 0.25 and clone.name == "scale"
    model = Model([a, b], out)
    rebuilt = Model.from_config(model.get_config(),
                                custom_objects={"CustomScaleLayer": CustomScaleLayer})
    np.testing.assert_allclose(rebuilt.predict([x, y], verbose=0), got, rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match="Unknown Inception-ResNet block type"):
        inception_resnet_v2.inception_resnet_block(a, 0.1, "block99", 1)


@pytest.mark.parametrize("module", [inception_v3, inception_resnet_v2])
def test_preprocess_and_decode(monkeypatch, module):
    x = np.array([[[[0.0, 127.5, 255.0]]]], dtype="float32")
    np.testing.assert_allclose(module.preprocess_input(x.copy()), x / 127.5 - 1.0, atol=1e-6)
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX",
                        {str(i): [f"n{i:08d}", f"class{i}"] for i in range(1000)})
    preds = np.zeros((1, 1000), dtype="float32")
    preds[0, [7, 3]] = [0.9, 0.1]
    decoded = module.decode_predictions(preds, top=2)
    assert [(c, n) for c, n, _ in decoded[0]] == [("n00000007", "class7"), ("n00000003", "class3")]
