"""Symbolic tensors: a shape, a dtype and the node that made them.

Python operators on KerasTensors (``x * 2 + 1``, ``-x``, ``x[:, 0]``, ``x @ w``, ``x > 0``)
build OpLambda layer nodes (openkeras/engine/op_layer.py), as in tf.keras 2.4+. ``==`` and
``!=`` keep Python's identity meaning (tensors are used as dict keys); use ``K.equal``.
"""

import operator

import torch

from openkeras import config

# Records an operator applied to KerasTensors as an OpLambda layer node. The layer sits above
# tensors (it is a Layer), so engine.op_layer sets this when it loads (input_layer imports it).
_record_op = None


def set_op_recorder(record):
    """Make Python operators on KerasTensors call ``record(fn, args, kwargs)``."""
    global _record_op
    _record_op = record


class KerasTensor:
    """The output of a layer called on symbolic inputs (``Input(...)``).

    Args:
        shape: full shape including the batch dimension, ``None`` where unknown.
        dtype: Keras dtype name ('float32', 'int32', ...).
        name: a readable name.
    """

    __slots__ = ("shape", "dtype", "name", "_keras_history", "_keras_mask", "_keras_shape_of")
    __array_ufunc__ = None  # numpy defers to our reflected operators (np_array * x)

    def __init__(self, shape, dtype=None, name=None):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = dtype or config.floatx()
        self.name = name
        self._keras_history = None  # (layer, node_index, tensor_index)
        self._keras_mask = None  # a KerasTensor for the mask, or None
        # (tensor, index) when this is K.shape(tensor) (index None) or K.shape(tensor)[index]:
        # ops given it read the tensor's runtime shape (see op_layer._template).
        self._keras_shape_of = None

    @property
    def _keras_shape(self):
        """Keras 2's private name of the static shape (code written for Keras 2 reads it)."""
        return tuple(self.shape)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def meta(self, none_size: int = 2) -> torch.Tensor:
        """A tensor on the meta device with unknown dimensions set to ``none_size``."""
        shape = [none_size if d is None else d for d in self.shape]
        return torch.empty(shape, dtype=config.torch_dtype(self.dtype), device="meta")

    def __repr__(self):
        made_by = f" (created by layer '{self._keras_history[0].name}')" if self._keras_history else ""
        return f"<KerasTensor: shape={self.shape} dtype={self.dtype}{made_by}>"

    def __len__(self):
        raise TypeError(
            "Symbolic tensors have no length; use K.int_shape(x) or x.shape. "
            f"Received: {self!r}"
        )

    def __bool__(self):
        raise TypeError(f"A symbolic tensor cannot be used as a Python bool. Received: {self!r}")

    def __iter__(self):
        raise TypeError(f"A symbolic tensor is not iterable; index it (x[:, 0]). Received: {self!r}")

    def __float__(self):
        raise TypeError(
            f"A symbolic tensor has no value, so Python or numpy math cannot use it: {self!r}. "
            "Use openkeras.backend (K) functions or operators, or wrap the code in a Lambda layer."
        )

    __int__ = __index__ = __complex__ = __float__

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", func)
        if isinstance(name, str) and name.startswith("__") and name.endswith("__"):
            return NotImplemented  # torch_tensor * x: Python then calls x.__rmul__ (a graph op)
        raise TypeError(
            f"torch.{name} cannot be applied to symbolic tensors (a model's KerasTensors hold "
            "no values). Use the openkeras.backend (K) function or an operator, or wrap the "
            "torch code in a Lambda layer, e.g. `Lambda(lambda t: torch.op(t))(x)`."
        )

    def _op(self, fn, *args):
        return _record_op(fn, args, {})

    def __add__(self, other):
        return self._op(operator.add, self, other)

    def __radd__(self, other):
        return self._op(operator.add, other, self)

    def __sub__(self, other):
        return self._op(operator.sub, self, other)

    def __rsub__(self, other):
        return self._op(operator.sub, other, self)

    def __mul__(self, other):
        return self._op(operator.mul, self, other)

    def __rmul__(self, other):
        return self._op(operator.mul, other, self)

    def __truediv__(self, other):
        return self._op(operator.truediv, self, other)

    def __rtruediv__(self, other):
        return self._op(operator.truediv, other, self)

    def __floordiv__(self, other):
        return self._op(operator.floordiv, self, other)

    def __mod__(self, other):
        return self._op(operator.mod, self, other)

    def __pow__(self, other):
        return self._op(operator.pow, self, other)

    def __rpow__(self, other):
        return self._op(operator.pow, other, self)

    def __matmul__(self, other):
        return self._op(operator.matmul, self, other)

    def __rmatmul__(self, other):
        return self._op(operator.matmul, other, self)

    def __neg__(self):
        return self._op(operator.neg, self)

    def __abs__(self):
        return self._op(operator.abs, self)

    def __invert__(self):
        return self._op(operator.invert, self)

    def __and__(self, other):
        return self._op(operator.and_, self, other)

    def __or__(self, other):
        return self._op(operator.or_, self, other)

    def __lt__(self, other):
        return self._op(operator.lt, self, other)

    def __le__(self, other):
        return self._op(operator.le, self, other)

    def __gt__(self, other):
        return self._op(operator.gt, self, other)

    def __ge__(self, other):
        return self._op(operator.ge, self, other)

    def __getitem__(self, key):
        return self._op(operator.getitem, self, key)


def is_symbolic(x) -> bool:
    """True for a KerasTensor or a (nested) list/tuple holding one."""
    if isinstance(x, KerasTensor):
        return True
    if isinstance(x, (list, tuple)):
        return any(is_symbolic(v) for v in x)
    return False


def flatten(x):
    """The leaves of a nested list/tuple structure, as a list."""
    if isinstance(x, (list, tuple)):
        out = []
        for v in x:
            out.extend(flatten(v))
        return out
    return [x]


def pack_like(template, flat):
    """Rebuild ``template``'s list/tuple structure from the leaves ``flat``."""
    it = iter(flat)

    def rebuild(t):
        if isinstance(t, (list, tuple)):
            return type(t)(rebuild(v) for v in t) if isinstance(t, tuple) else [rebuild(v) for v in t]
        return next(it)

    return rebuild(template)
