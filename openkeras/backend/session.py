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
from openkeras.backend.function import function
from openkeras.backend.variables import get_value
from openkeras.engine.graph_ops import OptimizerStep, UpdateOp
from openkeras.engine.keras_tensor import KerasTensor

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


class Session:
    """What ``K.get_session()`` returns: ``run(fetches, feed_dict)`` evaluates graph tensors.

    ``sess.run(model.output, feed_dict={model.input: x})`` runs the graph as a ``K.function``
    (compiled once per set of fed and fetched tensors). Variables and weights (torch tensors)
    fetch their value; update ops in ``fetches`` are applied.
    """

    def __init__(self):
        self._functions = {}

    def run(self, fetches, feed_dict=None, **kwargs):
        """The numpy values of ``fetches`` (a graph tensor, variable, or list of them).

        Args:
            fetches: a graph tensor, torch tensor, update op, or a list/tuple of them.
            feed_dict: ``{placeholder or model input: value}``; ``K.learning_phase()`` may be a
                key (0 or 1).
        """
        if kwargs:
            raise ValueError(f"Session.run: {sorted(kwargs)} (TensorFlow run options) have no "
                             "equivalent in openkeras.")
        single = not isinstance(fetches, (list, tuple))
        items = [fetches] if single else list(fetches)
        feed = dict(feed_dict or {})
        graph = [t for t in items if isinstance(t, KerasTensor)]
        updates = [u for u in items if isinstance(u, (UpdateOp, OptimizerStep))]
        values = {}
        if graph or updates:
            keys = list(feed)
            cache_key = (tuple(id(k) for k in keys), tuple(id(t) for t in graph),
                         tuple(id(u) for u in updates))
            fn = self._functions.get(cache_key)
            if fn is None:
                fn = function(keys, graph, updates=updates)
                self._functions[cache_key] = (fn, keys, graph, updates)  # keep them alive
            else:
                fn = fn[0]
            outs = fn([feed[k] for k in keys])
            values = {id(t): v for t, v in zip(graph, outs, strict=True)}
        out = []
        for t in items:
            if isinstance(t, KerasTensor):
                out.append(values[id(t)])
            elif isinstance(t, (UpdateOp, OptimizerStep)):
                out.append(None)
            else:
                out.append(get_value(t))
        return out[0] if single else out

    def close(self):
        """Nothing to release (kept for code that closes its session)."""


_SESSION = []


def get_session():
    """The session object whose ``run(fetches, feed_dict)`` evaluates graph tensors.

    TensorFlow session configuration has no torch equivalent beyond what ``set_session``
    applies; ``run`` is the part of a session Keras 2 code uses.
    """
    if not _SESSION:
        _SESSION.append(Session())
    return _SESSION[0]


def _get_available_gpus() -> list:
    """The GPUs torch sees, named as TensorFlow names them ('/device:GPU:0', ...)."""
    if not torch.cuda.is_available():
        return []
    return [f"/device:GPU:{i}" for i in range(torch.cuda.device_count())]

