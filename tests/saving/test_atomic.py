"""Atomic writes: a failure or a kill during a save leaves the previous file intact."""

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import openkeras
from openkeras import layers, saving
from openkeras.saving.atomic import atomic_open, atomic_path

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_atomic_path_replaces_only_on_success(tmp_path):
    target = tmp_path / "f.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="boom"), atomic_path(target) as tmp:
        with open(tmp, "wb") as f:
            f.write(b"half")
        raise RuntimeError("boom")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["f.bin"]  # the temporary file is gone
    with atomic_open(target, "w") as f:
        f.write("new")
    assert target.read_text() == "new"
    assert os.listdir(tmp_path) == ["f.bin"]


def test_atomic_write_needs_an_existing_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"), \
            atomic_path(tmp_path / "missing" / "f.h5"):
        pass
    with pytest.raises(ValueError, match="mode='r'"), atomic_open(tmp_path / "f", "r"):
        pass


def _model(value):
    model = openkeras.Sequential([layers.Dense(3, input_shape=(4,), name="d")])
    model.set_weights([np.full((4, 3), value, np.float32), np.zeros(3, np.float32)])
    return model


def test_failed_save_keeps_the_previous_model(tmp_path, monkeypatch):
    path = tmp_path / "m.h5"
    saving.save_model(_model(1.0), path)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(saving.hdf5_format, "save_weights_to_group", broken)
    with pytest.raises(OSError, match="disk full"):
        saving.save_model(_model(2.0), path)
    np.testing.assert_array_equal(saving.load_model(path).get_weights()[0], 1.0)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
@pytest.mark.parametrize("target", ["m.h5", "m.keras"])
def test_killed_save_keeps_the_previous_model(tmp_path, target):
    path = tmp_path / target
    saving.save_model(_model(1.0), path)
    script = textwrap.dedent(f"""
        import os, signal, sys
        sys.path.insert(0, {REPO!r})
        import numpy as np, h5py
        import openkeras
        from openkeras import layers, saving
        model = openkeras.Sequential([layers.Dense(3, input_shape=(4,), name="d")])
        model.set_weights([np.full((4, 3), 2.0, np.float32), np.zeros(3, np.float32)])
        real = h5py.Group.create_dataset
        def create_then_die(self, *args, **kwargs):  # killed in the middle of writing
            real(self, *args, **kwargs)
            os.kill(os.getpid(), signal.SIGKILL)
        h5py.Group.create_dataset = create_then_die
        saving.save_model(model, {str(path)!r})
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]
    np.testing.assert_array_equal(saving.load_model(path).get_weights()[0], 1.0)


def test_saved_files_get_normal_permissions(tmp_path):
    import os

    from openkeras.saving.atomic import atomic_open

    umask = os.umask(0o022)
    try:
        with atomic_open(tmp_path / "f.bin") as f:
            f.write(b"x")
    finally:
        os.umask(umask)
    assert (os.stat(tmp_path / "f.bin").st_mode & 0o777) == 0o644
