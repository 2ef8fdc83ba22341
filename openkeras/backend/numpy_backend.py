"""``keras.backend.numpy_backend``: Keras 2.3's numpy reference backend, as numpy-in, numpy-out
wrappers of openkeras's backend functions (Keras 2 used it to test backends against)."""

import functools

import torch


def _to_numpy(value):
    if torch.is_tensor(value):
        return value.detach().cpu().numpy()
    if isinstance(value, (list, tuple)):
        return type(value)(_to_numpy(v) for v in value)
    return value


def __getattr__(name):
    import openkeras.backend as K

    fn = getattr(K, name)
    if not callable(fn) or isinstance(fn, type):
        return fn

    @functools.wraps(fn)
    def numpy_fn(*args, **kwargs):
        return _to_numpy(fn(*args, **kwargs))

    return numpy_fn


__all__ = []
