"""save_model / load_model / save_weights / load_weights on an open h5py File or Group.

Keras 2.2.4 (engine/saving.py) accepts an ``h5py.File`` / ``h5py.Group`` for ``filepath``,
writes into it and leaves it open.
"""

import h5py
import numpy as np
import pytest

import openkeras
from openkeras import layers
from openkeras.models import load_model, save_model


def _model():
    model = openkeras.Sequential([layers.Dense(5, activation="relu", input_shape=(4,), name="d1"),
                                  layers.Dense(2, name="d2")])
    model.compile("adam", "mse", metrics=["mae"])
    x = np.random.default_rng(0).standard_normal((16, 4)).astype("float32")
    model.fit(x, np.zeros((16, 2), "float32"), epochs=1, verbose=0)
    return model, x


def test_whole_model_into_an_open_file_and_back(tmp_path):
    model, x = _model()
    with h5py.File(tmp_path / "m.h5", "w") as f:
        save_model(model, f)
        assert f.id.valid and "model_weights" in f and "model_config" in f.attrs
        f.attrs["note"] = "the file is still ours"  # still open and writable
    with h5py.File(tmp_path / "m.h5", "r") as f:
        loaded = load_model(f)
        assert f.id.valid and f.attrs["note"] == "the file is still ours"
    np.testing.assert_allclose(loaded.predict(x), model.predict(x), rtol=1e-6)
    assert loaded.optimizer.get_config()["name"] == "Adam"
    for a, b in zip(loaded.optimizer.get_weights(), model.optimizer.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    # the same file loads by path as well
    np.testing.assert_allclose(load_model(tmp_path / "m.h5").predict(x), model.predict(x),
                               rtol=1e-6)


def test_model_into_a_group_among_other_data(tmp_path):
    model, x = _model()
    with h5py.File(tmp_path / "experiment.h5", "w") as f:
        f.create_dataset("inputs", data=x)
        model.save(f.create_group("run_1/model"))
        model.save(f["run_1/model"], include_optimizer=False)  # overwrite in place
        assert "optimizer_weights" not in f["run_1/model"]
        assert "training_config" not in f["run_1/model"].attrs
        with pytest.raises(FileExistsError, match="run_1/model"):
            save_model(model, f["run_1/model"], overwrite=False)
    with h5py.File(tmp_path / "experiment.h5", "r") as f:
        loaded = load_model(f["run_1/model"], compile=False)
        np.testing.assert_array_equal(f["inputs"][()], x)
    np.testing.assert_allclose(loaded.predict(x), model.predict(x), rtol=1e-6)


def test_weights_into_an_open_file_and_group(tmp_path):
    model, x = _model()
    other, _ = _model()
    with h5py.File(tmp_path / "w.h5", "w") as f:
        model.save_weights(f)
        model.save_weights(f.create_group("copy"))
        other.save_weights(f)  # overwrites the top-level weights
        assert f.id.valid
    fresh = openkeras.Sequential([layers.Dense(5, activation="relu", input_shape=(4,)),
                                  layers.Dense(2)])
    with h5py.File(tmp_path / "w.h5", "r") as f:
        fresh.load_weights(f)
        np.testing.assert_allclose(fresh.predict(x), other.predict(x), rtol=1e-6)
        fresh.load_weights(f["copy"])
        assert f.id.valid
    np.testing.assert_allclose(fresh.predict(x), model.predict(x), rtol=1e-6)
    # the weights of a whole-model file load from the open file too
    with h5py.File(tmp_path / "m.h5", "w") as f:
        other.save(f)
    with h5py.File(tmp_path / "m.h5", "r") as f:
        fresh.load_weights(f)
    np.testing.assert_allclose(fresh.predict(x), other.predict(x), rtol=1e-6)


def test_open_group_errors_name_the_group(tmp_path):
    model, _ = _model()
    with h5py.File(tmp_path / "e.h5", "w") as f:
        with pytest.raises(ValueError, match="save_format='keras'"):
            save_model(model, f, save_format="keras")
        empty = f.create_group("empty")
        with pytest.raises(openkeras.saving.FileFormatError, match="e.h5:/empty"):
            model.load_weights(empty)
        model.save_weights(f)
        with pytest.raises(FileExistsError, match="d1"):
            model.save_weights(f, overwrite=False)
