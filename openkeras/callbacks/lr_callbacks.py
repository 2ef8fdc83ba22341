"""Learning-rate callbacks: ReduceLROnPlateau and LearningRateScheduler.

Both change ``model.optimizer.lr`` (a 0-d float32 tensor, filled in place through the
optimizer's setter) and add the rate in use to the epoch logs as ``logs['lr']``, as Keras 2.
"""

import inspect
import warnings

import numpy as np
import torch

from openkeras.callbacks.base import Callback
from openkeras.callbacks.monitor import (
    is_maximized,
    reset_monitor_warning,
    resolve_monitor,
    worst_value,
)

_MISSING = ("Learning rate reduction is conditioned on metric `%s` which is not available. "
            "Available metrics are: %s")


def _short(value) -> float:
    """The shortest Python float that rounds to the same float32 (0.001, not 0.00100000004)."""
    return float(str(np.float32(value)))


def get_lr(model, owner: str) -> float:
    """The optimizer's learning rate as a Python float; errors name ``owner`` when there is none.

    Args:
        model: a compiled model.
        owner: the callback's name, for the error message.
    """
    optimizer = getattr(model, "optimizer", None)
    lr = getattr(optimizer, "lr", None)
    if lr is None:
        raise ValueError(f'{owner}: Optimizer must have a "lr" attribute. Received: '
                         f"optimizer={optimizer!r}")
    if not torch.is_tensor(lr):
        raise TypeError(f"{owner} cannot change a learning rate that is a schedule or a "
                        f"callable. Received: lr={lr!r}. Pass a float learning rate to the "
                        "optimizer to use this callback.")
    return _short(lr.item())


def set_lr(model, value) -> None:
    """Fill the optimizer's learning-rate tensor with ``value``."""
    model.optimizer.lr = float(value)


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` when ``monitor`` stops improving.

    Args:
        monitor: the log key to watch (default 'val_loss'); any Keras spelling of a metric
            name works ('val_acc' finds 'val_accuracy' and the reverse). When missing, a
            warning (once per ``fit``) lists the available keys.
        factor: ``new_lr = lr * factor`` (must be < 1).
        patience: epochs without improvement before the rate is reduced.
        verbose: 1 prints 'Epoch 00007: ReduceLROnPlateau reducing learning rate to 0.0001.'.
        mode: 'auto', 'min' or 'max' ('auto': accuracies are maximized).
        min_delta: threshold on the change of ``monitor`` to count as an improvement.
        cooldown: epochs to wait after a reduction before counting epochs again.
        min_lr: lower bound of the learning rate.
        **kwargs: ``epsilon``, the Keras 2.0 name of ``min_delta`` (deprecated).
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0, **kwargs):
        super().__init__()
        if "epsilon" in kwargs:
            warnings.warn("ReduceLROnPlateau: `epsilon` is deprecated, use `min_delta` instead.",
                          DeprecationWarning, stacklevel=2)
            min_delta = kwargs.pop("epsilon")
        if kwargs:
            raise TypeError(f"ReduceLROnPlateau: unrecognized keyword arguments: {sorted(kwargs)}")
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0. Received: "
                             f"factor={factor}")
        self.monitor = monitor
        self.factor = factor
        self.patience = patience
        self.verbose = verbose
        self.mode = mode
        self.min_delta = min_delta
        self.cooldown = cooldown
        self.min_lr = min_lr
        self.maximize = is_maximized(monitor, mode, "Learning rate reduction")
        self._reset()

    def _reset(self):
        self.best = worst_value(self.maximize)
        self.cooldown_counter = 0
        self.wait = 0
        reset_monitor_warning(self)

    def _improved(self, current):
        if self.maximize:
            return bool(np.greater(current, self.best + self.min_delta))
        return bool(np.less(current, self.best - self.min_delta))

    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        logs["lr"] = get_lr(self.model, "ReduceLROnPlateau")
        current = resolve_monitor(self, logs, _MISSING)
        if current is None:
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._improved(current):
            self.best = current
            self.wait = 0
            return
        if self.in_cooldown():
            return
        self.wait += 1
        if self.wait < self.patience:
            return
        old_lr = logs["lr"]
        if old_lr > np.float32(self.min_lr):
            new_lr = max(_short(old_lr * self.factor), self.min_lr)
            set_lr(self.model, new_lr)
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1:05d}: ReduceLROnPlateau reducing learning rate to "
                      f"{new_lr}.")
            self.cooldown_counter = self.cooldown
            self.wait = 0


class LearningRateScheduler(Callback):
    """Set the learning rate at the start of each epoch to ``schedule(epoch, lr)``.

    Args:
        schedule: function ``(epoch, lr) -> new lr`` (epoch counts from 0, lr is the current
            rate as a float); a one-argument function ``(epoch) -> lr`` (Keras 2.0) works too.
            It must return a float.
        verbose: 1 prints 'Epoch 00001: LearningRateScheduler setting learning rate to 0.01.'.
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"LearningRateScheduler: `schedule` must be callable. Received: "
                            f"schedule={schedule!r}")
        self.schedule = schedule
        self.verbose = verbose
        self._takes_lr = _accepts_two_args(schedule)

    def on_epoch_begin(self, epoch, logs=None):
        lr = get_lr(self.model, "LearningRateScheduler")
        lr = self.schedule(epoch, lr) if self._takes_lr else self.schedule(epoch)
        if torch.is_tensor(lr) and lr.dim() == 0 and lr.is_floating_point():
            lr = lr.item()
        if isinstance(lr, bool) or not isinstance(lr, (float, np.floating)):
            raise ValueError('The output of the "schedule" function should be float. Received: '
                             f"{lr!r} of type {type(lr).__name__}")
        set_lr(self.model, lr)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1:05d}: LearningRateScheduler setting learning rate to "
                  f"{lr}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["lr"] = get_lr(self.model, "LearningRateScheduler")


def _accepts_two_args(fn) -> bool:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # builtins without a signature: use the Keras 2 API
        return True
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in params)

