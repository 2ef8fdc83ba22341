"""The ``keras`` import alias: ``keras`` and ``keras.*`` module names resolve to openkeras.

A finder on ``sys.meta_path`` answers every ``keras...`` import with an ``AliasModule``: a
module named ``keras.x`` that forwards attribute reads to the openkeras module of the same
path (``keras.layers`` -> ``openkeras.layers``, ``keras.engine.topology`` ->
``openkeras.engine.topology``). openkeras itself holds the whole Keras 2 module tree, so the
alias adds no names of its own. Nothing is installed into site-packages and
``tensorflow.keras`` is left alone. A name openkeras lacks fails with an error that names the
Keras API: ``openkeras does not implement keras.backend.theano_backend``.
"""

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types

# Every Keras 2 module path is an openkeras module path (``keras.x.y`` -> ``openkeras.x.y``),
# so the alias only maps the name: ``import keras`` and ``import openkeras`` give the same
# modules and names, however the code is launched.

# Why a known Keras 2 API is missing, added to the error message.
_NOTES = {
    "keras.backend.theano_backend": "openkeras has one backend, PyTorch",
    "keras.backend.cntk_backend": "openkeras has one backend, PyTorch",
}


def _missing(api, detail):
    note = _NOTES.get(api)
    return f"openkeras does not implement {api} ({detail}{'; ' + note if note else ''})"


def _target_names(alias_name):
    """The openkeras module name an alias stands for (as a one-element tuple)."""
    return ("openkeras" + alias_name[len("keras"):],)


def _module_exists(name):
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a parent that is not a package; a module without spec
        return False


def find_target(alias_name):
    """``(found, module_name)``: the openkeras module behind ``keras.x``."""
    for candidate in _target_names(alias_name):
        if _module_exists(candidate):
            return True, candidate
    return False, _target_names(alias_name)[0]


def alias_name_of(module):
    """The ``keras.*`` name of an openkeras module (``openkeras.layers`` -> ``keras.layers``)."""
    name = getattr(module, "__name__", "")
    if name == "openkeras" or name.startswith("openkeras."):
        return "keras" + name[len("openkeras"):]
    return None


class AliasModule(types.ModuleType):
    """A ``keras.*`` module forwarding attribute reads to its openkeras module.

    Args:
        name: the Keras module name (``'keras.layers'``).
        target: the openkeras module.
    """

    def __init__(self, name, target):
        super().__init__(name, getattr(target, "__doc__", None))
        self._openkeras_target = target

    def __repr__(self):
        target = self._openkeras_target
        return f"<module {self.__name__!r} (alias of {getattr(target, '__name__', 'openkeras')!r})>"

    def __dir__(self):
        return sorted(set(self.__dict__) | set(dir(self._openkeras_target)))

    def __setattr__(self, name, value):
        # `keras.losses.my_loss = my_loss` (an old way to make a custom loss loadable by name)
        # must reach the openkeras module; import machinery and submodules stay on the alias.
        target = self.__dict__.get("_openkeras_target")
        if target is None or name.startswith("_") or isinstance(value, types.ModuleType):
            super().__setattr__(name, value)
        else:
            setattr(target, name, value)

    def __getattr__(self, name):
        target = self.__dict__.get("_openkeras_target")
        if name.startswith("__") and name.endswith("__"):
            if name == "__all__":  # for `from keras.x import *`
                names = getattr(target, "__all__", None)
                if names is None:
                    return [n for n in dir(self) if not n.startswith("_")]
                return list(names)
            if target is not None:
                return getattr(target, name)
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        if target is not None and hasattr(target, name):
            value = getattr(target, name)
            alias = alias_name_of(value) if isinstance(value, types.ModuleType) else None
            return importlib.import_module(alias) if alias else value
        full = f"{self.__name__}.{name}"
        if find_target(full)[0]:  # a submodule not imported yet
            return importlib.import_module(full)
        raise AttributeError(
            _missing(full, f"module {self.__name__!r} has no attribute {name!r}"), name=name,
            obj=self)


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target_name):
        self.target_name = target_name

    def create_module(self, spec):
        return AliasModule(spec.name, importlib.import_module(self.target_name))

    def exec_module(self, module):
        """Nothing to run: the module forwards to an openkeras module already imported."""


class KerasAliasFinder(importlib.abc.MetaPathFinder):
    """Answers imports of ``keras`` and ``keras.*`` with openkeras alias modules."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "keras" and not fullname.startswith("keras."):
            return None
        found, target_name = find_target(fullname)
        if not found:
            parent, _, name = fullname.rpartition(".")
            if hasattr(sys.modules.get(parent), name):
                raise ModuleNotFoundError(f"No module named {fullname!r}: {parent}.{name} is "
                                          "not a module", name=fullname)
            detail = (f"cannot import name {name!r} from {parent!r}" if parent in sys.modules
                      else f"no module named {target_name!r}")
            # The exception's name is the openkeras module, not `fullname`: importlib would
            # otherwise swallow it in `from keras.x import Y` and print a vaguer message.
            raise ModuleNotFoundError(_missing(fullname, detail), name=target_name)
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(target_name),
                                              is_package=True)


_FINDER = KerasAliasFinder()


def is_installed() -> bool:
    """Whether ``install_keras_alias()`` is in effect."""
    return _FINDER in sys.meta_path


def install_keras_alias() -> None:
    """Make ``import keras`` (and every ``keras.*`` path) import openkeras, in this process.

    Idempotent. Call it before anything imports ``keras`` (first cell of a notebook). Nothing
    is written to site-packages, and ``tensorflow.keras`` is not affected.

    Raises:
        RuntimeError: a real ``keras`` package is already imported.
    """
    existing = sys.modules.get("keras")
    if existing is not None and not isinstance(existing, AliasModule):
        where = getattr(existing, "__file__", None) or repr(existing)
        raise RuntimeError(
            f"A real `keras` package is already imported (from {where}), so openkeras cannot "
            "alias `keras`. Call openkeras.install_keras_alias() before anything imports keras "
            "(restart the interpreter or notebook kernel first).")
    if not is_installed():
        sys.meta_path.insert(0, _FINDER)


def uninstall_keras_alias() -> None:
    """Undo ``install_keras_alias()``: remove the finder and every ``keras.*`` alias module."""
    while _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
    for name, module in list(sys.modules.items()):
        if (name == "keras" or name.startswith("keras.")) and isinstance(module, AliasModule):
            del sys.modules[name]
