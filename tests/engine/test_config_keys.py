"""Model configs carry every key tf_keras 2.21 writes (golden to_json in tests/fixtures/configs),
so a config written here has nothing less than one written by tf.keras."""

import glob
import json
import os

import pytest

import openkeras as ok
from openkeras.models import model_from_json

CONFIGS = sorted(f for f in glob.glob(os.path.join(os.path.dirname(__file__), "..", "fixtures",
                                                   "configs", "*.json"))
                 if not f.endswith(".meta.json"))
# Keys tf.keras >= 2.13 adds to nested objects for its own registry (not Keras 2 keys).
_REGISTRY_KEYS = {"module", "registered_name", "build_config", "compile_config"}


def _key_differences(ref, mine, path=""):
    out = []
    if isinstance(ref, dict) and isinstance(mine, dict):
        for key in ref.keys() - _REGISTRY_KEYS:
            if key not in mine:
                out.append(f"{path}.{key} missing")
            else:
                out += _key_differences(ref[key], mine[key], f"{path}.{key}")
        out += [f"{path}.{key} extra" for key in mine.keys() - ref.keys()]
    elif isinstance(ref, list) and isinstance(mine, list) and len(ref) == len(mine):
        for i, (a, b) in enumerate(zip(ref, mine, strict=True)):
            out += _key_differences(a, b, f"{path}[{i}]")
    return out


@pytest.mark.parametrize("path", CONFIGS, ids=[os.path.basename(f) for f in CONFIGS])
def test_config_keys_match_tf_keras(path):
    with open(path) as f:
        text = f.read()
    mine = json.loads(model_from_json(text).to_json())
    assert _key_differences(json.loads(text), mine) == []


def test_input_layer_and_functional_keys():
    inputs = ok.Input((3,))
    model = ok.Model(inputs, ok.layers.Dense(2)(inputs))
    config = model.get_config()
    assert config["trainable"] is True
    assert config["layers"][0]["config"]["optional"] is False
    model.trainable = False
    clone = ok.Model.from_config(model.get_config())
    assert clone.trainable is False and not clone.trainable_weights


def test_sequential_accepts_an_input_tensor_first():
    model = ok.Sequential([ok.Input((3,)), ok.layers.Dense(2)])
    assert model.output_shape == (None, 2)
    assert [layer["class_name"] for layer in model.get_config()["layers"]] == [
        "InputLayer", "Dense"]
