"""EarlyStopping: stop training when a monitored quantity has stopped improving."""

import warnings

import numpy as np

from openkeras.callbacks.base import Callback
from openkeras.callbacks.monitor import (
    is_maximized,
    reset_monitor_warning,
    resolve_monitor,
    worst_value,
)

_MISSING = ("Early stopping conditioned on metric `%s` which is not available. "
            "Available metrics are: %s")


class EarlyStopping(Callback):
    """Stop training after ``patience`` epochs without improvement of ``monitor`` (Keras 2).

    At the end of each epoch the monitored value is compared with the best seen so far; an
    improvement is a change of more than ``min_delta`` in the right direction. After
    ``patience`` epochs in a row without one, ``model.stop_training`` is set.

    Args:
        monitor: the log key to watch, e.g. 'val_loss' (default) or 'val_acc'; any Keras
            spelling of a metric name works ('val_acc' finds 'val_accuracy' and the
            reverse). A key that is not in the logs warns once, listing the available keys,
            and such epochs are not counted.
        min_delta: smallest change that counts as an improvement (its absolute value is used).
        patience: number of epochs without improvement after which training stops.
        verbose: 1 prints 'Epoch 00005: early stopping' at the end of training.
        mode: 'auto' (direction from the name: accuracies are maximized), 'min' or 'max'.
        baseline: value the quantity must reach (Keras 2): it is the starting best value, so
            every epoch that does not beat it counts towards ``patience``.
        restore_best_weights: when training is stopped, set the weights back to those of the
            best epoch (copied with ``model.get_weights()`` at each improvement). As in Keras
            2, nothing is restored when training runs all its epochs, and nothing when no
            epoch beat ``baseline`` (a warning says so; Keras 2.2.4 / 2.3.1 fail there).
        start_from_epoch: number of initial epochs during which nothing is monitored
            (tf.keras 2.11+; 0, the default, is Keras 2's behaviour).

    Attributes:
        stopped_epoch: the (0-based) epoch at which training was stopped, 0 when it was not.
        best, best_epoch, best_weights, wait: the monitoring state.
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        if patience < 0:
            raise ValueError(f"EarlyStopping: patience must be >= 0. Received: patience={patience}")
        self.monitor = monitor
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.maximize = is_maximized(monitor, mode, "EarlyStopping")
        self.monitor_op = np.greater if self.maximize else np.less
        self.min_delta = abs(min_delta) if self.maximize else -abs(min_delta)
        self._reset()

    def _reset(self):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = self.baseline if self.baseline is not None else worst_value(self.maximize)
        self.best_epoch = 0
        self.best_weights = None
        reset_monitor_warning(self)

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.monitor_op(current - self.min_delta, self.best):
            self.best = current
            self.best_epoch = epoch
            self.wait = 0
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            self.model.stop_training = True
            if self.restore_best_weights:
                self._restore()

    def _restore(self):
        if self.best_weights is None:
            warnings.warn(f"EarlyStopping: restore_best_weights=True, but no epoch improved on "
                          f"the baseline ({self.baseline}) for `{self.monitor}`, so there are no "
                          "best weights to restore; the last weights are kept.", RuntimeWarning,
                          stacklevel=3)
            return
        if self.verbose > 0:
            print("Restoring model weights from the end of the best epoch")
        self.model.set_weights(self.best_weights)

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1:05d}: early stopping")

    def get_monitor_value(self, logs):
        """The monitored value in ``logs`` (None, with a warning once, when it is missing)."""
        return resolve_monitor(self, logs, _MISSING)
