"""MobileNet and MobileNetV2: against a real tf_keras file, Keras 2's architecture and checks."""

import gzip
import json
import os
import shutil
import urllib.error
import urllib.request

import h5py
import numpy as np
import pytest
import torch
from golden_cases import check_golden_case, model_case

from openkeras.applications import mobilenet, mobilenet_v2
from openkeras.applications.mobilenet import MobileNet
from openkeras.applications.mobilenet_v2 import MobileNetV2
from openkeras.engine.input_layer import Input
from openkeras.utils.data_utils import DownloadError

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "h5")


@pytest.fixture
def golden_file(tmp_path):
    """tf_keras's MobileNet(input_shape=(32, 32, 3), alpha=0.25, weights=None, classes=3)."""
    path = tmp_path / "mobilenet.h5"
    with gzip.open(os.path.join(FIXTURES, "mobilenet.h5.gz")) as src, open(path, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return str(path)


@pytest.fixture
def offline(monkeypatch, tmp_path):
    monkeypatch.setenv("OPENKERAS_HOME", str(tmp_path))

    def refuse(*args, **kwargs):
        raise urllib.error.URLError("offline")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    return tmp_path


def _comparable(config):
    """A model config without what differs only in spelling (tuples, tf_keras 2.16+ keys)."""
    def strip(obj):
        if isinstance(obj, dict):
            return {k: strip(v) for k, v in obj.items()
                    if k not in ("module", "registered_name", "optional")}
        if isinstance(obj, (list, tuple)):
            return [strip(v) for v in obj]
        return obj

    return strip(json.loads(json.dumps(config)))


def test_mobilenet_config_equals_tf_keras_file(golden_file):
    with h5py.File(golden_file, "r") as f:
        expected = json.loads(f.attrs["model_config"])
    model = MobileNet(input_shape=(32, 32, 3), alpha=0.25, weights=None, classes=3)
    assert expected["class_name"] == "Functional"
    ours = _comparable(model.get_config())
    theirs = _comparable(expected["config"])
    assert [(la["class_name"], la["name"]) for la in ours["layers"]] == \
        [(la["class_name"], la["name"]) for la in theirs["layers"]]
    for mine, keras in zip(ours["layers"], theirs["layers"], strict=True):
        assert mine == keras, mine["name"]
    for key in ("name", "input_layers", "output_layers"):
        assert ours[key] == theirs[key]


def test_mobilenet_loads_tf_keras_weights_and_predicts_like_keras(golden_file):
    model = MobileNet(input_shape=(32, 32, 3), alpha=0.25, weights=None, classes=3)
    assert model.count_params() == 219_315
    model.load_weights(golden_file)
    case = model_case("h5/mobilenet.npz")
    check_golden_case(model, case, rtol=1e-5, atol=1e-5, build=False, weights=False,
                      call=lambda m, xs: m.predict(xs[0]))
    # The same file through `weights=path`.
    again = MobileNet(input_shape=(32, 32, 3), alpha=0.25, weights=golden_file, classes=3)
    check_golden_case(again, case, rtol=1e-5, atol=1e-5, build=False, weights=False,
                      call=lambda m, xs: m.predict(xs[0]))


def test_mobilenet_matches_keras_architecture():
    with torch.device("meta"):
        model = MobileNet(weights=None)
    assert model.name == "mobilenet_1.00_224"
    assert model.count_params() == 4_253_864
    assert len(model.layers) == 91
    names = [layer.name for layer in model.layers]
    assert names[1:8] == ["conv1", "conv1_bn", "conv1_relu", "conv_dw_1", "conv_dw_1_bn",
                          "conv_dw_1_relu", "conv_pw_1"]
    assert [n for n in names if n.startswith("conv_pad")] == [
        "conv_pad_2", "conv_pad_4", "conv_pad_6", "conv_pad_12"]
    assert names[-5:] == ["global_average_pooling2d", "dropout", "conv_preds", "reshape_2",
                          "predictions"]
    assert model.get_layer("conv_pw_13_relu").output_shape == (None, 7, 7, 1024)
    assert model.get_layer("global_average_pooling2d").output_shape == (None, 1, 1, 1024)
    assert model.output_shape == (None, 1000)


@pytest.mark.parametrize("pooling, output_shape", [(None, (None, 3, 3, 1024)),
                                                   ("avg", (None, 1024)), ("max", (None, 1024))])
def test_mobilenet_feature_extractor(pooling, output_shape):
    with torch.device("meta"):
        model = MobileNet(input_shape=(96, 96, 3), include_top=False, weights=None,
                          pooling=pooling)
    assert model.name == "mobilenet_1.00_96"
    assert model.count_params() == 3_228_864
    assert model.output_shape == output_shape


def test_mobilenet_v2_matches_keras_architecture():
    with torch.device("meta"):
        model = MobileNetV2(weights=None)
    assert model.name == "mobilenetv2_1.00_224"
    assert model.count_params() == 3_538_984
    assert len(model.layers) == 156
    names = [layer.name for layer in model.layers]
    assert names[1:7] == ["Conv1", "bn_Conv1", "Conv1_relu", "expanded_conv_depthwise",
                          "expanded_conv_depthwise_BN", "expanded_conv_depthwise_relu"]
    assert "block_1_pad" in names and "block_2_pad" not in names
    assert [n for n in names if n.endswith("_add")] == [
        f"block_{i}_add" for i in (2, 4, 5, 7, 8, 9, 11, 12, 14, 15)]
    assert names[-5:] == ["Conv_1", "Conv_1_bn", "out_relu", "global_average_pooling2d",
                          "predictions"]
    assert model.get_layer("block_1_pad").get_config()["padding"] == ((0, 1), (0, 1))
    assert model.get_layer("block_16_project_BN").output_shape == (None, 7, 7, 320)
    assert model.get_layer("bn_Conv1").momentum == pytest.approx(0.999)
    assert model.output_shape == (None, 1000)


@pytest.mark.parametrize("alpha, first, project_16, last", [(0.35, 16, 112, 1280),
                                                            (1.4, 48, 448, 1792)])
def test_mobilenet_v2_width_multiplier(alpha, first, project_16, last):
    with torch.device("meta"):
        model = MobileNetV2(alpha=alpha, weights=None)
    assert model.name == f"mobilenetv2_{alpha:0.2f}_224"
    assert model.get_layer("Conv1").filters == first
    assert model.get_layer("block_16_project").filters == project_16
    assert model.get_layer("Conv_1").filters == last


@pytest.mark.parametrize("pooling, output_shape", [(None, (None, 3, 3, 1280)),
                                                   ("avg", (None, 1280)), ("max", (None, 1280))])
def test_mobilenet_v2_feature_extractor(pooling, output_shape):
    with torch.device("meta"):
        model = MobileNetV2(input_shape=(96, 96, 3), include_top=False, weights=None,
                            pooling=pooling)
    assert model.name == "mobilenetv2_1.00_96"
    assert model.count_params() == 2_257_984
    assert model.output_shape == output_shape


def test_mobilenet_v2_size_from_input_tensor():
    with torch.device("meta"):
        model = MobileNetV2(input_tensor=Input((160, 160, 3)), weights=None)
    assert model.name == "mobilenetv2_1.00_160"
    assert model.input_shape == (None, 160, 160, 3)
    with pytest.raises(ValueError, match="input_tensor.shape"):
        MobileNetV2(input_tensor=Input((160, 160, 3)), input_shape=(128, 128, 3), weights=None)


def test_mobilenet_v2_small_forward_and_weights_from_path(tmp_path):
    model = MobileNetV2(input_shape=(32, 32, 3), alpha=0.35, weights=None, classes=4)
    with torch.no_grad():
        for layer in model.layers:
            if layer.name.endswith("_BN") or layer.name.endswith("_bn"):
                layer.moving_mean.uniform_(-0.2, 0.2)
    x = mobilenet_v2.preprocess_input(
        np.random.default_rng(0).uniform(0, 255, size=(3, 32, 32, 3)).astype(np.float32))
    y = model.predict(x)
    assert y.shape == (3, 4)
    np.testing.assert_allclose(y.sum(axis=1), np.ones(3), rtol=1e-5, atol=1e-5)
    path = str(tmp_path / "mobilenet_v2.h5")
    model.save_weights(path)
    loaded = MobileNetV2(input_shape=(32, 32, 3), alpha=0.35, weights=path, classes=4)
    np.testing.assert_array_equal(loaded.predict(x), y)


def test_mobilenet_argument_errors():
    with pytest.raises(ValueError, match="Unknown argument"):
        MobileNet(weights=None, layers=None)
    with pytest.raises(ValueError, match="Unknown argument"):
        MobileNetV2(weights=None, name="x")
    with pytest.raises(ValueError, match="`classes` should be 1000"):
        MobileNet(weights="imagenet", classes=3)
    with pytest.raises(ValueError, match="must be 1.  Received depth_multiplier=2"):
        MobileNet(weights="imagenet", depth_multiplier=2)
    with pytest.raises(ValueError, match="Received alpha=0.3"):
        MobileNet(weights="imagenet", alpha=0.3)
    with pytest.raises(ValueError, match="Received `alpha=0.25`"):
        MobileNetV2(weights="imagenet", alpha=0.25)
    with pytest.raises(ValueError, match="Input size must be at least 32x32"):
        MobileNetV2(input_shape=(16, 16, 3), include_top=False, weights=None)


def test_mobilenet_imagenet_weights_offline(offline):
    with pytest.raises(DownloadError) as info, torch.device("meta"):
        MobileNet(input_shape=(128, 128, 3), alpha=0.25, include_top=False, weights="imagenet")
    assert os.path.join(str(offline), "models", "mobilenet_2_5_128_tf_no_top.h5") in str(info.value)
    assert "keras-applications/mobilenet/mobilenet_2_5_128_tf_no_top.h5" in str(info.value)


def test_mobilenet_v2_non_square_input_warns_and_uses_224_weights(offline):
    with pytest.warns(UserWarning, match="Weights for input shape \\(224, 224\\)"), \
            pytest.raises(DownloadError) as info, torch.device("meta"):
        MobileNetV2(input_shape=(96, 128, 3), include_top=False, weights="imagenet")
    assert "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5" in str(info.value)


def test_mobilenet_preprocess_is_tf_mode():
    x = np.array([[[[0.0, 127.5, 255.0]]]], dtype=np.float32)
    np.testing.assert_allclose(mobilenet.preprocess_input(x.copy()), [[[[-1.0, 0.0, 1.0]]]])
    np.testing.assert_allclose(mobilenet_v2.preprocess_input(x.copy()), [[[[-1.0, 0.0, 1.0]]]])
