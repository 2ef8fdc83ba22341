"""Keras 2's ``keras.engine.network``: ``Network`` (the functional graph model) and helpers."""

from openkeras.engine.base_layer import Layer  # noqa: F401
from openkeras.engine.functional import Functional
from openkeras.engine.input_layer import InputLayer  # noqa: F401
from openkeras.engine.lazy_exports import lazy_exports
from openkeras.engine.node import Node, get_source_inputs  # noqa: F401
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


__getattr__ = lazy_exports(__name__, {
    "saving": "openkeras.engine.saving",
    "ask_to_proceed_with_overwrite": "openkeras.utils.io_utils:ask_to_proceed_with_overwrite",
    "print_layer_summary": "openkeras.utils.layer_utils:print_summary",
})
