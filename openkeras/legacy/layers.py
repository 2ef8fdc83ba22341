"""Keras 2's ``keras.legacy.layers``: the Keras 1 layers (openkeras.layers.keras1)."""

from openkeras import activations, constraints, initializers, regularizers  # noqa: F401
from openkeras.layers.keras1 import (  # noqa: F401
    AtrousConvolution1D,
    AtrousConvolution2D,
    ConvRecurrent2D,
    Highway,
    InputSpec,
    Layer,
    MaxoutDense,
    Recurrent,
    __all__,
    __getattr__,
)
