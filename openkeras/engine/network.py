"""Keras 2's ``keras.engine.network``: ``Network`` (the functional graph model) and helpers."""

from openkeras.engine.base_layer import Layer  # noqa: F401
from openkeras.engine.functional import Functional
from openkeras.engine.input_layer import InputLayer  # noqa: F401
from openkeras.engine.lazy_exports import lazy_exports
from openkeras.engine.node import Node  # noqa: F401
from openkeras.legacy import interfaces  # noqa: F401
from openkeras.utils.generic_utils import (  # noqa: F401
    has_arg,
    object_list_uid,
    to_list,
    unpack_singleton,
)

# Keras 2 named the graph model `Network` (and `Container` before 2.1); openkeras's is Functional.
Network = Functional
Container = Functional


def get_source_inputs(tensor, layer=None, node_index=None):
    """The input tensors (of Input layers) a symbolic tensor was computed from.

    Args:
        tensor: a KerasTensor.
        layer: the layer to start from (default: the one that made ``tensor``).
        node_index: that layer's node (default: the one that made ``tensor``).
    """
    history = getattr(tensor, "_keras_history", None)
    if history is None:
        raise ValueError("get_source_inputs: expected a Keras symbolic tensor (from Input or a "
                         f"layer call). Received: {type(tensor).__name__}")
    if layer is None or node_index is None:
        layer, node_index = history[0], history[1]
    if not layer._inbound_nodes:
        return [tensor]
    node = layer._inbound_nodes[node_index]
    if node.is_input:
        return list(node.output_tensors)
    sources = []
    for t in node.keras_inputs:
        for source in get_source_inputs(t):
            if not any(source is s for s in sources):
                sources.append(source)
    return sources


__getattr__ = lazy_exports(__name__, {
    "saving": "openkeras.engine.saving",
    "ask_to_proceed_with_overwrite": "openkeras.utils.io_utils:ask_to_proceed_with_overwrite",
    "print_layer_summary": "openkeras.utils.layer_utils:print_summary",
})
