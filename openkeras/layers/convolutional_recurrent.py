"""Keras 2's module path for ConvLSTM2D, and ``ConvRNN2D`` (an RNN over a convolutional cell)."""

from openkeras.layers.recurrent.base import RNN
from openkeras.layers.recurrent.conv_lstm import ConvLSTM2D, ConvLSTM2DCell


class ConvRNN2D(RNN):
    """Keras 2.3's RNN for a convolutional cell: inputs (batch, time, rows, cols, channels).

    Args:
        cell: a ``ConvLSTM2DCell`` (or subclass).
        return_sequences, return_state, go_backwards, stateful, unroll: see RNN.
    """

    _input_ndim = 5

    def __init__(self, cell, *args, **kwargs):
        if not isinstance(cell, ConvLSTM2DCell):
            raise ValueError("ConvRNN2D: `cell` must be a ConvLSTM2DCell (openkeras's "
                             f"convolutional cell). Received: {type(cell).__name__}")
        super().__init__(cell, *args, **kwargs)

    # The layout hooks of ConvLSTM2D, which is this RNN with its cell built from arguments.
    _channels_last = ConvLSTM2D._channels_last
    _name_cell_weights = ConvLSTM2D._name_cell_weights
    _input_to_engine = ConvLSTM2D._input_to_engine
    _sequence_from_engine = ConvLSTM2D._sequence_from_engine
    _state_from_engine = ConvLSTM2D._state_from_engine
    _state_to_engine = ConvLSTM2D._state_to_engine
    _output_dims = ConvLSTM2D._output_dims


# Names Keras 2 code imports from this module, resolved on first access.
from openkeras.engine.lazy_exports import lazy_exports  # noqa: E402

__getattr__ = lazy_exports(__name__, {
    "ConvRecurrent2D": "openkeras.legacy.layers:ConvRecurrent2D",
    "InputSpec": "openkeras.engine.input_spec:InputSpec",
    "Layer": "openkeras.engine.base_layer:Layer",
    "Recurrent": "openkeras.legacy.layers:Recurrent",
    "activations": "openkeras.activations",
    "constraints": "openkeras.constraints",
    "conv_utils": "openkeras.utils.conv_utils",
    "has_arg": "openkeras.utils.generic_utils:has_arg",
    "initializers": "openkeras.initializers",
    "interfaces": "openkeras.legacy.interfaces",
    "regularizers": "openkeras.regularizers",
    "to_list": "openkeras.utils.generic_utils:to_list",
    "transpose_shape": "openkeras.utils.generic_utils:transpose_shape",
})
