"""EarlyStopping: stop training when a monitored quantity has stopped improving."""

import numpy as np

from openkeras.callbacks.base import Callback
from openkeras.callbacks.monitor import get_monitor_value, is_maximized, worst_value

_MISSING = ("Early stopping conditioned on metric `%s` which is not available. "
            "Available metrics are: %s")


class EarlyStopping(Callback):
    """Stop training after ``patience`` epochs without improvement of ``monitor``.

    At the end of each epoch the monitored value is compared with the best seen so far; an
    improvement is a change of more than ``min_delta`` in the right direction. After
    ``patience`` epochs in a row without one, ``model.stop_training`` is set.

    Args:
        monitor: the log key to watch, e.g. 'val_loss' (default) or 'accuracy'. A key that is
            not in the epoch's logs gives a warning listing the available keys, and the epoch is
            not counted.
        min_delta: smallest change that counts as an improvement (its absolute value is used).
        patience: number of epochs without improvement after which training stops (an epoch
            that improves on the best value never stops training, as in tf.keras 2).
        verbose: 1 prints 'Epoch 00005: early stopping' at the end of training.
        mode: 'auto' (direction from the name: accuracies are maximized), 'min' or 'max'.
        baseline: value the quantity must beat: the count of epochs without improvement is
            reset only by an epoch that beats both the best value and the baseline.
        restore_best_weights: at the end of training (stopped early or not, as the latest
            tf.keras 2), set the weights back to those of the best epoch (copied with
            ``model.get_weights()`` at each improvement).
        start_from_epoch: number of initial epochs during which nothing is monitored.

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
        self.min_delta = abs(min_delta) if self.maximize else -abs(min_delta)
        self._reset()

    def _reset(self):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = worst_value(self.maximize)
        self.best_epoch = 0
        self.best_weights = None

    def _is_improvement(self, value, reference):
        op = np.greater if self.maximize else np.less
        return bool(op(value - self.min_delta, reference))

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1:05d}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print("Restoring model weights from the end of the best epoch: "
                      f"{self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs):
        """The monitored value in ``logs`` (None, with a warning, when it is missing)."""
        return get_monitor_value(logs, self.monitor, _MISSING)
