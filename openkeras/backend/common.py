"""Backend state: the learning phase, clear_session, devices and tensor conversion.

The learning phase is a global 0/1 read by ``K.function`` and by ``K.in_train_phase`` /
``K.in_test_phase`` when they get ``training=None``; it reads 1 during the forward pass of a
``fit`` training step, as Keras 2 feeds 1 there. Until ``set_learning_phase`` (or
``learning_phase_scope``) fixes it, ``fit`` runs layers in training mode and ``evaluate`` /
``predict`` in inference mode; once fixed, all of them use the fixed phase, as in Keras 2
(``K.set_learning_phase(1)`` then ``predict`` keeps Dropout active).
"""

import contextlib
import gc

import numpy as np
import torch

from openkeras import config
from openkeras.engine.arrays import as_tensor
from openkeras.engine.keras_tensor import KerasTensor, is_symbolic
from openkeras.engine.naming import reset_uids

_PHASE = [0]
_FIXED = [False]  # True once set_learning_phase / inside learning_phase_scope
# (seed, device) -> generator: a seeded random op gives a reproducible sequence (random_ops);
# clear_session forgets them.
SEEDED_GENERATORS = {}


class LearningPhase:
    """What ``K.learning_phase()`` returns: reads as the current phase (0 or 1).

    Listed among the inputs of ``K.function`` it marks where the phase value is fed.
    """

    def __int__(self) -> int:
        return _PHASE[0]

    __index__ = __int__

    def __bool__(self) -> bool:
        return bool(_PHASE[0])

    def __eq__(self, other):
        return other is self or (not isinstance(other, LearningPhase) and _PHASE[0] == other)

    def __hash__(self):
        return id(self)

    def __repr__(self):
        return f"<learning_phase: {_PHASE[0]}>"


LEARNING_PHASE = LearningPhase()


def backend() -> str:
    """The name of the compute engine: 'torch'."""
    return "torch"


def learning_phase() -> LearningPhase:
    """The learning phase flag (0 = test, 1 = train); an input marker for ``K.function``."""
    return LEARNING_PHASE


def _check_phase(value):
    if value not in (0, 1):
        raise ValueError(f"Expected learning phase to be 0 or 1. Received: value={value!r}")
    return int(value)


def set_learning_phase(value) -> None:
    """Fix the learning phase to 0 (test) or 1 (train), as Keras 2's ``K.set_learning_phase``.

    From then on ``fit``, ``evaluate``, ``predict`` and the ``*_on_batch`` methods run the
    layers with ``training=bool(value)`` (``K.set_learning_phase(1)`` keeps Dropout active
    in ``predict``; ``0`` turns it off in ``fit`` too), until ``K.clear_session()``. Keras 2
    reads the phase when a layer is called on its input (graph construction); openkeras
    reads it at each run.

    Args:
        value: 0 or 1.
    """
    _PHASE[0] = _check_phase(value)
    _FIXED[0] = True


def fixed_learning_phase(default: bool) -> bool:
    """The ``training`` flag for a run of the model: ``default`` (True for fit, False for
    evaluate/predict) unless the phase has been fixed with ``set_learning_phase``."""
    return bool(_PHASE[0]) if _FIXED[0] else default


@contextlib.contextmanager
def learning_phase_scope(value):
    """Within the block the learning phase is fixed to ``value`` (0 or 1); restored afterwards.

    Args:
        value: 0 or 1.
    """
    previous = _PHASE[0], _FIXED[0]
    _PHASE[0] = _check_phase(value)
    _FIXED[0] = True
    try:
        yield value
    finally:
        _PHASE[0], _FIXED[0] = previous


def clear_session(free_memory: bool = True) -> None:
    """Reset layer-name counters and the learning phase; free cached GPU memory.

    Args:
        free_memory: on CUDA, run the garbage collector and return torch's cached GPU
            memory (on the CPU, Python frees memory by itself; nothing more is done).
    """
    reset_uids()
    SEEDED_GENERATORS.clear()
    _PHASE[0] = 0
    _FIXED[0] = False
    if free_memory and torch.cuda.is_available() and torch.cuda.is_initialized():
        gc.collect()
        torch.cuda.empty_cache()


def default_device() -> torch.device:
    """Where new tensors go: torch's default device when one is set, else ``config.device()``."""
    device = torch.get_default_device()
    return device if device.type != "cpu" else config.device()


def symbolic_error(op: str, x) -> TypeError:
    return TypeError(
        f"K.{op} needs a value, and a graph tensor has none until its graph runs: {x!r}. "
        "Evaluate it with `K.function([inputs], [x])([values])` or "
        "`K.get_session().run(x, feed_dict={input: value})`, or compute on real tensors "
        f"inside a Lambda layer, e.g. `Lambda(lambda t: K.{op}(t))(x)`."
    )


def to_tensor(x, op: str, dtype=None, like=None) -> torch.Tensor:
    """``x`` as a torch tensor (numpy floats become floatx) on ``like``'s device or the default.

    Args:
        x: a torch tensor, numpy array, Python number or nested list.
        op: the backend function asking, named in errors.
        dtype: a Keras dtype name or torch dtype to cast to.
        like: a tensor whose device (and float dtype) a converted ``x`` takes.
    """
    if isinstance(x, torch.Tensor):
        return x if dtype is None else x.to(config.torch_dtype(dtype))
    if isinstance(x, KerasTensor) or is_symbolic(x):
        raise symbolic_error(op, x)
    value = np.asarray(x)
    if value.dtype == object:
        raise TypeError(f"K.{op} expects a tensor or array. Received: {x!r}")
    if dtype is not None:
        target = config.torch_dtype(dtype)
    elif value.dtype.kind == "f":
        floating = like is not None and like.is_floating_point()
        target = like.dtype if floating else config.torch_dtype()
    else:
        target = None
    device = like.device if like is not None else default_device()
    return as_tensor(value, dtype=target, device=device)


def to_pair(x, y, op: str):
    """Two operands as tensors (a Python number beside a tensor stays a number); a converted
    operand takes the other's device and float dtype."""
    if isinstance(x, torch.Tensor):
        return x, y if isinstance(y, (int, float, bool)) else to_tensor(y, op, like=x)
    if isinstance(y, torch.Tensor):
        return (x if isinstance(x, (int, float, bool)) else to_tensor(x, op, like=y)), y
    x = to_tensor(x, op)
    return x, to_tensor(y, op, like=x)


def image_dim_ordering() -> str:
    """Keras 1's name of the image data format: 'tf' (channels_last) or 'th' (channels_first)."""
    return "th" if config.image_data_format() == "channels_first" else "tf"


def set_image_dim_ordering(dim_ordering) -> None:
    """Set the image data format by its Keras 1 name: 'tf' (channels_last) or 'th'."""
    if dim_ordering not in ("tf", "th"):
        raise ValueError(f"Unknown dim_ordering: {dim_ordering!r}. Expected 'tf' or 'th'.")
    config.set_image_data_format("channels_first" if dim_ordering == "th" else "channels_last")


# Keras 2 names outside the core backend API (CTC, local convolutions, scopes, config
# helpers, TF-only names that raise), resolved on first access: the table is in
# openkeras.engine.keras2_names.
from openkeras.engine.keras2_names import BACKEND_COMMON as _KERAS2  # noqa: E402
from openkeras.engine.lazy_exports import lazy_exports  # noqa: E402

__getattr__ = lazy_exports(__name__, _KERAS2)
