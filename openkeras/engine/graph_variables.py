"""K.variable's variables and the expressions over them: graph values with an eager value.

In Keras 2 (TensorFlow 1) ``y = v * 2`` over a variable ``v`` is a graph node: ``K.eval(y)``,
``K.function([], [y])`` and ``get_session().run(y)`` read ``v`` when they run, so they see
``K.set_value(v, ...)`` and ``K.update`` made since ``y`` was built. openkeras keeps that
while staying eager:

- ``K.variable`` returns a ``GraphVariable``: a torch Parameter (usable in any torch code).
- A Python operator on a ``GraphVariable`` or ``Expression``, or a public K / activation /
  loss / metric function given one (openkeras.engine.symbolic_dispatch), returns an
  ``Expression``: a torch tensor holding the value computed now, plus its recipe (the function
  and its arguments). ``evaluate`` recomputes it from the variables' current values.
- torch functions and methods on them compute plain tensors, as always.

Only these classes record: layer weights, optimizer slots and batch tensors never do, so
nothing is added to the fit / predict hot path.
"""

import torch

from openkeras.engine.keras_tensor import KerasTensor
from openkeras.engine.weights import Variable


class GraphVariable(Variable):
    """What ``K.variable`` returns: a Parameter whose operators build ``Expression``s."""


class Expression(torch.Tensor):
    """A tensor computed from variables, with the recipe that recomputes it (``evaluate``)."""

    # torch functions on an Expression give plain tensors, as on a Parameter
    __torch_function__ = torch._C._disabled_torch_function_impl


GRAPH_VALUE_TYPES = frozenset({GraphVariable, Expression})


def is_graph_value(x) -> bool:
    """True for a ``K.variable`` or an expression over variables."""
    return x.__class__ in GRAPH_VALUE_TYPES


def has_graph_value(args, kwargs) -> bool:
    """True when an argument (top level, or one level into a list/tuple) is a graph value."""
    for a in (*args, *kwargs.values()):
        cls = a.__class__
        if cls in GRAPH_VALUE_TYPES:
            return True
        if cls is list or cls is tuple:
            for v in a:
                if v.__class__ in GRAPH_VALUE_TYPES:
                    return True
    return False


def record(fn, args, kwargs, out):
    """``out`` (what ``fn(*args, **kwargs)`` computed now) as an ``Expression`` of its recipe.

    Results that are not one tensor are returned as they are, and so is a result that also
    depends on a plain tensor with gradients (a layer's activations, inside a forward pass):
    that is eager code, not a graph over variables.
    """
    if not isinstance(out, torch.Tensor) or _mixes_eager_tensors(args, kwargs):
        return out
    expr = out.as_subclass(Expression)
    expr._recipe = (fn, args, kwargs)
    return expr


def _mixes_eager_tensors(args, kwargs):
    for a in (*args, *kwargs.values()):
        if a.__class__ is list or a.__class__ is tuple:
            if _mixes_eager_tensors(a, {}):
                return True
        elif isinstance(a, torch.Tensor) and a.requires_grad and \
                a.__class__ not in GRAPH_VALUE_TYPES:
            return True
    return False


def evaluate(x, memo=None):
    """``x`` recomputed from the variables' current values (``x`` itself if not an expression).

    Lists, tuples and dicts are evaluated item by item. Each variable is read once per call
    (through one plain view of it), so gradients of an evaluated expression reach it.

    Args:
        x: an ``Expression``, a ``GraphVariable``, or any value.
        memo: values already computed in this evaluation, by ``id``.
    """
    memo = {} if memo is None else memo
    with torch.enable_grad():  # a gradient in a recipe needs the forward pass recorded
        return _evaluate(x, memo)


def _evaluate(x, memo):
    cls = x.__class__
    if cls is Expression or cls is GraphVariable:
        found = memo.get(id(x))
        if found is not None:
            return found
        if cls is GraphVariable:
            value = x.view_as(x)  # plain: K functions given it compute, not record
        else:
            fn, args, kwargs = x._recipe
            value = fn(*_evaluate(args, memo), **_evaluate(kwargs, memo))
        memo[id(x)] = value
        return value
    if cls is list or cls is tuple:
        return cls(_evaluate(v, memo) for v in x)
    if cls is dict:
        return {k: _evaluate(v, memo) for k, v in x.items()}
    return x


def gradient_of(loss, variables, index):
    """d sum(loss) / d variables[index] (zeros where the loss does not depend on it)."""
    target = variables[index]
    if not loss.requires_grad or not target.requires_grad:
        return torch.zeros_like(target)
    grad = torch.autograd.grad(loss.sum() if loss.dim() else loss, target, retain_graph=True,
                               create_graph=True, allow_unused=True)[0]
    return torch.zeros_like(target) if grad is None else grad


def _recording(name):
    """The Tensor operator ``name`` that records an Expression."""
    base = getattr(torch.Tensor, name)

    def method(self, *args):
        if args:
            cls = args[0].__class__
            if cls is torch.Tensor and args[0].requires_grad:
                return base(self, *args)  # eager code (a forward pass): nothing to record
            if cls is KerasTensor and name != "__getitem__":
                return NotImplemented  # KerasTensor's reflected operator records a graph node
        out = base(self, *args)
        if out is NotImplemented:
            return out
        return record(base, (self, *args), {}, out)

    method.__name__ = name
    method.__doc__ = f"``Tensor.{name}`` that records an Expression (see the module)."
    return method


_OPERATORS = (
    "__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__",
    "__rtruediv__", "__floordiv__", "__rfloordiv__", "__mod__", "__rmod__", "__pow__",
    "__rpow__", "__matmul__", "__rmatmul__", "__neg__", "__pos__", "__abs__", "__getitem__",
    "__lt__", "__le__", "__gt__", "__ge__", "__and__", "__or__", "__xor__", "__invert__",
)
for _name in _OPERATORS:
    setattr(GraphVariable, _name, _recording(_name))
    setattr(Expression, _name, _recording(_name))
del _name
