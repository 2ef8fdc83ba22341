"""The command line: summary, convert, demo, and clear errors."""

import json
import os
import subprocess
import sys

import numpy as np

import openkeras
from openkeras import cli, layers, saving

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _saved(tmp_path):
    model = openkeras.Sequential([layers.Dense(5, activation="relu", input_shape=(4,), name="h"),
                                  layers.Dense(2, name="out")])
    model.compile("adam", "mse")
    saving.save_model(model, tmp_path / "m.h5")
    return model


def test_summary_of_a_saved_model(tmp_path, capsys):
    _saved(tmp_path)
    assert cli.main(["summary", str(tmp_path / "m.h5")]) == 0
    out = capsys.readouterr().out
    assert "h (Dense)" in out and "(None, 5)" in out and "Total params: 37" in out


def test_summary_of_a_weights_file(tmp_path, capsys):
    saving.save_weights(_saved(tmp_path), tmp_path / "w.h5")
    assert cli.main(["summary", str(tmp_path / "w.h5")]) == 0
    out = capsys.readouterr().out
    assert "h/kernel:0" in out and "(4, 5)" in out and "Total params: 37" in out


def test_summary_json_of_a_model(tmp_path, capsys):
    model = _saved(tmp_path)
    assert cli.main(["summary", "--json", str(tmp_path / "m.h5")]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["file"] == str(tmp_path / "m.h5") and info["kind"] == "model"
    assert info["name"] == model.name and info["class_name"] == "Sequential"
    assert [(la["name"], la["class_name"], la["output_shape"], la["params"])
            for la in info["layers"]] == [("h", "Dense", [None, 5], 25),
                                          ("out", "Dense", [None, 2], 12)]
    assert (info["total_params"], info["trainable_params"], info["non_trainable_params"]) == (
        37, 37, 0)


def test_summary_json_of_a_functional_model_lists_connections(tmp_path, capsys):
    a, b = layers.Input((3,), name="a"), layers.Input((2,), name="b")
    out = layers.Dense(1, name="d")(layers.concatenate([a, b], name="cat"))
    saving.save_model(openkeras.Model([a, b], out), tmp_path / "f.h5")
    assert cli.main(["summary", "--json", str(tmp_path / "f.h5")]) == 0
    rows = {la["name"]: la for la in json.loads(capsys.readouterr().out)["layers"]}
    assert rows["cat"]["connected_to"] == ["a[0][0]", "b[0][0]"]
    assert rows["cat"]["output_shape"] == [None, 5] and rows["a"]["connected_to"] == []


def test_summary_json_of_a_weights_file(tmp_path, capsys):
    saving.save_weights(_saved(tmp_path), tmp_path / "w.h5")
    assert cli.main(["summary", str(tmp_path / "w.h5"), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["kind"] == "weights" and info["total_params"] == 37
    assert info["layers"][0] == {"name": "h", "weights": [
        {"name": "h/kernel:0", "shape": [4, 5]}, {"name": "h/bias:0", "shape": [5]}]}
    assert info["keras_version"]


def test_convert_to_keras_archive_and_back(tmp_path, capsys):
    model = _saved(tmp_path)
    assert cli.main(["convert", str(tmp_path / "m.h5"), str(tmp_path / "m.keras")]) == 0
    assert cli.main(["convert", str(tmp_path / "m.keras"), str(tmp_path / "back.h5")]) == 0
    x = np.random.default_rng(1).uniform(-1, 1, (3, 4)).astype(np.float32)
    for path in ("m.keras", "back.h5"):
        got = saving.load_model(tmp_path / path, compile=False)(x).detach().numpy()
        np.testing.assert_allclose(got, model(x).detach().numpy(), atol=1e-6)
    assert "Converted" in capsys.readouterr().out


def test_errors_are_reported_with_status_1(tmp_path, capsys):
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"not a model")
    assert cli.main(["summary", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "bad.h5" in err and "Traceback" not in err


def test_demo_command_trains_and_reloads(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("OPENKERAS_HOME", str(tmp_path))
    assert cli.main(["demo", "--epochs", "1", "--verbose", "0"]) == 0
    out = capsys.readouterr().out
    assert "Total params: 600,810" in out and "test accuracy" in out and "predictions identical" in out


def test_commands_are_a_dispatch_table():
    assert {"summary", "convert", "demo"} <= set(cli.COMMANDS)
    parser = cli.build_parser()
    assert parser.parse_args(["convert", "a.h5", "b.keras"]).command == "convert"


def test_python_dash_m_entry_point():
    proc = subprocess.run([sys.executable, "-m", "openkeras", "--help"], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and "summary" in proc.stdout and "convert" in proc.stdout
