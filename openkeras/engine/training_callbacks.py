"""Callbacks as ``fit`` runs them: the Callback base class, CallbackList, and the loggers
``fit`` adds itself (BaseLogger, History, ProgbarLogger).

They sit with the training loop, below the models; ``openkeras.callbacks`` re-exports them
next to the callbacks users add (EarlyStopping, ModelCheckpoint, ...).

Batch-level ``logs`` hold the running (epoch-to-date) averages of the loss and metrics. They
are read lazily: values are computed (and the host synchronizes with the device) only when a
key is read, so a fit whose callbacks ignore batch logs never waits for the device per step.
Every ``logs`` mapping and ``History.history`` find a metric under any of its Keras spellings
(``logs['acc']`` after ``metrics=['accuracy']``; see ``openkeras.metrics.names``).
"""

import sys
import time
from collections.abc import Mapping

from openkeras.metrics.names import Logs
from openkeras.utils import progbar as progbar_module

_MODES = ("train", "test", "predict")


class Callback:
    """Base class of callbacks: override the hooks you need.

    Attributes:
        params: dict with ``verbose``, ``epochs`` and ``steps`` of the current run.
        model: the model being trained, evaluated or used for prediction.

    Every hook receives ``logs``, a dict of floats. Epoch logs hold ``loss`` and the metrics
    (``val_*`` too when validating); batch logs hold the running averages of the epoch so far.
    ``on_batch_begin`` / ``on_batch_end`` are the Keras 2.0 names of the training batch hooks.
    A hook may also be assigned on an instance (``cb.on_epoch_end = f``, ``f(epoch, logs)``),
    as Keras 2 code does.
    """

    def __init__(self):
        self.validation_data = None
        self.model = None
        self.params = {}

    def set_params(self, params):
        self.params = params

    def set_model(self, model):
        self.model = model

    def on_batch_begin(self, batch, logs=None):
        """Legacy alias of ``on_train_batch_begin``."""

    def on_batch_end(self, batch, logs=None):
        """Legacy alias of ``on_train_batch_end``."""

    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of an epoch (``epoch`` counts from 0)."""

    def on_epoch_end(self, epoch, logs=None):
        """Called at the end of an epoch with the epoch's logs (``val_*`` included)."""

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch, logs=None):
        """Called before a batch of ``evaluate`` (or of validation)."""

    def on_test_batch_end(self, batch, logs=None):
        """Called after a batch of ``evaluate`` (or of validation)."""

    def on_predict_batch_begin(self, batch, logs=None):
        """Called before a batch of ``predict``."""

    def on_predict_batch_end(self, batch, logs=None):
        """Called after a batch of ``predict`` (``logs['outputs']`` holds its outputs)."""

    def on_train_begin(self, logs=None):
        """Called at the start of ``fit``."""

    def on_train_end(self, logs=None):
        """Called at the end of ``fit``."""

    def on_test_begin(self, logs=None):
        """Called at the start of ``evaluate`` (or of validation)."""

    def on_test_end(self, logs=None):
        """Called at the end of ``evaluate`` (or of validation)."""

    def on_predict_begin(self, logs=None):
        """Called at the start of ``predict``."""

    def on_predict_end(self, logs=None):
        """Called at the end of ``predict``."""


def _overrides(callback, *names):
    """Whether ``callback`` overrides any of the hooks ``names`` of the base class (in its
    class, or as an attribute of the instance: ``cb.on_batch_end = f``)."""
    own = getattr(callback, "__dict__", {})
    return any(n in own or getattr(type(callback), n) is not getattr(Callback, n)
               for n in names)


_BATCH_HOOKS = {
    ("train", "begin"): ("on_train_batch_begin", "on_batch_begin"),
    ("train", "end"): ("on_train_batch_end", "on_batch_end"),
    ("test", "begin"): ("on_test_batch_begin",),
    ("test", "end"): ("on_test_batch_end",),
    ("predict", "begin"): ("on_predict_batch_begin",),
    ("predict", "end"): ("on_predict_batch_end",),
}

_NO_BATCH_CALLBACKS = {key: () for key in _BATCH_HOOKS}


class CallbackList:
    """A list of callbacks called together; batch hooks go only to callbacks that define them.

    Args:
        callbacks: list of Callback instances.
        model: the model, given to every callback.
        params: the run's params, given to every callback.
    """

    def __init__(self, callbacks=None, model=None, params=None):
        self.callbacks = list(callbacks or [])
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"Expected a keras Callback instance. Received: {cb!r} "
                                f"of type {type(cb).__name__}")
        if model is not None:
            self.set_model(model)
        if params is not None:
            self.set_params(params)
        self._index_batch_hooks()

    def _index_batch_hooks(self):
        # Which callbacks get batch hooks. Run again after every '*_begin' hook (epoch-level
        # cost only), so that hooks assigned on instances until then are called too.
        if not self.callbacks:  # predict(verbose=0): made on every call
            self._batch_callbacks = _NO_BATCH_CALLBACKS
            return
        self._batch_callbacks = {
            key: [cb for cb in self.callbacks if _overrides(cb, *names)]
            for key, names in _BATCH_HOOKS.items()
        }

    def append(self, callback):
        self.callbacks.append(callback)
        self._index_batch_hooks()

    def set_params(self, params):
        self.params = params
        for cb in self.callbacks:
            cb.set_params(params)

    def set_model(self, model):
        self.model = model
        for cb in self.callbacks:
            cb.set_model(model)

    def has_batch_hooks(self, mode):
        """Whether some callback wants ``mode``'s batch hooks ('train', 'test', 'predict')."""
        return bool(self._batch_callbacks[(mode, "begin")] or self._batch_callbacks[(mode, "end")])

    def call_batch_hook(self, mode, when, batch, logs):
        """Call the ``mode`` ('train', 'test', 'predict') batch hook ``when`` ('begin' or
        'end') of the callbacks that define it."""
        hook = _BATCH_HOOKS[(mode, when)][0]
        for cb in self._batch_callbacks[(mode, when)]:
            getattr(cb, hook)(batch, logs)

    def on_batch_begin(self, batch, logs=None):
        self.call_batch_hook("train", "begin", batch, logs)

    def on_batch_end(self, batch, logs=None):
        self.call_batch_hook("train", "end", batch, logs)

    def on_train_batch_begin(self, batch, logs=None):
        self.call_batch_hook("train", "begin", batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self.call_batch_hook("train", "end", batch, logs)

    def on_test_batch_begin(self, batch, logs=None):
        self.call_batch_hook("test", "begin", batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        self.call_batch_hook("test", "end", batch, logs)

    def on_predict_batch_begin(self, batch, logs=None):
        self.call_batch_hook("predict", "begin", batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self.call_batch_hook("predict", "end", batch, logs)

    def _call_all(self, hook, *args):
        for cb in self.callbacks:
            getattr(cb, hook)(*args)

    def on_epoch_begin(self, epoch, logs=None):
        self._call_all("on_epoch_begin", epoch, logs if logs is not None else {})
        self._index_batch_hooks()

    def on_epoch_end(self, epoch, logs=None):
        self._call_all("on_epoch_end", epoch, logs if logs is not None else {})

    def on_train_begin(self, logs=None):
        self._call_all("on_train_begin", logs)
        self._index_batch_hooks()

    def on_train_end(self, logs=None):
        self._call_all("on_train_end", logs)

    def on_test_begin(self, logs=None):
        self._call_all("on_test_begin", logs)
        self._index_batch_hooks()

    def on_test_end(self, logs=None):
        self._call_all("on_test_end", logs)

    def on_predict_begin(self, logs=None):
        self._call_all("on_predict_begin", logs)
        self._index_batch_hooks()

    def on_predict_end(self, logs=None):
        self._call_all("on_predict_end", logs)

    def __iter__(self):
        return iter(self.callbacks)


class LazyLogs(Mapping):
    """Batch logs whose values (Python floats) are computed when first read.

    Args:
        names: the log keys, in order.
        compute: a function returning the list of values (0-d tensors or floats) for ``names``.
    """

    def __init__(self, names, compute):
        self._names = list(names)
        self._compute = compute
        self._values = None

    def _materialize(self):
        if self._values is None:
            self._values = Logs(zip(self._names, (_as_float(v) for v in self._compute()),
                                    strict=True))
        return self._values

    def __getitem__(self, key):
        return self._materialize()[key]

    def __iter__(self):
        return iter(self._names)

    def __len__(self):
        return len(self._names)

    def __repr__(self):
        return repr(dict(self._materialize()))


def _as_float(value):
    if hasattr(value, "detach"):
        return float(value.detach().cpu())
    return float(value)


class BaseLogger(Callback):
    """Averages batch logs over each epoch into the epoch logs (kept for Keras 2.0 code).

    The loop already reports epoch averages, so this is only useful for values that a
    callback adds to batch logs itself. Batches are weighted by ``logs['size']`` when present.

    Args:
        stateful_metrics: names of values that are copied as-is instead of averaged.
    """

    def __init__(self, stateful_metrics=None):
        super().__init__()
        self.stateful_metrics = set(stateful_metrics or [])

    def on_epoch_begin(self, epoch, logs=None):
        self.seen = 0
        self.totals = {}

    def on_batch_end(self, batch, logs=None):
        logs = logs or {}
        size = logs.get("size", 1)
        self.seen += size
        for key in logs:
            if key in ("batch", "size"):
                continue
            value = logs[key]
            if key in self.stateful_metrics:
                self.totals[key] = value
            else:
                self.totals[key] = self.totals.get(key, 0.0) + value * size

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        for key, total in self.totals.items():
            if key not in logs:
                logs[key] = total if key in self.stateful_metrics else total / max(self.seen, 1)


class History(Callback):
    """Records every epoch's logs: ``history.history['loss']`` is the list of epoch losses.

    ``fit`` adds one automatically and returns it (also stored as ``model.history``).
    ``history.history`` is a dict keyed by the names the logs use; any Keras spelling of a
    metric finds its series (``history.history['acc']`` after ``metrics=['accuracy']``).
    """

    def __init__(self):
        super().__init__()
        self.history = Logs()
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []
        self.history = Logs()

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            self.model.history = self


class ProgbarLogger(Callback):
    """Prints progress as Keras 2 does: 'Epoch i/n' headers and a progress bar (or one line).

    Without a terminal the bar is printed only every ``progbar.LOG_INTERVAL`` seconds (and at
    the end of each epoch), so logs are not flooded.

    Args:
        count_mode: 'steps' (tf.keras 2) or 'samples' (accepted; progress is counted in steps).
        stateful_metrics: accepted for Keras 2 compatibility (every logged value is already an
            epoch average).
    """

    def __init__(self, count_mode="steps", stateful_metrics=None):
        super().__init__()
        if count_mode not in ("steps", "samples"):
            raise ValueError(f"Unknown `count_mode`: {count_mode!r}. Expected 'steps' or 'samples'.")
        self.stateful_metrics = set(stateful_metrics or [])
        self.progbar = None
        self.verbose = 1
        self.epochs = 1
        self.target = None
        self._mode = "train"
        self._in_fit = False
        self._seen = 0
        self._last_push = 0.0

    def set_params(self, params):
        super().set_params(params)
        self.verbose = params.get("verbose", 1)
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def _start(self, mode):
        self._mode = mode
        self._seen = 0
        self._last_push = 0.0
        self.progbar = None
        if self.verbose:
            self.progbar = progbar_module.Progbar(
                target=self.target, verbose=self.verbose, unit_name="step",
                stateful_metrics=self.stateful_metrics | set(self.model.metrics_names),
            )

    def on_epoch_begin(self, epoch, logs=None):
        if self.verbose and self.epochs > 1:
            print(f"Epoch {epoch + 1}/{self.epochs}")
            sys.stdout.flush()
        self._start("train")

    def on_train_begin(self, logs=None):
        self._in_fit = True

    def on_train_end(self, logs=None):
        self._in_fit = False

    def on_test_begin(self, logs=None):
        if not self._in_fit:  # validation inside fit shows in the epoch's final line
            self._start("test")

    def on_predict_begin(self, logs=None):
        self._start("predict")

    def _batch_end(self, batch, logs, mode):
        if self.progbar is None or self._mode != mode:
            return
        self._seen = batch + 1
        if self.verbose != 1:
            return
        now = time.time()
        interactive = getattr(self.progbar, "_dynamic_display", True)
        if now - self._last_push < self.progbar.interval:
            return
        if not interactive and now - self._last_push < progbar_module.LOG_INTERVAL:
            return
        self._last_push = now
        values = [] if mode == "predict" else [(k, logs[k]) for k in logs or {}]
        self.progbar.update(self._seen, values, finalize=False)

    def on_train_batch_end(self, batch, logs=None):
        self._batch_end(batch, logs, "train")

    def on_test_batch_end(self, batch, logs=None):
        self._batch_end(batch, logs, "test")

    def on_predict_batch_end(self, batch, logs=None):
        self._batch_end(batch, logs, "predict")

    def _finalize(self, logs):
        if self.progbar is None:
            return
        values = [(k, v) for k, v in (logs or {}).items()]
        self.progbar.update(self._seen, values, finalize=True)
        self.progbar = None

    def on_epoch_end(self, epoch, logs=None):
        self._finalize(logs)

    def on_test_end(self, logs=None):
        if not self._in_fit:
            self._finalize(logs)

    def on_predict_end(self, logs=None):
        self._finalize({})
