"""The allow-list: the only objects a name in a file can resolve to.

Configs name classes and functions by string (a layer's ``class_name``, an activation
``'relu'``, a Lambda ``function``, an optimizer, a loss...). Every such name resolves in one
of two ways, and no other:

1. the user's own objects: ``custom_objects=``, ``CustomObjectScope`` and
   ``register_keras_serializable`` (looked up by ``generic_utils``);
2. openkeras's own public objects, from an explicit table the caller passes (the layer
   classes, the activations, ...) or, for Lambda and OpLambda functions, the tensor
   functions of ``openkeras.backend`` listed by ``backend_function``.

A name is never looked up with ``getattr`` on a module (torch, numpy, builtins, os, ...), and
a file's ``module`` entries (Keras 2 Lambda, Keras 3 configs) only say where a name came
from: nothing is ever imported because a file names it. ``check_table_entry`` makes sure
every table entry really is an openkeras object, so a table built carelessly fails loudly
instead of widening what files can reach.

This module imports nothing from openkeras at import time: every module may consult it.
"""

# openkeras.backend functions a Lambda may not name although they are public: they change
# global state, print, or build graph machinery rather than compute on tensors.
_BACKEND_REFUSED = frozenset({"print_tensor", "symbolic"})


class DisallowedObjectError(ValueError):
    """A file names a function or class outside the allow-list."""


def is_openkeras_object(obj) -> bool:
    """Whether ``obj`` (a class or function) is defined inside the openkeras package."""
    module = getattr(obj, "__module__", None)
    return isinstance(module, str) and (module == "openkeras" or module.startswith("openkeras."))


def check_table_entry(name, obj, kind="object"):
    """Return ``obj`` if it may be reached by the name ``name``, else raise.

    Args:
        name: the name the config used.
        obj: what an openkeras table maps it to.
        kind: what is being resolved (for the message), e.g. ``'layer'``.
    """
    if not is_openkeras_object(obj):
        raise DisallowedObjectError(
            f"The {kind} name {name!r} maps to {obj!r}, which is not an openkeras object; "
            "only openkeras's own objects and your custom_objects can be named in a config."
        )
    return obj


def backend_function(name):
    """The ``openkeras.backend`` tensor function called ``name`` (the dispatching wrapper).

    Only the functions that compute on tensors are allowed: those wrapped for symbolic
    dispatch (``K.square``, ``K.mean``, ``K.concatenate``...), minus ``_BACKEND_REFUSED``.
    Returns None for any other name.

    Args:
        name: a function name as a config stores it ('square').
    """
    if not isinstance(name, str) or not name.isidentifier() or name.startswith("_") \
            or name in _BACKEND_REFUSED:
        return None
    from openkeras import backend

    fn = vars(backend).get(name)
    if getattr(fn, "symbolic_dispatch", None) is not True or not is_openkeras_object(fn):
        return None
    return fn


def backend_function_name(fn):
    """The name under which ``fn`` resolves through ``backend_function``, or None."""
    name = getattr(fn, "__name__", None)
    return name if name and backend_function(name) is fn else None
