"""The table of model file formats: how each is recognised, and what reads and writes it.

Every entry (a ``FileFormat``) says how to recognise a file in its format (``sniff``) and
which of ``load_model``, ``save_model``, ``load_weights`` and ``save_weights`` it has (None
where it has none). ``Model.save`` / ``save_weights`` / ``load_weights`` and
``keras.models.load_model`` all go through ``save_model`` / ``load_model`` / ... below, which
pick the entry; ``openkeras.saving`` registers the built-in formats (Keras 2 HDF5 models and
weights, Keras 1 HDF5, ``.keras`` archives, JSON and YAML architectures, and the refused
SavedModel) when it is imported, so a new format is one more ``register`` call.

This module imports nothing from openkeras, so the Model class can use it without importing
the saving package above it. The file errors live here for the same reason.
"""

import contextlib
import dataclasses
import importlib
import os
import sys
from collections.abc import Callable

# The first bytes of a file that sniffers see.
HEAD_BYTES = 64


class FileFormatError(ValueError):
    """A file that is not a Keras file, is damaged, or holds something openkeras refuses."""


class FileIntegrityError(FileFormatError):
    """A file openkeras wrote whose checksum no longer matches its contents (damage)."""


class UnsafeFileError(FileFormatError):
    """A file that asks for something a safe load never does (external links, code)."""


@dataclasses.dataclass(frozen=True)
class FileFormat:
    """One model file format: how it is recognised and what reads and writes it.

    Args:
        name: the table key (``'h5'``, ``'keras'``, ...).
        description: how messages name a file in it (``'a Keras HDF5 model file'``).
        sniff: ``source -> bool``: whether a file being read (a ``Source``) is in this format.
        save_formats: the ``save_format=`` values that choose it for writing.
        extensions: file name endings that choose it for writing (``'.keras'``).
        default: written when neither ``save_format`` nor the file name chooses another.
        writes_into: ``target -> bool``: whether it writes into this open object (a group).
        load_model: ``(source, custom_objects, compile) -> model``.
        save_model: ``(model, target, overwrite, include_optimizer)``; a path target was
            checked for overwriting before, an open object is the entry's to check.
        load_weights: ``(model, source, by_name, skip_mismatch)``.
        save_weights: ``(model, target, overwrite)``, as ``save_model``.
        read_config: ``text -> config dict``, for architecture formats (JSON, YAML).
        write_config: ``(model, **kwargs) -> text``, for architecture formats.
        hint: what to do instead, said when an operation it lacks is asked of it.
    """

    name: str
    description: str
    sniff: Callable
    save_formats: tuple = ()
    extensions: tuple = ()
    default: bool = False
    writes_into: Callable | None = None
    load_model: Callable | None = None
    save_model: Callable | None = None
    load_weights: Callable | None = None
    save_weights: Callable | None = None
    read_config: Callable | None = None
    write_config: Callable | None = None
    hint: str = ""


_FORMATS = {}  # name -> FileFormat, in sniffing order


def register(file_format, *, first=False):
    """Add ``file_format`` to the table (replacing an entry of the same name).

    Args:
        file_format: a ``FileFormat``.
        first: sniff it before the formats already registered (else after them).
    """
    if not isinstance(file_format, FileFormat):
        raise TypeError(f"register expects a FileFormat. Received: {file_format!r}")
    _FORMATS.pop(file_format.name, None)
    if first:
        rest = dict(_FORMATS)
        _FORMATS.clear()
        _FORMATS[file_format.name] = file_format
        _FORMATS.update(rest)
    else:
        _FORMATS[file_format.name] = file_format


def unregister(name):
    """Remove the entry ``name`` from the table (no error if it is not there)."""
    _FORMATS.pop(name, None)


def formats():
    """The registered entries, in sniffing order."""
    _load_builtin()
    return list(_FORMATS.values())


def get(name):
    """The entry ``name``, or a KeyError listing the registered names."""
    _load_builtin()
    if name not in _FORMATS:
        raise KeyError(f"No file format {name!r}; registered: {sorted(_FORMATS)}")
    return _FORMATS[name]


def _load_builtin():
    if "h5" not in _FORMATS:
        # openkeras.saving registers the built-in formats; a program that imported only the
        # engine gets them on first use (and start-up does not load h5py and the loaders).
        importlib.import_module("openkeras.saving")


# ------------------------------------------------------------------------------- sources
def _is_path(value):
    return isinstance(value, (str, bytes, os.PathLike))


def _fspath(filepath):
    filepath = os.fspath(filepath)
    return filepath.decode() if isinstance(filepath, bytes) else filepath


def _not_a_path(operation, filepath):
    return TypeError(f"{operation}: `filepath` must be a path (str or os.PathLike). Received: "
                     f"{filepath!r} of type {type(filepath).__name__}")


class Source:
    """A file being read, as sniffers and loaders see it (a context manager).

    Attributes:
        target: what the caller passed: a path, or an open object (an h5py group).
        path: the path as a str, or None for an open object.
        name: how messages name it (the path; entries may set a better one).
        head: the file's first ``HEAD_BYTES`` bytes (b"" for a directory or an open object).
    """

    def __init__(self, target):
        self.target = target
        self.path = _fspath(target) if _is_path(target) else None
        self.name = self.path if self.path is not None else repr(target)
        self.head = b""
        self._opened = {}
        self._stack = contextlib.ExitStack()
        if self.path is None:
            return
        if not os.path.exists(self.path):
            raise FileNotFoundError(f"No file or directory found at {self.path}")
        if os.path.isfile(self.path):
            with open(self.path, "rb") as f:
                self.head = f.read(HEAD_BYTES)

    def opened(self, key, opener):
        """What ``opener()`` returns, opened once per source and closed with it.

        Sniffers of one container (say, the HDF5 entries) share one open file this way.
        ``opener`` returns a context manager (entered here, exited with the source), or None
        when the file is not of that kind.
        """
        if key not in self._opened:
            handle = opener()
            if handle is not None:
                handle = self._stack.enter_context(handle)
            self._opened[key] = handle
        return self._opened[key]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._stack.close()


def _for_reading(operation, source):
    for fmt in formats():
        if fmt.sniff(source):
            if getattr(fmt, operation) is None:
                raise FileFormatError(f"{source.name!r} is {fmt.description}, which {operation} "
                                      f"does not read. {fmt.hint}".rstrip())
            return fmt
    if source.path is None:
        raise _not_a_path(operation, source.target)
    readable = [f.description for f in formats() if getattr(f, operation) is not None]
    raise FileFormatError(f"{source.name!r} is not a file {operation} reads ({'; '.join(readable)}"
                          f"); it starts with {source.head[:8]!r}.")


# ------------------------------------------------------------------------------- writing
def _may_write(filepath, overwrite):
    if overwrite or not os.path.exists(filepath):
        return True
    if not sys.stdin or not sys.stdin.isatty():
        raise FileExistsError(f"{filepath} exists and overwrite=False.")
    answer = input(f"[WARNING] {filepath} already exists - overwrite? [y/n] ").strip().lower()
    return answer in ("y", "yes")


def _for_writing(operation, target, save_format, overwrite):
    """(entry, target) that ``operation`` writes ``target`` with; target None: do not write."""
    table = formats()
    able = [f for f in table if getattr(f, operation) is not None]
    written = " or ".join(repr(s) for s in sorted({s for f in able for s in f.save_formats}))
    chosen = None
    if save_format is not None:
        named = [f for f in table if save_format in f.save_formats]
        if not named:
            raise ValueError(f"{operation}: unknown save_format {save_format!r}; expected "
                             f"{written}.")
        chosen = next((f for f in named if f in able), None)
        if chosen is None:
            raise ValueError(f"{operation} does not write {named[0].description} "
                             f"(save_format={save_format!r}); it writes save_format={written}. "
                             f"{named[0].hint}".rstrip())
    if not _is_path(target):
        into = [f for f in able if f.writes_into is not None and f.writes_into(target)]
        if not into:
            raise _not_a_path(operation, target)
        if chosen is not None and chosen not in into:
            raise ValueError(f"{operation}: an open {type(target).__name__} holds "
                             f"{into[0].description} only. Received: save_format={save_format!r}")
        return chosen or into[0], target
    filepath = _fspath(target)
    if os.path.isdir(filepath):
        raise IsADirectoryError(f"{operation}: {filepath!r} is a directory; pass a file name "
                                f"such as {os.path.join(filepath, 'model.h5')!r}.")
    if chosen is None:
        chosen = next((f for f in able if f.extensions and filepath.endswith(f.extensions)),
                      None)
        chosen = chosen or next(f for f in able if f.default)
    return chosen, (filepath if _may_write(filepath, overwrite) else None)


# ---------------------------------------------------------------------- the front doors
def save_model(model, filepath, overwrite=True, include_optimizer=True, save_format=None):
    """Write ``model`` in the format ``save_format`` or the file name chooses (see the table)."""
    fmt, target = _for_writing("save_model", filepath, save_format, overwrite)
    if target is not None:
        fmt.save_model(model, target, overwrite=overwrite, include_optimizer=include_optimizer)


def save_weights(model, filepath, overwrite=True, save_format=None):
    """Write ``model``'s weights in the format ``save_format`` or the file name chooses."""
    fmt, target = _for_writing("save_weights", filepath, save_format, overwrite)
    if target is not None:
        fmt.save_weights(model, target, overwrite=overwrite)


def load_model(filepath, custom_objects=None, compile=True):
    """The model in ``filepath``, read by the entry whose ``sniff`` recognises the file."""
    with Source(filepath) as source:
        fmt = _for_reading("load_model", source)
        return fmt.load_model(source, custom_objects=custom_objects, compile=compile)


def load_weights(model, filepath, by_name=False, skip_mismatch=False):
    """Set ``model``'s weights from ``filepath``, read by the entry that recognises it."""
    with Source(filepath) as source:
        fmt = _for_reading("load_weights", source)
        fmt.load_weights(model, source, by_name=by_name, skip_mismatch=skip_mismatch)
