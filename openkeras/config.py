"""Global settings: floatx, epsilon, image_data_format, the compute device and CPU threads.

Read at import from ``$KERAS_HOME/keras.json`` (default ``~/.keras/keras.json``), the file
Keras 2 reads, and written there with the defaults when it is absent, as Keras 2 does.
``$OPENKERAS_HOME`` overrides ``$KERAS_HOME`` for openkeras alone. The same folder holds
the caches of ``get_file``: ``datasets/`` and ``models/`` (application weights).
"""

import json
import os
import tempfile
import warnings

import torch

_FLOATX = "float32"
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"
_DEVICE = None  # None: CUDA when available, else CPU
_THREADS = None  # None: openkeras sizes torch's intra-op threads per call (engine/threads.py)
_THREADS_BEFORE = None  # torch's count before set_threads fixed one, restored by 'auto'
_JIT_COMPILE = False  # compile()'s jit_compile default (engine/compiled_step.py)


# keras.json "backend" values that need no warning: TensorFlow is what every file written by
# Keras 2 says (and what openkeras writes, so a real Keras sharing the file still imports).
_QUIET_BACKENDS = ("tensorflow", "torch", "pytorch", "openkeras")


def config_dir() -> str:
    """The Keras folder: ``$OPENKERAS_HOME``, else ``$KERAS_HOME``, else ``~/.keras``.

    As in Keras 2, ``~/.keras`` becomes ``/tmp/.keras`` (the temp folder) when the home folder
    is not writable.
    """
    for name in ("OPENKERAS_HOME", "KERAS_HOME"):
        if os.environ.get(name):
            return os.path.expanduser(os.environ[name])
    base = os.path.expanduser("~")
    if not os.access(base, os.W_OK):
        base = tempfile.gettempdir()
    return os.path.join(base, ".keras")


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


def threads():
    """The intra-op threads fixed by ``set_threads``, or None when openkeras chooses them."""
    return _THREADS


def threads_before():
    """torch's thread count from before ``set_threads`` fixed one (None if it never did)."""
    return _THREADS_BEFORE


def set_threads(value) -> None:
    """Fix torch's intra-op CPU threads, or let openkeras choose them per fit/evaluate/predict.

    Args:
        value: a positive int (calls ``torch.set_num_threads``), or None / 'auto': one thread
            for small models, else the allowed cores other processes leave free.
    """
    global _THREADS, _THREADS_BEFORE
    if value is None or value == "auto":
        if _THREADS is not None:
            torch.set_num_threads(_THREADS_BEFORE)
        _THREADS = None
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"threads must be a positive integer or 'auto'. Received: {value!r}")
    if _THREADS is None:
        _THREADS_BEFORE = torch.get_num_threads()
    torch.set_num_threads(value)
    _THREADS = int(value)


def jit_compile() -> bool:
    """Whether models compile their train and predict steps unless compile() says otherwise."""
    return _JIT_COMPILE


def set_jit_compile(value) -> None:
    """Set the default of ``compile(..., jit_compile=...)``.

    Args:
        value: True: train and predict steps run as ``torch.compile`` graphs; False: eagerly.
    """
    global _JIT_COMPILE
    if not isinstance(value, bool):
        raise ValueError(f"jit_compile must be True or False. Received: {value!r}")
    _JIT_COMPILE = value


_TORCH_DTYPES = {name: getattr(torch, name) for name in (
    "float16", "bfloat16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
    "bool")}


def torch_dtype(name=None) -> torch.dtype:
    """The torch dtype for a Keras dtype name (default: floatx)."""
    if isinstance(name, torch.dtype):
        return name
    name = name or _FLOATX
    known = _TORCH_DTYPES.get(name) if type(name) is str else None
    if known is not None:  # asked on every batch (metrics, losses): answered from the table
        return known
    if hasattr(name, "name") and not isinstance(name, str):  # numpy dtype
        name = name.name
    dtype = getattr(torch, {"bool": "bool", "string": "uint8"}.get(name, name), None) \
        if isinstance(name, str) and not name.startswith("_") else None
    if not isinstance(dtype, torch.dtype):  # a name from a file must not reach other attributes
        raise ValueError(f"Unknown dtype: {name!r}")
    return dtype


def _apply(cfg: dict, path: str) -> None:
    try:
        if "floatx" in cfg:
            set_floatx(cfg["floatx"])
        if "epsilon" in cfg:
            set_epsilon(cfg["epsilon"])
        if "image_data_format" in cfg:
            set_image_data_format(cfg["image_data_format"])
        if cfg.get("device"):
            set_device(cfg["device"])
        if "threads" in cfg:
            set_threads(cfg["threads"])
        if "jit_compile" in cfg:
            set_jit_compile(cfg["jit_compile"])
    except (TypeError, ValueError, RuntimeError) as e:
        raise ValueError(f"Invalid Keras configuration file {path}: {e}") from None
    backend = os.environ.get("KERAS_BACKEND") or cfg.get("backend")
    if backend and str(backend).lower() not in _QUIET_BACKENDS:
        warnings.warn(f"Keras backend {backend!r} (from {path} or $KERAS_BACKEND) is ignored: "
                      "openkeras always computes with PyTorch.", UserWarning, stacklevel=3)


def _load() -> None:
    """Read keras.json (Keras 2 ignores a file that is not valid JSON); write it if absent."""
    folder = config_dir()
    path = os.path.join(folder, "keras.json")
    cfg = {}
    if os.path.exists(path):
        try:
            with open(path) as f:
                cfg = json.load(f)
        except (OSError, ValueError):
            cfg = {}
        _apply(cfg if isinstance(cfg, dict) else {}, path)
        return
    _apply({}, path)
    defaults = {"floatx": floatx(), "epsilon": epsilon(), "backend": "tensorflow",
                "image_data_format": image_data_format()}
    try:  # as Keras 2: a folder or file that cannot be written is no error
        os.makedirs(folder, exist_ok=True)
        with open(path, "x") as f:
            f.write(json.dumps(defaults, indent=4))
    except OSError:
        pass


_load()
