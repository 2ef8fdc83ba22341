"""StackedRNNCells: several recurrent cells run as one; state-size helpers shared by RNN."""

import torch

from openkeras.engine.base_layer import Layer
from openkeras.layers.serialization import deserialize
from openkeras.utils.generic_utils import accepts_argument, serialize_keras_object


def flat_state_sizes(state_size):
    """The state sizes of a cell as a flat list (an int is one state; lists may nest)."""
    if isinstance(state_size, (list, tuple)):
        return [s for part in state_size for s in flat_state_sizes(part)]
    return [state_size]


def prefix_weight_names(weights, prefix):
    """Keras names a cell's weights inside its RNN: 'lstm/lstm_cell/kernel:0'."""
    for w in weights:
        if hasattr(w, "_keras_full_name"):
            w._keras_full_name = f"{prefix}/{w._keras_full_name}"



class StackedRNNCells(Layer):
    """Several cells run as one: the output of each cell is the input of the next.

    Args:
        cells: the cells, first to last.
    """

    def __init__(self, cells, **kwargs):
        for cell in cells:
            if not hasattr(cell, "call") or not hasattr(cell, "state_size"):
                raise ValueError("All cells must have a `call` method and a `state_size` "
                                 f"attribute. Received: cell={cell!r}")
        kwargs.pop("reverse_state_order", None)
        super().__init__(**kwargs)
        self.cells = torch.nn.ModuleList(cells)

    @property
    def state_size(self):
        return tuple(cell.state_size for cell in self.cells)

    @property
    def output_size(self):
        last = self.cells[-1]
        return getattr(last, "output_size", None) or flat_state_sizes(last.state_size)[0]

    def build(self, input_shape):
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell._maybe_build(input_shape)
                prefix_weight_names(cell.weights, self.name)
            size = getattr(cell, "output_size", None) or flat_state_sizes(cell.state_size)[0]
            input_shape = (input_shape[0], size)
        self.built = True

    def reset_dropout_mask(self):
        for cell in self.cells:
            if hasattr(cell, "reset_dropout_mask"):
                cell.reset_dropout_mask()

    def get_initial_state(self, inputs=None, batch_size=None, dtype=None):
        states = []
        for cell in self.cells:
            fn = getattr(cell, "get_initial_state", None)
            if fn is not None:
                new = fn(inputs=inputs, batch_size=batch_size, dtype=dtype)
                states.extend(new if isinstance(new, (list, tuple)) else [new])
            else:
                states.extend(torch.zeros(batch_size, s, dtype=inputs.dtype, device=inputs.device)
                              for s in flat_state_sizes(cell.state_size))
        return states

    def _cell_plan(self):
        """(cell, number of states, whether its call takes `training`), worked out once."""
        plan = self.__dict__.get("_plan")
        if plan is None:
            plan = [(cell, len(flat_state_sizes(cell.state_size)), accepts_argument(cell.call, "training"))
                    for cell in self.cells]
            self.__dict__["_plan"] = plan
        return plan

    def call(self, inputs, states, training=None):
        states = list(states)
        new_states = []
        for cell, n, takes_training in self._cell_plan():  # runs once per timestep
            cell_states, states = states[:n], states[n:]
            kwargs = {"training": training} if takes_training else {}
            inputs, new = cell.call(inputs, cell_states, **kwargs)
            new_states.extend(new if isinstance(new, (list, tuple)) else [new])
        return inputs, new_states

    def get_config(self):
        return {**super().get_config(), "cells": [serialize_keras_object(c) for c in self.cells]}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cells = [deserialize(c, custom_objects=custom_objects) for c in config.pop("cells")]
        return cls(cells, **config)
