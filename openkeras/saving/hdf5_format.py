"""Keras 2 HDF5 files: whole models (``model.save``) and weights (``model.save_weights``).

Layout (as Keras 2 writes it): root attributes ``keras_version``, ``backend``,
``model_config`` (JSON) and ``training_config`` (JSON); group ``model_weights`` with attribute
``layer_names`` and one group per layer holding ``weight_names`` and one dataset per weight;
group ``optimizer_weights`` with ``weight_names``. A weights file is the ``model_weights``
group at the root.
"""

import json
import os
import warnings

import h5py
import numpy as np

from openkeras.saving import compile_state, legacy, training_state
from openkeras.saving.atomic import atomic_path
from openkeras.saving.json_utils import get_json_type
from openkeras.saving.weight_matching import order_by_name

# Attributes bigger than this do not fit in an HDF5 object header: Keras splits them.
HDF5_OBJECT_HEADER_LIMIT = 64512
# The Keras API version written into files; the weights use TensorFlow's conventions
# (correlation, channels-last kernels), so 'tensorflow' is the backend older loaders expect.
KERAS_VERSION = "2.21.0"
BACKEND = "tensorflow"


class FileFormatError(ValueError):
    """A file that is not a Keras file, or is damaged."""


# ----------------------------------------------------------------------------- attributes
def _decode(value):
    return value.decode("utf-8") if isinstance(value, (bytes, np.bytes_)) else str(value)


def save_attributes(group, name, data):
    """Store a list of strings as attribute ``name``, split in chunks ``name0, name1..`` if big."""
    data = [d.encode("utf-8") if isinstance(d, str) else d for d in data]
    too_long = [d for d in data if len(d) > HDF5_OBJECT_HEADER_LIMIT]
    if too_long:
        raise RuntimeError(f"The following attributes cannot be saved to HDF5 file because they "
                           f"are larger than {HDF5_OBJECT_HEADER_LIMIT} bytes: {too_long[:3]}")
    array = np.asarray(data)
    chunks = [array]
    while any(c.nbytes > HDF5_OBJECT_HEADER_LIMIT for c in chunks):
        chunks = np.array_split(array, len(chunks) + 1)
    if len(chunks) == 1:
        group.attrs[name] = data
    else:
        for i, chunk in enumerate(chunks):
            group.attrs[f"{name}{i}"] = chunk


def load_attributes(group, name):
    """A list of strings from attribute ``name`` (or its chunks); [] for an empty attribute."""
    if name in group.attrs:
        values = group.attrs[name]
    else:
        values, i = [], 0
        while f"{name}{i}" in group.attrs:
            values.extend(group.attrs[f"{name}{i}"])
            i += 1
    if isinstance(values, np.ndarray) and values.dtype.kind == "f":  # [] saved as float64
        return []
    if isinstance(values, (str, bytes)):
        values = [values]
    return [_decode(v) for v in values]


def attr_text(attrs, name):
    value = attrs.get(name)
    return None if value is None else _decode(value)


# --------------------------------------------------------------------------------- weights
def save_weights_to_group(group, layers):
    """Write ``layers``' weights into ``group`` (Keras 2's weights layout)."""
    save_attributes(group, "layer_names", [layer.name for layer in layers])
    group.attrs["backend"] = BACKEND.encode("utf-8")
    group.attrs["keras_version"] = KERAS_VERSION.encode("utf-8")
    for layer in sorted(layers, key=lambda la: la.name):
        g = group.create_group(layer.name)
        weights = layer.weights
        names = _unique_names([w.name or f"{layer.name}/param_{i}:0"
                               for i, w in enumerate(weights)])
        save_attributes(g, "weight_names", names)
        for name, value in zip(names, layer.get_weights(), strict=True):
            dset = g.create_dataset(name, value.shape, dtype=value.dtype)
            dset[()] = value


def _unique_names(names):
    seen, out = {}, []
    for name in names:
        base, suffix = (name.rsplit(":", 1) + [""])[:2] if ":" in name else (name, "")
        count = seen.get(name, 0)
        seen[name] = count + 1
        out.append(name if not count else f"{base}_{count}" + (f":{suffix}" if suffix else ""))
    return out


def read_layer_weights(group, name):
    """(weight names, arrays) stored for layer ``name`` in a weights group."""
    g = group[name]
    names = load_attributes(g, "weight_names")
    return names, [np.asarray(g[n]) for n in names]


def _file_versions(group):
    root = group.file
    version = attr_text(group.attrs, "keras_version") or attr_text(root.attrs, "keras_version")
    backend = attr_text(group.attrs, "backend") or attr_text(root.attrs, "backend")
    return version or "1", backend


def load_weights_from_group(group, layers, by_name=False, skip_mismatch=False, filepath=None):
    """Load weights from a Keras weights group into ``layers``.

    Args:
        group: an h5py group in Keras 2's weights layout.
        layers: the target layers (``model.layers``).
        by_name: match layers by name instead of by topological order.
        skip_mismatch: warn and skip layers whose weights do not fit (Keras 2 allows it only
            with ``by_name``; here it also works in topological order).
        filepath: the file's name, for error messages.
    """
    where = f"file {filepath!r}" if filepath else "the weights file"
    version, backend = _file_versions(group)
    stored = load_attributes(group, "layer_names")
    missing = [n for n in stored if n not in group]
    if missing:
        raise FileFormatError(f"{where} is damaged: it lists layers {missing[:5]} that it does "
                              "not contain.")
    assignments = []
    if by_name:
        by = {}
        for layer in layers:
            by.setdefault(layer.name, []).append(layer)
        for k, name in enumerate(stored):
            for layer in by.get(name, []):
                names, values = read_layer_weights(group, name)
                values = _prepare(layer, names, values, version, backend, k, where, skip_mismatch)
                if values is not None:
                    assignments.append((layer, values))
    else:
        with_weights = [layer for layer in layers if layer.weights]
        stored = [n for n in stored if load_attributes(group[n], "weight_names")]
        if len(stored) != len(with_weights):
            raise ValueError(
                f"You are trying to load a weight file containing {len(stored)} layers into a "
                f"model with {len(with_weights)} layers ({where}; layers with weights in the file: "
                f"{stored[:10]}; in the model: {[la.name for la in with_weights][:10]}). Use "
                "`by_name=True` to load the layers whose names match."
            )
        for k, (name, layer) in enumerate(zip(stored, with_weights, strict=True)):
            names, values = read_layer_weights(group, name)
            values = _prepare(layer, names, values, version, backend, k, where, skip_mismatch,
                              name)
            if values is not None:
                assignments.append((layer, values))
    for layer, values in assignments:  # nothing is changed unless every layer fits
        layer.set_weights(values)


def _prepare(layer, names, values, version, backend, k, where, skip_mismatch, stored_name=None):
    """The arrays to give ``layer.set_weights``, or None to skip (skip_mismatch)."""
    values = order_by_name(layer, names, values)
    values = legacy.preprocess_weights(layer, values, version, backend)
    params = layer.weights
    source = f' (stored as "{stored_name}")' if stored_name and stored_name != layer.name else ""
    problem = None
    if len(values) != len(params):
        problem = (f"expects {len(params)} weight(s), but the saved weights have {len(values)} "
                   "element(s)")
    else:
        for p, v in zip(params, values, strict=True):
            expected = tuple(getattr(p, "_keras_shape", p.shape))
            if tuple(v.shape) != expected:
                problem = (f"weight {p.name} has shape {expected}, but the saved weight has shape "
                           f"{tuple(v.shape)}")
                break
    if problem is None:
        return values
    if skip_mismatch:
        warnings.warn(f"Skipping loading weights for layer #{k} (named {layer.name}) due to "
                      f"mismatch: it {problem} ({where}).", stacklevel=4)
        return None
    raise ValueError(f'Layer #{k} (named "{layer.name}"{source}) {problem} ({where}). Pass '
                     "`by_name=True, skip_mismatch=True` to skip layers that do not fit.")


# ---------------------------------------------------------------------------- whole models
def save_model_to_hdf5(model, filepath, include_optimizer=True):
    """Write ``model`` (architecture, weights, training config, optimizer state) atomically,
    or into an open ``h5py.File`` / ``h5py.Group`` given as ``filepath`` (left open)."""
    from openkeras.engine.functional_config import class_name_of

    try:
        config = {"class_name": class_name_of(model), "config": model.get_config()}
    except NotImplementedError as e:
        raise NotImplementedError(
            f"Saving model {model.name!r} to HDF5 needs its architecture config, but "
            f"{type(model).__name__}.get_config is not implemented. Subclassed models can be "
            "saved with `model.save_weights(path)` instead."
        ) from e
    model_json = json.dumps(config, default=get_json_type)
    training_config = compile_state.training_config(model) if include_optimizer else None
    training_json = None
    if training_config is not None:
        training_json = json.dumps(training_config, default=get_json_type)
    if isinstance(filepath, h5py.Group):  # the user's open file: written in place, left open
        _write_model(filepath, model, model_json, training_json, include_optimizer)
        return
    with atomic_path(filepath) as tmp:
        with h5py.File(tmp, "w") as f:
            _write_model(f, model, model_json, training_json, include_optimizer)


def _write_model(f, model, model_json, training_json, include_optimizer):
    f.attrs["keras_version"] = KERAS_VERSION.encode("utf-8")
    f.attrs["backend"] = BACKEND.encode("utf-8")
    f.attrs["model_config"] = model_json.encode("utf-8")
    if training_json is not None:
        f.attrs["training_config"] = training_json.encode("utf-8")
    save_weights_to_group(f.create_group("model_weights"), model.layers)
    if include_optimizer:
        _save_optimizer_weights(f, model)
        training_state.write_if_trained(f, model)  # to resume exactly


def save_weights_to_hdf5(model, filepath):
    """Write ``model``'s weights atomically in Keras 2's weights-file layout (or into an open
    ``h5py.Group``, which is left open)."""
    if isinstance(filepath, h5py.Group):
        save_weights_to_group(filepath, model.layers)
        return
    with atomic_path(filepath) as tmp:
        with h5py.File(tmp, "w") as f:
            save_weights_to_group(f, model.layers)


def _save_optimizer_weights(f, model):
    named = compile_state.optimizer_weights(model)
    if not named:
        return
    group = f.create_group("optimizer_weights")
    names = _unique_names([name for name, _ in named])
    save_attributes(group, "weight_names", names)
    for name, (_, value) in zip(names, named, strict=True):
        dset = group.create_dataset(name, np.shape(value), dtype=np.asarray(value).dtype)
        dset[()] = value


def read_model_config(f):
    """The model config (a dict) stored in an open HDF5 file."""
    text = f.attrs.get("model_config")
    if text is None:
        raise ValueError("No model found in config file: it has no `model_config` attribute "
                         "(a weights-only file? load it with `model.load_weights`).")
    try:
        config = json.loads(_decode(text))
    except json.JSONDecodeError as e:
        raise FileFormatError(f"its model_config attribute is not valid JSON ({e})") from e
    if isinstance(config, str):
        config = json.loads(config)
    if not isinstance(config, dict) or "class_name" not in config:
        raise FileFormatError("its model_config is not a {'class_name', 'config'} dict")
    return config


def load_model_from_hdf5(f, filepath, custom_objects=None, compile=True):
    """Rebuild, fill and (if a training config is stored) compile a model from an open file."""
    from openkeras.layers import deserialize
    from openkeras.saving import normalize_model_config

    config = normalize_model_config(read_model_config(f), attr_text(f.attrs, "keras_version"))
    model = deserialize(config, custom_objects=custom_objects)
    if "model_weights" in f:
        load_weights_from_group(f["model_weights"], model.layers, filepath=filepath)
    training_state.attach(model, training_state.read(f, filepath))
    if not compile:
        return model
    training = f.attrs.get("training_config")
    if training is None:
        warnings.warn("No training configuration found in the save file, so the model was "
                      "*not* compiled. Compile it manually.", stacklevel=3)
        return model
    values = names = None
    if "optimizer_weights" in f:
        group = f["optimizer_weights"]
        names = load_attributes(group, "weight_names")
        values = [np.asarray(group[n]) for n in names]
    compile_state.compile_from_config(model, json.loads(_decode(training)), values,
                                      custom_objects=custom_objects, optimizer_names=names)
    return model


def open_h5(filepath, mode="r"):
    """Open an HDF5 file, turning h5py's low-level errors into a clear one naming the file."""
    if not os.path.exists(filepath):
        raise OSError(f"No file or directory found at {filepath}")
    try:
        return h5py.File(filepath, mode)
    except OSError as e:
        raise FileFormatError(f"Cannot read {filepath!r} as a Keras HDF5 file: {e}") from e
