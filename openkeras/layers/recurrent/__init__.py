"""Recurrent layers: RNN, SimpleRNN, LSTM, GRU, their cells, and ConvLSTM2D."""

from openkeras.layers.recurrent.base import RNN, StackedRNNCells
from openkeras.layers.recurrent.cells import GRUCell, LSTMCell, SimpleRNNCell
from openkeras.layers.recurrent.conv_lstm import ConvLSTM2D, ConvLSTM2DCell
from openkeras.layers.recurrent.layers import GRU, LSTM, SimpleRNN

__all__ = [
    "RNN", "StackedRNNCells", "SimpleRNNCell", "LSTMCell", "GRUCell", "SimpleRNN", "LSTM", "GRU",
    "ConvLSTM2D", "ConvLSTM2DCell",
]
