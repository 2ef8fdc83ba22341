"""Model files: Keras 2 HDF5 (both directions), weights files, Keras 3 ``.keras`` archives.

``save_model`` / ``load_model`` / ``save_weights`` / ``load_weights`` pick the format from the
file's contents (when reading) or ``save_format`` and the extension (when writing: ``.keras``
is the Keras 3 archive, anything else Keras 2 HDF5), through the one table of formats in
``saving/formats.py`` (registered into ``engine/file_formats.py``, which ``Model.save`` uses
too). Every write is atomic; nothing is unpickled; Lambda code stored in a file is refused
unless ``safe_mode=False``.
"""

from openkeras.engine import file_formats
from openkeras.saving import formats  # noqa: F401  (registers the built-in formats)
from openkeras.saving.errors import FileFormatError, FileIntegrityError, UnsafeFileError
from openkeras.saving.model_config import (  # noqa: F401  (public here)
    model_from_config,
    normalize_model_config,
    upgrade_config,
)
from openkeras.utils.generic_utils import CustomObjectScope, SafeModeScope

__all__ = ["save_model", "load_model", "save_weights", "load_weights", "model_from_config",
           "normalize_model_config", "FileFormatError", "FileIntegrityError", "UnsafeFileError"]


def save_model(model, filepath, overwrite=True, include_optimizer=True, save_format=None):
    """Save architecture, weights and (HDF5) training config and optimizer state, atomically.

    Args:
        model: a Functional or Sequential model.
        filepath: destination (``.h5``/``.hdf5``: Keras 2 HDF5; ``.keras``: Keras 3 archive),
            or an open ``h5py.File`` / ``h5py.Group`` to write the model into (as Keras 2.2.4;
            the file is left open, and the write is not atomic).
        overwrite: if False and the file exists, ask (interactive) or raise.
        include_optimizer: also store the training config and the optimizer state.
        save_format: ``'h5'`` or ``'keras'`` to override the extension.
    """
    file_formats.save_model(model, filepath, overwrite, include_optimizer, save_format)


def save_weights(model, filepath, overwrite=True, save_format=None):
    """Save the weights in Keras 2's HDF5 weights layout, atomically.

    ``filepath`` may also be an open ``h5py.File`` / ``h5py.Group``: the weights are written
    into it (the layer groups and ``layer_names`` at its top) and it is left open.
    """
    file_formats.save_weights(model, filepath, overwrite, save_format)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a model saved by Keras 1, Keras 2, tf.keras, Keras 3 or openkeras.

    Args:
        filepath: an ``.h5``/``.hdf5``/``.keras`` file, or an open ``h5py.File`` /
            ``h5py.Group`` holding a saved model (left open).
        custom_objects: dict mapping names to custom classes or functions.
        compile: compile the model with the stored training config (HDF5 only).
        safe_mode: refuse Lambda layers holding Python bytecode (set False only for files
            you trust).
    """
    with SafeModeScope(safe_mode), CustomObjectScope(custom_objects or {}):
        return file_formats.load_model(filepath, custom_objects, compile)


def load_weights(model, filepath, by_name=False, skip_mismatch=False):
    """Load weights saved by ``save_weights`` or ``save`` (any Keras) into ``model``.

    Args:
        model: the model to fill.
        filepath: an HDF5 weights or model file, a ``.keras`` archive, or an open
            ``h5py.File`` / ``h5py.Group`` holding saved weights or a saved model (left open).
        by_name: load only the layers whose names match the file's (for fine-tuning).
        skip_mismatch: warn and skip layers whose weights do not fit instead of raising.
    """
    file_formats.load_weights(model, filepath, by_name, skip_mismatch)
