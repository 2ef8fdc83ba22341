"""Keras layers. ``openkeras.layers.X`` is Keras 2's ``keras.layers.X``."""

from openkeras.engine.base_layer import Layer
from openkeras.engine.input_layer import Input, InputLayer
from openkeras.layers.core import (
    Activation,
    ActivityRegularization,
    Dense,
    Dropout,
    Flatten,
    Lambda,
    Masking,
    Permute,
    RepeatVector,
    Reshape,
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
)
from openkeras.layers.merge import (
    Add,
    Average,
    Concatenate,
    Dot,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    dot,
    maximum,
    minimum,
    multiply,
    subtract,
)
from openkeras.layers.serialization import deserialize, serialize  # noqa: F401

__all__ = [
    "Layer", "Input", "InputLayer", "ActivityRegularization", "Activation", "Dense", "Dropout",
    "Flatten", "Lambda", "Masking", "Permute", "RepeatVector", "Reshape", "SpatialDropout1D",
    "SpatialDropout2D", "SpatialDropout3D", "Add", "Average", "Concatenate", "Dot", "Maximum",
    "Minimum", "Multiply", "Subtract", "add", "average", "concatenate", "dot", "maximum",
    "minimum", "multiply", "subtract", "serialize", "deserialize",
]
