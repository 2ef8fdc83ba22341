"""Utilities (``keras.utils``)."""

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
from openkeras.utils.multi_gpu_utils import multi_gpu_model  # noqa: F401
from openkeras.utils.np_utils import normalize, to_categorical  # noqa: F401
from openkeras.utils.progbar import Progbar  # noqa: F401
from openkeras.utils.torch_utils import keras_state_dict, load_keras_state_dict  # noqa: F401
from openkeras.utils.vis_utils import model_to_dot, plot_history, plot_model  # noqa: F401


def set_random_seed(seed: int) -> None:
    """Seed Python's, NumPy's and torch's random generators (all devices)."""
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError("set_random_seed: `seed` must be a non-negative integer. Received: "
                         f"seed={seed!r} of type {type(seed).__name__}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


# Names Keras 2 code imports from this module, resolved on first access (so this module
# imports nothing more at load time).
from openkeras.engine.lazy_exports import lazy_exports  # noqa: E402

__getattr__ = lazy_exports(__name__, {
    "GeneratorEnqueuer": "openkeras.utils.enqueuers:GeneratorEnqueuer",
    "H5Dict": "openkeras.utils.h5dict:H5Dict",
    "OrderedEnqueuer": "openkeras.utils.enqueuers:OrderedEnqueuer",
    "convert_all_kernels_in_model": "openkeras.utils.layer_utils:convert_all_kernels_in_model",
    "deserialize_keras_object": "openkeras.utils.generic_utils:deserialize_keras_object",
    "get_source_inputs": "openkeras.engine.network:get_source_inputs",
    "h5dict": "openkeras.utils.h5dict:H5Dict",
    "losses_utils": "openkeras.utils.losses_utils",
    "metrics_utils": "openkeras.utils.metrics_utils",
    "print_summary": "openkeras.utils.layer_utils:print_summary",
    "serialize_keras_object": "openkeras.utils.generic_utils:serialize_keras_object",
})
