"""Give one callback instance batch hooks without slowing down every other instance.

``CallbackList`` calls batch hooks only on callbacks whose *class* overrides them, so that
``fit`` skips the per-batch work for callbacks that only act at epoch ends. A callback whose
batch work depends on its arguments (``ModelCheckpoint(save_freq=100)``, ``TensorBoard(
update_freq='batch')``, ``LambdaCallback(on_batch_end=...)``) switches its instance to a
subclass that has the hooks, with ``enable_hooks``; the subclass keeps the class's name.
"""

import functools


@functools.lru_cache(maxsize=None)
def _subclass(cls, methods):
    return type(cls.__name__, (cls,), {"__module__": cls.__module__,
                                       "__qualname__": cls.__qualname__, **dict(methods)})


def enable_hooks(callback, methods):
    """Switch ``callback`` to a (cached) subclass of its class defining ``methods``.

    Args:
        callback: the Callback instance.
        methods: dict hook name -> function ``(self, *args)`` (e.g. ``{'on_train_batch_end':
            MyCallback._save_on_batch}``); functions must be stable objects so the subclass is
            shared between instances.
    """
    if methods:
        callback.__class__ = _subclass(type(callback), tuple(sorted(methods.items())))
