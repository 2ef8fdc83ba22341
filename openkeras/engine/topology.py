"""Keras 2's ``keras.engine.topology`` (the Keras 2.0-2.1 module of Layer, Input, Network)."""

from openkeras.engine.base_layer import Layer  # noqa: F401
from openkeras.engine.input_layer import Input, InputLayer  # noqa: F401
from openkeras.engine.input_spec import InputSpec  # noqa: F401
from openkeras.engine.network import Container, Network, get_source_inputs  # noqa: F401
from openkeras.engine.node import Node  # noqa: F401
