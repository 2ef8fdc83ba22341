"""Model files: Keras 2 HDF5 (both directions), weights files, Keras 3 ``.keras`` archives.

``save_model`` / ``load_model`` / ``save_weights`` / ``load_weights`` pick the format from the
file's contents (when reading) or its extension (when writing: ``.keras`` is the Keras 3
archive, anything else Keras 2 HDF5). Every write is atomic; nothing is unpickled; Lambda code
stored in a file is refused unless ``safe_mode=False``.
"""

import json
import os
import sys
import warnings

import h5py

from openkeras.engine import weight_budget
from openkeras.saving import h5_checks, hdf5_format, keras3, legacy
from openkeras.saving.errors import (
    FileFormatError,
    FileIntegrityError,
    UnsafeFileError,
    check_config_depth,
    reading,
)
from openkeras.utils.generic_utils import CustomObjectScope, SafeModeScope

__all__ = ["save_model", "load_model", "save_weights", "load_weights", "model_from_config",
           "normalize_model_config", "FileFormatError", "FileIntegrityError", "UnsafeFileError"]

_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_ZIP_SIGNATURE = b"PK\x03\x04"


def normalize_model_config(config, keras_version=None):
    """A Keras 2 model config from one written by Keras 1, 2 or 3 (JSON text or a dict).

    Args:
        config: ``{'class_name', 'config'}`` (or its JSON, possibly double-encoded).
        keras_version: the version that wrote it, when the file says so.
    """
    if isinstance(config, (str, bytes)):  # parse_config checks the depth
        config = hdf5_format.parse_config(config, "the model config")
    elif not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"A model config must be a {{'class_name', 'config'}} dict. Received: "
                         f"{str(config)[:200]}")
    else:
        check_config_depth(config, "the model config")
    return upgrade_config(config, keras_version)


def upgrade_config(config, keras_version=None):
    """A Keras 2 model config from a parsed and checked one of Keras 1, 2 or 3.

    Args:
        config: a ``{'class_name', 'config'}`` dict (from ``parse_config``).
        keras_version: the version that wrote it, when the file says so.
    """
    keras_version = keras_version or config.get("keras_version")
    config = keras3.to_keras2_config(config, str(keras_version or "").startswith("3"))
    if legacy.is_keras1_config(config, keras_version):
        config = legacy.convert_model_config(config)
    return config


def model_from_config(config, custom_objects=None, keras_version=None):
    """A model from a config written by any Keras version (see ``normalize_model_config``)."""
    from openkeras import layers

    with reading("the model config", "its layers"):
        return layers.deserialize(normalize_model_config(config, keras_version),
                                  custom_objects=custom_objects)


def _fspath(filepath, what):
    """``filepath`` as a str, or a clear TypeError naming ``what`` was called with it."""
    if not isinstance(filepath, (str, bytes, os.PathLike)):
        raise TypeError(f"{what}: `filepath` must be a path (str or os.PathLike). Received: "
                        f"{filepath!r} of type {type(filepath).__name__}")
    filepath = os.fspath(filepath)
    return filepath.decode() if isinstance(filepath, bytes) else filepath


def _writable(filepath, what):
    if os.path.isdir(filepath):
        raise IsADirectoryError(f"{what}: {filepath!r} is a directory; pass a file name such as "
                                f"{os.path.join(filepath, 'model.h5')!r}.")
    return filepath


def _format_for_writing(filepath, save_format):
    if save_format in ("tf", "tensorflow"):
        raise ValueError("The TensorFlow SavedModel format ('tf') is not available in openkeras. "
                         "Use save_format='h5' (Keras 2 HDF5) or a '.keras' file name.")
    if save_format not in (None, "h5", "keras"):
        raise ValueError(f"Unknown save_format {save_format!r}; expected 'h5' or 'keras'.")
    if save_format is None:
        return "keras" if str(filepath).endswith(".keras") else "h5"
    return save_format


def _may_write(filepath, overwrite):
    if overwrite or not os.path.exists(filepath):
        return True
    if not sys.stdin or not sys.stdin.isatty():
        raise FileExistsError(f"{filepath} exists and overwrite=False.")
    answer = input(f"[WARNING] {filepath} already exists - overwrite? [y/n] ").strip().lower()
    return answer in ("y", "yes")


def _group_name(group):
    """How errors name an open HDF5 group: 'file.h5:/path'."""
    return f"{group.file.filename}:{group.name}"


def _make_room(group, names, overwrite):
    """Delete the entries ``names`` of the user's open ``group`` that a save will rewrite.

    With ``overwrite=False`` an entry that is already there is an error instead (Keras 2.2.4
    fails on it too); other entries of the group are left alone.
    """
    existing = [n for n in names if n in group]
    if existing and not overwrite:
        raise FileExistsError(f"The HDF5 group {_group_name(group)} already holds {existing} "
                              "and overwrite=False.")
    for name in existing:
        del group[name]


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
    from openkeras.engine.functional import Functional

    if not isinstance(model, Functional):
        raise NotImplementedError(
            f"Saving the model to HDF5 format requires the model to be a Functional model or a "
            f"Sequential model. {type(model).__name__!r} is a subclassed model, whose architecture "
            "is Python code: use `model.save_weights(path)` and rebuild the model in code.")
    if isinstance(filepath, h5py.Group):
        if save_format not in (None, "h5"):
            raise ValueError("An open h5py File or Group holds the Keras 2 HDF5 format only. "
                             f"Received: save_format={save_format!r}")
        if not overwrite and "model_config" in filepath.attrs:
            raise FileExistsError(f"The HDF5 group {_group_name(filepath)} already holds a "
                                  "model and overwrite=False.")
        _make_room(filepath, ["model_weights", "optimizer_weights"], True)
        if "training_config" in filepath.attrs:  # of a model saved there before
            del filepath.attrs["training_config"]
        hdf5_format.save_model_to_hdf5(model, filepath, include_optimizer=include_optimizer)
        return
    filepath = _writable(_fspath(filepath, "save_model"), "save_model")
    fmt = _format_for_writing(filepath, save_format)
    if not _may_write(filepath, overwrite):
        return
    if fmt == "keras":
        keras3.save_keras_archive(model, filepath)
    else:
        hdf5_format.save_model_to_hdf5(model, filepath, include_optimizer=include_optimizer)


def save_weights(model, filepath, overwrite=True, save_format=None):
    """Save the weights in Keras 2's HDF5 weights layout, atomically.

    ``filepath`` may also be an open ``h5py.File`` / ``h5py.Group``: the weights are written
    into it (the layer groups and ``layer_names`` at its top) and it is left open.
    """
    if save_format not in (None, "h5"):
        raise ValueError(f"save_weights writes HDF5 only (save_format='h5'). Received: "
                         f"save_format={save_format!r}")
    if isinstance(filepath, h5py.Group):
        previous = hdf5_format.load_attributes(filepath, "layer_names") or []
        _make_room(filepath, sorted({*previous, *(la.name for la in model.layers)}), overwrite)
        hdf5_format.save_weights_to_hdf5(model, filepath)
        return
    filepath = _writable(_fspath(filepath, "save_weights"), "save_weights")
    if _may_write(filepath, overwrite):
        hdf5_format.save_weights_to_hdf5(model, filepath)


def _sniff(filepath):
    if os.path.isdir(filepath):
        raise FileFormatError(
            f"{filepath!r} is a directory (a TensorFlow SavedModel?). openkeras reads Keras HDF5 "
            "files and .keras archives; re-save the model with `model.save('model.h5')`."
        )
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"No file or directory found at {filepath}")
    with open(filepath, "rb") as f:
        head = f.read(8)
    if head.startswith(_ZIP_SIGNATURE):
        return "keras"
    if head == _HDF5_SIGNATURE or h5py.is_hdf5(filepath):
        return "h5"
    if head.lstrip()[:1] in (b"{", b'"'):
        raise FileFormatError(f"{filepath!r} looks like a JSON architecture file, not a saved "
                              "model: use `model_from_json` and then `load_weights`.")
    raise FileFormatError(f"{filepath!r} is neither a Keras HDF5 file nor a .keras archive "
                          f"(it starts with {head!r}).")


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
        if isinstance(filepath, h5py.Group):
            name = _group_name(filepath)
            with reading(name, "the file"):
                h5_checks.check_structure(filepath, name)
                return hdf5_format.load_model_from_hdf5(filepath, name, custom_objects, compile)
        filepath = _fspath(filepath, "load_model")
        fmt = _sniff(filepath)
        with reading(filepath, "the file"):
            if fmt == "keras":
                return _load_archive(filepath, custom_objects)
            with hdf5_format.open_h5(filepath) as f:
                return hdf5_format.load_model_from_hdf5(f, filepath, custom_objects, compile)


def _warn_if_no_name_matches(group, model, filepath):
    """Keras 2 loads nothing, silently, when no layer name matches: say so."""
    stored = hdf5_format.load_attributes(group, "layer_names")
    names = [layer.name for layer in model.layers if layer.weights]
    if stored and names and not set(stored) & set(names):
        warnings.warn(f"load_weights(by_name=True): no layer of model {model.name!r} matches a "
                      f"layer in {filepath!r}, so no weights were loaded. Layers in the file: "
                      f"{stored[:10]}; layers with weights in the model: {names[:10]}.",
                      stacklevel=4)


def _load_archive(filepath, custom_objects):
    config, metadata, weights = keras3.read_keras_archive(filepath)
    version = metadata.get("keras_version", "3") if isinstance(metadata, dict) else "3"
    budget = 4 * len(weights) + hdf5_format.WEIGHT_BUDGET_FLOOR
    with reading(filepath, "config.json"), weight_budget.limit(
            budget, f"archive {filepath!r} stores {len(weights)} bytes of weights"):
        model = model_from_config(config, custom_objects, str(version))
    with reading(filepath, "model.weights.h5"):
        keras3.load_weights_from_archive(model, weights, filepath)
    return model


def load_weights(model, filepath, by_name=False, skip_mismatch=False):
    """Load weights saved by ``save_weights`` or ``save`` (any Keras) into ``model``.

    Args:
        model: the model to fill.
        filepath: an HDF5 weights or model file, a ``.keras`` archive, or an open
            ``h5py.File`` / ``h5py.Group`` holding saved weights or a saved model (left open).
        by_name: load only the layers whose names match the file's (for fine-tuning).
        skip_mismatch: warn and skip layers whose weights do not fit instead of raising.
    """
    if isinstance(filepath, h5py.Group):
        name = _group_name(filepath)
        with reading(name, "the weights"):
            h5_checks.check_links(filepath, name)
            _load_h5_weights(model, filepath, name, by_name, skip_mismatch)
        return
    filepath = _fspath(filepath, "load_weights")
    if _sniff(filepath) == "keras":
        with reading(filepath, "model.weights.h5"):
            _, _, weights = keras3.read_keras_archive(filepath)
            keras3.load_weights_from_archive(model, weights, filepath)
        return
    with hdf5_format.open_h5(filepath) as f, reading(filepath, "the weights"):
        hdf5_format.verify_root(f, filepath)
        _load_h5_weights(model, f, filepath, by_name, skip_mismatch)


def _load_h5_weights(model, f, filepath, by_name, skip_mismatch):
    group = f
    if "layer_names" not in f.attrs and isinstance(f.get("model_weights"), h5py.Group):
        group = f["model_weights"]
    if not any(k.startswith("layer_names") for k in group.attrs):
        raise FileFormatError(f"{filepath!r} holds no Keras weights (no `layer_names` "
                              "attribute).")
    if by_name:
        _warn_if_no_name_matches(group, model, filepath)
    hdf5_format.load_weights_from_group(group, model.layers, by_name=by_name,
                                        skip_mismatch=skip_mismatch, filepath=filepath)
