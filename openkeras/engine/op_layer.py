"""OpLambda: a backend op or Python operator applied to symbolic tensors, as a layer.

``K.square(x)``, ``x * 2 + 1`` or ``x[:, 0]`` on KerasTensors build an ``OpLambda`` node
(tf.keras 2.4+'s TFOpLambda): the layer keeps the function and its non-tensor arguments and
re-applies the function to real tensors. Configs name the function ('openkeras.backend.sum',
'operator.add') and are resolved only from those two modules, never from arbitrary code.
"""

import importlib
import inspect
import operator

import numpy as np
import torch

from openkeras import config
from openkeras.engine import keras_tensor, shape_inference
from openkeras.engine.arrays import from_numpy
from openkeras.engine.base_layer import Layer
from openkeras.engine.graph_variables import Expression, evaluate
from openkeras.engine.keras_tensor import KerasTensor, flatten, pack_like
from openkeras.engine.naming import unique_object_name

OPERATORS = frozenset({
    "add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "neg", "pos", "abs",
    "getitem", "lt", "le", "gt", "ge", "and_", "or_", "xor", "invert",
})
_TENSOR, _SLICE, _TUPLE, _ARRAY, _ELLIPSIS = "__tensor__", "__slice__", "__tuple__", "__array__", "__ellipsis__"
_SHAPE = "__shape_of__"

# The public modules whose functions (dispatching wrappers, see openkeras.engine.symbolic_dispatch) an
# OpLambda config may name.
PUBLIC_MODULES = ("openkeras.backend", "openkeras.activations", "openkeras.losses",
                  "openkeras.metrics")


class _Ref:
    """Where the ``index``-th input tensor goes in the stored arguments."""

    __slots__ = ("index",)

    def __init__(self, index):
        self.index = index


class _Live:
    """An expression over variables, recomputed from their values each time the op runs."""

    __slots__ = ("expression",)

    def __init__(self, expression):
        self.expression = expression


class _ShapeOf:
    """``K.shape(tensor)`` (or one entry of it) read from the ``index``-th input at run time."""

    __slots__ = ("ref", "item")

    def __init__(self, ref, item):
        self.ref, self.item = ref, item


def _template(value, tensors):
    """``value`` with each KerasTensor replaced by a ``_Ref`` (appending it to ``tensors``)."""
    if isinstance(value, KerasTensor) and value._keras_shape_of is not None:
        source, item = value._keras_shape_of
        return _ShapeOf(_template(source, tensors), item)
    if value.__class__ is Expression:
        return _Live(value)
    if isinstance(value, KerasTensor):
        for i, t in enumerate(tensors):
            if t is value:
                return _Ref(i)
        tensors.append(value)
        return _Ref(len(tensors) - 1)
    if isinstance(value, (list, tuple)):
        items = [_template(v, tensors) for v in value]
        return tuple(items) if isinstance(value, tuple) else items
    if isinstance(value, dict):
        return {k: _template(v, tensors) for k, v in value.items()}
    if isinstance(value, np.ndarray):  # constants compute like K.constant (floats as floatx)
        t = from_numpy(value)
        return t.to(config.torch_dtype()) if t.is_floating_point() else t
    return value


def _fill(value, inputs):
    if isinstance(value, _Ref):
        return inputs[value.index]
    if isinstance(value, _ShapeOf):
        size = inputs[value.ref.index].shape
        return size if value.item is None else size[value.item]
    if isinstance(value, _Live):
        return evaluate(value.expression)
    if isinstance(value, list):
        return [_fill(v, inputs) for v in value]
    if isinstance(value, tuple):
        return tuple(_fill(v, inputs) for v in value)
    if isinstance(value, dict):
        return {k: _fill(v, inputs) for k, v in value.items()}
    return value


def _encode(value):
    """The stored arguments as JSON-friendly values (markers for tensors, slices, tuples)."""
    if isinstance(value, _Ref):
        return {_TENSOR: value.index}
    if isinstance(value, _ShapeOf):
        return {_SHAPE: [value.ref.index, value.item]}
    if isinstance(value, _Live):  # a config keeps the value, as a frozen graph does
        return _encode(evaluate(value.expression))
    if isinstance(value, slice):
        return {_SLICE: [_encode(value.start), _encode(value.stop), _encode(value.step)]}
    if value is Ellipsis:
        return _ELLIPSIS
    if isinstance(value, tuple):
        return {_TUPLE: [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, (torch.Tensor, np.ndarray)):
        array = value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else value
        return {_ARRAY: array.tolist(), "dtype": str(array.dtype)}
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"OpLambda cannot serialize the argument {value!r} ({type(value).__name__}).")


def _decode(value):
    if value == _ELLIPSIS:
        return Ellipsis
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if _TENSOR in value:
        return _Ref(int(value[_TENSOR]))
    if _SHAPE in value:
        return _ShapeOf(_Ref(int(value[_SHAPE][0])), value[_SHAPE][1])
    if _SLICE in value:
        return slice(*[_decode(v) for v in value[_SLICE]])
    if _TUPLE in value:
        return tuple(_decode(v) for v in value[_TUPLE])
    if _ARRAY in value:
        return torch.as_tensor(np.asarray(value[_ARRAY], dtype=value["dtype"]))
    return {k: _decode(v) for k, v in value.items()}


def _public_modules():
    # By name: these modules are built on this one (their functions record OpLambda nodes).
    return [(m + ".", importlib.import_module(m)) for m in PUBLIC_MODULES]


def function_name(fn) -> str:
    """'openkeras.backend.square' or 'operator.add' for a function OpLambda can serialize."""
    name = getattr(fn, "__name__", None)
    if name in OPERATORS and getattr(operator, name) is fn:
        return f"operator.{name}"
    if name and not name.startswith("_"):
        for prefix, module in _public_modules():
            public = getattr(module, name, None)
            if getattr(public, "symbolic_dispatch", False) and fn in (public, public.__wrapped__):
                return f"{prefix}{name}"
    raise TypeError(
        "OpLambda can only hold public functions of openkeras.backend, activations, losses "
        f"and metrics, or `operator` functions. Received: function={fn!r}"
    )


def resolve_function(name: str):
    """The function a config names; only public K/activation/loss/metric and operator
    functions resolve."""
    modules = [("operator.", operator)] + _public_modules()
    found = next(((p, m) for p, m in modules if isinstance(name, str) and name.startswith(p)),
                 None)
    attr = name[len(found[0]):] if found else ""
    if not found or not attr.isidentifier() or attr.startswith("_"):
        raise ValueError(
            "OpLambda function must be 'openkeras.backend.<name>' (or .activations, .losses, "
            f".metrics) or 'operator.<name>'. Received: function={name!r}"
        )
    if found[1] is operator:
        if attr in OPERATORS:
            return getattr(operator, attr)
    else:  # only functions openkeras wrapped for graph tensors (never a module or a helper)
        fn = getattr(found[1], attr, None)
        if inspect.isfunction(fn) and getattr(fn, "symbolic_dispatch", False) is True:
            return fn.__wrapped__
    raise ValueError(f"Unknown OpLambda function: {name!r}")


class OpLambda(Layer):
    """Applies a backend function or operator to its input tensors plus stored arguments.

    Args:
        function: the callable (an ``openkeras.backend`` or ``operator`` function) or its
            config name ('openkeras.backend.square', 'operator.add').
        arguments: ``{'args': [...], 'kwargs': {...}}``, where the input tensors' places are
            ``{'__tensor__': i}`` markers (the ``i``-th tensor of the layer's input list).
    """

    def __init__(self, function, arguments=None, name=None, **kwargs):
        fn = resolve_function(function) if isinstance(function, str) else function
        self._function_name = function_name(fn)
        short = self._function_name.rsplit(".", 1)[-1]
        super().__init__(name=name or unique_object_name(short), **kwargs)
        self.function = fn
        arguments = dict(arguments or {})
        self._set_template(_decode(arguments.get("args", [])), _decode(arguments.get("kwargs", {})))
        self._input_dtypes = None
        self._output_dtype = None
        self._out_structure = None  # the nesting of a function's several outputs

    def _set_template(self, args, kwargs):
        self._args = list(args)
        self._kwargs = dict(kwargs)
        self._run = _runner(self.function, self._args, self._kwargs)

    def call(self, inputs):
        out = self._run(inputs)
        if out.__class__ is torch.Tensor:
            return out
        if isinstance(out, torch.Size) or type(out) is int:  # K.shape(x) and its entries
            return torch.tensor(out, dtype=torch.int32)
        if isinstance(out, (list, tuple)):  # K.rnn's (last, outputs, states): flat outputs
            self._out_structure = out
            return flatten(out)
        return out

    def _symbolic_call(self, inputs, *args, **kwargs):
        if isinstance(inputs, KerasTensor):  # a rebuilt config passes a single tensor
            inputs = [inputs]
        self._input_dtypes = [config.torch_dtype(t.dtype) for t in inputs]
        return super()._symbolic_call(list(inputs), *args, **kwargs)

    def compute_output_shape(self, input_shape):
        shapes = input_shape if isinstance(input_shape, list) else [input_shape]
        dtypes = self._input_dtypes or [config.torch_dtype(self.dtype)] * len(shapes)
        held = {d for t in flatten([self._args, list(self._kwargs.values())])
                if isinstance(t, torch.Tensor) for d in t.shape if d > 1}
        shape, dtype = shape_inference.infer_output(self, input_shape, dtypes, sorted(held))
        self._output_dtype = str(dtype).replace("torch.", "")
        return shape

    def compute_output_dtype(self, input_dtype):
        return self._output_dtype or input_dtype

    def compute_mask(self, inputs, mask=None):
        return None  # masks stop at an op, as at a TFOpLambda

    def get_config(self):
        arguments = {"args": _encode(self._args), "kwargs": _encode(self._kwargs)}
        return {**super().get_config(), "function": self._function_name, "arguments": arguments}


def _has_marker(value):
    """True when ``value`` holds a tensor's place or a value read at run time."""
    if isinstance(value, (_Ref, _ShapeOf, _Live)):
        return True
    if isinstance(value, (list, tuple)):
        return any(_has_marker(v) for v in value)
    if isinstance(value, dict):
        return any(_has_marker(v) for v in value.values())
    return False


def _runner(fn, args, kwargs):
    """``inputs -> fn(*args, **kwargs)`` with the inputs in their places, as lean as the
    template allows: this runs once per op in every K.function call."""
    if _has_marker(kwargs) or any(_has_marker(a) and not isinstance(a, _Ref) for a in args):
        return lambda inputs: fn(*_fill(args, inputs), **_fill(kwargs, inputs))
    refs = [(p, a.index) for p, a in enumerate(args) if isinstance(a, _Ref)]
    if kwargs or len(args) > 2:
        def run(inputs):
            values = list(args)
            for position, index in refs:
                values[position] = inputs[index]
            return fn(*values, **kwargs)
        return run
    pattern = [isinstance(a, _Ref) for a in args]
    if pattern == [True]:
        i = args[0].index
        return lambda inputs: fn(inputs[i])
    if pattern == [True, False]:
        i, b = args[0].index, args[1]
        return lambda inputs: fn(inputs[i], b)
    if pattern == [False, True]:
        a, j = args[0], args[1].index
        return lambda inputs: fn(a, inputs[j])
    if pattern == [True, True]:
        i, j = args[0].index, args[1].index
        return lambda inputs: fn(inputs[i], inputs[j])
    return lambda inputs: fn(*args)


def apply(fn, args, kwargs):
    """``fn(*args, **kwargs)`` where some arguments are KerasTensors: a new OpLambda node."""
    tensors = []
    template_args = _template(list(args), tensors)
    template_kwargs = _template(dict(kwargs), tensors)
    layer = OpLambda(fn)
    layer._set_template(template_args, template_kwargs)
    out = layer(tensors)
    if layer._out_structure is not None:  # a function returning several tensors
        return pack_like(layer._out_structure, out)
    if getattr(fn, "__name__", None) == "shape" and len(args) == 1 and not kwargs:
        out._keras_shape_of = (args[0], None)
    elif fn is operator.getitem and args[0]._keras_shape_of is not None and isinstance(args[1], int):
        source, item = args[0]._keras_shape_of
        if item is None:
            out._keras_shape_of = (source, args[1])
    return out


keras_tensor.set_op_recorder(apply)
