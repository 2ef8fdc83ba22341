"""Module-level ``__getattr__`` for names a Keras 2 module re-exported from elsewhere.

Keras 2 code imports helpers from wherever Keras 2 happened to import them
(``from keras.engine.base_layer import has_arg``, ``keras.layers.core.func_dump``). Such a
name resolves on first access, so the module does not import upward at load time and nothing
is added to any hot path.
"""

import importlib


def lazy_exports(module_name, table):
    """A module ``__getattr__`` resolving ``table`` entries on first access.

    Args:
        module_name: the module's ``__name__`` (for the error message).
        table: ``{name: 'package.module'}`` (the module itself) or
            ``{name: 'package.module:attribute'}``.
    """

    def __getattr__(name):
        spec = table.get(name)
        if spec is None:
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
        module, _, attr = spec.partition(":")
        value = importlib.import_module(module)
        return getattr(value, attr) if attr else value

    return __getattr__

