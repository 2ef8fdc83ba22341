"""Keras 2 backend names not in the core API: CTC, local convolutions, scopes, TF-only stubs.

Resolved lazily from ``openkeras.backend`` (``K.name_scope``, ``K.size`` ...).
Context managers that only organize a TensorFlow graph (``name_scope``,
``control_dependencies``) run their block as is: torch executes eagerly, in program order.
TensorFlow/Theano-only names raise an error that says so.
"""

import builtins
import contextlib

import torch

import openkeras.backend
from openkeras.backend.common import backend, to_tensor

py_all = builtins.all
py_any = builtins.any
py_sum = builtins.sum
py_slice = builtins.slice


def size(x, name=None):
    """The number of elements of ``x`` (an int64 scalar tensor)."""
    return torch.tensor(to_tensor(x, "size").numel())


def is_variable(x):
    """Whether ``x`` is a variable (a torch Parameter, as ``K.variable`` and layer weights are)."""
    return isinstance(x, torch.nn.Parameter)


@contextlib.contextmanager
def name_scope(name):
    """Keras 2's graph name scope: names do not shape torch's computation; the block runs."""
    yield name


@contextlib.contextmanager
def control_dependencies(control_inputs):
    """Run the block after ``control_inputs``; torch already runs ops in program order."""
    yield


def eager(func):
    """Keras 2.3's decorator marking a function eager-safe; torch is always eager."""
    return func


def symbolic(func):
    """Keras 2.3's decorator running a function in its graph; openkeras runs it as is."""
    return func


_MANUAL_INIT = [False]


def manual_variable_initialization(value):
    """Keras 2's switch for TensorFlow variable initialization; torch variables are always
    initialized when created, so this only records the flag."""
    _MANUAL_INIT[0] = bool(value)


def v1_variable_initialization():
    """Keras 2.3's TF1 variable initialization; torch variables are initialized on creation."""


def _tf_only(name, what):
    def unsupported(*args, **kwargs):
        raise NotImplementedError(f"K.{name}: {what}; openkeras runs on PyTorch only.")

    unsupported.__name__ = name
    unsupported._openkeras_unsupported = f"K.{name}: {what}"
    return unsupported


get_graph = _tf_only("get_graph", "returns the TensorFlow graph")
pattern_broadcast = _tf_only("pattern_broadcast", "a Theano broadcasting pattern")


def _backend_module():
    return openkeras.backend


def __getattr__(name):
    # Keras 2.3's load_backend names: the loaded backend module and its entries.
    if name == "backend_module":
        return _backend_module()
    if name in ("entries", "namespace"):
        return vars(_backend_module())
    if name == "required_entries":
        entries = [n for n in vars(_backend_module()) if not n.startswith("_")]
        globals()[name] = entries  # computed once, the same list afterwards
        return entries
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["backend"]
