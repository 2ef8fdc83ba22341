"""BackupAndRestore: back up the training state so an interrupted ``fit`` continues exactly."""

import contextlib
import os

import h5py
import numpy as np
import torch

from openkeras.callbacks.base import Callback
from openkeras.callbacks.batch_hooks import enable_hooks
from openkeras.saving import compile_state, hdf5_format, training_state
from openkeras.saving.atomic import atomic_path

BACKUP_NAME = "backup.h5"


class BackupAndRestore(Callback):
    """Back up the model, optimizer and random state; a rerun of ``fit`` resumes from it.

    At the end of every epoch (or every ``save_freq`` batches) the weights, the optimizer state
    (with ``iterations``, which learning-rate schedules read), the epoch and step, and the
    state of the torch, CUDA, numpy and Python random generators (shuffling order, Dropout,
    noise layers) are written atomically to ``backup_dir/backup.h5``. When ``fit`` starts with
    this callback and a backup exists (the previous run was interrupted), the model, optimizer
    and generators are restored and training continues at the saved epoch and batch: on CPU
    the final weights are bitwise those of a run that was never interrupted. The backup is
    deleted when training ends normally (``delete_checkpoint=True``).

    The optimizer's hyperparameters (a learning rate lowered during training) are backed up
    too. Put this callback last in the list, so its backup sees what the callbacks before it
    changed at the end of the epoch. State kept inside other callbacks (ReduceLROnPlateau's or
    EarlyStopping's counters and best values) is not backed up, as in tf.keras.

    Args:
        backup_dir: the directory for the backup (created if missing); one per training run.
        save_freq: ``'epoch'``, or a positive integer: back up every that many batches
            (a resumed run then skips the batches of the epoch already trained), or False:
            never back up (only restore).
        delete_checkpoint: delete the backup when ``fit`` ends without being interrupted.
        save_before_preemption: TensorFlow's preemption notices; only False is accepted.
    """

    def __init__(self, backup_dir, save_freq="epoch", delete_checkpoint=True,
                 save_before_preemption=False):
        super().__init__()
        if not isinstance(backup_dir, (str, os.PathLike)) or not os.fspath(backup_dir):
            raise ValueError("BackupAndRestore: `backup_dir` must be a non-empty path (str or "
                             f"PathLike). Received: backup_dir={backup_dir!r}")
        valid_int = isinstance(save_freq, int) and not isinstance(save_freq, bool) \
            and save_freq > 0
        if save_freq != "epoch" and save_freq is not False and not valid_int:
            raise ValueError("BackupAndRestore: `save_freq` must be 'epoch', a positive integer "
                             f"(batches) or False. Received: save_freq={save_freq!r}")
        if save_before_preemption:
            raise ValueError("BackupAndRestore: `save_before_preemption` relies on TensorFlow's "
                             "preemption notices, which openkeras does not receive; pass False "
                             "and use save_freq. Received: save_before_preemption=True")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.delete_checkpoint = delete_checkpoint
        self._path = os.path.join(self.backup_dir, BACKUP_NAME)
        self._epoch = 0
        self._epoch_start = None
        self._batches = 0
        if valid_int:
            enable_hooks(self, {"on_train_batch_end": BackupAndRestore._backup_on_batch})

    # ------------------------------------------------------------------------ hooks
    def on_train_begin(self, logs=None):
        if os.path.exists(self._path):
            self._restore()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        if self.save_freq not in ("epoch", False):  # a mid-epoch backup replays the epoch
            self._epoch_start = training_state.capture()

    def _backup_on_batch(self, batch, logs=None):
        self._batches += 1
        if self._batches >= self.save_freq:
            self._batches = 0
            steps = self.params.get("steps")
            if steps is not None and batch + 1 >= steps:  # the epoch's end: back up as such
                self._backup(self._epoch + 1, 0)
            else:
                self._backup(self._epoch, batch + 1)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._backup(epoch + 1, 0)

    def on_train_end(self, logs=None):
        for key in ("_resume_step", "_resume_rng"):  # unused when no epoch was left to run
            self.model.__dict__.pop(key, None)
        if self.delete_checkpoint and os.path.exists(self._path):
            os.remove(self._path)
            with contextlib.suppress(OSError):  # other files the user keeps there stay
                os.rmdir(self.backup_dir)

    # ------------------------------------------------------------------------- files
    def _backup(self, epoch, step):
        """Write the backup of a run that has done ``epoch`` epochs and ``step`` more batches."""
        os.makedirs(self.backup_dir, exist_ok=True)
        model = self.model
        state = training_state.capture(model)
        state["epoch"] = epoch
        with atomic_path(self._path) as tmp, h5py.File(tmp, "w") as f:
            hdf5_format.save_weights_to_group(f.create_group("model_weights"), model.layers)
            hyper = {"hyper/" + name: value  # as changed by ReduceLROnPlateau & co
                     for name, value in _numeric_hyperparameters(model.optimizer).items()}
            hdf5_format.save_optimizer_weights(f, model, hyper)  # model.save's layout
            training_state.write(f, model, state)
            f[training_state.GROUP].attrs["step"] = step
            if step:
                training_state.write(f, model, self._epoch_start, "epoch_start")

    def _restore(self):
        model = self.model
        path = self._path
        with hdf5_format.open_h5(path) as f:
            missing = [g for g in ("model_weights", training_state.GROUP) if g not in f]
            if missing:
                raise hdf5_format.FileFormatError(
                    f"{path!r} is not a BackupAndRestore backup (it lacks {missing}). Remove it "
                    "or choose another backup_dir.")
            hdf5_format.load_weights_from_group(f["model_weights"], model.layers, filepath=path)
            names, values = hdf5_format.read_optimizer_weights(f, path)
            if values and model.optimizer is not None:
                compile_state.set_optimizer_weights(model, names, values)
            hyper = f["optimizer_weights"].attrs if "optimizer_weights" in f else {}
            for key, value in hyper.items():
                if key.startswith("hyper/") and key[6:] in _numeric_hyperparameters(
                        model.optimizer):
                    model.optimizer._set_hyper(key[6:], float(value))
            state = training_state.read(f, path)
            step = int(f[training_state.GROUP].attrs.get("step", 0))
            epoch_start = training_state.read(f, path, "epoch_start") if step else None
        model.__dict__["_resume_epoch"] = state["epoch"]
        model.__dict__["_epochs_done"] = state["epoch"]
        if step:
            training_state.restore(epoch_start)
            model.__dict__["_resume_step"] = step
            model.__dict__["_resume_rng"] = state
        else:
            training_state.restore(state)


def _numeric_hyperparameters(optimizer):
    """{name: float32} of the optimizer's number-valued hyperparameters (not schedules)."""
    hyper = getattr(optimizer, "_hyper", None) or {}
    return {k: np.float32(v.item()) for k, v in hyper.items() if torch.is_tensor(v)}
