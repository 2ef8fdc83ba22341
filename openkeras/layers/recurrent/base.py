"""RNN: runs a cell over the timesteps of a sequence (StackedRNNCells is in stacked.py)."""

import numpy as np
import torch

from openkeras import config
from openkeras.engine.arrays import as_tensor
from openkeras.engine.base_layer import Layer
from openkeras.engine.keras_tensor import flatten, is_symbolic
from openkeras.layers.core import input_rank_error
from openkeras.layers.recurrent.cells import _CellBase
from openkeras.layers.recurrent.fused import fused_kind, run_fused
from openkeras.layers.recurrent.stacked import (
    StackedRNNCells,
    flat_state_sizes,
    prefix_weight_names,
)
from openkeras.layers.serialization import deserialize
from openkeras.utils.generic_utils import accepts_argument, serialize_keras_object


def _bcast(step_mask, like):
    return step_mask.view(-1, *([1] * (like.dim() - 1)))


def standardize_args(inputs, initial_state, constants, num_constants):
    """Split ``[x, *states, *constants]`` (as a node replays it) into its three parts."""
    if isinstance(inputs, (list, tuple)):
        inputs = list(inputs)
        if num_constants:
            constants = inputs[-num_constants:]
            inputs = inputs[:-num_constants]
        if len(inputs) > 1:
            initial_state = inputs[1:]
        inputs = inputs[0]

    def as_list(x):
        if x is None or isinstance(x, list):
            return x
        return list(x) if isinstance(x, tuple) else [x]

    return inputs, as_list(initial_state), as_list(constants)


def stateful_batch_error(layer):
    return ValueError(
        f'Layer "{layer.name}": If a RNN is stateful, it needs to know its batch size. Specify '
        "the batch size of your input tensors: \n- If using a Sequential model, specify the batch "
        "size by passing a `batch_input_shape` argument to your first layer.\n- If using the "
        "functional API, specify the batch size by passing a `batch_shape` argument to your "
        "Input layer."
    )


class RNN(Layer):
    """Base class for recurrent layers: applies ``cell`` to every timestep.

    Args:
        cell: an RNN cell (``call(inputs, states)`` and ``state_size``), or a list of cells
            (stacked with ``StackedRNNCells``).
        return_sequences: return the whole output sequence instead of the last output.
        return_state: also return the final states.
        go_backwards: process the sequence in reverse (outputs are in processing order).
        stateful: carry the last states of a batch over as the initial states of the next.
        unroll: accepted for compatibility (the computation is the same).
        time_major: inputs (and outputs) are (time, batch, ...) instead of (batch, time, ...).
    Shapes: (batch, time, features) -> (batch, units), or (batch, time, units) with sequences.
    """

    _input_ndim = 3

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, time_major=False, **kwargs):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        if not hasattr(cell, "call"):
            raise ValueError(f"Argument `cell` should have a `call` method. Received: cell={cell!r}")
        if not hasattr(cell, "state_size"):
            raise ValueError("The RNN cell should have a `state_size` attribute (one integer per "
                             f"RNN state). Received: cell={cell!r}")
        self.zero_output_for_mask = bool(kwargs.pop("zero_output_for_mask", False))
        num_constants = kwargs.pop("num_constants", 0)
        if "input_shape" not in kwargs and ("input_dim" in kwargs or "input_length" in kwargs):
            kwargs["input_shape"] = (kwargs.pop("input_length", None), kwargs.pop("input_dim", None))
        kwargs.pop("input_length", None)
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.time_major = bool(time_major)
        self.supports_masking = True
        self._num_constants = int(num_constants or 0)
        self._n_states = len(flat_state_sizes(cell.state_size))
        for i in range(self._n_states if self.stateful else 0):
            self.register_buffer(f"_state_{i}", None, persistent=False)

    # --------------------------------------------------------------- calling
    def __call__(self, inputs, initial_state=None, constants=None, **kwargs):
        inputs, initial_state, constants = standardize_args(
            inputs, initial_state, constants, self._num_constants)
        if constants is not None:
            self._num_constants = len(constants)
        if self.stateful and is_symbolic(inputs):
            batch = flatten(inputs)[0].shape[1 if self.time_major else 0]
            if batch is None:
                raise stateful_batch_error(self)
        if initial_state is None and constants is None:
            return super().__call__(inputs, **kwargs)
        return super().__call__([inputs] + (initial_state or []) + (constants or []), **kwargs)

    def build(self, input_shape):
        input_shape, extra = self._split_shapes(input_shape)
        if len(input_shape) != self._input_ndim:
            raise input_rank_error(self, f"ndim={self._input_ndim}", input_shape)
        batch = input_shape[1] if self.time_major else input_shape[0]
        step_shape = (batch,) + tuple(input_shape[2:])
        if isinstance(self.cell, Layer) and not self.cell.built:
            constants = extra[len(extra) - self._num_constants:] if self._num_constants else []
            self.cell._maybe_build([step_shape] + constants if constants else step_shape)
            self._name_cell_weights()
        if self.stateful:
            self._stateful_input_shape = input_shape
            self._init_states()
        self.built = True

    def _name_cell_weights(self):
        prefix_weight_names(self.cell.weights, self.name)

    def _split_shapes(self, input_shape):
        if isinstance(input_shape, list) and input_shape and isinstance(input_shape[0], (tuple, list)):
            return tuple(input_shape[0]), [tuple(s) for s in input_shape[1:]]
        return tuple(input_shape), []

    def call(self, inputs, mask=None, training=None, initial_state=None, constants=None):
        inputs, initial_state, constants = standardize_args(
            inputs, initial_state, constants, self._num_constants)
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if self.time_major:
            inputs = inputs.transpose(0, 1)
            mask = mask.transpose(0, 1) if mask is not None else None
        if mask is not None and mask.dtype != torch.bool:
            mask = mask.bool()
        inputs = self._input_to_engine(inputs)
        if initial_state is not None:
            states = [self._state_to_engine(s) for s in initial_state]
        elif self.stateful:
            states = self._stateful_states(inputs)
        else:
            states = self._zero_states(inputs)
        sequence, last, states = self._run(inputs, states, mask, training, constants)
        if self.stateful:
            self._store_states(states)
        if self.return_sequences:
            output = self._sequence_from_engine(sequence)
            output = output.transpose(0, 1) if self.time_major else output
        else:
            output = self._state_from_engine(last)
        if self.return_state:
            return [output] + [self._state_from_engine(s) for s in states]
        return output

    def _run(self, inputs, states, mask, training, constants):
        cell = self.cell
        if hasattr(cell, "reset_dropout_mask"):
            cell.reset_dropout_mask()
        kind = fused_kind(cell, training) if isinstance(cell, _CellBase) and not constants else None
        if kind is not None:
            in_mask, _ = cell.dropout_masks(inputs[:, 0], states[0], training)
            result = run_fused(kind, cell, inputs, states, mask, self.go_backwards,
                               self.zero_output_for_mask, in_mask)
            if result is not None:
                return result
        return self._loop(inputs, states, mask, training, constants)

    def _step_function(self, inputs, states, training, constants):
        cell = self.cell
        if isinstance(cell, _CellBase) and type(cell).call is _CellBase.call:
            in_mask, rec_mask = cell.dropout_masks(inputs[:, 0], states[0], training)
            projected = cell.project_inputs(inputs, in_mask)
            return lambda t, st: cell.step(projected[:, t], st, rec_mask)
        kwargs = {}
        if accepts_argument(cell.call, "training"):
            kwargs["training"] = training
        if constants:
            kwargs["constants"] = constants

        def step(t, st):
            out, new = cell.call(inputs[:, t], st, **kwargs)
            return out, list(new) if isinstance(new, (list, tuple)) else [new]

        return step

    def _loop(self, inputs, states, mask, training, constants):
        """The general path: one cell step per timestep (masks, any cell, any activation)."""
        step = self._step_function(inputs, states, training, constants)
        steps = inputs.shape[1]
        order = range(steps - 1, -1, -1) if self.go_backwards else range(steps)
        outputs, last = [], None
        for t in order:
            out, new = step(t, states)
            if mask is not None:
                keep = mask[:, t]
                states = [torch.where(_bcast(keep, s), n, s) for n, s in zip(new, states, strict=True)]
                fallback = torch.zeros_like(out) if self.zero_output_for_mask or last is None else last
                out = torch.where(_bcast(keep, out), out, fallback)
            else:
                states = new
            last = out
            if self.return_sequences:
                outputs.append(out)
        sequence = torch.stack(outputs, dim=1) if outputs else None
        return sequence, last, states

    # ------------------------------------------------------ layout hooks (ConvLSTM2D)
    def _input_to_engine(self, inputs):
        return inputs

    def _sequence_from_engine(self, sequence):
        return sequence

    def _state_from_engine(self, state):
        return state

    def _state_to_engine(self, state):
        return state

    # ---------------------------------------------------------------- states
    def get_initial_state(self, inputs):
        """Zero initial states for ``inputs`` (batch, time, ...) in the engine layout."""
        return self._zero_states(inputs)

    def _zero_states(self, inputs):
        step_input = inputs[:, 0]
        fn = getattr(self.cell, "get_initial_state", None)
        if fn is not None:
            states = fn(inputs=step_input, batch_size=inputs.shape[0], dtype=step_input.dtype)
            states = list(states) if isinstance(states, (list, tuple)) else [states]
            return [s.to(device=inputs.device) for s in flatten(states)]
        return [torch.zeros(inputs.shape[0], s, device=inputs.device, dtype=inputs.dtype)
                for s in flat_state_sizes(self.cell.state_size)]

    def _engine_states(self):
        return [getattr(self, f"_state_{i}") for i in range(self._n_states)]

    @property
    def states(self):
        """The states of a stateful layer: zero tensors from the moment it is built with a known
        batch size, updated in place after every batch (``K.get_value`` reads them, Keras
        layout); ``[None, ...]`` for a layer that is not stateful."""
        if not self.stateful:
            return [None] * self._n_states
        return [None if s is None else self._state_from_engine(s) for s in self._engine_states()]

    def _init_states(self):
        """Create zero states for the built input shape when every dimension is known."""
        shape = getattr(self, "_stateful_input_shape", None)
        if shape is None:
            return False
        batch = shape[1] if self.time_major else shape[0]
        if batch is None or any(d is None for d in shape[2:]):
            return False
        weight = next(self.cell.parameters(), None) if isinstance(self.cell, torch.nn.Module) else None
        dtype = weight.dtype if weight is not None else config.torch_dtype()
        device = weight.device if weight is not None else torch.device("cpu")
        probe = torch.zeros((batch, 1) + tuple(shape[2:]), dtype=dtype, device=device)
        with torch.no_grad():
            zeros = self._zero_states(self._input_to_engine(probe))
        for i, s in enumerate(zeros):
            setattr(self, f"_state_{i}", s.detach().clone())
        return True

    def _stateful_states(self, inputs):
        states = self._engine_states()
        if states[0] is None:
            states = [s.detach() for s in self._zero_states(inputs)]
            for i, s in enumerate(states):
                setattr(self, f"_state_{i}", s)
        elif states[0].shape[0] != inputs.shape[0]:
            raise ValueError(
                f'Layer "{self.name}" is stateful with a batch size of {states[0].shape[0]}, but '
                f"received a batch of {inputs.shape[0]} samples. Every batch fed to a stateful "
                f"RNN must have {states[0].shape[0]} samples (pass batch_size="
                f"{states[0].shape[0]} and a number of samples divisible by it)."
            )
        if states[0].device != inputs.device:
            for i, s in enumerate(states):
                setattr(self, f"_state_{i}", s.to(inputs.device))
            states = self._engine_states()
        # A copy: the stored states are overwritten in place after the batch, while autograd
        # still needs the values the batch started from.
        return [s.clone() for s in states]

    def _store_states(self, states):
        """Keep a batch's final states; in place, so ``layer.states`` stay the same variables."""
        with torch.no_grad():
            for i, (old, new) in enumerate(zip(self._engine_states(), states, strict=True)):
                if old is None or old.shape != new.shape or old.device != new.device:
                    setattr(self, f"_state_{i}", new.detach().clone())
                else:
                    old.copy_(new)

    def reset_states(self, states=None):
        """Zero the states of a stateful layer, or set them to ``states`` (arrays, Keras layout).

        Args:
            states: None (zeros), or one array per state of shape (batch, units) (Keras layout).
        """
        if not self.stateful:
            raise AttributeError(f'Layer "{self.name}" must be stateful to reset its states.')
        current = self._engine_states()
        if current[0] is None and not self._init_states() and states is None:
            if not self.built:
                raise ValueError(f'Layer "{self.name}": reset_states() needs a built layer (call '
                                 "it on an input with a known batch size first).")
            raise stateful_batch_error(self)
        current = self._engine_states()
        if states is None:
            with torch.no_grad():
                for s in current:
                    s.zero_()
            return
        states = list(states) if isinstance(states, (list, tuple)) else [states]
        if len(states) != self._n_states:
            raise ValueError(
                f'Layer "{self.name}" expects {self._n_states} states, but it received '
                f"{len(states)} state values. States received: {states}"
            )
        for i, value in enumerate(states):
            if not isinstance(value, torch.Tensor):
                value = as_tensor(np.asarray(value, dtype=np.float32))
            value = self._state_to_engine(value)
            if current[i] is None:
                setattr(self, f"_state_{i}", value.detach().clone())
                continue
            if tuple(value.shape) != tuple(current[i].shape):
                raise ValueError(
                    f'State {i} is incompatible with layer "{self.name}": expected shape='
                    f"{tuple(self._state_from_engine(current[i]).shape)} but found shape="
                    f"{tuple(self._state_from_engine(value).shape)}")
            with torch.no_grad():
                current[i].copy_(value)

    # ---------------------------------------------------------------- shapes
    def _output_dims(self, input_shape):
        size = getattr(self.cell, "output_size", None)
        if size is None:
            size = flat_state_sizes(self.cell.state_size)[0]
        return (size,), [(s,) for s in flat_state_sizes(self.cell.state_size)]

    def compute_output_shape(self, input_shape):
        input_shape, _ = self._split_shapes(input_shape)
        if len(input_shape) != self._input_ndim:
            raise input_rank_error(self, f"ndim={self._input_ndim}", input_shape)
        batch, steps = (input_shape[1], input_shape[0]) if self.time_major else input_shape[:2]
        out_dims, state_dims = self._output_dims(input_shape)
        if self.return_sequences:
            lead = (steps, batch) if self.time_major else (batch, steps)
            output = lead + out_dims
        else:
            output = (batch,) + out_dims
        if self.return_state:
            return [output] + [(batch,) + d for d in state_dims]
        return output

    def compute_output_dtype(self, input_dtype):
        return self.dtype

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * self._n_states
        return output_mask

    # ---------------------------------------------------------------- config
    def _rnn_config(self):
        config = {
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "time_major": self.time_major,
        }
        if self._num_constants:
            config["num_constants"] = self._num_constants
        if self.zero_output_for_mask:
            config["zero_output_for_mask"] = self.zero_output_for_mask
        return config

    def get_config(self):
        return {**super().get_config(), **self._rnn_config(),
                "cell": serialize_keras_object(self.cell)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cell = deserialize(config.pop("cell"), custom_objects=custom_objects)
        return cls(cell, **config)
