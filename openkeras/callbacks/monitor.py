"""What the monitoring callbacks share: the direction of a monitored quantity and its lookup."""

import warnings

import numpy as np


def is_maximized(monitor: str, mode: str, owner: str) -> bool:
    """Whether larger values of ``monitor`` are better, for mode 'auto', 'min' or 'max'.

    'auto' picks 'max' for accuracies ('acc' in the name), AUC and 'fmeasure' (Keras 2's rule)
    and 'min' for everything else. An unknown mode warns and falls back to 'auto', as Keras.

    Args:
        monitor: the log key, e.g. 'val_loss'.
        mode: 'auto', 'min' or 'max'.
        owner: how the callback names itself in the warning, e.g. 'EarlyStopping'.
    """
    if mode not in ("auto", "min", "max"):
        warnings.warn(f"{owner} mode {mode} is unknown, fallback to auto mode.", RuntimeWarning,
                      stacklevel=3)
        mode = "auto"
    if mode != "auto":
        return mode == "max"
    return "acc" in monitor or monitor.startswith("fmeasure") or monitor.endswith("auc")


def worst_value(maximize: bool) -> float:
    """The starting 'best' value: -inf when maximizing, inf when minimizing."""
    return -np.inf if maximize else np.inf


def available(logs) -> str:
    """The log keys as Keras lists them in its warnings: 'loss,val_loss'."""
    return ",".join(list(logs or {}))


def get_monitor_value(logs, monitor: str, message: str):
    """``logs[monitor]``, or None after warning ``message`` (``%s`` = monitor, then the keys)."""
    value = (logs or {}).get(monitor)
    if value is None:
        warnings.warn(message % (monitor, available(logs)), RuntimeWarning, stacklevel=3)
    return value
