import json
import random
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch

from openkeras import config
from openkeras.utils import set_random_seed


def test_defaults():
    assert config.floatx() == "float32"
    assert config.epsilon() == 1e-7
    assert config.image_data_format() == "channels_last"


def test_setters_validate():
    with pytest.raises(ValueError, match="channels_middle"):
        config.set_image_data_format("channels_middle")
    with pytest.raises(ValueError, match="float8"):
        config.set_floatx("float8")
    old = config.epsilon()
    config.set_epsilon(1e-5)
    assert config.epsilon() == 1e-5
    config.set_epsilon(old)


def _fresh_import(code, **env):
    """Run ``code`` in a new interpreter (keras.json is read at import) with only ``env`` set."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": ":".join(sys.path), **env})


_SHOW = "from openkeras import config; print(config.floatx(), config.epsilon(), " \
        "config.image_data_format())"


def test_keras_json_is_read_from_keras_home_at_import(tmp_path):
    (tmp_path / "keras.json").write_text(json.dumps(
        {"floatx": "float64", "epsilon": 1e-4, "image_data_format": "channels_first",
         "backend": "tensorflow"}))
    out = _fresh_import(_SHOW, KERAS_HOME=str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["float64", "0.0001", "channels_first"]
    assert "Warning" not in out.stderr  # the backend Keras 2 writes needs no warning


@pytest.fixture
def restore_settings():
    saved = (config.floatx(), config.epsilon(), config.image_data_format())
    yield
    config.set_floatx(saved[0])
    config.set_epsilon(saved[1])
    config.set_image_data_format(saved[2])


def test_keras_home_defaults_to_dot_keras_in_the_home_folder(tmp_path, monkeypatch,
                                                             restore_settings):
    (tmp_path / ".keras").mkdir()
    (tmp_path / ".keras" / "keras.json").write_text(json.dumps({"epsilon": 1e-3}))
    monkeypatch.delenv("KERAS_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    config._load()  # what the import does
    assert (config.floatx(), config.epsilon(), config.image_data_format()) == (
        "float32", 1e-3, "channels_last")


def test_absent_keras_json_is_written_with_keras_defaults(tmp_path, monkeypatch,
                                                          restore_settings):
    home = tmp_path / "new" / "keras_home"
    monkeypatch.setenv("KERAS_HOME", str(home))
    config._load()
    written = json.loads((home / "keras.json").read_text())
    assert written == {"floatx": "float32", "epsilon": 1e-07, "backend": "tensorflow",
                       "image_data_format": "channels_last"}  # what Keras 2.2.4 writes
    assert list(written) == ["floatx", "epsilon", "backend", "image_data_format"]


def test_another_backend_warns_and_is_ignored(tmp_path, monkeypatch, restore_settings):
    (tmp_path / "keras.json").write_text(json.dumps({"backend": "theano"}))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    with pytest.warns(UserWarning, match="'theano'.*PyTorch"):
        config._load()
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")  # the variable wins, as in Keras
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        config._load()


def test_invalid_setting_names_the_file(tmp_path, monkeypatch, restore_settings):
    (tmp_path / "keras.json").write_text(json.dumps({"image_data_format": "channels_middle"}))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    with pytest.raises(ValueError, match=r"keras\.json.*channels_middle"):
        config._load()
    (tmp_path / "keras.json").write_text("{not json")  # Keras 2 ignores a broken file
    config._load()


def test_config_dir_order_and_unwritable_home(tmp_path, monkeypatch):
    import os
    import tempfile

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "k"))
    monkeypatch.setenv("OPENKERAS_HOME", str(tmp_path / "o"))
    assert config.config_dir() == str(tmp_path / "o")
    monkeypatch.delenv("OPENKERAS_HOME")
    assert config.config_dir() == str(tmp_path / "k")
    monkeypatch.delenv("KERAS_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert config.config_dir() == str(tmp_path / ".keras")
    monkeypatch.setattr(os, "access", lambda path, mode: False)  # a read-only home
    assert config.config_dir() == os.path.join(tempfile.gettempdir(), ".keras")


def test_get_file_finds_what_keras_downloaded_in_keras_home(tmp_path, monkeypatch):
    import hashlib

    from openkeras.utils.data_utils import get_file

    data = b"weights Keras downloaded earlier"
    for sub in ("datasets", "models"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "file.bin").write_bytes(data)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))

    def no_network(*args, **kwargs):
        raise AssertionError("nothing may be downloaded")

    monkeypatch.setattr("urllib.request.urlopen", no_network)
    sha = hashlib.sha256(data).hexdigest()
    origin = "https://example.invalid/file.bin"
    assert get_file("file.bin", origin, file_hash=sha) == str(tmp_path / "datasets" / "file.bin")
    assert get_file("file.bin", origin, file_hash=sha, cache_subdir="models") == str(
        tmp_path / "models" / "file.bin")


def test_the_test_suite_does_not_use_the_real_keras_home():
    import os

    assert os.environ["KERAS_HOME"] != os.path.expanduser("~/.keras")
    assert config.config_dir() == os.environ["KERAS_HOME"]


def test_set_random_seed_seeds_python_numpy_and_torch():
    set_random_seed(3)
    a = (random.random(), np.random.rand(), torch.rand(1).item())
    set_random_seed(3)
    b = (random.random(), np.random.rand(), torch.rand(1).item())
    assert a == b


def test_same_seed_same_initial_weights():
    from openkeras import layers

    set_random_seed(1)
    w1 = layers.Dense(4)
    w1.build((None, 3))
    set_random_seed(1)
    w2 = layers.Dense(4)
    w2.build((None, 3))
    np.testing.assert_array_equal(w1.get_weights()[0], w2.get_weights()[0])


def test_keras_json_jit_compile(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "_JIT_COMPILE", False)  # put back whatever _load sets
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (tmp_path / "keras.json").write_text(json.dumps({"jit_compile": True}))
    config._load()
    assert config.jit_compile() is True
    (tmp_path / "keras.json").write_text(json.dumps({"jit_compile": "sometimes"}))
    with pytest.raises(ValueError, match=r"keras\.json.*jit_compile must be True or False"):
        config._load()
