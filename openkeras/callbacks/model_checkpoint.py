"""ModelCheckpoint: save the model (or its weights) every epoch, every n batches, or when best."""

import os
import warnings

import numpy as np

from openkeras.callbacks.base import Callback
from openkeras.callbacks.batch_hooks import enable_hooks
from openkeras.callbacks.monitor import (
    is_maximized,
    reset_monitor_warning,
    resolve_monitor,
    worst_value,
)
from openkeras.metrics.names import Logs
from openkeras.utils.generic_utils import is_int

_MISSING = "Can save best model only with %s available, skipping. Available metrics are: %s"


class ModelCheckpoint(Callback):
    """Save the model with ``model.save`` (or ``model.save_weights``) during training.

    The file name is ``filepath`` formatted with ``epoch`` (1-based) and every log key, e.g.
    ``'weights.{epoch:02d}-{val_loss:.2f}.h5'`` gives ``weights.03-0.41.h5`` after the third
    epoch; any Keras spelling of a metric works (``{val_acc:.2f}`` after
    ``metrics=['accuracy']``). A key the logs do not hold raises a KeyError naming the key and
    the available keys.
    Files are written atomically; missing parent directories are created.

    Args:
        filepath: path template (str or PathLike).
        monitor: log key used by ``save_best_only`` (default 'val_loss'); any Keras spelling
            of a metric name works ('val_acc' finds 'val_accuracy' and the reverse).
        verbose: 1 prints Keras 2's messages ('Epoch 00003: val_loss improved from 0.50000 to
            0.41000, saving model to ...').
        save_best_only: save only when ``monitor`` improves on the best value so far; when the
            logs lack ``monitor`` nothing is saved and a warning (once per ``fit``) says so.
        save_weights_only: save with ``model.save_weights`` (HDF5 weights file).
        mode: 'auto', 'min' or 'max': the direction of ``monitor`` ('auto': accuracies are
            maximized, the rest minimized).
        save_freq: 'epoch' (save at each epoch end) or an integer: save every that many
            training batches (the file name may then use ``{batch}``, 1-based in the epoch).
        options: TensorFlow save options; only None is accepted.
        initial_value_threshold: the best value to beat at the start (``save_best_only``).
        **kwargs: ``period`` (Keras 2.0-2.3: save every ``period`` epochs; deprecated, use
            ``save_freq``).
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch", options=None,
                 initial_value_threshold=None, **kwargs):
        super().__init__()
        self.period = kwargs.pop("period", 1)
        if self.period != 1:
            warnings.warn("ModelCheckpoint: `period` is deprecated, use `save_freq` (the number "
                          "of batches between saves) instead.", DeprecationWarning, stacklevel=2)
        if kwargs:
            raise TypeError(f"ModelCheckpoint: unrecognized keyword arguments: {sorted(kwargs)}")
        if options is not None:
            raise ValueError("ModelCheckpoint: `options` (tf.train.CheckpointOptions / "
                             "tf.saved_model.SaveOptions) are TensorFlow-only; pass None. "
                             f"Received: options={options!r}")
        if save_freq != "epoch" and not (is_int(save_freq) and save_freq > 0):
            raise ValueError(f"Unrecognized save_freq: {save_freq!r}. Expected 'epoch' or a "
                             "positive number of batches.")
        if not is_int(self.period) or self.period < 1:
            raise ValueError(f"ModelCheckpoint: period must be a positive integer. Received: "
                             f"period={self.period!r}")
        self.filepath = os.fspath(filepath)
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self.maximize = is_maximized(monitor, mode, "ModelCheckpoint")
        self.monitor_op = np.greater if self.maximize else np.less
        self.best = (worst_value(self.maximize) if initial_value_threshold is None
                     else initial_value_threshold)
        self.epochs_since_last_save = 0
        self._batches_since_last_save = 0
        self._current_epoch = 0
        if save_freq != "epoch":
            enable_hooks(self, {"on_train_batch_end": ModelCheckpoint._save_on_batch})

    def on_train_begin(self, logs=None):
        reset_monitor_warning(self)

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def _save_on_batch(self, batch, logs=None):
        self._batches_since_last_save += 1
        if self._batches_since_last_save >= self.save_freq:
            self._batches_since_last_save = 0
            self._save_model(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self.epochs_since_last_save += 1
        if self.save_freq == "epoch" and self.epochs_since_last_save >= self.period:
            self.epochs_since_last_save = 0
            self._save_model(epoch, None, logs)

    def _save_model(self, epoch, batch, logs):
        logs = Logs(logs or {})
        filepath = self._get_file_path(epoch, batch, logs)
        if not self.save_best_only:
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1:05d}: saving model to {filepath}")
            self._write(filepath)
            return
        current = resolve_monitor(self, logs, _MISSING)
        if current is None:
            return
        if self.monitor_op(current, self.best):
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1:05d}: {self.monitor} improved from {self.best:0.5f} "
                      f"to {current:0.5f}, saving model to {filepath}")
            self.best = current
            self._write(filepath)
        elif self.verbose > 0:
            print(f"\nEpoch {epoch + 1:05d}: {self.monitor} did not improve from "
                  f"{self.best:0.5f}")

    def _get_file_path(self, epoch, batch, logs):
        keys = Logs({"epoch": epoch + 1, **logs})
        if batch is not None and "batch" not in logs:
            keys["batch"] = batch + 1
        try:
            return self.filepath.format_map(keys)
        except KeyError as e:
            raise KeyError(f'Failed to format this callback filepath: "{self.filepath}". '
                           f'Reason: key "{e.args[0]}" is not in the logs. Available keys: '
                           f"{', '.join(keys)}") from e
        except (IndexError, ValueError) as e:
            raise ValueError(f'Failed to format this callback filepath: "{self.filepath}". '
                             f"Reason: {e}. Available keys: {', '.join(keys)}") from e

    def _write(self, filepath):
        if os.path.isdir(filepath):
            raise OSError("Please specify a non-directory filepath for ModelCheckpoint. "
                          f"Filepath used is an existing directory: {filepath}")
        parent = os.path.dirname(filepath)
        if parent:
            os.makedirs(parent, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)
