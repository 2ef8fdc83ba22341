"""One graph for K functions: ``K.square(keras_tensor)`` records an OpLambda node.

The generic mechanism, for any public function of ``keras.backend``, ``keras.activations``,
``keras.losses`` and ``keras.metrics`` (and any new backend module):

- ``symbolic_dispatch(fn)`` wraps a function. On torch tensors the wrapper only checks the
  classes of the arguments (top-level, one level into lists/tuples, keyword values) and calls
  ``fn``: one implementation, eager. When it finds a KerasTensor (a model input/output, a layer
  output, ``K.placeholder``, ``K.shape(x)``) it records ``fn`` and its other arguments in a new
  ``OpLambda`` layer (openkeras/engine/op_layer.py) whose output shape comes from running
  ``fn`` on meta tensors (Keras's ``K.int_shape`` / ``_keras_shape``). When it finds a
  ``K.variable`` or an expression over variables it computes ``fn`` and keeps the recipe
  (openkeras/engine/graph_variables.py), so graph runs recompute it from current values.
- The wrapper is for user code. Layers, compiled losses and metrics call ``eager_function(fn)``
  (the function it wraps), so fit / predict pay nothing for the check.
- ``wrap_public_functions(namespace, module_names, exclude)`` wraps every public function
  defined in ``module_names`` found in ``namespace`` (a module's globals). ``openkeras.backend``
  applies it to all of its submodules, so a function defined in a new ``openkeras/backend/*.py``
  module and imported into ``openkeras/backend/__init__.py`` records graph nodes by itself;
  only functions listed in ``NOT_RECORDED`` (ones that create graph tensors or read facts of
  them, such as ``placeholder``, ``int_shape``, ``gradients``) are left as they are.
- A function recorded this way must return one tensor; functions returning tuples (``K.rnn``)
  are recorded by ``apply_multi`` in ``openkeras.engine.op_layer``.

``OpLambda`` configs name the function ('openkeras.backend.sum', 'openkeras.losses.mse') and
resolve only names of these public modules whose value is a dispatching wrapper.
"""

import functools
import inspect

from openkeras.engine import op_layer
from openkeras.engine.graph_variables import GRAPH_VALUE_TYPES, record
from openkeras.engine.keras_tensor import KerasTensor

# Argument classes that make a call symbolic: a KerasTensor wins over a variable.
_GRAPH_TYPES = GRAPH_VALUE_TYPES | {KerasTensor}


def _graph_kind(values):
    """KerasTensor if one of ``values`` (or of a list/tuple among them) is one, else True if
    one is a variable or expression, else None."""
    found = None
    for a in values:
        cls = a.__class__
        if cls in _GRAPH_TYPES:
            if cls is KerasTensor:
                return KerasTensor
            found = True
        elif cls is list or cls is tuple:
            for v in a:
                c = v.__class__
                if c in _GRAPH_TYPES:
                    if c is KerasTensor:
                        return KerasTensor
                    found = True
    return found


def symbolic_dispatch(fn):
    """``fn`` that records an OpLambda node when given KerasTensors, and an expression when
    given variables (idempotent)."""
    if getattr(fn, "symbolic_dispatch", False):
        return fn

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        kind = _graph_kind(args)
        if kwargs and kind is not KerasTensor:
            kind = _graph_kind(kwargs.values()) or kind
        if kind is None:
            return fn(*args, **kwargs)
        if kind is KerasTensor:
            return op_layer.apply(fn, args, kwargs)
        return record(fn, args, kwargs, fn(*args, **kwargs))

    wrapper.symbolic_dispatch = True
    return wrapper


def wrap_namespace(namespace: dict, names) -> None:
    """Replace each of ``names`` in ``namespace`` (a module's globals) by its dispatching wrapper."""
    made = {}  # aliases (mse = mean_squared_error) share one wrapper, keeping `is` true
    for name in names:
        fn = namespace[name]
        if id(fn) not in made:
            made[id(fn)] = symbolic_dispatch(fn)
        namespace[name] = made[id(fn)]


def public_functions(namespace: dict, module_names, exclude=()):
    """Names of the public plain functions in ``namespace`` defined in one of ``module_names``."""
    modules = tuple(module_names)
    return [name for name, value in list(namespace.items())
            if not name.startswith("_") and name not in exclude and inspect.isfunction(value)
            and getattr(value, "__module__", "").startswith(modules)]


def wrap_public_functions(namespace: dict, module_names, exclude=()) -> list:
    """Wrap every public function of ``module_names`` found in ``namespace``; return the names."""
    names = public_functions(namespace, module_names, exclude)
    wrap_namespace(namespace, names)
    return names


def eager_function(fn):
    """The function a dispatching wrapper wraps (``fn`` itself otherwise): for layers' hot
    paths, which only ever see torch tensors and so skip the argument check."""
    return fn.__wrapped__ if getattr(fn, "symbolic_dispatch", False) else fn
