"""The errors file loaders raise, the bounds they enforce, and the wrapper that names the place.

Every loader either loads the right model or raises one of these (or an ``OSError`` subclass
such as ``FileNotFoundError`` for I/O), with a message naming the file, the place inside it
and what was wrong. ``reading(filepath, place)`` turns anything else raised while reading one
place (a ``KeyError`` from a missing group, a ``RecursionError`` from a hostile config, h5py's
``OSError`` for a damaged block...) into a ``FileFormatError`` that says so.
"""

import contextlib

# The errors are defined at the bottom of the engine, where Model dispatches file formats.
from openkeras.engine.file_formats import (  # noqa: F401  (public here)
    FileFormatError,
    FileIntegrityError,
    UnsafeFileError,
)

# A model config (JSON or YAML text) larger than this is refused before it is parsed; the
# largest Keras application configs are a few hundred KB.
MAX_CONFIG_BYTES = 64 * 2**20
# Nesting depth of a parsed config (dicts and lists). A nested model adds about 4 levels, so
# this allows some 30 levels of models inside models, and keeps every recursive step of
# loading far from Python's recursion limit.
MAX_CONFIG_DEPTH = 128
# Members of a .keras archive may not declare more than this uncompressed (config.json and
# metadata.json are held to MAX_CONFIG_BYTES).
MAX_ARCHIVE_WEIGHTS_BYTES = 16 * 2**30


def describe(filepath):
    """How messages name a file: its path quoted, or a description ('the JSON string')."""
    if filepath is None:
        return "the file"
    text = str(filepath)
    return text if text.startswith("the ") else repr(text)


@contextlib.contextmanager
def reading(filepath, place):
    """Turn any error raised while reading ``place`` of ``filepath`` into a FileFormatError.

    Errors that already name the file pass unchanged; ``KeyboardInterrupt`` and other
    non-``Exception`` signals are never caught.

    Args:
        filepath: the file (or a description such as 'the JSON string').
        place: where in it, e.g. ``"model_weights/dense_1"``.
    """
    try:
        yield
    except FileFormatError as e:
        if str(filepath) in str(e):
            raise
        raise type(e)(f"{describe(filepath)}, {place}: {e}") from e
    except FileNotFoundError:
        raise
    except Exception as e:  # noqa: BLE001 - the point is that nothing raw escapes a loader
        raise FileFormatError(f"Cannot load {describe(filepath)}: {place}: {_what(e)}") from e


def _what(error):
    if isinstance(error, RecursionError):
        return "it is nested too deeply (RecursionError)"
    if isinstance(error, MemoryError):
        return "it asks for more memory than is available (MemoryError)"
    if isinstance(error, KeyError):
        return f"an entry is missing: {error}"
    text = str(error) or type(error).__name__
    return text if isinstance(error, (ValueError, OSError)) else f"{type(error).__name__}: {text}"


def check_config_text(text, where):
    """Refuse config text (str or bytes) larger than MAX_CONFIG_BYTES before parsing it."""
    if len(text) > MAX_CONFIG_BYTES:
        raise FileFormatError(f"{where}: the config is {len(text)} bytes, more than the "
                              f"{MAX_CONFIG_BYTES} bytes a model config may have.")


def check_config_depth(config, where, limit=MAX_CONFIG_DEPTH):
    """Refuse a parsed config nested deeper than ``limit`` (an iterative walk: no recursion)."""
    stack = [(config, 1)]
    seen = 0
    while stack:
        obj, depth = stack.pop()
        if depth > limit:
            raise FileFormatError(f"{where}: the config is nested more than {limit} levels deep.")
        if isinstance(obj, dict):
            children = obj.values()
        elif isinstance(obj, (list, tuple)):
            children = obj
        else:
            continue
        for child in children:
            if isinstance(child, (dict, list, tuple)):
                seen += 1
                if seen > 5_000_000:
                    raise FileFormatError(f"{where}: the config has too many entries.")
                stack.append((child, depth + 1))
    return config
