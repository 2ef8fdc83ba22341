"""Recurrent layers: RNN, SimpleRNN, LSTM, GRU, their cells, and ConvLSTM2D."""

from openkeras.layers.recurrent.base import RNN, StackedRNNCells
from openkeras.layers.recurrent.cells import GRUCell, LSTMCell, SimpleRNNCell
from openkeras.layers.recurrent.conv_lstm import ConvLSTM2D, ConvLSTM2DCell
from openkeras.layers.recurrent.layers import GRU, LSTM, SimpleRNN

__all__ = [
    "RNN", "StackedRNNCells", "SimpleRNNCell", "LSTMCell", "GRUCell", "SimpleRNN", "LSTM", "GRU",
    "ConvLSTM2D", "ConvLSTM2DCell",
]


# Names Keras 2 code imports from this module, resolved on first access (so this module
# imports nothing more at load time).
from openkeras.engine.lazy_exports import lazy_exports  # noqa: E402

__getattr__ = lazy_exports(__name__, {
    "InputSpec": "openkeras.engine.input_spec:InputSpec",
    "Layer": "openkeras.engine.base_layer:Layer",
    "Recurrent": "openkeras.layers.keras1:Recurrent",
    "activations": "openkeras.activations",
    "constraints": "openkeras.constraints",
    "disable_tracking": "openkeras.utils.generic_utils:disable_tracking",
    "has_arg": "openkeras.utils.generic_utils:has_arg",
    "initializers": "openkeras.initializers",
    "interfaces": "openkeras.legacy.interfaces",
    "regularizers": "openkeras.regularizers",
    "to_list": "openkeras.utils.generic_utils:to_list",
})
