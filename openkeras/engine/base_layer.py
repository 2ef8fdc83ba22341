"""Layer: the base of every layer and model (a ``torch.nn.Module``)."""

import contextlib
import inspect
import warnings

import numpy as np
import torch

from openkeras import config
from openkeras.engine import aliases, registry, shape_inference
from openkeras.engine.arrays import from_numpy
from openkeras.engine.input_spec import assert_input_compatibility
from openkeras.engine.keras_tensor import KerasTensor, flatten, is_symbolic, pack_like
from openkeras.engine.layer_nodes import NodeAccessors, _as_tuple_shapes
from openkeras.engine.layer_updates import (  # noqa: F401  (re-exported)
    _LOSS_COLLECTOR,
    LayerUpdatesMixin,
    apply_updates,
    collect_losses,
)
from openkeras.engine.layer_weights import LayerWeightsMixin
from openkeras.engine.naming import unique_object_name
from openkeras.engine.node import Node
from openkeras.engine.weights import Transpose, Variable, set_weight, weight_keras_view, weight_to_keras  # noqa: F401
from openkeras.mixed_precision import policy as dtype_policies
from openkeras.utils.generic_utils import to_int, to_shape, to_snake_case

_ALLOWED_KWARGS = {
    "input_shape", "batch_input_shape", "batch_size", "weights", "activity_regularizer",
    "autocast", "implementation", "input_dim",
}
_NODE_PROPERTIES = {"input", "output", "input_shape", "output_shape", "input_mask", "output_mask"}
_DROP_UNSUPPORTED_MASKS = [False]
HOOKS_VERSION = [0]  # bumped when a forward hook is added to a layer: models then re-plan


@contextlib.contextmanager
def drop_unsupported_masks():
    """Inside: a layer that cannot take a mask drops it silently (tf.keras 2's behaviour).

    Used when rebuilding models saved by tf.keras, where such graphs are legal; models
    built in code get a clear error instead.
    """
    _DROP_UNSUPPORTED_MASKS.append(True)
    try:
        yield
    finally:
        _DROP_UNSUPPORTED_MASKS.pop()


class Layer(LayerUpdatesMixin, LayerWeightsMixin, torch.nn.Module, NodeAccessors, registry.Registered):
    """A Keras layer: weights, ``build``, ``call``, nodes and config.

    Args:
        trainable: whether the layer's weights are updated by training.
        name: the layer's name, unique within a model (default: from the class name).
        dtype: the dtype of the layer's weights and outputs (default: floatx).
    """

    _registry_kind = "layer"  # openkeras's layer classes join the registry on definition

    def __new__(cls, *args, **kwargs):
        # Keras 2 layers may assign attributes, sub-layers and weights before calling
        # ``super().__init__(**kwargs)``; torch needs its Module state for that, so it is set
        # up here and ``__init__`` keeps it.
        self = super().__new__(cls)
        torch.nn.Module.__init__(self)
        return self

    def __init__(self, trainable=True, name=None, dtype=None, dynamic=False, **kwargs):
        if "_modules" not in self.__dict__:  # made without __new__ (e.g. copy protocols)
            super().__init__()
        aliases.rename_kwargs(kwargs, "Input", type(self).__name__)
        if "dtype" in kwargs:
            dtype = kwargs.pop("dtype") or dtype
        for key in kwargs:
            if key not in _ALLOWED_KWARGS:
                raise TypeError(f"Keyword argument not understood: {key!r} (layer {type(self).__name__})")
        self._name = name or unique_object_name(to_snake_case(type(self).__name__))
        if not isinstance(self._name, str):
            raise TypeError(f"Layer name must be a string. Received: name={name!r}")
        self._trainable = bool(trainable)
        # a name, a Policy or a serialized policy (tf.keras 2 Policy, Keras 3 DTypePolicy)
        self._dtype_policy = dtype_policies.layer_policy(dtype)
        self._dtype = self._dtype_policy.variable_dtype
        self._autocast_dtype = self._dtype_policy.autocast_dtype()  # None unless mixed
        self.built = False
        self.supports_masking = getattr(self, "supports_masking", False)
        self._inbound_nodes = []
        self._outbound_nodes = []
        # Keras 2's own-weight lists: add-on layers append to them (``self._trainable_weights
        # += sublayer.trainable_weights``) and trainable_weights / weights reflect that
        self._trainable_weights = []
        self._non_trainable_weights = []
        self._updates = []  # (inputs key, updates) of the latest add_update calls
        self.input_spec = self.__dict__.get("input_spec")  # kept when set before super().__init__
        self._initial_weights = kwargs.get("weights")
        self._batch_input_shape = _batch_input_shape_from_kwargs(kwargs, type(self).__name__)
        self.activity_regularizer = self.__dict__.get("activity_regularizer")
        self._activity_losses = []  # of the most recent forward pass (see `losses`)
        if kwargs.get("activity_regularizer") is not None:
            self.activity_regularizer = registry.get("regularizer", kwargs["activity_regularizer"])
        params = inspect.signature(self.call).parameters
        self._call_takes_training = "training" in params
        self._call_takes_mask = "mask" in params
        # Keras 2 passes a user layer with several inputs a list of masks (None entries);
        # openkeras's own layers accept ``mask=None`` and are left alone.
        self._call_wants_mask_list = self._call_takes_mask and not type(self).__module__.startswith(
            "openkeras.")

    # ---------------------------------------------------------------- properties
    @property
    def name(self) -> str:
        return self._name

    @property
    def dtype(self) -> str:
        """The dtype of the layer's weights (its policy's variable dtype)."""
        return self._dtype

    @property
    def dtype_policy(self):
        """The layer's ``mixed_precision.Policy``."""
        return self._dtype_policy

    @property
    def compute_dtype(self) -> str:
        """The dtype the layer computes in and outputs (its policy's compute dtype)."""
        return self._dtype_policy.compute_dtype

    @property
    def variable_dtype(self) -> str:
        return self._dtype

    # ------------------------------------------------------------- build/call
    def build(self, input_shape):
        """Create the layer's weights for ``input_shape`` (a tuple, or a list for several inputs)."""
        self.built = True

    def call(self, inputs, **kwargs):
        """The computation, on torch tensors."""
        return inputs

    def forward(self, inputs, *args, **kwargs):
        return self._eager_call(inputs, *args, **kwargs)

    def compute_output_shape(self, input_shape):
        """Output shape(s) for ``input_shape``; by default found by running ``call`` on meta tensors."""
        return shape_inference.infer_output_shape(self, input_shape)

    def compute_output_dtype(self, input_dtype):
        policy = self._dtype_policy
        if "float" in str(input_dtype) and (policy.is_mixed or input_dtype in ("float16", "bfloat16")):
            return policy.compute_dtype  # under a policy, floating inputs take the compute dtype
        return input_dtype if not self._own_weights else self._dtype

    def compute_mask(self, inputs, mask=None):
        """The output mask; layers that do not support masking refuse a mask."""
        if not self.supports_masking:
            if any(m is not None for m in flatten(mask)) and not _DROP_UNSUPPORTED_MASKS[-1]:
                raise TypeError(
                    f"Layer {self._name} ({type(self).__name__}) does not support masking, but was "
                    "passed an input_mask. Put a layer that consumes the mask (e.g. an RNN or "
                    "GlobalAveragePooling1D) before it, or remove mask_zero/Masking."
                )
            return None
        return mask

    def _maybe_build(self, input_shape):
        if self.built:
            return
        if self._batch_input_shape is None:
            self._build_input_shape = input_shape
        self.build(_as_tuple_shapes(input_shape))
        self.built = True
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def __call__(self, inputs, *args, **kwargs):
        if is_symbolic(inputs):
            return self._symbolic_call(inputs, *args, **kwargs)
        if self._forward_hooks or self._forward_pre_hooks:
            return torch.nn.Module.__call__(self, inputs, *args, **kwargs)  # runs the hooks around forward
        return self._eager_call(inputs, *args, **kwargs)

    def register_forward_hook(self, hook, *args, **kwargs):
        HOOKS_VERSION[0] += 1
        return super().register_forward_hook(hook, *args, **kwargs)

    def register_forward_pre_hook(self, hook, *args, **kwargs):
        HOOKS_VERSION[0] += 1
        return super().register_forward_pre_hook(hook, *args, **kwargs)

    def _eager_call(self, inputs, *args, **kwargs):
        inputs = _to_torch(inputs)
        if not self._call_takes_training:
            kwargs.pop("training", None)
        if not self._call_takes_mask:
            kwargs.pop("mask", None)
        elif self._call_wants_mask_list and isinstance(inputs, list) and kwargs.get("mask") is None:
            kwargs["mask"] = [None] * len(inputs)
        try:  # costs nothing unless something fails: then the error names the layer
            if not self.built:
                self._maybe_build(_shape_structure(inputs))
                device = next((t.device for t in flatten(inputs) if isinstance(t, torch.Tensor)),
                              None)
                if device is not None and device.type != "meta":
                    self.to(device)
            if self._autocast_dtype is None:
                outputs = self.call(inputs, *args, **kwargs)
            else:  # a mixed-policy layer called on its own (models make one region per pass)
                with torch.autocast(_device_type(inputs), dtype=self._autocast_dtype):
                    outputs = self.call(inputs, *args, **kwargs)
        except (RuntimeError, AttributeError, TypeError) as e:
            named = _eager_call_error(self, inputs, e)
            if named is e:
                raise
            raise named from e
        if self.activity_regularizer is not None:
            self._add_activity_losses(outputs)
        return outputs

    def _add_activity_losses(self, outputs):
        # Keras 2.2.4 / 2.3.1 add regularizer(output) for each output, summed over the batch
        # (tf.keras 2 divides it by the batch size).
        values = [self.activity_regularizer(o) for o in flatten(outputs)]
        self._activity_losses[:] = values
        if _LOSS_COLLECTOR:
            _LOSS_COLLECTOR[-1].extend(values)

    def _symbolic_call(self, inputs, *args, **kwargs):
        if args:
            raise TypeError(
                f"Layer {self._name}: positional arguments after the inputs are not supported on "
                f"symbolic tensors. Pass them by keyword. Received: {args!r}"
            )
        mask = kwargs.pop("mask", None)
        if mask is not None and any(is_symbolic(m) for m in flatten(mask)):
            inputs, mask = _attach_masks(inputs, mask), None  # the graph carries them from here
        flat = flatten(inputs)
        for t in flat:
            if not isinstance(t, KerasTensor):
                raise TypeError(
                    f"Layer {self._name} was called with a mix of symbolic and non-symbolic inputs: "
                    f"{t!r}. All inputs to a layer should be tensors from `Input` or other layers."
                )
        input_shape = _shape_structure(inputs)
        if self.built:
            assert_input_compatibility(self.input_spec, _as_tuple_shapes(input_shape), self._name)
        try:
            self._maybe_build(input_shape)
            output_shape = self.compute_output_shape(_as_tuple_shapes(input_shape))
        except (ValueError, TypeError, RuntimeError, IndexError) as e:
            if self._name in str(e):
                raise
            raise ValueError(
                f'Layer "{self._name}" ({type(self).__name__}) cannot be applied to input shape '
                f"{_fmt_shapes(input_shape)}: {e}"
            ) from e
        in_dtype = flat[0].dtype
        out_dtype = self.compute_output_dtype(in_dtype)
        outputs = _make_keras_tensors(output_shape, out_dtype)
        masks = [t._keras_mask for t in flat] if mask is None else flatten(mask)
        out_masks = self._symbolic_mask(inputs, masks)
        if out_masks is not None:
            for t, m in zip(flatten(outputs), flatten(out_masks), strict=False):
                t._keras_mask = m
        arguments = {k: v for k, v in kwargs.items() if not is_symbolic(v)}
        Node(self, inputs, outputs, arguments)
        return outputs

    def _symbolic_mask(self, inputs, masks):
        has_mask = any(m is not None for m in masks)
        if not has_mask and type(self).compute_mask is Layer.compute_mask:
            return None
        meta_inputs = pack_like(inputs, [t.meta() for t in flatten(inputs)])
        meta_masks = [None if m is None else m.meta() for m in masks]
        mask_arg = meta_masks[0] if not isinstance(inputs, (list, tuple)) else meta_masks
        out = self.compute_mask(meta_inputs, mask_arg)
        if out is None or all(m is None for m in flatten(out)):
            return None
        return pack_like(out, [None if m is None else _keras_mask_tensor(m) for m in flatten(out)])

    # ---------------------------------------------------------------- config
    def get_config(self):
        """Keras 2 config: name, trainable, dtype (+ batch_input_shape when given)."""
        config_ = {"name": self._name, "trainable": self._trainable,
                   "dtype": dtype_policies.serialize(self._dtype_policy)}
        if self._batch_input_shape is not None:
            config_["batch_input_shape"] = list(self._batch_input_shape)
        return config_

    @classmethod
    def from_config(cls, config_):
        return cls(**config_)

    def extra_repr(self):
        return f"name={self.__dict__.get('_name')!r}"

    def __getattr__(self, name):
        # nn.Module.__getattr__ would hide the message of a property's AttributeError.
        if name in _NODE_PROPERTIES:
            return getattr(type(self), name).fget(self)
        # Weights first, as nn.Module looks them up, without its frame: layers read their
        # weights (``self.kernel``) on every call.
        params = self.__dict__.get("_parameters")
        if params is not None and name in params:
            return params[name]
        return super().__getattr__(name)

    def __setattr__(self, name, value):
        if name == "name" and isinstance(value, str):  # Keras allows renaming: layer.name = ...
            object.__setattr__(self, "_name", value)
            return
        super().__setattr__(name, value)

    def __getstate__(self):
        # The last activity losses may hold an autograd graph, which cannot be copied.
        state = dict(super().__getstate__())
        if state.get("_activity_losses"):
            state["_activity_losses"] = []
        return state

    def __hash__(self):
        return id(self)

    def __eq__(self, other):
        return self is other


# ---------------------------------------------------------------------- helpers
def _batch_input_shape_from_kwargs(kwargs, owner):
    if "batch_input_shape" in kwargs and kwargs["batch_input_shape"] is not None:
        return to_shape(kwargs["batch_input_shape"], "batch_input_shape", owner)
    if "input_dim" in kwargs and "input_shape" not in kwargs:
        warnings.warn(f"{owner}: `input_dim` is deprecated, use `input_shape=(dim,)` instead.",
                      DeprecationWarning, stacklevel=4)
        kwargs["input_shape"] = (kwargs["input_dim"],)
    if kwargs.get("input_shape") is not None:
        shape = to_shape(kwargs["input_shape"], "input_shape", owner)
        batch = kwargs.get("batch_size")
        return (None if batch is None else to_int(batch, "batch_size", owner, 1),) + shape
    return None


def _eager_call_error(layer, inputs, error):
    """``error`` raised inside ``layer`` on real inputs, with the layer and the inputs named."""
    if str(error).startswith("Layer ") or type(error) not in (RuntimeError, AttributeError,
                                                               TypeError):
        return error  # already named by an inner layer, or a subclass (e.g. out of memory)
    flat = flatten(inputs)
    received = [tuple(t.shape) if isinstance(t, torch.Tensor) else repr(t)[:40] for t in flat]
    if not all(isinstance(t, torch.Tensor) for t in flat):
        return TypeError(f'Layer "{layer.name}" ({type(layer).__name__}) expects tensors or '
                         f"arrays as inputs. Received: {received}")
    kind = AttributeError if type(error) is AttributeError else type(error)
    return kind(f'Layer "{layer.name}" ({type(layer).__name__}) failed on inputs of shape '
                f"{received[0] if len(received) == 1 else received}: {error}")


def _device_type(inputs):
    t = next((t for t in flatten(inputs) if isinstance(t, torch.Tensor)), None)
    return t.device.type if t is not None else "cpu"


def _to_torch(x):
    if isinstance(x, torch.Tensor):
        return x
    if isinstance(x, np.ndarray):
        t = from_numpy(x)
        return t.to(config.torch_dtype()) if t.is_floating_point() else t
    if isinstance(x, (list, tuple)):
        return [_to_torch(v) for v in x]
    if isinstance(x, dict):
        return {k: _to_torch(v) for k, v in x.items()}
    return x


def _shape_structure(x):
    if isinstance(x, (list, tuple)):
        return [_shape_structure(v) for v in x]
    if isinstance(x, dict):
        return [_shape_structure(v) for v in x.values()]
    if x is None:
        return None
    shape = tuple(x.shape)
    return shape if isinstance(x, KerasTensor) else (None,) + shape[1:]


def _fmt_shapes(shape):
    return str(_as_tuple_shapes(shape))


def _make_keras_tensors(shape, dtype):
    if isinstance(shape, list) and (not shape or isinstance(shape[0], (tuple, list))):
        return [KerasTensor(s, dtype) for s in shape]
    return KerasTensor(shape, dtype)


def _keras_mask_tensor(meta_mask):
    shape = (None,) + tuple(meta_mask.shape[1:])
    return KerasTensor(shape, "bool")


class AttachMask(Layer):
    """``[x, mask] -> x`` carrying ``mask``: how a graph tensor passed as ``mask=`` reaches a layer.

    ``layer(x, mask=m)`` with a graph tensor ``m`` calls this first, so the mask is part of the
    recorded graph and flows to ``layer`` when the model runs, as it would from a Masking layer.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        return inputs[0]

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def compute_mask(self, inputs, mask=None):
        return inputs[1].bool()


def _attach_masks(inputs, mask):
    """``inputs`` with each graph-tensor entry of ``mask`` attached (``AttachMask``)."""
    flat, masks = flatten(inputs), flatten(mask)
    if len(masks) != len(flat):
        raise ValueError(f"mask= has {len(masks)} entries for {len(flat)} inputs: {mask!r}")
    attached = [AttachMask()([x, m]) if is_symbolic(m) else x for x, m in zip(flat, masks, strict=True)]
    return pack_like(inputs, attached)


# Names Keras 2 code imports from this module, resolved on first access (openkeras.engine.keras2_names).
from openkeras.engine.keras2_names import BASE_LAYER as _KERAS2  # noqa: E402
from openkeras.engine.lazy_exports import lazy_exports  # noqa: E402

__getattr__ = lazy_exports(__name__, _KERAS2)
