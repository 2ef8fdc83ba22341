"""Serialization registry, custom objects and small shared helpers."""

import inspect
import numbers
import re
import warnings

from openkeras.engine import allow_list

_GLOBAL_CUSTOM_OBJECTS = {}
_SCOPE_STACK = []


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
    return CustomObjectScope(*args)


def get_custom_objects():
    """The global dict of custom objects (mutable, as in Keras)."""
    return _GLOBAL_CUSTOM_OBJECTS


def register_keras_serializable(package="Custom", name=None):
    """Decorator registering a class or function under 'package>name'."""

    def decorator(obj):
        key = f"{package}>{name or obj.__name__}"
        if key in _GLOBAL_CUSTOM_OBJECTS:
            raise ValueError(f"{key} has already been registered to {_GLOBAL_CUSTOM_OBJECTS[key]}")
        _GLOBAL_CUSTOM_OBJECTS[key] = obj
        obj._keras_registered_name = key
        return obj

    return decorator


def get_registered_name(obj):
    return getattr(obj, "_keras_registered_name", None) or getattr(obj, "__name__", None) or type(obj).__name__


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The class or function registered under ``name`` (custom objects, scopes, registry), or None."""
    found = _lookup_custom(name, custom_objects)
    return found if found is not None else (module_objects or {}).get(name)


def _lookup_custom(name, custom_objects):
    for scope in (custom_objects or {},) + tuple(reversed(_SCOPE_STACK)) + (_GLOBAL_CUSTOM_OBJECTS,):
        if name in scope:
            return scope[name]
        # a name registered as 'package>name' is also found under its short name
        for key, value in scope.items():
            if ">" in key and key.split(">", 1)[1] == name:
                return value
    return None


def serialize_keras_object(instance):
    """{'class_name': ..., 'config': ...} for objects with get_config, a name for functions."""
    if instance is None:
        return None
    if hasattr(instance, "get_config"):
        return {"class_name": get_registered_name(type(instance)), "config": instance.get_config()}
    if hasattr(instance, "__name__"):
        return get_registered_name(instance)
    raise ValueError(f"Cannot serialize {instance!r}: it has neither get_config nor a __name__.")


def _resolve_name(name, module_objects, custom_objects, kind):
    """The user's object or the openkeras object (from the allow-listed table) called ``name``."""
    if not isinstance(name, str):
        raise ValueError(f"The {kind} name in a config must be a string. Received: {name!r}")
    obj = _lookup_custom(name, custom_objects)
    if obj is not None:
        return obj
    obj = module_objects.get(name)
    return None if obj is None else allow_list.check_table_entry(name, obj, kind)


def deserialize_keras_object(identifier, module_objects=None, custom_objects=None,
                             printable_module_name="object"):
    """Turn a name or a {'class_name', 'config'} dict into the object it names."""
    module_objects = module_objects or {}
    if isinstance(identifier, dict):
        if "class_name" not in identifier or "config" not in identifier:
            raise ValueError(f"Improper config format for {printable_module_name}: {identifier}")
        class_name = identifier["class_name"]
        cls = _resolve_name(class_name, module_objects, custom_objects, printable_module_name)
        if cls is None:
            raise ValueError(
                f"Unknown {printable_module_name}: {class_name!r}. Please ensure this object is "
                "passed to the `custom_objects` argument. Known names: "
                + ", ".join(sorted(k for k in module_objects if not k.startswith("_")))
            )
        config = identifier["config"]
        if hasattr(cls, "from_config"):
            params = inspect.signature(cls.from_config).parameters
            if "custom_objects" in params:
                return cls.from_config(config, custom_objects=custom_objects)
            with CustomObjectScope(custom_objects or {}):
                return cls.from_config(config)
        if not isinstance(config, dict):
            raise ValueError(f"The config of {printable_module_name} {class_name!r} must be a "
                             f"dict. Received: {str(config)[:200]}")
        with CustomObjectScope(custom_objects or {}):
            return cls(**config)
    if isinstance(identifier, str):
        obj = _resolve_name(identifier, module_objects, custom_objects, printable_module_name)
        if obj is None:
            raise ValueError(
                f"Unknown {printable_module_name}: {identifier!r}. Known names: "
                + ", ".join(sorted(k for k in module_objects if not k.startswith("_")))
            )
        return obj
    raise ValueError(f"Could not interpret {printable_module_name} identifier: {identifier!r}")


def to_snake_case(name):
    """'Conv2D' -> 'conv2d', 'LSTMCell' -> 'lstm_cell', as Keras names layers."""
    intermediate = re.sub("(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    insecure = re.sub("([a-z])([A-Z])", r"\1_\2", intermediate).lower()
    if insecure[0] != "_":
        return insecure
    return "private" + insecure


def to_list(x):
    """A list from a single element, a tuple or a list."""
    if isinstance(x, list):
        return x
    if isinstance(x, tuple):
        return list(x)
    return [x]


def unpack_singleton(x):
    return x[0] if isinstance(x, (list, tuple)) and len(x) == 1 else x


def legacy_kwarg(kwargs, old, new, owner):
    """Move a Keras 1 / 2.0 argument name to its Keras 2 name with a DeprecationWarning."""
    if old in kwargs:
        warnings.warn(
            f"{owner}: `{old}` is deprecated, use `{new}` instead.", DeprecationWarning, stacklevel=3
        )
        value = kwargs.pop(old)
        kwargs.setdefault(new, value)
    return kwargs


def take_legacy_kwargs(kwargs, mapping, owner):
    """Pop Keras 1 argument names (``mapping`` old -> new) with a DeprecationWarning; return {new: value}."""
    found = {}
    for old, new in mapping.items():
        if old in kwargs:
            warnings.warn(f"{owner}: `{old}` is deprecated, use `{new}` instead.", DeprecationWarning,
                          stacklevel=3)
            found[new] = kwargs.pop(old)
    return found


_SAFE_MODE = [True]


def in_safe_mode() -> bool:
    """Whether deserialization refuses code stored in files (Lambda bytecode)."""
    return _SAFE_MODE[-1]


class SafeModeScope:
    """``with SafeModeScope(False): ...`` allows loading Lambda bytecode inside the block."""

    def __init__(self, safe_mode=True):
        self.safe_mode = True if safe_mode is None else bool(safe_mode)

    def __enter__(self):
        _SAFE_MODE.append(self.safe_mode)
        return self

    def __exit__(self, *exc):
        _SAFE_MODE.pop()


def accepts_argument(fn, name: str) -> bool:
    """Whether calling ``fn`` can take the keyword ``name`` (False when it has no signature)."""
    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def is_int(value) -> bool:
    """True for a Python or numpy integer (``np.int64(2)``); False for bools and floats."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def to_int(value, name: str, owner: str = "", minimum=None) -> int:
    """``value`` as a Python int: ints, numpy integers and whole floats (``32.0``) are accepted.

    Args:
        value: the argument's value.
        name: the argument's name, for the error message.
        owner: the layer or function taking it, for the error message.
        minimum: the smallest allowed value, or None.
    """
    if isinstance(value, numbers.Real) and not is_int(value) and not isinstance(value, bool):
        value = int(value) if float(value).is_integer() else value
    if not is_int(value) or (minimum is not None and value < minimum):
        bound = "" if minimum is None else f" >= {minimum}"
        where = f"{owner}: " if owner else ""
        raise ValueError(f"{where}the argument `{name}` must be an integer{bound}. "
                         f"Received: {name}={value!r} (of type {type(value).__name__})")
    return int(value)


def to_shape(shape, name: str = "shape", owner: str = ""):
    """A shape (an int, or a sequence of ints and None) as a tuple of Python ints and None."""
    if shape is None:
        return None
    if is_int(shape):
        return (int(shape),)
    try:
        dims = tuple(shape)
    except TypeError:
        raise ValueError(f"{owner + ': ' if owner else ''}the argument `{name}` must be a tuple "
                         f"of integers or None. Received: {name}={shape!r}") from None
    try:
        return tuple(None if d is None else to_int(d, name, owner) for d in dims)
    except (TypeError, ValueError):
        raise ValueError(f"{owner + ': ' if owner else ''}the argument `{name}` must be a tuple "
                         f"of integers or None. Received: {name}={shape!r}") from None
