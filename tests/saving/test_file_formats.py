"""The one table of file formats: every save / load goes through it, and a format added to it
works through model.save, load_model, load_weights and save_weights."""

import json
import os

import h5py
import numpy as np
import pytest

import openkeras
from openkeras import layers, models, saving
from openkeras.engine import file_formats
from openkeras.saving import h5_checks, hdf5_format
from openkeras.saving.json_utils import parse_config

_TOY_MAGIC = b"TOYMODEL\n"


def _model():
    model = openkeras.Sequential([layers.Dense(3, input_shape=(4,), name="d1"),
                                  layers.Dense(2, name="d2")], name="toy")
    model.compile("adam", "mse")
    return model


def _save_toy(model, target, overwrite=True, include_optimizer=True):
    data = {"config": json.loads(model.to_json()),
            "weights": [w.tolist() for w in model.get_weights()]}
    with open(target, "wb") as f:
        f.write(_TOY_MAGIC + json.dumps(data).encode())


def _read_toy(source):
    with open(source.path, "rb") as f:
        return json.loads(f.read()[len(_TOY_MAGIC):])


def _load_toy(source, custom_objects=None, compile=True):
    data = _read_toy(source)
    model = models.model_from_config(data["config"], custom_objects=custom_objects)
    model.set_weights([np.asarray(w, "float32") for w in data["weights"]])
    return model


def _load_toy_weights(model, source, by_name=False, skip_mismatch=False):
    model.set_weights([np.asarray(w, "float32") for w in _read_toy(source)["weights"]])


TOY = file_formats.FileFormat(
    "toy", "a toy test format", lambda source: source.head.startswith(_TOY_MAGIC),
    save_formats=("toy",), extensions=(".toy",), load_model=_load_toy, save_model=_save_toy,
    load_weights=_load_toy_weights)


@pytest.fixture
def toy_format():
    file_formats.register(TOY)
    yield TOY
    file_formats.unregister("toy")


def _assert_same_weights(a, b):
    for x, y in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(x, y)


def test_a_registered_format_serves_every_entry_point(toy_format, tmp_path):
    model = _model()
    model.save(tmp_path / "m.toy")  # chosen by the extension
    saving.save_model(model, tmp_path / "m.bin", save_format="toy")  # chosen by save_format
    assert (tmp_path / "m.toy").read_bytes().startswith(_TOY_MAGIC)
    assert (tmp_path / "m.bin").read_bytes() == (tmp_path / "m.toy").read_bytes()
    for path in (tmp_path / "m.toy", tmp_path / "m.bin"):
        _assert_same_weights(models.load_model(path), model)
        fresh = _model()
        fresh.load_weights(path)
        _assert_same_weights(fresh, model)
    with pytest.raises(ValueError, match="save_weights does not write a toy test format"):
        model.save_weights(tmp_path / "w.toy", save_format="toy")


def test_an_unregistered_format_is_gone_everywhere(tmp_path):
    model = _model()
    file_formats.register(TOY)
    model.save(tmp_path / "m.toy")
    file_formats.unregister("toy")
    with pytest.raises(ValueError, match="unknown save_format 'toy'"):
        model.save(tmp_path / "n.toy", save_format="toy")
    with pytest.raises(saving.FileFormatError, match="m.toy.*not a file load_model reads"):
        models.load_model(tmp_path / "m.toy")
    with pytest.raises(saving.FileFormatError, match="m.toy.*not a file load_weights reads"):
        model.load_weights(tmp_path / "m.toy")
    model.save(tmp_path / "n.toy")  # without the entry, the default: Keras 2 HDF5
    assert h5py.is_hdf5(tmp_path / "n.toy")


def test_every_save_and_load_dispatches_through_the_table(monkeypatch, tmp_path):
    calls = []

    def spy(entry):
        def wrap(operation):
            function = getattr(entry, operation)

            def recorded(*args, **kwargs):
                calls.append((entry.name, operation))
                return function(*args, **kwargs)
            return recorded
        ops = ("load_model", "save_model", "load_weights", "save_weights")
        return file_formats.FileFormat(**{
            **{f: getattr(entry, f) for f in entry.__dataclass_fields__},
            **{op: wrap(op) for op in ops if getattr(entry, op) is not None}})

    for entry in file_formats.formats():
        monkeypatch.setitem(file_formats._FORMATS, entry.name, spy(entry))
    model = _model()
    model.save(tmp_path / "m.h5")
    models.save_model(model, tmp_path / "m.keras")
    model.save_weights(tmp_path / "w.h5")
    saving.load_model(tmp_path / "m.h5")
    models.load_model(tmp_path / "m.keras")
    model.load_weights(tmp_path / "w.h5")
    saving.load_weights(model, tmp_path / "m.h5")
    assert calls == [("h5", "save_model"), ("keras", "save_model"),
                     ("h5_weights", "save_weights"), ("h5", "load_model"),
                     ("keras", "load_model"), ("h5_weights", "load_weights"),
                     ("h5", "load_weights")]


def test_keras1_files_are_their_own_entry(tmp_path):
    model = _model()
    model.save_weights(tmp_path / "w.h5")
    with h5py.File(tmp_path / "w.h5", "r+") as f:
        f.attrs["keras_version"] = b"1.2.2"
        del f.attrs[h5_checks.DIGEST_ATTR]
    with file_formats.Source(str(tmp_path / "w.h5")) as source:
        assert [e.name for e in file_formats.formats() if e.sniff(source)][0] == "keras1_h5"
    fresh = _model()
    fresh.load_weights(tmp_path / "w.h5")  # Dense weights are the same in Keras 1
    _assert_same_weights(fresh, model)


def test_load_weights_from_an_open_file_is_probed_like_a_path(monkeypatch, tmp_path):
    model = _model()
    model.save_weights(tmp_path / "w.h5")
    probed = []
    real_probe = h5_checks.probe
    monkeypatch.setattr(h5_checks, "probe",
                        lambda f, name, timeout=None: (probed.append(name),
                                                       real_probe(f, name, timeout)))
    with h5py.File(tmp_path / "w.h5", "r") as f:
        _model().load_weights(f)
        assert f.id.valid  # the user's file is left open
    assert probed == [f"{tmp_path / 'w.h5'}:/"]


def test_an_unchanged_file_is_probed_once(monkeypatch, tmp_path):
    model = _model()
    model.save(tmp_path / "m.h5")
    forks = []
    real_fork = os.fork
    monkeypatch.setattr(h5_checks.os, "fork", lambda: (forks.append(1), real_fork())[1])
    monkeypatch.setattr(h5_checks, "_PROBED", type(h5_checks._PROBED)())
    models.load_model(tmp_path / "m.h5")
    models.load_model(tmp_path / "m.h5")
    model.load_weights(tmp_path / "m.h5")
    assert len(forks) == 1
    with h5py.File(tmp_path / "m.h5", "r+") as f:  # changed bytes: probed again
        f.attrs["note"] = "changed"
    models.load_model(tmp_path / "m.h5")
    assert len(forks) == 2
    with h5py.File(tmp_path / "m.h5", "r+") as f:  # open for writing: always probed
        model.load_weights(f)
    assert len(forks) == 3


def test_model_and_training_configs_share_one_parser():
    assert parse_config('{"class_name": "Dense", "config": {}}', "x")["class_name"] == "Dense"
    assert parse_config(json.dumps('{"loss": "mse"}'), "t", model=False) == {"loss": "mse"}
    with pytest.raises(saving.FileFormatError, match="t is not a dict"):
        parse_config("[1, 2]", "t", model=False)
    with pytest.raises(saving.FileFormatError, match="x is not a {'class_name', 'config'} dict"):
        parse_config('{"loss": "mse"}', "x")
    with pytest.raises(saving.FileFormatError, match="t is not valid JSON"):
        parse_config(b"{", "t", model=False)


def test_backup_optimizer_state_uses_the_model_file_layout(tmp_path):
    x, y = np.ones((8, 4), "float32"), np.zeros((8, 2), "float32")
    model = _model()
    backup = openkeras.callbacks.BackupAndRestore(str(tmp_path / "b"), delete_checkpoint=False)
    model.fit(x, y, epochs=1, verbose=0, callbacks=[backup])
    model.save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "b" / "backup.h5", "r") as b, h5py.File(tmp_path / "m.h5") as m:
        backup_names, backup_values = hdf5_format.read_optimizer_weights(b, "backup.h5")
        names, values = hdf5_format.read_optimizer_weights(m, "m.h5")
    assert backup_names == names and len(names) == 1 + 2 * 4  # iterations, m and v of 4 params
    for a, b in zip(backup_values, values, strict=True):
        np.testing.assert_array_equal(a, b)
