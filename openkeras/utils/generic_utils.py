"""Keras 2's generic helpers: serialization names (served by ``engine.registry``) and small utilities."""

import base64
import inspect
import marshal
import numbers
import re
import types

from openkeras.engine import registry
from openkeras.engine.registry import (  # noqa: F401  (Keras 2's public names live here)
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    register_keras_serializable,
)
from openkeras.utils.progbar import Progbar  # noqa: F401  (Keras 2 imported it from here)


def get_registered_name(obj):
    """The name ``obj`` (a class or function) is serialized under."""
    return registry.registered_name(obj)


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The class or function registered under ``name`` (custom objects, scopes, registry), or None."""
    found = registry.custom_object(name, custom_objects)
    return found if found is not None else (module_objects or {}).get(name)


def serialize_keras_object(instance):
    """{'class_name': ..., 'config': ...} for objects with get_config, a name for functions."""
    return registry.serialize(instance)


def deserialize_keras_object(identifier, module_objects=None, custom_objects=None,
                             printable_module_name="object"):
    """Turn a name or a {'class_name', 'config'} dict into the object it names.

    Keras 2's signature: ``module_objects`` is a table of openkeras objects (anything else is
    refused); openkeras's own modules resolve names through ``engine.registry`` by kind.
    """
    return registry.deserialize_from_table(identifier, module_objects, custom_objects,
                                           printable_module_name)


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


# Keras 2's generic_utils helpers that add-on libraries import.

def getargspec(fn):
    """``inspect.getfullargspec`` (Keras 2 exposed it under this name)."""
    return inspect.getfullargspec(fn)


def has_arg(fn, name, accept_all=False):
    """Whether ``fn`` accepts the argument ``name`` (or any keyword, with ``accept_all``).

    Args:
        fn: a callable.
        name: the argument name.
        accept_all: count a ``**kwargs`` parameter as accepting ``name``.
    """
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    if accept_all and any(p.kind == p.VAR_KEYWORD for p in params.values()):
        return True
    param = params.get(name)
    return param is not None and param.kind in (param.POSITIONAL_OR_KEYWORD, param.KEYWORD_ONLY)


def object_list_uid(object_list):
    """``'id1, id2, ...'``: a key for a list of objects (Keras 2 used it to index masks/updates)."""
    return ", ".join(str(abs(id(x))) for x in to_list(object_list))


def is_all_none(iterable_or_element):
    """Whether every element (or the single element) is None."""
    return all(x is None for x in to_list(iterable_or_element))


def slice_arrays(arrays, start=None, stop=None):
    """Slice an array or a list of arrays (None entries stay None).

    Args:
        arrays: an array, a list of arrays, or None.
        start: an int start, or a list/array of indices (then ``stop`` is ignored).
        stop: the end of the slice.
    """
    if arrays is None:
        return [None]
    if isinstance(start, list) and stop is not None:
        raise ValueError("slice_arrays: the `stop` argument has to be None if the value of "
                         f"`start` is a list. Received: start={start!r}, stop={stop!r}")
    indexed = hasattr(start, "__len__")

    def one(x):
        if x is None:
            return None
        return x[start] if indexed else x[start:stop]

    return [one(x) for x in arrays] if isinstance(arrays, list) else one(arrays)


def transpose_shape(shape, target_format, spatial_axes):
    """``shape`` reordered for ``channels_first`` (``target_format='channels_last'`` keeps it).

    Args:
        shape: a shape in channels_last order.
        target_format: ``'channels_first'`` or ``'channels_last'``.
        spatial_axes: the indices of the spatial axes in ``shape``.
    """
    if target_format == "channels_last":
        return shape
    if target_format != "channels_first":
        raise ValueError("The `data_format` argument must be one of 'channels_first', "
                         f"'channels_last'. Received: {target_format!r}")
    new = list(shape)
    new.insert(spatial_axes[0], new.pop(-1))
    return tuple(new) if isinstance(shape, tuple) else new


def check_for_unexpected_keys(name, input_dict, expected_values):
    """Refuse keys of ``input_dict`` outside ``expected_values`` (naming ``name``)."""
    unknown = set(input_dict) - set(expected_values)
    if unknown:
        raise ValueError(f"Unknown entries in {name} dictionary: {sorted(unknown)}. Only "
                         f"expected following keys: {list(expected_values)}")


def func_dump(func):
    """``(code, defaults, closure)`` of a Python function: its bytecode as base64 text.

    The bytecode only loads back on the same Python version (``func_load``).
    """
    code = base64.b64encode(marshal.dumps(func.__code__)).decode("ascii")
    closure = tuple(c.cell_contents for c in func.__closure__) if func.__closure__ else None
    return code, func.__defaults__, closure


def func_load(code, defaults=None, closure=None, globs=None, safe_mode=None):
    """The function dumped by ``func_dump``; refused in safe mode (the default).

    Loading bytecode can run arbitrary code, so this raises unless the caller opts in with
    ``safe_mode=False`` or inside ``SafeModeScope(False)``.

    Args:
        code: the base64 bytecode, or the whole ``(code, defaults, closure)`` triple.
        defaults: the function's default values.
        closure: the values of its closure cells.
        globs: its global namespace (default: a fresh one with builtins only).
        safe_mode: False allows loading; None follows the current ``SafeModeScope``.
    """
    safe = in_safe_mode() if safe_mode is None else bool(safe_mode)
    if safe:
        raise ValueError("func_load: refusing to load Python bytecode in safe mode (it could run "
                         "arbitrary code). If you trust its source, pass safe_mode=False or use "
                         "`with SafeModeScope(False):`.")
    if isinstance(code, (tuple, list)):
        code, defaults, closure = code
    # Keras 2 wrote base64 with a newline every 76 characters; very old files, raw bytecode.
    raw = code.encode("latin-1") if isinstance(code, str) else code
    try:
        code_object = marshal.loads(base64.b64decode(raw))
    except (ValueError, EOFError, TypeError):
        code_object = marshal.loads(raw)  # raw bytecode, as very old files stored it
    cells = tuple(types.CellType(v) for v in closure) if closure is not None else None
    if globs is None:
        globs = {"__builtins__": __builtins__}
    return types.FunctionType(code_object, globs, code_object.co_name,
                              tuple(defaults) if defaults is not None else None, cells)



def disable_tracking(func):
    """Keras 2.3's decorator that stopped attribute tracking of sub-layers inside ``func``.

    openkeras tracks sub-layers through torch's module registration, which Keras 2 code does
    not need to switch off; the decorated function runs unchanged.
    """
    return func
