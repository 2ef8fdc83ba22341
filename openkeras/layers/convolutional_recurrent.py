"""Keras 2's module path for ConvLSTM2D, and ``ConvRNN2D`` (an RNN over a convolutional cell)."""

from openkeras.engine.lazy_exports import lazy_exports
from openkeras.layers.recurrent.conv_lstm import (  # noqa: F401
    ConvLSTM2D,
    ConvLSTM2DCell,
    ConvRNN2D,
)

# Names Keras 2 code imports from this module, resolved on first access.

__getattr__ = lazy_exports(__name__, {
    "ConvRecurrent2D": "openkeras.layers.keras1:ConvRecurrent2D",
    "InputSpec": "openkeras.engine.input_spec:InputSpec",
    "Layer": "openkeras.engine.base_layer:Layer",
    "RNN": "openkeras.layers.recurrent.base:RNN",
    "Recurrent": "openkeras.layers.keras1:Recurrent",
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
