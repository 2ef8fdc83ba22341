"""Utilities (``keras.utils``).

This package sits at the bottom of openkeras (it knows torch, numpy and h5py); the names
Keras 2 exports here that take a model (``plot_model``, ``multi_gpu_model``...) live higher up
and resolve on first access.
"""

import random

import numpy as np
import torch

from openkeras.utils.data_utils import Sequence, get_file  # noqa: F401
from openkeras.utils.generic_utils import (  # noqa: F401
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_object,
    register_keras_serializable,
)
from openkeras.utils.io_utils import HDF5Matrix  # noqa: F401
from openkeras.utils.np_utils import normalize, to_categorical  # noqa: F401
from openkeras.utils.progbar import Progbar  # noqa: F401
from openkeras.utils.torch_utils import keras_state_dict, load_keras_state_dict  # noqa: F401


def set_random_seed(seed: int) -> None:
    """Seed Python's, NumPy's and torch's random generators (all devices)."""
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError("set_random_seed: `seed` must be a non-negative integer. Received: "
                         f"seed={seed!r} of type {type(seed).__name__}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


# Names Keras 2 code imports from this module, and its modules, resolved on first access (so
# importing a low module of utils does not import the model-aware ones).
from openkeras.engine.lazy_exports import lazy_exports  # noqa: E402

__getattr__ = lazy_exports(__name__, {
    "GeneratorEnqueuer": "openkeras.utils.enqueuers:GeneratorEnqueuer",
    "H5Dict": "openkeras.utils.h5dict:H5Dict",
    "OrderedEnqueuer": "openkeras.utils.enqueuers:OrderedEnqueuer",
    "conv_utils": "openkeras.utils.conv_utils",
    "convert_all_kernels_in_model": "openkeras.utils.layer_utils:convert_all_kernels_in_model",
    "data_utils": "openkeras.utils.data_utils",
    "deserialize_keras_object": "openkeras.utils.generic_utils:deserialize_keras_object",
    "get_source_inputs": "openkeras.engine.node:get_source_inputs",
    "h5dict": "openkeras.utils.h5dict:H5Dict",
    "io_utils": "openkeras.utils.io_utils",
    "layer_utils": "openkeras.utils.layer_utils",
    "losses_utils": "openkeras.utils.losses_utils",
    "metrics_utils": "openkeras.utils.metrics_utils",
    "model_to_dot": "openkeras.utils.vis_utils:model_to_dot",
    "multi_gpu_model": "openkeras.utils.multi_gpu_utils:multi_gpu_model",
    "multi_gpu_utils": "openkeras.utils.multi_gpu_utils",
    "np_utils": "openkeras.utils.np_utils",
    "plot_history": "openkeras.utils.vis_utils:plot_history",
    "plot_model": "openkeras.utils.vis_utils:plot_model",
    "print_summary": "openkeras.utils.layer_utils:print_summary",
    "serialize_keras_object": "openkeras.utils.generic_utils:serialize_keras_object",
    "test_utils": "openkeras.utils.test_utils",
    "training_utils": "openkeras.utils.training_utils",
    "vis_utils": "openkeras.utils.vis_utils",
})
