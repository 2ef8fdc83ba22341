"""JSON for configs: writing shapes, dtypes and numbers of any origin (numpy, torch,
TensorFlow), and reading config text safely (bounded in size and depth)."""

import json

import numpy as np
import torch

from openkeras.saving.errors import FileFormatError, check_config_depth, check_config_text
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


def parse_config(text, where, *, model=True):
    """A config dict from JSON text, bounded in size and depth before and after parsing.

    Args:
        text: str or bytes (or a one-element array of them, as h5py reads attributes).
        where: how errors name the text (``"'m.h5': model_config"``).
        model: require a ``{'class_name', 'config'}`` dict (a model or layer config), not
            just a dict (a ``training_config``).
    """
    if isinstance(text, np.ndarray) and text.size == 1:
        text = text.reshape(()).item()
    if not isinstance(text, (str, bytes, np.bytes_)):
        raise FileFormatError(f"{where} is not text (it holds {type(text).__name__}).")
    check_config_text(text, where)
    try:
        config = json.loads(text.decode("utf-8") if isinstance(text, bytes) else text)
        if isinstance(config, str):  # double-encoded JSON, as some tools wrote it
            check_config_text(config, where)
            config = json.loads(config)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise FileFormatError(f"{where} is not valid JSON ({e})") from e
    except RecursionError as e:
        raise FileFormatError(f"{where} is nested too deeply to parse") from e
    if not isinstance(config, dict):
        raise FileFormatError(f"{where} is not a dict")
    if model and "class_name" not in config:
        raise FileFormatError(f"{where} is not a {{'class_name', 'config'}} dict")
    return check_config_depth(config, where)
