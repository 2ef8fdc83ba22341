"""Global settings: floatx, epsilon, image_data_format and the compute device.

Read once from ``$OPENKERAS_HOME/openkeras.json`` (default ``~/.openkeras``), the
way Keras 2 read ``~/.keras/keras.json``.
"""

import json
import os

import torch

_FLOATX = "float32"
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"
_DEVICE = None  # None: CUDA when available, else CPU


def config_dir() -> str:
    """The folder holding openkeras.json and the datasets cache."""
    return os.path.expanduser(os.environ.get("OPENKERAS_HOME", os.path.join("~", ".openkeras")))


def floatx() -> str:
    return _FLOATX


def set_floatx(value: str) -> None:
    global _FLOATX
    if value not in ("float16", "bfloat16", "float32", "float64"):
        raise ValueError(f"Unknown floatx type: {value!r}. Expected float16, bfloat16, float32 or float64.")
    _FLOATX = str(value)


def epsilon() -> float:
    return _EPSILON


def set_epsilon(value: float) -> None:
    global _EPSILON
    _EPSILON = float(value)


def image_data_format() -> str:
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format: str) -> None:
    global _IMAGE_DATA_FORMAT
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            "image_data_format must be 'channels_last' or 'channels_first'. "
            f"Received: {data_format!r}"
        )
    _IMAGE_DATA_FORMAT = data_format


def normalize_data_format(value):
    """Return ``value`` checked, or the global default when it is None."""
    if value is None:
        return _IMAGE_DATA_FORMAT
    value = str(value).lower()
    if value not in ("channels_last", "channels_first"):
        raise ValueError(
            f"The `data_format` argument must be one of 'channels_last', 'channels_first'. "
            f"Received: {value!r}"
        )
    return value


def device() -> torch.device:
    """The device new models run on."""
    if _DEVICE is not None:
        return torch.device(_DEVICE)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def set_device(name) -> None:
    """Force a device ('cpu', 'cuda', 'cuda:1'); None restores automatic choice."""
    global _DEVICE
    _DEVICE = None if name is None else str(torch.device(name))


def torch_dtype(name=None) -> torch.dtype:
    """The torch dtype for a Keras dtype name (default: floatx)."""
    if isinstance(name, torch.dtype):
        return name
    name = name or _FLOATX
    if hasattr(name, "name") and not isinstance(name, str):  # numpy dtype
        name = name.name
    dtype = getattr(torch, {"bool": "bool", "string": "uint8"}.get(name, name), None) \
        if isinstance(name, str) and not name.startswith("_") else None
    if not isinstance(dtype, torch.dtype):  # a name from a file must not reach other attributes
        raise ValueError(f"Unknown dtype: {name!r}")
    return dtype


def _load():
    path = os.path.join(config_dir(), "openkeras.json")
    if not os.path.exists(path):
        return
    try:
        with open(path) as f:
            cfg = json.load(f)
    except (OSError, ValueError):
        return
    if "floatx" in cfg:
        set_floatx(cfg["floatx"])
    if "epsilon" in cfg:
        set_epsilon(cfg["epsilon"])
    if "image_data_format" in cfg:
        set_image_data_format(cfg["image_data_format"])
    if cfg.get("device"):
        set_device(cfg["device"])


_load()
