"""The engine (``keras.engine``): tensors, nodes, Layer, Model; Keras 2's names resolve lazily.

``from keras.engine import Layer, Input, Model`` works as in Keras 2; the names load on first
access so importing one engine module does not import the whole engine.
"""

from openkeras.engine.lazy_exports import lazy_exports

_NAMES = {
    "Input": "openkeras.engine.input_layer:Input",
    "InputLayer": "openkeras.engine.input_layer:InputLayer",
    "InputSpec": "openkeras.engine.input_spec:InputSpec",
    "Layer": "openkeras.engine.base_layer:Layer",
    "Model": "openkeras.engine.training:Model",
    "get_source_inputs": "openkeras.engine.node:get_source_inputs",
}

__getattr__ = lazy_exports(__name__, _NAMES)


def __dir__():
    return sorted(set(globals()) | set(_NAMES))
