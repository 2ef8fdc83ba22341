"""Variables, constants and tensor facts: variable, get/set_value, int_shape, cast, zeros, ..."""

import numpy as np
import torch

from openkeras import config
from openkeras.backend.common import default_device, to_tensor
from openkeras.engine import graph_ops
from openkeras.engine.arrays import as_tensor
from openkeras.engine.graph_variables import GRAPH_VALUE_TYPES, GraphVariable, evaluate
from openkeras.engine.input_layer import Input
from openkeras.engine.keras_tensor import KerasTensor
from openkeras.engine.weights import set_weight, weight_to_keras
from openkeras.utils.generic_utils import is_int


def variable(value, dtype=None, name=None, constraint=None) -> torch.Tensor:
    """A variable holding a copy of ``value`` (a torch Parameter with a Keras ``.name``).

    Float variables require gradients, as TensorFlow variables are trainable. As in Keras 2,
    Python operators and K functions on a variable build expressions that ``K.eval``,
    ``K.function`` and ``get_session().run`` compute from its value when they run (after
    ``K.set_value`` / updates); they are also torch tensors holding the value at build time
    (openkeras.engine.graph_variables).

    Args:
        value: a numpy array, number, nested list or tensor.
        dtype: the Keras dtype name (default: floatx).
        name: the variable's name ('name:0'; default 'Variable:0').
        constraint: an optional projection applied by optimizers (kept as ``.constraint``).
    """
    # A Keras 2-style optimizer's get_updates runs every step: it gets its first run's variables.
    return graph_ops.replayed_variable(lambda: _new_variable(value, dtype, name, constraint))


def _new_variable(value, dtype, name, constraint):
    if isinstance(value, torch.Tensor):
        data = value.detach().to(config.torch_dtype(dtype or config.floatx())).clone()
    else:
        data = to_tensor(value, "variable", dtype=dtype or config.floatx()).clone()
    v = GraphVariable(data, requires_grad=data.is_floating_point())
    v._keras_full_name = f"{name or 'Variable'}:0"
    v.constraint = constraint
    return v


def constant(value, dtype=None, shape=None, name=None) -> torch.Tensor:
    """A constant tensor holding a copy of ``value``, optionally filled or reshaped to ``shape``.

    Args:
        value: a number, array or nested list.
        dtype: the Keras dtype name (default: floatx).
        shape: the result's shape: a scalar ``value`` fills it, otherwise it must have as many
            elements.
        name: unused (tensors have no names in torch).
    """
    t = to_tensor(value, "constant", dtype=dtype or config.floatx()).clone()
    if shape is None:
        return t
    shape = tuple(int(d) for d in shape)
    if t.numel() == 1:
        return t.reshape(()).expand(shape).clone()
    if t.numel() != int(np.prod(shape)):
        raise ValueError(f"K.constant: a value with {t.numel()} elements cannot take shape "
                         f"{shape}. Received: value of shape {tuple(t.shape)}, shape={shape}")
    return t.reshape(shape)


def placeholder(shape=None, ndim=None, dtype=None, sparse=False, name=None):
    """A symbolic input (an ``Input`` KerasTensor); ``shape`` includes the batch dimension.

    Args:
        shape: the full shape, None where unknown.
        ndim: the rank, when ``shape`` is not given (all dimensions unknown).
        dtype: the Keras dtype name (default: floatx).
        sparse: must be False (sparse tensors are not supported).
        name: the input layer's name.
    """
    if sparse:
        raise ValueError("K.placeholder: sparse placeholders are not supported by openkeras.")
    if shape is None:
        if ndim is None:
            raise ValueError("K.placeholder needs `shape` or `ndim`. Received: shape=None, "
                             "ndim=None")
        shape = (None,) * int(ndim)
    return Input(batch_shape=tuple(shape), dtype=dtype or config.floatx(), name=name)


def is_placeholder(x) -> bool:
    """True for a tensor made by ``K.placeholder`` or ``Input``."""
    history = getattr(x, "_keras_history", None) if isinstance(x, KerasTensor) else None
    return bool(history) and getattr(history[0], "is_placeholder", False)


def is_tensor(x) -> bool:
    """True for a torch tensor or a symbolic KerasTensor."""
    return isinstance(x, (torch.Tensor, KerasTensor))


def is_keras_tensor(x) -> bool:
    """True for a symbolic tensor made by ``Input`` or a layer; False for a torch tensor.

    Raises:
        ValueError: when ``x`` is not a tensor at all.
    """
    if not is_tensor(x):
        raise ValueError(f"Unexpectedly found an instance of type `{type(x)}`. Expected a "
                         "symbolic tensor instance.")
    return isinstance(x, KerasTensor)


def is_sparse(x) -> bool:
    """False: openkeras has dense tensors only."""
    return False


def to_dense(x):
    """``x`` itself (tensors are always dense)."""
    return x


def get_value(x):
    """The value of a variable as numpy (a layer weight in Keras layout; 0-d gives a scalar).

    An expression over variables (``K.variable(1.) * 2``) is computed from their current values.

    Args:
        x: a torch tensor (a layer weight, ``K.variable``, ``model.optimizer.lr``, ...).
    """
    if isinstance(x, KerasTensor):  # built from placeholders: only K.function can feed them
        raise graph_ops.missing_value_error("K.get_value", x, graph_ops.placeholders_of(x))
    if isinstance(x, torch.Tensor):
        if getattr(x, "_keras_layout", None) is not None:
            return weight_to_keras(x)
        t = evaluate(x).detach()
        if t.dtype == torch.bfloat16:
            t = t.float()
        value = t.cpu().numpy().copy()
        return value[()] if value.ndim == 0 else value
    if isinstance(x, (np.ndarray, np.generic, int, float, bool)):
        return np.asarray(x)[()] if np.ndim(x) == 0 else np.asarray(x)
    raise TypeError(f"K.get_value expects a tensor or variable. Received: {x!r} of type "
                    f"{type(x).__name__}")


def eval(x):
    """The value of a tensor as numpy (``K.eval``).

    An expression over variables and constants is computed from the variables' current values.
    A graph tensor (every one is built from placeholders) raises an error naming the
    placeholders it needs: feed them with ``K.function``.
    """
    if isinstance(x, KerasTensor):
        raise graph_ops.missing_value_error("K.eval", x, graph_ops.placeholders_of(x))
    return get_value(x)


def set_value(x, value) -> None:
    """Copy ``value`` into the variable ``x`` in place (a layer weight takes Keras layout).

    Args:
        x: a torch tensor: a layer weight, ``K.variable`` or an optimizer hyperparameter
            such as ``model.optimizer.lr``.
        value: a number or array of ``x``'s (Keras) shape.
    """
    if not isinstance(x, torch.Tensor):
        hint = " (a learning-rate schedule has no value to set)" if callable(x) else ""
        raise TypeError(f"K.set_value expects a variable: a torch tensor such as a layer weight "
                        f"or model.optimizer.lr{hint}. Received: x={x!r}")
    if getattr(x, "_keras_layout", None) is not None:
        set_weight(x, value, owner=x.name)
        return
    value = np.asarray(value.detach().cpu() if isinstance(value, torch.Tensor) else value)
    if tuple(value.shape) != tuple(x.shape):
        raise ValueError(f"K.set_value: the value's shape {tuple(value.shape)} does not match "
                         f"the variable's shape {tuple(x.shape)} (variable "
                         f"{getattr(x, 'name', None) or 'tensor'}).")
    with torch.no_grad():
        x.copy_(as_tensor(value).to(x.dtype))


def batch_get_value(tensors) -> list:
    """``[get_value(x) for x in tensors]``."""
    return [get_value(x) for x in tensors]


def batch_set_value(tuples) -> None:
    """Set many variables: ``tuples`` is a list of ``(variable, value)``."""
    for x, value in tuples:
        set_value(x, value)


def _is_graph_update(x, value):
    """Keras 2's update semantics (an op, applied when run) for ``K.variable``s, graph tensors
    and expressions, and inside an optimizer's ``get_updates``; eager code updating a weight
    or state with a tensor updates it now."""
    cls = value.__class__
    return (cls is KerasTensor or cls in GRAPH_VALUE_TYPES or x.__class__ in GRAPH_VALUE_TYPES
            or graph_ops.recording_updates())


def _deferred(op, x, value, momentum=None):
    """The update op K.function applies for a graph update (see ``_is_graph_update``); None
    to apply now."""
    if _is_graph_update(x, value):
        return graph_ops.UpdateOp(x, value, op, momentum)
    return None


def update(x, new_x):
    """Assign ``new_x`` to the variable ``x``.

    For a ``K.variable`` or a graph value (a graph tensor, an expression over variables) and
    inside an optimizer's ``get_updates`` it returns an update op, applied as in Keras 2 when
    it runs: ``K.function(..., updates=[...])`` after computing its outputs,
    ``get_session().run(op)``, ``K.eval(op)`` or ``Layer.add_update(op)``. Updating a layer
    weight or a plain tensor with a tensor assigns in place now and returns ``x``.
    """
    deferred = _deferred("assign", x, new_x)
    if deferred is not None:
        return deferred
    with torch.no_grad():
        x.copy_(to_tensor(new_x, "update", like=x))
    return x


def update_add(x, increment):
    """``x += increment`` (an update op for graph values, see ``update``); returns ``x``."""
    deferred = _deferred("add", x, increment)
    if deferred is not None:
        return deferred
    with torch.no_grad():
        x.add_(to_tensor(increment, "update_add", like=x))
    return x


def update_sub(x, decrement):
    """``x -= decrement`` (an update op for graph values, see ``update``); returns ``x``."""
    deferred = _deferred("sub", x, decrement)
    if deferred is not None:
        return deferred
    with torch.no_grad():
        x.sub_(to_tensor(decrement, "update_sub", like=x))
    return x


def moving_average_update(x, value, momentum):
    """Keras 2's moving average of ``value`` into the variable ``x`` (TensorFlow's
    zero-debiased ``assign_moving_average``: x becomes biased / (1 - momentum ** steps)).

    Args:
        x: the variable.
        value: a tensor of ``x``'s shape (a graph tensor gives an update op).
        momentum: the decay, e.g. 0.99.
    """
    op = graph_ops.UpdateOp(x, value, "moving_average", float(momentum))
    if _is_graph_update(x, value):
        return op
    op.apply([])
    return x


def int_shape(x):
    """The shape as a tuple of ints, None where unknown (works on KerasTensors)."""
    shape = getattr(x, "_keras_shape", None) if getattr(x, "_keras_layout", None) else None
    shape = shape if shape is not None else getattr(x, "shape", None)
    if shape is None:
        raise ValueError(f"int_shape expects a tensor. Received: {x!r}")
    return tuple(None if d is None else int(d) for d in shape)


def shape(x):
    """A tensor's ``torch.Size`` (a weight's in Keras layout).

    On a graph tensor it is a graph tensor (int32, one entry per dimension) that K functions
    given it (``K.reshape``, ``K.zeros``, ``K.random_normal``, indexing) read at run time.
    """
    if getattr(x, "_keras_layout", None) is not None:
        return torch.Size(x._keras_shape)
    return to_tensor(x, "shape").shape


def ndim(x) -> int:
    """The rank of a tensor or KerasTensor."""
    return len(int_shape(x))


def dtype(x) -> str:
    """The Keras dtype name of a tensor or KerasTensor ('float32', 'int64', ...)."""
    if isinstance(x, KerasTensor):
        return x.dtype
    if isinstance(x, torch.Tensor):
        return str(x.dtype).replace("torch.", "")
    return np.asarray(x).dtype.name


def count_params(x) -> int:
    """The number of scalars in a tensor or variable."""
    return int(np.prod(int_shape(x)))


def cast(x, dtype) -> torch.Tensor:
    """``x`` as a tensor of ``dtype`` (a Keras dtype name)."""
    return to_tensor(x, "cast", dtype=dtype)


def cast_to_floatx(x):
    """A numpy array (or a tensor, for a tensor) of floatx."""
    if isinstance(x, torch.Tensor):
        return x.to(config.torch_dtype())
    return np.asarray(x, dtype=config.floatx())


def _shape_tuple(shape):
    return (int(shape),) if is_int(shape) else tuple(int(d) for d in shape)


def zeros(shape, dtype=None, name=None) -> torch.Tensor:
    """An all-zeros variable of ``shape``."""
    data = torch.zeros(_shape_tuple(shape), dtype=config.torch_dtype(dtype),
                       device=default_device())
    return variable(data, dtype=dtype, name=name)


def ones(shape, dtype=None, name=None) -> torch.Tensor:
    """An all-ones variable of ``shape``."""
    data = torch.ones(_shape_tuple(shape), dtype=config.torch_dtype(dtype),
                      device=default_device())
    return variable(data, dtype=dtype, name=name)


def eye(size, dtype=None, name=None) -> torch.Tensor:
    """An identity-matrix variable; ``size`` is n or (n, m)."""
    n, m = (int(size), int(size)) if is_int(size) else tuple(int(d) for d in size)
    data = torch.eye(n, m, dtype=config.torch_dtype(dtype), device=default_device())
    return variable(data, dtype=dtype, name=name)


def zeros_like(x, dtype=None, name=None) -> torch.Tensor:
    """Zeros with ``x``'s shape (and dtype unless given)."""
    x = to_tensor(x, "zeros_like")
    return torch.zeros_like(x, dtype=None if dtype is None else config.torch_dtype(dtype))


def ones_like(x, dtype=None, name=None) -> torch.Tensor:
    """Ones with ``x``'s shape (and dtype unless given)."""
    x = to_tensor(x, "ones_like")
    return torch.ones_like(x, dtype=None if dtype is None else config.torch_dtype(dtype))


def arange(start, stop=None, step=1, dtype="int32") -> torch.Tensor:
    """``[start, stop)`` by ``step`` as a 1-D tensor; a single negative argument gives []."""
    if stop is None:
        start, stop = (0, max(start, 0))
    return torch.arange(start, stop, step, device=default_device()).to(config.torch_dtype(dtype))


def identity(x, name=None) -> torch.Tensor:
    """A tensor with the same content as ``x`` (a copy that still carries gradients)."""
    return to_tensor(x, "identity").clone()


def get_variable_shape(x):
    """The shape of a variable as a tuple of ints (Keras 2's older name of ``int_shape``)."""
    return int_shape(x)
