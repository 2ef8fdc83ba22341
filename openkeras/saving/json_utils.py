"""JSON for configs: shapes, dtypes and numbers of any origin (numpy, torch, TensorFlow)."""

import numpy as np
import torch

from openkeras.utils.generic_utils import get_registered_name


def get_json_type(obj):
    """The JSON-compatible form of ``obj`` (``json.dumps(..., default=get_json_type)``).

    Handles numpy scalars and arrays, numpy/torch dtypes, ``torch.Size``, tensors, objects with
    ``get_config``, functions, sets, bytes and TensorFlow's ``TensorShape``/``Dimension``
    (duck-typed), so a config built from any of them saves.

    Args:
        obj: an object ``json`` could not encode.
    """
    if hasattr(obj, "get_config"):
        return {"class_name": get_registered_name(type(obj)), "config": obj.get_config()}
    if isinstance(obj, np.ndarray):
        return obj.item() if obj.ndim == 0 else obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, torch.dtype):
        return str(obj).replace("torch.", "")
    if isinstance(obj, np.dtype) or (isinstance(obj, type) and issubclass(obj, np.generic)):
        return np.dtype(obj).name
    if isinstance(obj, torch.Size):
        return list(obj)
    if isinstance(obj, torch.Tensor):
        return obj.item() if obj.ndim == 0 else obj.tolist()
    if hasattr(obj, "as_list") and callable(obj.as_list):  # tf.TensorShape
        try:
            return obj.as_list()
        except ValueError:  # unknown rank
            return None
    if type(obj).__name__ == "Dimension" and hasattr(obj, "value"):  # tf.Dimension (TF 1.x)
        return obj.value
    if isinstance(obj, (set, frozenset)):
        return sorted(obj, key=str)
    if isinstance(obj, bytes):
        return obj.decode("utf-8")
    if callable(obj) and hasattr(obj, "__name__"):
        return get_registered_name(obj)
    raise TypeError(f"Not JSON Serializable: {obj!r} (of type {type(obj).__name__})")
