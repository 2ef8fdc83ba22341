"""Damaged and hostile files: a clear openkeras error naming the file and the place, never a
raw KeyError / RecursionError / MemoryError, never a hang; checksums catch damage."""

import io
import json
import os
import time
import zipfile

import h5py
import numpy as np
import pytest

import openkeras
from openkeras import layers, models, saving
from openkeras.saving import atomic


def _model():
    model = openkeras.Sequential([layers.Dense(4, input_shape=(3,), name="d1"),
                                  layers.Dense(2, name="d2")])
    model.compile("adam", "mse")
    return model


def _saved(tmp_path, name="m.h5"):
    path = str(tmp_path / name)
    _model().save(path)
    return path


def _drop_digests(f):
    for obj in [f] + [f[n] for n in ("model_weights/d1", "model_weights/d2") if n in f]:
        obj.attrs.pop("openkeras_digest", None)


def test_missing_or_renamed_model_weights_raises(tmp_path):
    path = _saved(tmp_path)
    with h5py.File(path, "r+") as f:
        f.move("model_weights", "model_weights_old")
        _drop_digests(f)
    with pytest.raises(saving.FileFormatError, match="no `model_weights` group") as info:
        saving.load_model(path)
    assert path in str(info.value)


def test_flipped_weight_byte_is_an_integrity_error_naming_the_layer(tmp_path):
    path = _saved(tmp_path)
    with h5py.File(path, "r") as f:
        offset = f["model_weights/d2/d2/kernel:0"].id.get_offset()
    if offset is None:  # chunked: find the chunk's place
        with h5py.File(path, "r") as f:
            offset = f["model_weights/d2/d2/kernel:0"].id.get_chunk_info(0).byte_offset
    data = bytearray(open(path, "rb").read())
    data[offset + 5] ^= 0x10
    open(path, "wb").write(bytes(data))
    with pytest.raises(saving.FileIntegrityError, match="d2"):
        saving.load_model(path)


def test_weight_changed_by_h5py_is_caught_by_the_digest(tmp_path):
    path = _saved(tmp_path)
    with h5py.File(path, "r+") as f:  # a rewrite that recomputes fletcher32, not our digest
        f["model_weights/d1/d1/bias:0"][0] = 5.0
    with pytest.raises(saving.FileIntegrityError, match="layer 'd1'.*checksum"):
        saving.load_model(path)


def test_changed_config_is_caught_by_the_digest(tmp_path):
    path = _saved(tmp_path)
    with h5py.File(path, "r+") as f:
        text = f.attrs["model_config"]
        f.attrs["model_config"] = text.replace('"units": 2', '"units": 3').encode()
    with pytest.raises(saving.FileIntegrityError, match="model config"):
        saving.load_model(path)


def test_written_weights_have_fletcher32(tmp_path):
    path = _saved(tmp_path)
    with h5py.File(path, "r") as f:
        assert f["model_weights/d1/d1/kernel:0"].fletcher32
        assert f.attrs["openkeras_digest"].startswith("sha256:")


@pytest.mark.parametrize("stored,loads", [("float16", True), ("float64", False), ("int32", True)])
def test_weight_dtype_other_than_the_layers(tmp_path, stored, loads):
    path = str(tmp_path / "w.h5")
    model = _model()
    model.save_weights(path)
    with h5py.File(path, "r+") as f:
        kernel = np.asarray(f["d1/d1/kernel:0"])
        value = (np.round(kernel * 4) if stored == "int32" else kernel).astype(stored)
        if stored == "float64":
            value = value + 1e-12  # not representable in float32
        del f["d1/d1/kernel:0"]
        f.create_dataset("d1/d1/kernel:0", data=value)
        del f["d1"].attrs["openkeras_digest"]
    if loads:
        with pytest.warns(UserWarning, match="d1.*kernel.*convert exactly to float32"):
            model.load_weights(path)
        np.testing.assert_array_equal(model.get_weights()[0], value.astype("float32"))
    else:
        with pytest.raises(ValueError, match="d1.*kernel.*float32.*float64"):
            model.load_weights(path)


def test_huge_declared_shape_is_refused_before_reading(tmp_path):
    path = str(tmp_path / "w.h5")
    model = _model()
    model.save_weights(path)
    with h5py.File(path, "r+") as f:
        del f["d1/d1/kernel:0"]
        f.create_dataset("d1/d1/kernel:0", shape=(10**6, 10**6), dtype="float32",
                         chunks=(1, 1024))
        del f["d1"].attrs["openkeras_digest"]
    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"\(1000000, 1000000\)"):
        model.load_weights(path)
    with pytest.warns(UserWarning, match="Skipping loading weights.*d1"):
        model.load_weights(path, by_name=True, skip_mismatch=True)
    assert time.perf_counter() - start < 2


def test_dataset_declaring_more_than_it_stores(tmp_path):
    from openkeras.saving import h5_checks

    with h5py.File(tmp_path / "f.h5", "w") as f:
        dset = f.create_dataset("x", shape=(4096, 4096), dtype="float32", chunks=(64, 64))
        with pytest.raises(saving.FileFormatError, match="stores only 0 bytes"):
            h5_checks.read_dataset(dset, "x")


def test_yaml_alias_bomb_and_self_reference_are_refused():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)) + "class_name: *i\n"
    start = time.perf_counter()
    with pytest.raises(saving.FileFormatError, match="alias"):
        models.model_from_yaml(bomb)
    with pytest.raises(saving.FileFormatError, match="alias"):
        models.model_from_yaml("&a {class_name: Sequential, config: *a}")
    assert time.perf_counter() - start < 1


@pytest.mark.parametrize("load", [models.model_from_json, models.model_from_yaml])
def test_deep_nesting_is_a_clear_error(load):
    deep = '{"class_name": "Sequential", "config": ' + "[" * 300 + "]" * 300 + "}"
    with pytest.raises(saving.FileFormatError, match="nested"):
        load(deep)


def test_nested_configs_within_the_limit_still_load():
    inner = openkeras.Sequential([layers.Dense(2, input_shape=(3,))])
    for _ in range(5):
        inner = openkeras.Sequential([inner])
    loaded = models.model_from_json(inner.to_json())
    assert loaded.count_params() == inner.count_params()


def test_keras_archive_bomb_is_refused_before_extraction(tmp_path):
    path = str(tmp_path / "m.keras")
    _model().save(path)
    bomb = str(tmp_path / "bomb.keras")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in ("config.json", "metadata.json"):
            dst.writestr(name, src.read(name))
        with dst.open("model.weights.h5", "w", force_zip64=True) as w:
            block = bytes(2**20)
            for _ in range(60):  # 60 MB of zeros, about 60 KB compressed
                w.write(block)
    assert os.path.getsize(bomb) < 2 * 2**20
    start = time.perf_counter()
    with pytest.raises(saving.FileFormatError, match="model.weights.h5.*declares"):
        saving.load_model(bomb)
    assert time.perf_counter() - start < 1


def test_keras_archive_path_traversal_is_refused(tmp_path):
    path = str(tmp_path / "m.keras")
    _model().save(path)
    evil = str(tmp_path / "evil.keras")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(evil, "w") as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
        dst.writestr("../../outside.txt", b"x")
    with pytest.raises(saving.FileFormatError, match="outside the archive"):
        saving.load_model(evil)
    assert not os.path.exists(tmp_path.parent.parent / "outside.txt")


def test_keras_archive_damaged_weights_member(tmp_path):
    path = str(tmp_path / "m.keras")
    _model().save(path)
    data = bytearray(open(path, "rb").read())
    start = data.find(b"\x89HDF")
    data[start + 3000] ^= 0xFF
    open(path, "wb").write(bytes(data))
    with pytest.raises(saving.FileFormatError, match="m.keras"):
        saving.load_model(path)


def test_leftover_temporary_file_is_removed_by_the_next_save(tmp_path):
    path = tmp_path / "m.h5"
    # what a save killed before its rename leaves: a half-written file of a dead process
    dead_pid = 2**22 + 12345
    leftover = tmp_path / f".m.h5.{dead_pid}.abc123de.tmp"
    leftover.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(1000))
    other = tmp_path / f".other.h5.{dead_pid}.abc123de.tmp"  # another file's: kept
    other.write_bytes(b"x")
    running = tmp_path / f".m.h5.{os.getppid()}.zzz99999.tmp"  # a live writer's: kept
    running.write_bytes(b"x")
    with pytest.raises(saving.FileFormatError, match="abc123de"):
        saving.load_model(leftover)  # never mistaken for a model
    _model().save(path)
    assert sorted(os.listdir(tmp_path)) == sorted(["m.h5", other.name, running.name])
    old = tmp_path / ".m.h5.k3j4h5g6.tmp"  # no pid (older openkeras): removed once a day old
    old.write_bytes(b"x")
    os.utime(old, (time.time() - 2 * atomic.STALE_AFTER_S,) * 2)
    assert atomic.remove_leftovers(path) == [str(old)]


def test_every_loader_names_the_file_for_garbage(tmp_path):
    path = tmp_path / "garbage.h5"
    path.write_bytes(b"\x89HDF\r\n\x1a\n" + os.urandom(4000))
    with pytest.raises(saving.FileFormatError, match="garbage.h5"):
        saving.load_model(path)
    with pytest.raises(saving.FileFormatError, match="garbage.h5"):
        _model().load_weights(str(path))
    with pytest.raises(FileNotFoundError, match="nowhere.h5"):
        saving.load_model(tmp_path / "nowhere.h5")
    for text in ("[1, 2", "null", '"x"', '{"class_name": 3, "config": {}}'):
        with pytest.raises(ValueError, match="JSON|class_name|config|name"):
            models.model_from_json(text)


def test_raw_weight_bytes_in_an_archive_member_are_checked(tmp_path):
    path = str(tmp_path / "m.keras")
    model = _model()
    model.save(path)
    with zipfile.ZipFile(path) as z:
        weights = z.read("model.weights.h5")
        members = {n: z.read(n) for n in z.namelist()}
    buffer = io.BytesIO(weights)
    with h5py.File(buffer, "r+") as f:
        del f["layers/dense/vars/0"]
        f["layers/dense/vars"].create_dataset("0", shape=(10**5, 10**5), dtype="float32",
                                              chunks=(1, 1024))
    members["model.weights.h5"] = buffer.getvalue()
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    with pytest.raises(saving.FileIntegrityError, match="model.weights.h5 is damaged"):
        saving.load_model(path)  # the digest openkeras keeps in metadata.json
    metadata = json.loads(members["metadata.json"])
    del metadata["openkeras_digest"]  # as a forger would: then the shape check refuses it
    members["metadata.json"] = json.dumps(metadata).encode()
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    with pytest.raises(saving.FileFormatError, match=r"100000, 100000"):
        saving.load_model(path)


def test_json_config_written_by_openkeras_round_trips():
    model = _model()
    config = json.loads(model.to_json())
    assert models.model_from_config(config).count_params() == model.count_params()


def test_config_asking_for_huge_weights_is_refused_before_allocating(tmp_path):
    path = _saved(tmp_path)
    with h5py.File(path, "r+") as f:
        text = f.attrs["model_config"]
        f.attrs["model_config"] = text.replace('"units": 4', '"units": 100000000').encode()
        del f.attrs["openkeras_digest"]
    start = time.perf_counter()
    with pytest.raises(saving.FileFormatError, match="d1.*kernel.*more than openkeras allocates"):
        saving.load_model(path)
    assert time.perf_counter() - start < 2


def test_metadata_that_makes_hdf5_loop_forever_is_an_error_not_a_hang(monkeypatch):
    from openkeras.saving import h5_checks

    monkeypatch.setattr(h5_checks, "PROBE_TIMEOUT_S", 0.5)
    path = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures", "damaged",
                        "heap_loop_weights.h5")
    start = time.perf_counter()
    with pytest.raises(saving.FileFormatError, match="heap_loop_weights.h5.*did not finish"):
        openkeras.Sequential([layers.Dense(2, input_shape=(3,))]).load_weights(path)
    assert time.perf_counter() - start < 3


def test_call_arguments_a_layer_does_not_take_are_refused():
    model = openkeras.Sequential([layers.Dense(2, input_shape=(3,), name="d")])
    config = json.loads(models.Model(model.inputs, model.outputs).to_json())
    config["config"]["layers"][1]["inbound_nodes"][0][0][3] = {"class_name": "x"}
    with pytest.raises(ValueError, match=r"'d'.*\['class_name'\].*Dense.call"):
        models.model_from_config(config)
