"""The built-in model file formats: the one table ``Model.save`` / ``load_model`` dispatch on.

Each entry of ``BUILT_IN`` (an ``engine.file_formats.FileFormat``) says how a file in its
format is recognised and which functions read and write it; they are registered when
``openkeras.saving`` is imported. Reading tries the entries in this order; writing picks the
entry by ``save_format``, then the file name's extension, then the default (Keras 2 HDF5).
A new format is one more entry here (or one ``file_formats.register`` call elsewhere).
"""

import contextlib
import functools
import json
import os
import warnings

import h5py

from openkeras.engine import file_formats, weight_budget
from openkeras.engine.file_formats import FileFormat
from openkeras.engine.functional import Functional
from openkeras.engine.functional_config import class_name_of
from openkeras.saving import h5_checks, hdf5_format, keras_archive
from openkeras.saving.errors import FileFormatError, reading
from openkeras.saving.json_utils import get_json_type, parse_config
from openkeras.saving.model_config import model_from_config
from openkeras.version import __version__

_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_ZIP_SIGNATURE = b"PK\x03\x04"
# The backend named in to_json / to_yaml output.
_CONFIG_BACKEND = "torch"


# ------------------------------------------------------------------------------- HDF5
def _group_name(group):
    """How errors name an open HDF5 group: 'file.h5:/path'."""
    return f"{group.file.filename}:{group.name}"


def _open_hdf5(source):
    if isinstance(source.target, h5py.Group):  # the user's open file: checked, left open
        source.name = _group_name(source.target)
        with reading(source.name, "the file"):
            h5_checks.check_structure(source.target, source.name)
        return contextlib.nullcontext(source.target)
    if source.path is None or not os.path.isfile(source.path):
        return None
    if not (source.head.startswith(_HDF5_SIGNATURE) or h5py.is_hdf5(source.path)):
        return None
    return hdf5_format.open_h5(source.path)  # probed and checked for external links


def hdf5_root(source):
    """The checked root group of an HDF5 source (opened once per source), or None."""
    return source.opened("hdf5", lambda: _open_hdf5(source))


def _weights_group(root):
    """Where the weights are: the root of a weights file, ``model_weights`` of a model file."""
    if "layer_names" not in root.attrs and isinstance(root.get("model_weights"), h5py.Group):
        return root["model_weights"]
    return root


def _holds_keras_weights(group):
    return any(key.startswith("layer_names") for key in group.attrs)


def _reads_attributes(sniff):
    """``sniff`` reporting a damaged file's raw HDF5 errors as FileFormatErrors naming it."""
    @functools.wraps(sniff)
    def checked(source):
        with reading(source.name, "root attributes"):
            return sniff(source)

    return checked


@_reads_attributes
def _is_keras1_hdf5(source):
    root = hdf5_root(source)
    if root is None:
        return False
    group = _weights_group(root)
    if "model_config" not in root.attrs and not _holds_keras_weights(group):
        return False
    return hdf5_format.file_versions(group)[0].startswith("1")


@_reads_attributes
def _is_hdf5_model(source):
    root = hdf5_root(source)
    return root is not None and "model_config" in root.attrs


def _is_hdf5(source):
    return hdf5_root(source) is not None


def _writes_into_hdf5(target):
    return isinstance(target, h5py.Group)


def _require_functional(model):
    if not isinstance(model, Functional):
        raise NotImplementedError(
            f"Saving the model to HDF5 format requires the model to be a Functional model or a "
            f"Sequential model. {type(model).__name__!r} is a subclassed model, whose architecture "
            "is Python code: use `model.save_weights(path)` and rebuild the model in code.")


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


def _save_hdf5_model(model, target, overwrite=True, include_optimizer=True):
    _require_functional(model)
    if isinstance(target, h5py.Group):  # written in place, not atomically, and left open
        if not overwrite and "model_config" in target.attrs:
            raise FileExistsError(f"The HDF5 group {_group_name(target)} already holds a "
                                  "model and overwrite=False.")
        _make_room(target, ["model_weights", "optimizer_weights"], True)
        if "training_config" in target.attrs:  # of a model saved there before
            del target.attrs["training_config"]
    hdf5_format.save_model_to_hdf5(model, target, include_optimizer=include_optimizer)


def _save_hdf5_weights(model, target, overwrite=True):
    if isinstance(target, h5py.Group):  # the layer groups go at its top; it is left open
        previous = hdf5_format.load_attributes(target, "layer_names") or []
        _make_room(target, sorted({*previous, *(la.name for la in model.layers)}), overwrite)
    hdf5_format.save_weights_to_hdf5(model, target)


def _load_hdf5_model(source, custom_objects=None, compile=True):
    with reading(source.name, "the file"):
        return hdf5_format.load_model_from_hdf5(hdf5_root(source), source.name, custom_objects,
                                                compile)


def _load_hdf5_weights(model, source, by_name=False, skip_mismatch=False):
    root = hdf5_root(source)
    with reading(source.name, "the weights"):
        hdf5_format.verify_root(root, source.name)
        group = _weights_group(root)
        if not _holds_keras_weights(group):
            raise FileFormatError(f"{source.name!r} holds no Keras weights (no `layer_names` "
                                  "attribute).")
        if by_name:
            _warn_if_no_name_matches(group, model, source.name)
        hdf5_format.load_weights_from_group(group, model.layers, by_name=by_name,
                                            skip_mismatch=skip_mismatch, filepath=source.name)


def _warn_if_no_name_matches(group, model, filepath):
    """Keras 2 loads nothing, silently, when no layer name matches: say so."""
    stored = hdf5_format.load_attributes(group, "layer_names")
    names = [layer.name for layer in model.layers if layer.weights]
    if stored and names and not set(stored) & set(names):
        warnings.warn(f"load_weights(by_name=True): no layer of model {model.name!r} matches a "
                      f"layer in {filepath!r}, so no weights were loaded. Layers in the file: "
                      f"{stored[:10]}; layers with weights in the model: {names[:10]}.",
                      stacklevel=5)


# ---------------------------------------------------------------------- .keras archives
def _is_archive(source):
    return source.head.startswith(_ZIP_SIGNATURE)


def _save_archive(model, target, overwrite=True, include_optimizer=True):
    _require_functional(model)
    keras_archive.save_keras_archive(model, target)


def _load_archive(source, custom_objects=None, compile=True):
    filepath = source.path
    with reading(filepath, "the file"):
        config, metadata, weights = keras_archive.read_keras_archive(filepath)
        version = metadata.get("keras_version", "3") if isinstance(metadata, dict) else "3"
        budget = 4 * len(weights) + hdf5_format.WEIGHT_BUDGET_FLOOR
        with reading(filepath, "config.json"), weight_budget.limit(
                budget, f"archive {filepath!r} stores {len(weights)} bytes of weights"):
            model = model_from_config(config, custom_objects, str(version))
        with reading(filepath, "model.weights.h5"):
            keras_archive.load_weights_from_archive(model, weights, filepath)
    return model


def _load_archive_weights(model, source, by_name=False, skip_mismatch=False):
    with reading(source.path, "model.weights.h5"):
        _, _, weights = keras_archive.read_keras_archive(source.path)
        keras_archive.load_weights_from_archive(model, weights, source.path)


# ------------------------------------------------------------- architectures (JSON, YAML)
def model_config(model):
    """``{'class_name', 'config', 'keras_version', 'backend'}``: what to_json / to_yaml write."""
    return {"class_name": class_name_of(model), "config": model.get_config(),
            "keras_version": __version__, "backend": _CONFIG_BACKEND}


def _to_json(model, **kwargs):
    return json.dumps(model_config(model), default=get_json_type, **kwargs)


def _from_json(text):
    if not isinstance(text, (str, bytes, bytearray)):
        raise TypeError("model_from_json: `json_string` must be the JSON text of a model "
                        f"(str). Received: a {type(text).__name__}; for a config dict, "
                        "use `model_from_config`.")
    return parse_config(bytes(text) if isinstance(text, bytearray) else text, "the JSON string")


def _yaml_config():
    from openkeras.saving import yaml_config  # start-up time: PyYAML loads only for YAML

    return yaml_config


def _to_yaml(model, **kwargs):
    return _yaml_config().dump(json.loads(_to_json(model)), **kwargs)


def _from_yaml(text):
    return _yaml_config().parse(text)


def _is_json(source):
    return source.head.lstrip()[:1] in (b"{", b'"') or bool(source.path and
                                                              source.path.endswith(".json"))


def _is_yaml(source):
    return source.head.startswith((b"backend:", b"class_name:")) or bool(
        source.path and source.path.endswith((".yaml", ".yml")))


def _is_directory(source):
    return source.path is not None and os.path.isdir(source.path)


# ----------------------------------------------------------------------------- the table
BUILT_IN = (
    FileFormat("keras", "a Keras 3 .keras archive", _is_archive, save_formats=("keras",),
               extensions=(".keras",), load_model=_load_archive, save_model=_save_archive,
               load_weights=_load_archive_weights),
    # Keras 1 files load through the HDF5 loaders, which convert configs and weights from the
    # version the file states (Keras 1 JSON and YAML configs are converted the same way).
    FileFormat("keras1_h5", "a Keras 1 HDF5 file", _is_keras1_hdf5,
               load_model=_load_hdf5_model, load_weights=_load_hdf5_weights),
    FileFormat("h5", "a Keras HDF5 model file", _is_hdf5_model, save_formats=("h5",),
               default=True, writes_into=_writes_into_hdf5, load_model=_load_hdf5_model,
               save_model=_save_hdf5_model, load_weights=_load_hdf5_weights),
    FileFormat("h5_weights", "a Keras HDF5 weights file", _is_hdf5, save_formats=("h5",),
               default=True, writes_into=_writes_into_hdf5, load_weights=_load_hdf5_weights,
               save_weights=_save_hdf5_weights,
               hint="No model found in config file (it has no `model_config` attribute): build "
                    "the model in code and load these weights with `model.load_weights`."),
    FileFormat("tf", "a directory (a TensorFlow SavedModel?)", _is_directory,
               save_formats=("tf", "tensorflow"),
               hint="The TensorFlow SavedModel format is not available in openkeras: it reads "
                    "and writes Keras HDF5 files and .keras archives; re-save the model with "
                    "`model.save('model.h5')` or save_format='h5' (Keras 2 HDF5)."),
    FileFormat("json", "a JSON model architecture", _is_json, read_config=_from_json,
               write_config=_to_json,
               hint="It holds an architecture, not a saved model: use `model_from_json` and "
                    "then `load_weights`."),
    FileFormat("yaml", "a YAML model architecture", _is_yaml, read_config=_from_yaml,
               write_config=_to_yaml,
               hint="It holds an architecture, not a saved model: use `model_from_yaml` and "
                    "then `load_weights`."),
)

for _entry in BUILT_IN:
    file_formats.register(_entry)
