"""The Lambda layer: an expression as a layer, with its Keras 2/3 config (de)serialization."""

import math
import types

import numpy as np
import torch

from openkeras import backend
from openkeras.engine import registry
from openkeras.engine.base_layer import Layer
from openkeras.utils import generic_utils


class Lambda(Layer):
    """Wraps an expression as a layer: ``Lambda(lambda x: x ** 2)``.

    Args:
        function: callable on torch tensors (use ``openkeras.backend`` ops).
        output_shape: shape (without batch), or a function of the input shape; inferred when None.
        mask: a mask tensor or a function ``(inputs, mask) -> mask``.
        arguments: extra keyword arguments for ``function``.
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda layer {self.name!r}: `function` must be callable. Received: "
                            f"function={function!r} of type {type(function).__name__}")
        self.function = function
        self._output_shape = output_shape
        self.mask = mask
        self.arguments = dict(arguments or {})
        self.supports_masking = mask is not None
        self._fn_takes_mask = generic_utils.accepts_argument(function, "mask")
        self._fn_takes_training = generic_utils.accepts_argument(function, "training")

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        if self._fn_takes_mask:
            kwargs["mask"] = mask
        if self._fn_takes_training:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_mask(self, inputs, mask=None):
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            return super().compute_output_shape(input_shape)
        if callable(self._output_shape):
            return tuple(self._output_shape(input_shape))
        batch = input_shape[0][0] if isinstance(input_shape, list) else input_shape[0]
        return (batch,) + tuple(self._output_shape)

    def get_config(self):
        function, function_type, module = _serialize_function(self.function)
        conf = {**super().get_config(), "function": function, "function_type": function_type,
                "module": module}
        if self._output_shape is None:
            conf.update(output_shape=None, output_shape_type="raw", output_shape_module=None)
        else:
            out, out_type, out_module = (_serialize_function(self._output_shape)
                                         if callable(self._output_shape) else (list(self._output_shape), "raw", None))
            conf.update(output_shape=out, output_shape_type=out_type, output_shape_module=out_module)
        conf["arguments"] = self.arguments
        return conf

    @classmethod
    def from_config(cls, config_, custom_objects=None):
        config_ = dict(config_)
        function, function_type, module = _from_keras3_function(
            config_.pop("function"), config_.pop("function_type", "function"), config_.pop("module", None))
        function = _deserialize_function(function, function_type, module, custom_objects, config_.get("name"))
        out_type = config_.pop("output_shape_type", "raw")
        out_module = config_.pop("output_shape_module", None)
        output_shape = config_.pop("output_shape", None)
        if output_shape is not None and out_type != "raw":
            output_shape = _deserialize_function(output_shape, out_type, out_module, custom_objects,
                                                 config_.get("name"))
        return cls(function, output_shape=output_shape, **config_)


_BACKEND_LIKE_MODULES = {"openkeras", "keras", "tf_keras", "tensorflow", "math", "torch", "builtins",
                         "numpy"}


def _from_keras3_function(value, function_type, module):
    """Keras 3 writes ``{'class_name': '__lambda__' | 'function', 'config': ...}``: Keras 2's triple."""
    if not isinstance(value, dict):
        return value, function_type, module
    conf = value.get("config")
    if value.get("class_name") == "__lambda__" and isinstance(conf, dict):
        return [conf.get("code"), conf.get("defaults"), conf.get("closure")], "lambda", None
    if isinstance(conf, str):  # a named function: {'class_name': 'function', 'config': 'square'}
        return conf, "function", value.get("module", module)
    raise ValueError(f"Lambda layer: cannot read its `function` entry {str(value)[:120]}; expected "
                     "a Keras 2 function name or lambda, or a Keras 3 '__lambda__' / 'function' config.")


def _serialize_function(fn):
    name = registry.backend_function_name(fn)
    if name is not None:  # K.square and friends are stored by name, not as bytecode
        return name, "function", "openkeras.backend"
    if isinstance(fn, types.LambdaType) and fn.__name__ == "<lambda>" or getattr(fn, "__closure__", None):
        code, defaults, closure = generic_utils.func_dump(fn)
        return [code, defaults, list(closure) if closure else None], "lambda", None
    return getattr(fn, "__name__", str(fn)), "function", getattr(fn, "__module__", None)


def _deserialize_function(value, function_type, module, custom_objects, layer_name):
    """The callable a Lambda config names: the user's object, an allow-listed openkeras.backend
    function, or (only with safe_mode=False) the stored bytecode. ``module`` is never imported."""
    if isinstance(value, dict) and value.get("class_name") == "__lambda__":  # Keras 3
        conf = value.get("config") if isinstance(value.get("config"), dict) else {}
        value, function_type = [conf.get("code"), conf.get("defaults"), conf.get("closure")], "lambda"
    if function_type == "function":
        if not isinstance(value, str):
            raise ValueError(f"Lambda layer {layer_name!r}: the function name must be a string. "
                             f"Received: function={str(value)[:200]}")
        obj = registry.custom_object(value, custom_objects)
        if obj is not None:
            return obj
        # A name from a backend-like module maps to openkeras.backend's function of that name
        # (never to the module's own attribute); a user's own `square` must not silently
        # become K.square.
        builtin = module is None or str(module).split(".")[0] in _BACKEND_LIKE_MODULES
        obj = registry.backend_function(value) if builtin else None
        if obj is not None:
            return obj
        raise ValueError(
            f"Lambda layer {layer_name!r}: unknown function {value!r} (module {module!r}). Only "
            "openkeras.backend tensor functions and your own objects can be named in a file; "
            "pass the function in `custom_objects`."
        )
    if function_type == "lambda":
        if generic_utils.in_safe_mode():
            raise ValueError(
                f"Lambda layer {layer_name!r} holds Python bytecode (a `lambda`). Loading it could run "
                "arbitrary code, so it is refused by default. If you trust the source of this file, "
                "pass `safe_mode=False` to the loading function (e.g. load_model(path, safe_mode=False))."
            )
        return _load_lambda(value)
    raise ValueError(f"Lambda layer {layer_name!r}: unknown function_type {function_type!r}.")


def _load_lambda(value):
    """The stored lambda, with K, keras, math, np and torch as its globals (as Keras 2 had)."""
    parts = list(value) if isinstance(value, (list, tuple)) else [value]
    code, defaults, closure = (parts + [None, None])[:3]
    env = {"K": backend, "keras": __import__("openkeras"), "math": math, "np": np, "torch": torch,
           "__builtins__": __builtins__}
    # The caller has refused bytecode in safe mode with the layer's name in the message.
    return generic_utils.func_load(code, defaults or None, closure or None, globs=env, safe_mode=False)
