"""Keras 2's module path for ConvLSTM2D."""

from openkeras.layers.recurrent.conv_lstm import ConvLSTM2D, ConvLSTM2DCell  # noqa: F401
