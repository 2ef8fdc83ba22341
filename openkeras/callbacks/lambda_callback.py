"""LambdaCallback (a callback made of plain functions) and TerminateOnNaN."""

import functools
import math

from openkeras.callbacks.base import Callback
from openkeras.callbacks.batch_hooks import enable_hooks

_HOOKS = tuple(name for name in vars(Callback) if name.startswith("on_"))


@functools.lru_cache(maxsize=None)
def _forward(name):
    """A method calling the function given for hook ``name`` (one object per name)."""

    def method(self, *args, **kwargs):
        return self._hooks[name](*args, *kwargs.values())

    method.__name__ = name
    return method


class LambdaCallback(Callback):
    """A callback whose hooks are the functions you pass.

    ``on_epoch_begin`` / ``on_epoch_end`` receive ``(epoch, logs)``, ``on_batch_begin`` /
    ``on_batch_end`` ``(batch, logs)``, ``on_train_begin`` / ``on_train_end`` ``(logs)``. Any
    other hook of Callback (``on_test_batch_end=...``, ``on_predict_end=...``) can be given as a
    keyword. Hooks not given do nothing, and ``fit`` does no per-batch work unless a batch hook
    is given.

    Args:
        on_epoch_begin, on_epoch_end, on_batch_begin, on_batch_end, on_train_begin,
        on_train_end: functions, or None.
        **kwargs: other hooks by name. Anything that is not a hook name raises a TypeError.
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_batch_begin=None,
                 on_batch_end=None, on_train_begin=None, on_train_end=None, **kwargs):
        super().__init__()
        unknown = sorted(set(kwargs) - set(_HOOKS))
        if unknown:
            raise TypeError(f"LambdaCallback: unknown hooks {unknown}. Hooks are: "
                            f"{', '.join(_HOOKS)}")
        given = {"on_epoch_begin": on_epoch_begin, "on_epoch_end": on_epoch_end,
                 "on_batch_begin": on_batch_begin, "on_batch_end": on_batch_end,
                 "on_train_begin": on_train_begin, "on_train_end": on_train_end, **kwargs}
        self._hooks = {}
        for name, fn in given.items():
            if fn is None:
                continue
            if not callable(fn):
                raise TypeError(f"LambdaCallback: {name} must be callable. Received: {fn!r}")
            self._hooks[name] = fn
        enable_hooks(self, {name: _forward(name) for name in self._hooks})


class TerminateOnNaN(Callback):
    """Stop training as soon as the loss becomes NaN or infinite.

    The check reads ``logs['loss']`` after every training batch, so it makes the host wait for
    the device once per batch.
    """

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and (math.isnan(loss) or math.isinf(loss)):
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True
