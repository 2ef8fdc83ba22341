"""TensorFlow-session code mapped onto torch: set_session applies a session's options.

openkeras has no TensorFlow sessions: PyTorch runs eagerly. ``set_session`` reads the
options of the session (or ConfigProto) it is given — duck-typed, so TensorFlow's
``tf.compat.v1.Session(config=...)`` works when TensorFlow is installed, and any object with the
same attributes works without it — and applies what has a torch equivalent:

- ``gpu_options.per_process_gpu_memory_fraction`` -> ``torch.cuda.set_per_process_memory_fraction``
  on every visible GPU (a hard cap in torch: allocations beyond it raise out-of-memory).
- ``gpu_options.allow_growth``: torch already allocates GPU memory on demand.
- ``intra_op_parallelism_threads`` -> ``torch.set_num_threads``;
  ``inter_op_parallelism_threads`` -> ``torch.set_interop_threads``.
- ``device_count={'GPU': 0}`` -> openkeras runs on the CPU (``config.set_device('cpu')``).

Anything that cannot take effect is reported with a warning, never silently ignored.
"""

import warnings

import torch

from openkeras import config

_NO_SESSIONS = (
    "openkeras has no TensorFlow sessions: PyTorch runs eagerly, so there is no graph to run and "
    "no variables to initialize. Compute values with model.predict, K.function or K.eval; read "
    "and write variables with K.get_value / K.set_value."
)


def _config_of(session):
    for attr in ("_config", "config"):
        cfg = getattr(session, attr, None)
        if cfg is not None and not callable(cfg):
            return cfg
    if hasattr(session, "gpu_options") or hasattr(session, "intra_op_parallelism_threads"):
        return session
    return None


def _device_count(cfg):
    counts = getattr(cfg, "device_count", None)
    if counts is None:
        return {}
    try:
        return {str(k).upper(): int(v) for k, v in dict(counts).items()}
    except (TypeError, ValueError):
        return {}


def set_session(session) -> None:
    """Apply a TensorFlow session's (or ConfigProto's) options to torch, or explain why not.

    Args:
        session: a ``tf.compat.v1.Session``, a ``ConfigProto``, or any object with their
            ``config`` / ``gpu_options`` attributes.
    """
    cfg = _config_of(session)
    if cfg is None:
        warnings.warn(f"set_session: {session!r} carries no config (gpu_options, thread counts), "
                      "so there is nothing to apply. " + _NO_SESSIONS, stacklevel=2)
        return
    notes = []
    threads = int(getattr(cfg, "intra_op_parallelism_threads", 0) or 0)
    if threads > 0:
        torch.set_num_threads(threads)
    inter = int(getattr(cfg, "inter_op_parallelism_threads", 0) or 0)
    if inter > 0 and inter != torch.get_num_interop_threads():
        try:
            torch.set_interop_threads(inter)
        except RuntimeError:
            notes.append(f"inter_op_parallelism_threads={inter} has no effect: torch can only set "
                         "it before its first parallel work in this process")
    if _device_count(cfg).get("GPU") == 0:
        config.set_device("cpu")
    gpu = getattr(cfg, "gpu_options", None)
    fraction = float(getattr(gpu, "per_process_gpu_memory_fraction", 0) or 0)
    if fraction > 0:
        if torch.cuda.is_available():
            for index in range(torch.cuda.device_count()):
                torch.cuda.set_per_process_memory_fraction(min(fraction, 1.0), index)
        else:
            notes.append(f"per_process_gpu_memory_fraction={fraction} has no effect: torch sees "
                         "no CUDA GPU, openkeras runs on the CPU")
    if notes:
        warnings.warn("set_session: " + "; ".join(notes) + ".", stacklevel=2)


def get_session():
    """There are no sessions in openkeras: raises a RuntimeError that says what to use instead."""
    raise RuntimeError("K.get_session(): " + _NO_SESSIONS)


def _get_available_gpus() -> list:
    """The GPUs torch sees, named as TensorFlow names them ('/device:GPU:0', ...)."""
    if not torch.cuda.is_available():
        return []
    return [f"/device:GPU:{i}" for i in range(torch.cuda.device_count())]


get_session._openkeras_unsupported = _NO_SESSIONS
