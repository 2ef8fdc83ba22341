"""The registry: every name a config (or an argument such as ``activation='relu'``) may use.

Names resolve per kind (``'relu'`` is an activation, ``'mse'`` a loss and a metric, ``'Dense'``
a layer) in one of two ways, and no other: the allow-list.

1. the user's own objects: ``custom_objects=``, ``CustomObjectScope`` and
   ``register_keras_serializable`` (consulted first, under every kind);
2. openkeras's own objects, which join the registry by themselves: the classes derived
   from a ``Registered`` base (Layer, Initializer, Regularizer, Constraint, Loss, Metric,
   Optimizer, LearningRateSchedule) on definition, the functions of activations, losses,
   metrics and the tensor functions of ``openkeras.backend`` with one ``register_names`` /
   ``register_backend_functions`` call at the bottom of their module.

A name is never looked up with ``getattr`` on a module and nothing is imported because a file
names it. ``check_table_entry`` refuses anything defined outside openkeras, so a user class
(even a subclass of an openkeras class) is reachable from a file only when the user passes or
registers it. Class renames (Keras 1, tf.keras spellings) come from ``engine.aliases``.

This module imports nothing from openkeras but ``engine.aliases``: every module may use it.
"""

import inspect

from openkeras.engine import aliases

# kind -> the words Keras 2 used for it in messages ("Unknown layer: ...").
PRINTABLE = {
    "activation": "activation function", "activation_layer": "activation function",
    "initializer": "initializer", "regularizer": "regularizer", "constraint": "constraint",
    "loss": "loss function", "metric": "metric function", "optimizer": "optimizer",
    "schedule": "decay", "layer": "layer", "backend_function": "backend function",
}
# openkeras.backend functions a Lambda may not name although they are public: they change
# global state, print, or build graph machinery rather than compute on tensors.
_BACKEND_REFUSED = frozenset({"print_tensor", "symbolic"})

_BUILTINS = {kind: {} for kind in PRINTABLE}
# kind -> the module's own ``get`` (activations.get, initializers.get, ...), so that code below
# those modules (the engine) resolves arguments without importing them.
_GETTERS = {}
_GLOBAL_CUSTOM_OBJECTS = {}
_SCOPE_STACK = []
# object -> 'package>name' from register_keras_serializable. Keyed by the object itself (not
# an inherited attribute), so a subclass of a registered class keeps its own name.
_REGISTERED_NAMES = {}


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


# ------------------------------------------------------------------ openkeras's own objects
def register(kind, obj, *names):
    """Make the openkeras object ``obj`` reachable as a ``kind`` under ``names`` (default its name).

    Args:
        kind: one of ``PRINTABLE``'s keys.
        obj: an openkeras class or function.
        *names: the names; the first registration of a name wins.
    """
    table = _BUILTINS[kind]
    for name in names or (obj.__name__,):
        check_table_entry(name, obj, PRINTABLE[kind])
        table.setdefault(name, obj)
    return obj


def register_names(kind, namespace, names):
    """Register ``namespace[name]`` under ``name`` for each of ``names`` (a module's globals()).

    Args:
        kind: the kind, e.g. ``'activation'``.
        namespace: a module's ``globals()``.
        names: the names to register (an alias registers its function or class under the alias).
    """
    for name in names:
        register(kind, namespace[name], name)


def register_backend_functions(namespace):
    """Register ``openkeras.backend``'s tensor functions (those wrapped for graph dispatch).

    Only functions that compute on tensors may be named by a Lambda or OpLambda in a file:
    the public ones marked ``symbolic_dispatch``, minus ``_BACKEND_REFUSED``.

    Args:
        namespace: ``openkeras.backend``'s ``globals()``.
    """
    for name, fn in list(namespace.items()):
        if name.startswith("_") or name in _BACKEND_REFUSED:
            continue
        if getattr(fn, "symbolic_dispatch", None) is True and is_openkeras_object(fn):
            register("backend_function", fn, name)


class Registered:
    """Base mixin: an openkeras subclass joins the registry under ``_registry_kind`` on definition.

    Classes defined outside openkeras (users' subclasses) are not registered: files reach them
    only through custom objects. Names starting with '_' stay private.
    """

    _registry_kind = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        kind = cls._registry_kind
        if kind and is_openkeras_object(cls) and not cls.__name__.startswith("_"):
            register(kind, cls)


def builtin(kind, name):
    """The openkeras object registered as ``kind`` under ``name`` (or a renamed class), or None."""
    table = _BUILTINS[kind]
    renamed = aliases.class_name(kind, name)
    return table.get(renamed) if renamed in table else table.get(name)


def builtin_names(kind):
    """The names registered under ``kind`` (a sorted list)."""
    return sorted(_BUILTINS[kind])


# ------------------------------------------------------------------ the user's own objects
class CustomObjectScope:
    """Make custom classes and functions visible to deserialization.

    with CustomObjectScope({'MyLayer': MyLayer}):
        model = load_model('m.h5')
    """

    def __init__(self, *args):
        self.custom_objects = {}
        for arg in args:
            self.custom_objects.update(arg or {})

    def __enter__(self):
        _SCOPE_STACK.append(self.custom_objects)
        return self

    def __exit__(self, *exc):
        _SCOPE_STACK.pop()


def custom_object_scope(*args):
    """``CustomObjectScope(*args)`` (Keras 2's function spelling)."""
    return CustomObjectScope(*args)


def get_custom_objects():
    """The global dict of custom objects (mutable, as in Keras)."""
    return _GLOBAL_CUSTOM_OBJECTS


def register_keras_serializable(package="Custom", name=None):
    """Decorator registering a user class or function under 'package>name'.

    Args:
        package: the prefix of the registered name.
        name: the short name (default: the object's ``__name__``).
    """

    def decorator(obj):
        key = f"{package}>{name or obj.__name__}"
        if key in _GLOBAL_CUSTOM_OBJECTS:
            raise ValueError(f"{key} has already been registered to {_GLOBAL_CUSTOM_OBJECTS[key]}")
        _GLOBAL_CUSTOM_OBJECTS[key] = obj
        _REGISTERED_NAMES[obj] = key
        return obj

    return decorator


def registered_name(obj):
    """The name ``obj`` (a class or function) is written under: 'package>name' or its own name."""
    try:
        found = _REGISTERED_NAMES.get(obj)
    except TypeError:  # an unhashable object
        found = None
    if found is None and isinstance(obj, type) and len(obj.__mro__) > 2:
        # a class made from a registered one under the same name and place (the engine's
        # functional variant of a Model subclass) is that class to the user
        base = obj.__mro__[1]
        if (base.__qualname__, base.__module__) == (obj.__qualname__, obj.__module__):
            found = _REGISTERED_NAMES.get(base)
    return found or getattr(obj, "__name__", None) or type(obj).__name__


def custom_object(name, custom_objects=None):
    """The user's object called ``name``: ``custom_objects``, open scopes, registered objects."""
    for scope in (custom_objects or {},) + tuple(reversed(_SCOPE_STACK)) + (_GLOBAL_CUSTOM_OBJECTS,):
        if name in scope:
            return scope[name]
        # a name registered as 'package>name' is also found under its short name
        for key, value in scope.items():
            if ">" in key and key.split(">", 1)[1] == name:
                return value
    return None


# ------------------------------------------------------------------ serialize / deserialize
def serialize(instance):
    """{'class_name', 'config'} for an object with ``get_config``; a name for a function."""
    if instance is None:
        return None
    if hasattr(instance, "get_config"):
        return {"class_name": registered_name(type(instance)), "config": instance.get_config()}
    if hasattr(instance, "__name__"):
        return registered_name(instance)
    raise ValueError(f"Cannot serialize {instance!r}: it has neither get_config nor a __name__.")


def resolve(kinds, name, custom_objects=None):
    """The object called ``name``: the user's first, else openkeras's own of one of ``kinds``.

    Args:
        kinds: a kind or a tuple of kinds, searched in order.
        name: the name.
        custom_objects: the caller's dict of user objects.
    """
    kinds = (kinds,) if isinstance(kinds, str) else tuple(kinds)
    if not isinstance(name, str):
        raise ValueError(f"The {PRINTABLE[kinds[0]]} name in a config must be a string. "
                         f"Received: {name!r}")
    obj = custom_object(name, custom_objects)
    if obj is not None:
        return obj
    for kind in kinds:
        obj = builtin(kind, name)
        if obj is not None:
            return check_table_entry(name, obj, PRINTABLE[kind])
    return None


def deserialize(kinds, identifier, custom_objects=None, printable=None):
    """The object a name or a {'class_name', 'config'} dict describes, among ``kinds``.

    A dict builds its class (``from_config`` or ``cls(**config)``) inside a scope holding
    ``custom_objects``; a name returns the class or function itself.

    Args:
        kinds: a kind or a tuple of kinds.
        identifier: a name or a {'class_name', 'config'} dict.
        custom_objects: the caller's dict of user objects.
        printable: the words for the kind in messages (default: Keras 2's).
    """
    kinds = (kinds,) if isinstance(kinds, str) else tuple(kinds)

    def lookup(name):
        return resolve(kinds, name, custom_objects)

    def known():
        return sorted({n for kind in kinds for n in _BUILTINS[kind] if not n.startswith("_")})

    return deserialize_with(identifier, lookup, known, custom_objects,
                            printable or PRINTABLE[kinds[0]])


def deserialize_from_table(identifier, table, custom_objects=None, printable="object"):
    """``deserialize`` over an explicit table of openkeras objects (Keras 2's ``module_objects``).

    Every entry the name reaches must be an openkeras object (``check_table_entry``).
    """
    table = table or {}

    def lookup(name):
        if not isinstance(name, str):
            raise ValueError(f"The {printable} name in a config must be a string. "
                             f"Received: {name!r}")
        obj = custom_object(name, custom_objects)
        if obj is not None:
            return obj
        obj = table.get(name)
        return None if obj is None else check_table_entry(name, obj, printable)

    def known():
        return sorted(k for k in table if not k.startswith("_"))

    return deserialize_with(identifier, lookup, known, custom_objects, printable)


def deserialize_with(identifier, lookup, known, custom_objects, printable):
    """The shared body of ``deserialize``: ``lookup(name)`` finds objects, ``known()`` lists names."""
    if isinstance(identifier, dict):
        if "class_name" not in identifier or "config" not in identifier:
            raise ValueError(f"Improper config format for {printable}: {identifier}")
        class_name = identifier["class_name"]
        cls = lookup(class_name)
        if cls is None:
            raise ValueError(
                f"Unknown {printable}: {class_name!r}. Please ensure this object is "
                "passed to the `custom_objects` argument. Known names: " + ", ".join(known())
            )
        config = identifier["config"]
        if hasattr(cls, "from_config"):
            params = inspect.signature(cls.from_config).parameters
            if "custom_objects" in params:
                return cls.from_config(config, custom_objects=custom_objects)
            with CustomObjectScope(custom_objects or {}):
                return cls.from_config(config)
        if not isinstance(config, dict):
            raise ValueError(f"The config of {printable} {class_name!r} must be a "
                             f"dict. Received: {str(config)[:200]}")
        with CustomObjectScope(custom_objects or {}):
            return cls(**config)
    if isinstance(identifier, str):
        obj = lookup(identifier)
        if obj is None:
            raise ValueError(
                f"Unknown {printable}: {identifier!r}. Please ensure this object is passed to "
                "the `custom_objects` argument. Known names: " + ", ".join(known())
            )
        return obj
    raise ValueError(f"Could not interpret {printable} identifier: {identifier!r}")


def register_getter(kind):
    """Decorator: ``get(kind, ...)`` calls the decorated function (a module's own ``get``)."""

    def decorator(getter):
        _GETTERS[kind] = getter
        return getter

    return decorator


def get(kind, identifier):
    """Resolve an argument such as ``kernel_initializer='glorot_uniform'`` to an object.

    Calls the ``get`` of the module that serves ``kind`` (registered with ``register_getter``);
    for a kind without one: None stays None, a name or a config dict is deserialized (a
    class is instantiated with default arguments) and any other callable is returned as is.

    Args:
        kind: a kind, e.g. ``'initializer'``.
        identifier: None, a name, a config dict, an object or a callable.
    """
    getter = _GETTERS.get(kind)
    if getter is not None:
        return getter(identifier)
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        obj = deserialize(kind, identifier)
        return obj() if isinstance(obj, type) else obj
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret {PRINTABLE[kind]} identifier: {identifier!r}")


def backend_function(name):
    """The ``openkeras.backend`` tensor function called ``name`` (the dispatching wrapper), or None.

    Args:
        name: a function name as a config stores it ('square').
    """
    if not isinstance(name, str):
        return None
    return _BUILTINS["backend_function"].get(name)


def backend_function_name(fn):
    """The name under which ``fn`` resolves through ``backend_function``, or None."""
    name = getattr(fn, "__name__", None)
    return name if name and backend_function(name) is fn else None
