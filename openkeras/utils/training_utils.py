"""Keras 2.0's ``keras.utils.training_utils`` (where ``multi_gpu_model`` first lived)."""

from openkeras.engine.lazy_exports import lazy_exports
from openkeras.utils.multi_gpu_utils import multi_gpu_model  # noqa: F401

__getattr__ = lazy_exports(__name__, {
    "Lambda": "openkeras.layers.core:Lambda",
    "Model": "openkeras.engine.training:Model",
    "concatenate": "openkeras.layers.merge:concatenate",
})
