"""Exact resume: a run interrupted at any epoch (or batch) and continued gives bitwise the
weights of the uninterrupted run, with shuffle=True, Dropout, noise layers and an LR schedule."""

import os
import signal
import subprocess
import sys
import time

import h5py
import numpy as np
import pytest
import torch
from reliability import resume_script as run

import openkeras as ok
from openkeras.models import load_model


class Interrupt(Exception):
    """Stands for the process dying at the end of an epoch or batch."""


class InterruptAt(ok.callbacks.Callback):
    def __init__(self, epoch=None, batch=None):
        super().__init__()
        self.epoch, self.batch, self.current = epoch, batch, 0

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.current == self.epoch and batch == self.batch:
            raise Interrupt

    def on_epoch_end(self, epoch, logs=None):
        if self.batch is None and epoch == self.epoch:
            raise Interrupt


@pytest.fixture(scope="module")
def reference():
    """The weights and optimizer state of the uninterrupted run."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the subprocess test compares with a one-thread run
    try:
        model = run.fit(run.make_model())
    finally:
        torch.set_num_threads(threads)
    return model.get_weights(), model.optimizer.get_weights()


def assert_bitwise(model, reference):
    weights, optimizer = reference
    assert len(model.get_weights()) == len(weights)
    for got, want in zip(model.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(got, want)
    for got, want in zip(model.optimizer.get_weights(), optimizer, strict=True):
        np.testing.assert_array_equal(got, want)


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize("stop_after", [1, 2, 3])
def test_save_load_then_initial_epoch_is_bitwise(tmp_path, reference, stop_after):
    model = run.fit(run.make_model(), epochs=stop_after)
    model.save(tmp_path / "m.h5")
    torch.rand(7), np.random.rand(3)  # other work in between must not change the result
    resumed = load_model(tmp_path / "m.h5")
    run.fit(resumed, initial_epoch=stop_after)
    assert_bitwise(resumed, reference)


def test_without_the_saved_random_state_the_resume_differs(tmp_path, reference):
    """The test above can fail: dropping the random state gives other weights."""
    model = run.fit(run.make_model(), epochs=2)
    model.save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "a") as f:
        del f["training_state"]
    resumed = load_model(tmp_path / "m.h5")
    run.fit(resumed, initial_epoch=2)
    assert not np.array_equal(resumed.get_weights()[0], reference[0][0])


def test_checkpoint_file_holds_the_epoch_and_random_state(tmp_path):
    model = run.fit(run.make_model(), epochs=2)
    model.save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "r") as f:
        group = f["training_state"]
        assert group.attrs["epoch"] == 2
        np.testing.assert_array_equal(group["torch_cpu"][()], torch.get_rng_state().numpy())
        assert group["numpy_keys"].dtype == np.uint32 and group["python_state"].shape == (625,)
    assert load_model(tmp_path / "m.h5")._epochs_done == 2


@pytest.mark.parametrize("stop_after", [0, 2])
def test_backup_and_restore_resumes_bitwise(tmp_path, reference, stop_after):
    backup = tmp_path / "backup"
    with pytest.raises(Interrupt):
        run.fit(run.make_model(), [ok.callbacks.BackupAndRestore(backup),
                                   InterruptAt(epoch=stop_after)])
    assert (backup / "backup.h5").exists()
    torch.rand(5)
    model = run.make_model(seed=99)  # the rerun script draws other initial weights
    epochs = []
    run.fit(model, [ok.callbacks.BackupAndRestore(backup),
                    ok.callbacks.LambdaCallback(on_epoch_begin=lambda e, logs: epochs.append(e))])
    assert epochs == list(range(stop_after + 1, run.EPOCHS))
    assert_bitwise(model, reference)
    assert not backup.exists()  # delete_checkpoint=True removes it after a complete run


@pytest.mark.parametrize("epoch,batch", [(0, 1), (2, 0), (1, 3)])
def test_backup_every_batch_resumes_mid_epoch_bitwise(tmp_path, reference, epoch, batch):
    backup = tmp_path / "backup"
    with pytest.raises(Interrupt):
        run.fit(run.make_model(), [ok.callbacks.BackupAndRestore(backup, save_freq=1),
                                   InterruptAt(epoch=epoch, batch=batch)])
    model = run.make_model(seed=7)
    run.fit(model, [ok.callbacks.BackupAndRestore(backup, save_freq=1)])
    assert_bitwise(model, reference)


def test_backup_restores_a_learning_rate_changed_during_training(tmp_path):
    def halve(epoch, logs):
        ok.backend.set_value(model.optimizer.lr, ok.backend.get_value(model.optimizer.lr) / 2)

    def train(callbacks, seed=1):
        nonlocal model
        model = run.make_model(seed)
        model.compile(optimizer=ok.optimizers.SGD(0.1, momentum=0.5), loss="mse")
        # BackupAndRestore comes last, so its backup holds what the callbacks before it changed
        return run.fit(model, [ok.callbacks.LambdaCallback(on_epoch_end=halve)] + callbacks)

    model = None
    reference = train([])
    expected = (reference.get_weights(), reference.optimizer.get_weights())
    backup = tmp_path / "backup"
    with pytest.raises(Interrupt):
        train([ok.callbacks.BackupAndRestore(backup), InterruptAt(epoch=1)])
    assert ok.backend.get_value(model.optimizer.lr) == np.float32(0.1) / 4
    resumed = train([ok.callbacks.BackupAndRestore(backup)], seed=3)
    assert ok.backend.get_value(resumed.optimizer.lr) == np.float32(0.1) / 2 ** run.EPOCHS
    assert_bitwise(resumed, expected)


def test_backup_kept_when_delete_checkpoint_false(tmp_path):
    backup = tmp_path / "backup"
    run.fit(run.make_model(), [ok.callbacks.BackupAndRestore(backup, delete_checkpoint=False)])
    with h5py.File(backup / "backup.h5", "r") as f:
        assert f["training_state"].attrs["epoch"] == run.EPOCHS


def test_sigkill_during_a_backup_write_resumes_from_the_previous_backup(tmp_path, reference):
    backup = str(tmp_path / "backup")
    script = os.path.join(os.path.dirname(__file__), "resume_script.py")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
         os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.Popen([sys.executable, script, backup, str(tmp_path / "unused.npz"), "3"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not os.path.exists(backup + ".writing"):
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline, "the training process never reached the 3rd backup"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
    leftovers = [n for n in os.listdir(backup) if n != "backup.h5"]
    assert leftovers, "the kill should have hit a partly written temporary file"
    with h5py.File(os.path.join(backup, "backup.h5"), "r") as f:  # the previous, whole backup
        assert f["training_state"].attrs["epoch"] == 2
    model = run.make_model(seed=5)
    run.fit(model, [ok.callbacks.BackupAndRestore(backup)])
    assert_bitwise(model, reference)


def test_resaving_a_loaded_model_keeps_its_training_state(tmp_path, reference):
    run.fit(run.make_model(), epochs=2).save(tmp_path / "a.h5")
    load_model(tmp_path / "a.h5").save(tmp_path / "b.h5")  # a copy made later
    resumed = load_model(tmp_path / "b.h5")
    run.fit(resumed, initial_epoch=2)
    assert_bitwise(resumed, reference)


def test_untrained_model_file_has_no_training_state(tmp_path):
    run.make_model().save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "r") as f:
        assert "training_state" not in f
    model = load_model(tmp_path / "m.h5")
    ok.utils.set_random_seed(3)
    expected = torch.get_rng_state()
    model.fit(*run.data(), epochs=0, verbose=0)  # nothing restored: the user's seed stands
    assert torch.equal(expected, torch.get_rng_state())


def test_resume_state_is_used_only_for_the_matching_initial_epoch(tmp_path):
    model = run.fit(run.make_model(), epochs=2)
    model.save(tmp_path / "m.h5")
    resumed = load_model(tmp_path / "m.h5")
    state = torch.get_rng_state()
    run.fit(resumed, epochs=1, initial_epoch=0)  # a new run, not a continuation
    assert "_saved_training_state" not in resumed.__dict__
    assert not torch.equal(state, torch.get_rng_state())


@pytest.mark.parametrize("kwargs,mention", [
    ({"backup_dir": ""}, ["backup_dir", "''"]),
    ({"backup_dir": None}, ["backup_dir", "None"]),
    ({"backup_dir": "b", "save_freq": 0}, ["save_freq", "positive", "0"]),
    ({"backup_dir": "b", "save_freq": "batch"}, ["save_freq", "'epoch'", "'batch'"]),
    ({"backup_dir": "b", "save_before_preemption": True}, ["save_before_preemption", "False"]),
])
def test_backup_and_restore_arguments(kwargs, mention):
    with pytest.raises(ValueError) as info:
        ok.callbacks.BackupAndRestore(**kwargs)
    for word in mention:
        assert word in str(info.value)
