"""Keras 3: configs and the .keras archive (read Keras 3's own files, write and read ours)."""

import io
import json
import os
import zipfile

import h5py
import numpy as np
import pytest
from golden_cases import check_golden_case, model_case

import openkeras
from openkeras import layers, saving
from openkeras.saving import keras_archive

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures", "keras3")


@pytest.mark.parametrize("name", ["functional", "sequential"])
def test_reads_archives_written_by_keras3(name):
    model = saving.load_model(os.path.join(FIXTURES, f"{name}.keras"))
    check_golden_case(model, model_case(f"keras3/{name}.npz"), rtol=1e-7, atol=1e-5, build=False,
                      weights=False)


def _model():
    inner = openkeras.Sequential([layers.Dense(4, activation="tanh", input_shape=(3,))],
                                 name="inner")
    x = openkeras.Input((5, 3), name="seq")
    h = layers.Bidirectional(layers.LSTM(2, return_sequences=True), name="bi")(x)
    h = layers.GRU(2, name="gru", reset_after=True)(h)  # Keras 3's default
    h = inner(layers.Dense(3, name="proj")(h))
    return openkeras.Model(x, layers.BatchNormalization(name="bn")(h), name="m")


def test_archive_round_trip_and_layout(tmp_path):
    model = _model()
    x = np.random.default_rng(0).uniform(-1, 1, (2, 5, 3)).astype(np.float32)
    saving.save_model(model, tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as z:
        assert set(z.namelist()) == {"metadata.json", "config.json", "model.weights.h5"}
        config = json.loads(z.read("config.json"))
        weights = z.read("model.weights.h5")
    assert config["class_name"] == "Functional" and config["module"].startswith("keras")
    assert config["config"]["layers"][0]["config"]["batch_shape"] == [None, 5, 3]
    with h5py.File(io.BytesIO(weights), "r") as f:  # Keras 3's paths: class names, numbered
        assert f["layers/bidirectional/forward_layer/cell/vars/0"].shape == (3, 8)
        assert f["layers/gru/cell/vars/2"].shape == (2, 6)
        assert f["layers/sequential/layers/dense/vars/0"].shape == (3, 4)
        assert f["layers/dense/vars"].attrs["name"] == "proj"
        assert len(f["layers/batch_normalization/vars"]) == 4
    loaded = saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded(x).detach().numpy(), model(x).detach().numpy(), atol=1e-6)
    fresh = _model()
    saving.load_weights(fresh, tmp_path / "m.keras")
    for a, b in zip(model.get_weights(), fresh.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_keras3_config_is_normalized():
    policy = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
              "registered_name": None}
    config = {"module": "keras", "class_name": "Functional", "registered_name": None, "config": {
        "name": "f", "layers": [
            {"module": "keras.layers", "class_name": "InputLayer", "name": "i",
             "config": {"batch_shape": [None, 2], "dtype": "float32", "name": "i",
                        "optional": False}, "inbound_nodes": []},
            {"module": "keras.layers", "class_name": "Dense", "name": "d", "registered_name": None,
             "build_config": {"input_shape": [None, 2]},
             "config": {"name": "d", "units": 1, "dtype": policy,
                        "kernel_initializer": {"module": "keras.initializers",
                                               "class_name": "Ones", "config": {},
                                               "registered_name": None}},
             "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {
                 "shape": [None, 2], "dtype": "float32", "keras_history": ["i", 0, 0]}}],
                 "kwargs": {}}]}],
        "input_layers": [["i", 0, 0]], "output_layers": [["d", 0, 0]]}}
    out = keras_archive.to_keras2_config(config)
    dense = out["config"]["layers"][1]
    assert "module" not in out and "build_config" not in dense
    assert dense["config"]["dtype"] == "float32"
    assert dense["config"]["kernel_initializer"] == {"class_name": "Ones", "config": {}}
    assert dense["inbound_nodes"] == [[["i", 0, 0, {}]]]
    assert out["config"]["layers"][0]["config"] == {"batch_input_shape": [None, 2],
                                                    "dtype": "float32", "name": "i",
                                                    "optional": False}  # tf_keras 2.21 has it
    model = saving.model_from_config(config)
    np.testing.assert_allclose(model(np.ones((1, 2), np.float32)).detach().numpy(), [[2.0]])


def test_bad_archives_give_clear_errors(tmp_path):
    bad = tmp_path / "bad.keras"
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("metadata.json", "{}")
    with pytest.raises(ValueError, match="bad.keras.*config.json"):
        saving.load_model(bad)
    half = tmp_path / "half.keras"
    saving.save_model(_model(), tmp_path / "m.keras")
    data = (tmp_path / "m.keras").read_bytes()
    half.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="half.keras"):
        saving.load_model(half)
