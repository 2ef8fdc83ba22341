"""``keras.backend.numpy_backend``: Keras 2.3's numpy reference backend, as numpy-in, numpy-out
wrappers of openkeras's backend functions (Keras 2 used it to test backends against)."""

import functools

import torch

import openkeras.backend as K
from openkeras.utils.np_utils import to_categorical


def _to_numpy(value):
    if torch.is_tensor(value):
        return value.detach().cpu().numpy()
    if isinstance(value, (list, tuple)):
        return type(value)(_to_numpy(v) for v in value)
    return value


_REFERENCE_HELPERS = ("conv", "conv_transpose", "depthwise_conv", "normalize_conv", "pool",
                      "separable_conv")


def _reference_helper(name):
    def unsupported(*args, **kwargs):
        raise NotImplementedError(f"keras.backend.numpy_backend.{name} is an internal helper of "
                                  "Keras 2.3's numpy reference backend; openkeras does not "
                                  "implement it. Use K.conv2d / K.pool2d / ... (numpy in, "
                                  "numpy out through this module).")

    unsupported.__name__ = name
    unsupported._openkeras_unsupported = f"numpy_backend.{name} (reference-backend helper)"
    return unsupported


def __getattr__(name):
    if name in _REFERENCE_HELPERS:
        return _reference_helper(name)
    if name == "to_categorical":
        return to_categorical

    fn = getattr(K, name)
    if not callable(fn) or isinstance(fn, type):
        return fn

    @functools.wraps(fn)
    def numpy_fn(*args, **kwargs):
        return _to_numpy(fn(*args, **kwargs))

    return numpy_fn


__all__ = []
