"""Keras 2's ``keras.engine.saving``: whole-model and HDF5 group save/load functions.

Only the module path is in the engine: it re-exports the saving package, so it ranks with it.
"""

import functools

from openkeras.engine.lazy_exports import lazy_exports
from openkeras.saving import hdf5_format, keras1
from openkeras.utils import conv_utils  # noqa: F401
from openkeras.utils.generic_utils import getargspec  # noqa: F401


def preprocess_weights_for_loading(layer, weights, original_keras_version=None,
                                   original_backend=None, reshape=False):
    """Stored arrays (Keras 1 / 2 file layout and order) -> the arrays ``layer`` takes.

    Args:
        layer: the target layer.
        weights: the arrays as stored in the file.
        original_keras_version: the file's ``keras_version`` (None: Keras 2).
        original_backend: the file's ``backend`` (``'theano'`` kernels are flipped).
        reshape: accepted for Keras 2 compatibility; shapes must match exactly here.
    """
    return keras1.preprocess_weights(layer, list(weights), original_keras_version or "2",
                                     original_backend)


def save_weights_to_hdf5_group(group, layers):
    """Write ``layers``' weights into an h5py group in Keras 2's layout."""
    return hdf5_format.save_weights_to_group(group, layers)


def load_weights_from_hdf5_group(f, layers, reshape=False):
    """Load weights into ``layers`` in topological order from a Keras weights group."""
    return hdf5_format.load_weights_from_group(f, layers)


def load_weights_from_hdf5_group_by_name(f, layers, skip_mismatch=False, reshape=False):
    """Load weights into the ``layers`` whose names match the group's layers."""
    return hdf5_format.load_weights_from_group(f, layers, by_name=True, skip_mismatch=skip_mismatch)


def save_attributes_to_hdf5_group(group, name, data):
    """Store a list of strings as an HDF5 attribute (split in chunks above 64 KB)."""
    return hdf5_format.save_attributes(group, name, data)


def load_attributes_from_hdf5_group(group, name):
    """Read a list of strings stored by ``save_attributes_to_hdf5_group``."""
    return hdf5_format.load_attributes(group, name)


def _is_gcs(filepath):
    return isinstance(filepath, str) and filepath.startswith("gs://")


def _gcs_wrapper(func, what):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        paths = [a for a in (*args, *kwargs.values()) if _is_gcs(a)]
        if paths:
            raise NotImplementedError(f"openkeras cannot {what} Google Cloud Storage paths "
                                      f"({paths[0]!r}): copy the file locally first.")
        return func(*args, **kwargs)

    return wrapper


def allow_write_to_gcs(save_function):
    """Keras 2.3's decorator for ``gs://`` targets: local paths pass; GCS paths are refused."""
    return _gcs_wrapper(save_function, "write to")


def allow_read_from_gcs(load_function):
    """Keras 2.3's decorator for ``gs://`` sources: local paths pass; GCS paths are refused."""
    return _gcs_wrapper(load_function, "read from")


def _no_pickle(name):
    def refuse(*args, **kwargs):
        raise NotImplementedError(f"keras.engine.saving.{name}: openkeras does not pickle models "
                                  "(unpickling can run arbitrary code). Use model.save(path) "
                                  "and keras.models.load_model(path).")

    refuse.__name__ = name
    refuse._openkeras_unsupported = f"openkeras does not pickle models ({name})"
    return refuse


pickle_model = _no_pickle("pickle_model")
unpickle_model = _no_pickle("unpickle_model")

__getattr__ = lazy_exports(__name__, {
    "save_model": "openkeras.models:save_model",
    "load_model": "openkeras.models:load_model",
    "model_from_config": "openkeras.models:model_from_config",
    "model_from_json": "openkeras.models:model_from_json",
    "model_from_yaml": "openkeras.models:model_from_yaml",
    "losses": "openkeras.losses",
    "optimizers": "openkeras.optimizers",
    "H5Dict": "openkeras.utils.io_utils:H5Dict",
    "h5dict": "openkeras.utils.io_utils:h5dict",
    "HDF5_OBJECT_HEADER_LIMIT": "openkeras.utils.io_utils:HDF5_OBJECT_HEADER_LIMIT",
    "ask_to_proceed_with_overwrite": "openkeras.utils.io_utils:ask_to_proceed_with_overwrite",
    "save_to_binary_h5py": "openkeras.utils.io_utils:save_to_binary_h5py",
    "load_from_binary_h5py": "openkeras.utils.io_utils:load_from_binary_h5py",
})
