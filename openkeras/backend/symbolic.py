"""Backend ops on symbolic tensors: ``K.square(keras_tensor)`` builds an OpLambda node.

``symbolic_dispatch(fn)`` wraps a public backend function. On torch tensors the wrapper only
checks the classes of the arguments (top-level, and one level into lists and tuples) before
calling ``fn``; when it finds a KerasTensor it records ``fn`` and its other arguments in a
new ``OpLambda`` layer instead (see openkeras/engine/op_layer.py).
"""

import functools

from openkeras.engine.keras_tensor import KerasTensor

_SEQUENCES = (list, tuple)


def _has_keras_tensor(args, kwargs):
    for a in args:
        cls = a.__class__
        if cls is KerasTensor:
            return True
        if cls in _SEQUENCES:
            for v in a:
                if v.__class__ is KerasTensor:
                    return True
    for v in kwargs.values():
        if v.__class__ is KerasTensor:
            return True
    return False


def symbolic_dispatch(fn):
    """``fn`` that builds an OpLambda node when given KerasTensors."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if _has_keras_tensor(args, kwargs):
            from openkeras.engine import op_layer

            return op_layer.apply(fn, args, kwargs)
        return fn(*args, **kwargs)

    wrapper.symbolic_dispatch = True
    return wrapper


def wrap_namespace(namespace: dict, names) -> None:
    """Replace each of ``names`` in ``namespace`` (a module's globals) by its dispatching wrapper."""
    for name in names:
        namespace[name] = symbolic_dispatch(namespace[name])
