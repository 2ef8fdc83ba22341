"""Layer wrappers: Wrapper, TimeDistributed, Bidirectional."""

import torch

from openkeras.engine.base_layer import Layer
from openkeras.engine.keras_tensor import flatten, is_symbolic
from openkeras.layers.recurrent.base import (
    prefix_weight_names,
    standardize_args,
    stateful_batch_error,
)
from openkeras.layers.serialization import deserialize, serialize
from openkeras.utils.generic_utils import custom_object_scope

_MERGE_MODES = ("sum", "mul", "ave", "concat", None)


def _serialize(layer):
    return serialize(layer)


def _deserialize(config, custom_objects):
    return deserialize(config, custom_objects=custom_objects)


class Wrapper(Layer):
    """Base class of the layers that wrap another layer.

    Args:
        layer: the wrapped layer.
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"Please initialize `{type(self).__name__}` layer with a `Layer` "
                             f"instance. Received: {layer!r}")
        super().__init__(**kwargs)
        self.layer = layer

    def get_config(self):
        return {**super().get_config(), "layer": _serialize(self.layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        layer = _deserialize(config.pop("layer"), custom_objects)
        return cls(layer, **config)


class TimeDistributed(Wrapper):
    """Applies a layer (or a model) to every timestep of its input.

    Time is folded into the batch: (batch, time, ...) -> (batch * time, ...) -> layer ->
    (batch, time, ...). Masks pass through (or come from the inner layer's mask).

    Args:
        layer: the layer applied at each timestep.
    Shapes: (batch, time, *inner_input) -> (batch, time, *inner_output).
    """

    def __init__(self, layer, **kwargs):
        super().__init__(layer, **kwargs)
        self.supports_masking = True

    def _check_rank(self, input_shape):
        if len(input_shape) < 3:
            raise ValueError(
                f'Layer "{self.name}": `TimeDistributed` Layer should be passed an `input_shape` '
                f"with at least 3 dimensions, received: {tuple(input_shape)}")

    def build(self, input_shape):
        self._check_rank(input_shape)
        if not self.layer.built:
            self.layer._maybe_build((input_shape[0],) + tuple(input_shape[2:]))
            inner = f"{self.layer.name}/"
            for w in self.layer.weights:
                if w.name and w.name.startswith(inner):
                    w._keras_full_name = f"{self.name}/{w.name[len(inner):]}"
        self.built = True

    def call(self, inputs, training=None, mask=None):
        batch, steps = inputs.shape[0], inputs.shape[1]
        kwargs = {}
        if self.layer._call_takes_training:
            kwargs["training"] = training
        if mask is not None and self.layer._call_takes_mask:
            kwargs["mask"] = mask.reshape((batch * steps,) + tuple(mask.shape[2:]))
        outputs = self.layer(inputs.reshape((batch * steps,) + tuple(inputs.shape[2:])), **kwargs)
        if isinstance(outputs, (list, tuple)):
            return [y.reshape((batch, steps) + tuple(y.shape[1:])) for y in outputs]
        return outputs.reshape((batch, steps) + tuple(outputs.shape[1:]))

    def compute_output_shape(self, input_shape):
        self._check_rank(input_shape)
        inner = self.layer.compute_output_shape((input_shape[0],) + tuple(input_shape[2:]))
        if isinstance(inner, list):
            return [(s[0], input_shape[1]) + tuple(s[1:]) for s in inner]
        return (inner[0], input_shape[1]) + tuple(inner[1:])

    def compute_output_dtype(self, input_dtype):
        return self.layer.compute_output_dtype(input_dtype)

    def compute_mask(self, inputs, mask=None):
        batch, steps = inputs.shape[0], inputs.shape[1]
        inner_mask = None
        if mask is not None:
            if not self.layer.supports_masking:
                return _reduce_mask(mask)
            inner_mask = mask.reshape((batch * steps,) + tuple(mask.shape[2:]))
        inner_inputs = inputs.reshape((batch * steps,) + tuple(inputs.shape[2:]))
        out = self.layer.compute_mask(inner_inputs, inner_mask)
        if out is None:
            return None if mask is None else _reduce_mask(mask)
        return out.reshape((batch, steps) + tuple(out.shape[1:]))


def _reduce_mask(mask):
    while mask.dim() > 2:
        mask = mask.any(dim=-1)
    return mask


class Bidirectional(Wrapper):
    """Runs a recurrent layer forwards and a copy backwards, and merges their outputs.

    Args:
        layer: a recurrent layer (RNN, LSTM, GRU, ...); its config makes both directions.
        merge_mode: 'concat' (default), 'sum', 'mul', 'ave', or None (a list of both).
        weights: initial weights, forward layer's then backward layer's.
        backward_layer: an optional layer for the backward direction (``go_backwards=True``).
    Shapes: (batch, time, features) -> the wrapped layer's output, merged.
    """

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError("Please initialize `Bidirectional` layer with a `Layer` instance. "
                             f"Received: {layer!r}")
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError("`backward_layer` needs to be a `Layer` instance. "
                             f"Received: {backward_layer!r}")
        if "go_backwards" not in layer.get_config():
            raise ValueError("`Bidirectional` wraps a recurrent layer (RNN, LSTM, GRU, ...) that "
                             f"has a `go_backwards` argument. Received: layer {layer.name!r} of "
                             f"type {type(layer).__name__}")
        if merge_mode not in _MERGE_MODES:
            raise ValueError(f"Invalid merge mode. Received: {merge_mode}. Merge mode should be "
                             'one of {"sum", "mul", "ave", "concat", None}')
        Layer.__init__(self, weights=weights, **kwargs)
        self.__dict__["layer"] = layer  # the template only: not a sub-module, no weights used
        self.forward_layer = _recreate(layer)
        self._backward_layer_config = None
        if backward_layer is None:
            self.backward_layer = _recreate(layer, go_backwards=True)
        else:
            self._backward_layer_config = _serialize(backward_layer)
            self.backward_layer = backward_layer
        self.forward_layer.name = "forward_" + self.forward_layer.name
        self.backward_layer.name = "backward_" + self.backward_layer.name
        self._verify_layers()
        for sub in (self.forward_layer, self.backward_layer):
            if hasattr(sub, "zero_output_for_mask"):  # as tf.keras: masked steps output zeros
                sub.zero_output_for_mask = sub.return_sequences
        self.merge_mode = merge_mode
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.stateful = getattr(layer, "stateful", False)
        self.supports_masking = True
        self._num_constants = 0

    def _verify_layers(self):
        fw, bw = self.forward_layer, self.backward_layer
        if fw.go_backwards == bw.go_backwards:
            raise ValueError("Forward layer and backward layer should have different "
                             f"`go_backwards` value. Received: forward_layer.go_backwards="
                             f"{fw.go_backwards}, backward_layer.go_backwards={bw.go_backwards}")
        for attr in ("stateful", "return_sequences", "return_state"):
            a, b = getattr(fw, attr, None), getattr(bw, attr, None)
            if a != b:
                raise ValueError(f"Forward layer and backward layer are expected to have the same "
                                 f'value for attribute "{attr}", got "{a}" for forward layer and '
                                 f'"{b}" for backward layer')

    # --------------------------------------------------------------- calling
    def __call__(self, inputs, initial_state=None, constants=None, **kwargs):
        inputs, initial_state, constants = standardize_args(
            inputs, initial_state, constants, self._num_constants)
        if constants is not None:
            self._num_constants = len(constants)
        if self.stateful and is_symbolic(inputs) and flatten(inputs)[0].shape[0] is None:
            raise stateful_batch_error(self)
        if initial_state is None and constants is None:
            return super().__call__(inputs, **kwargs)
        return super().__call__([inputs] + (initial_state or []) + (constants or []), **kwargs)

    def build(self, input_shape):
        if isinstance(input_shape, list) and input_shape and isinstance(input_shape[0], (tuple, list)):
            shapes = [tuple(s) for s in input_shape]
            n = self._num_constants
            sub_shape = [shapes[0]] + shapes[len(shapes) - n:] if n else shapes[0]
        else:
            sub_shape = tuple(input_shape)
        for sub in (self.forward_layer, self.backward_layer):
            sub._maybe_build(sub_shape)
        prefix_weight_names(self.weights, self.name)
        self.built = True

    def call(self, inputs, training=None, mask=None, initial_state=None, constants=None):
        inputs, initial_state, constants = standardize_args(
            inputs, initial_state, constants, self._num_constants)
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        fw_state = bw_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            fw_state, bw_state = initial_state[:half], initial_state[half:]
        y = self._call_sub(self.forward_layer, inputs, training, mask, fw_state, constants)
        y_rev = self._call_sub(self.backward_layer, inputs, training, mask, bw_state, constants)
        states = []
        if self.return_state:
            states = list(y[1:]) + list(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = y_rev.flip(0 if getattr(self.backward_layer, "time_major", False) else 1)
        if self.merge_mode == "concat":
            output = torch.cat([y, y_rev], dim=-1)
        elif self.merge_mode == "sum":
            output = y + y_rev
        elif self.merge_mode == "ave":
            output = (y + y_rev) / 2
        elif self.merge_mode == "mul":
            output = y * y_rev
        else:
            output = [y, y_rev]
        if self.return_state:
            return (output if isinstance(output, list) else [output]) + states
        return output

    @staticmethod
    def _call_sub(layer, inputs, training, mask, initial_state, constants):
        kwargs = {}
        if initial_state is not None:
            kwargs["initial_state"] = initial_state
        if constants:
            kwargs["constants"] = constants
        if layer._call_takes_training:
            kwargs["training"] = training
        if mask is not None and layer._call_takes_mask:
            kwargs["mask"] = mask
        return layer.call(inputs, **kwargs)

    # ---------------------------------------------------------------- shapes
    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, list) and input_shape and isinstance(input_shape[0], (tuple, list)):
            input_shape = tuple(input_shape[0])
        fw = self.forward_layer.compute_output_shape(input_shape)
        bw = self.backward_layer.compute_output_shape(input_shape)
        fw_states, bw_states = [], []
        if self.return_state:
            fw, fw_states, bw, bw_states = fw[0], list(fw[1:]), bw[0], list(bw[1:])
        if self.merge_mode == "concat":
            last = None if fw[-1] is None or bw[-1] is None else fw[-1] + bw[-1]
            output = [tuple(fw[:-1]) + (last,)]
        elif self.merge_mode is None:
            output = [tuple(fw), tuple(bw)]
        else:
            output = [tuple(fw)]
        if self.return_state:
            return output + fw_states + bw_states
        return output if self.merge_mode is None else output[0]

    def compute_output_dtype(self, input_dtype):
        return self.forward_layer.dtype

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        masks = [output_mask, output_mask] if self.merge_mode is None else [output_mask]
        if self.return_state:
            n_states = len(self.forward_layer.states) + len(self.backward_layer.states)
            return masks + [None] * n_states
        return masks if self.merge_mode is None else output_mask

    def reset_states(self, states=None):
        """Reset both directions' states (``states``: forward's then backward's)."""
        if states is None:
            self.forward_layer.reset_states()
            self.backward_layer.reset_states()
            return
        half = len(states) // 2
        self.forward_layer.reset_states(states[:half])
        self.backward_layer.reset_states(states[half:])

    # ---------------------------------------------------------------- config
    def get_config(self):
        config = {**super().get_config(), "merge_mode": self.merge_mode}
        if self._num_constants:
            config["num_constants"] = self._num_constants
        if self._backward_layer_config is not None:
            config["backward_layer"] = self._backward_layer_config
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        num_constants = config.pop("num_constants", 0)
        layer = _deserialize(config.pop("layer"), custom_objects)
        backward = config.pop("backward_layer", None)
        if backward is not None:
            backward = _deserialize(backward, custom_objects)
        obj = cls(layer, backward_layer=backward, **config)
        obj._num_constants = num_constants
        return obj


def _recreate(layer, go_backwards=False):
    """A fresh copy of ``layer`` from its config (``go_backwards`` flipped if asked)."""
    config = layer.get_config()
    if go_backwards:
        config["go_backwards"] = not config["go_backwards"]
    cell = getattr(layer, "cell", None)
    scope = {type(cell).__name__: type(cell)} if cell is not None else {}
    scope[type(layer).__name__] = type(layer)
    with custom_object_scope(scope):
        return type(layer).from_config(config)


# Names Keras 2 code imports from this module, resolved on first access (so this module
# imports nothing more at load time).
from openkeras.engine.lazy_exports import lazy_exports  # noqa: E402

__getattr__ = lazy_exports(__name__, {
    "InputSpec": "openkeras.engine.input_spec:InputSpec",
    "disable_tracking": "openkeras.utils.generic_utils:disable_tracking",
    "has_arg": "openkeras.utils.generic_utils:has_arg",
    "object_list_uid": "openkeras.utils.generic_utils:object_list_uid",
    "recurrent": "openkeras.layers.recurrent",
})
