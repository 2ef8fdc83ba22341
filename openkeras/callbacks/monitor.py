"""What the monitoring callbacks share: the direction of a monitored quantity and its lookup."""

import warnings

import numpy as np

from openkeras.metrics.names import resolve


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


def resolve_monitor(callback, logs, message: str):
    """The value of ``callback.monitor`` in ``logs``, under any Keras spelling of its name.

    'val_acc' finds 'val_accuracy' and the reverse (see ``openkeras.metrics.names``). When
    no key matches, returns None and warns ``message`` (``%s`` = the monitor, then the
    available keys), once per training run of ``callback`` (``reset_monitor_warning``).

    Args:
        callback: the callback, with a ``monitor`` attribute.
        logs: the epoch's logs (any mapping).
        message: the warning, e.g. 'Early stopping conditioned on metric `%s` ...: %s'.
    """
    logs = logs if logs is not None else {}
    monitor = callback.monitor
    key = monitor if monitor in logs.keys() else resolve(logs.keys(), monitor)
    value = None if key is None else logs[key]
    if value is None and not getattr(callback, "_monitor_warned", False):
        callback._monitor_warned = True
        warnings.warn(message % (monitor, available(logs)), RuntimeWarning, stacklevel=3)
    return value


def reset_monitor_warning(callback) -> None:
    """Let ``resolve_monitor`` warn again (called when a new training run starts)."""
    callback._monitor_warned = False
