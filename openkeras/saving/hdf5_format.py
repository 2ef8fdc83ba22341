"""Keras 2 HDF5 files: whole models (``model.save``) and weights (``model.save_weights``).

Layout (as Keras 2 writes it): root attributes ``keras_version``, ``backend``,
``model_config`` (JSON) and ``training_config`` (JSON); group ``model_weights`` with attribute
``layer_names`` and one group per layer holding ``weight_names`` and one dataset per weight;
group ``optimizer_weights`` with ``weight_names``. A weights file is the ``model_weights``
group at the root.
"""

import json
import warnings

import h5py
import numpy as np

from openkeras.engine import weight_budget
from openkeras.engine.functional_config import class_name_of
from openkeras.layers import deserialize
from openkeras.saving import compile_state, h5_checks, keras1, training_state
from openkeras.saving.atomic import atomic_path
from openkeras.saving.errors import FileFormatError, reading  # noqa: F401  (public here too)
from openkeras.saving.h5_checks import open_h5  # noqa: F401  (the name loaders use)
from openkeras.saving.json_utils import get_json_type, parse_config
from openkeras.saving.model_config import upgrade_config
from openkeras.saving.weight_matching import order_by_name

# Attributes bigger than this do not fit in an HDF5 object header: Keras splits them.
HDF5_OBJECT_HEADER_LIMIT = 64512
# The Keras API version written into files; the weights use TensorFlow's conventions
# (correlation, channels-last kernels), so 'tensorflow' is the backend older loaders expect.
KERAS_VERSION = "2.21.0"
BACKEND = "tensorflow"
# A model rebuilt from a file may allocate 4 times the weight bytes the file stores, plus this.
WEIGHT_BUDGET_FLOOR = 256 * 2**20


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
        values = layer.get_weights()
        for name, value in zip(names, values, strict=True):
            write_dataset(g, name, value)
        g.attrs[h5_checks.DIGEST_ATTR] = h5_checks.weights_digest(g, names, values)


def write_dataset(group, name, value):
    """A weight dataset with HDF5's fletcher32 checksum (which needs chunked storage)."""
    value = np.asarray(value)
    if value.ndim and value.size and value.nbytes < 2**31:  # one chunk: HDF5 allows < 4 GB
        dset = group.create_dataset(name, value.shape, dtype=value.dtype, chunks=value.shape,
                                    fletcher32=True)
    elif value.ndim and value.size:
        dset = group.create_dataset(name, value.shape, dtype=value.dtype, chunks=True,
                                    fletcher32=True)
    else:  # scalars and empty arrays cannot be chunked; the digest still covers them
        dset = group.create_dataset(name, value.shape, dtype=value.dtype)
    dset[()] = value


def _unique_names(names):
    seen, out = {}, []
    for name in names:
        base, suffix = (name.rsplit(":", 1) + [""])[:2] if ":" in name else (name, "")
        count = seen.get(name, 0)
        seen[name] = count + 1
        out.append(name if not count else f"{base}_{count}" + (f":{suffix}" if suffix else ""))
    return out


def _layer_group(group, name, where):
    g = group.get(name)
    if not isinstance(g, h5py.Group):
        raise FileFormatError(f"{where}: layer group {name!r} is missing or is not a group.")
    return g


def stored_shapes(group, name, where):
    """(layer group, weight names, declared shapes) for layer ``name``: checked, nothing read."""
    g = _layer_group(group, name, where)
    names = load_attributes(g, "weight_names")
    shapes = []
    for n in names:
        if n not in g:
            raise FileFormatError(f"{where}: layer {name!r} lists weight {n!r} that it does not "
                                  "contain.")
        shapes.append(h5_checks.dataset_shape(g[n], f"{where}: weight {name}/{n}"))
    return g, names, shapes


def read_layer_weights(group, name, where="the weights file"):
    """(weight names, arrays) stored for layer ``name``, checked against its checksum."""
    g = _layer_group(group, name, where)
    return _read_weights(g, name, load_attributes(g, "weight_names"), where)


def _read_weights(g, name, names, where):
    """(names, arrays) of layer group ``g``'s weights ``names``, checked against its checksum."""
    values = [h5_checks.read_dataset(g[n], f"{where}: weight {name}/{n}") for n in names]
    h5_checks.verify(g, h5_checks.weights_digest(g, names, values), f"{where}: layer {name!r}")
    return names, values


def file_versions(group):
    """(keras_version, backend) a weights group was written by ('1' when the file says none)."""
    root = group.file
    version = attr_text(group.attrs, "keras_version") or attr_text(root.attrs, "keras_version")
    backend = attr_text(group.attrs, "backend") or attr_text(root.attrs, "backend")
    return version or "1", backend


def load_weights_from_group(group, layers, by_name=False, skip_mismatch=False, filepath=None):
    """Load weights from a Keras weights group into ``layers``.

    Every layer's stored shapes are checked against the layer before its data is read, and
    its checksum (files openkeras wrote) after; nothing is changed unless every layer fits.

    Args:
        group: an h5py group in Keras 2's weights layout.
        layers: the target layers (``model.layers``).
        by_name: match layers by name instead of by topological order.
        skip_mismatch: warn and skip layers whose weights do not fit (Keras 2 allows it only
            with ``by_name``; here it also works in topological order).
        filepath: the file's name, for error messages.
    """
    where = f"file {filepath!r}" if filepath else "the weights file"
    version, backend = file_versions(group)
    stored = load_attributes(group, "layer_names")
    missing = [n for n in stored if n not in group]
    if missing:
        raise FileFormatError(f"{where} is damaged: it lists layers {missing[:5]} that it does "
                              "not contain.")
    pairs = []
    if by_name:
        by = {}
        for layer in layers:
            by.setdefault(layer.name, []).append(layer)
        pairs = [(k, name, layer) for k, name in enumerate(stored) for layer in by.get(name, [])]
    else:
        with_weights = [layer for layer in layers if layer.weights]
        stored = [n for n in stored
                  if load_attributes(_layer_group(group, n, where), "weight_names")]
        if len(stored) != len(with_weights):
            raise ValueError(
                f"You are trying to load a weight file containing {len(stored)} layers into a "
                f"model with {len(with_weights)} layers ({where}; layers with weights in the file: "
                f"{stored[:10]}; in the model: {[la.name for la in with_weights][:10]}). Use "
                "`by_name=True` to load the layers whose names match."
            )
        pairs = list(zip(range(len(stored)), stored, with_weights, strict=True))
    assignments = []
    for k, name, layer in pairs:
        with reading(filepath, f"model_weights/{name}"):
            values = _read_for(group, name, layer, version, backend, k, where, skip_mismatch,
                               by_name)
        if values is not None:
            assignments.append((layer, values))
    for layer, values in assignments:  # nothing is changed unless every layer fits
        layer.set_weights(values)


def _read_for(group, name, layer, version, backend, k, where, skip_mismatch, by_name):
    """The checked arrays of stored layer ``name`` for ``layer``, or None to skip it."""
    stored_name = None if by_name else name
    g, names, shapes = stored_shapes(group, name, where)
    expected = [tuple(getattr(p, "_keras_shape", p.shape)) for p in layer.weights]
    needed = sum(int(np.prod(shape)) for shape in expected)
    stored = sum(int(np.prod(shape, dtype=object)) for shape in shapes)
    # Refused before reading anything (a declared shape can be anything). Conversions on load
    # change the count by at most 2x (CuDNN RNN biases); exact shapes are checked after them.
    if stored > 2 * needed or 2 * stored < needed or (stored != needed and not _converts(layer)):
        problem = (f"expects {len(expected)} weight(s), but the saved weights have "
                   f"{len(shapes)} element(s)")
        if len(shapes) == len(expected):
            i = next(i for i, (a, b) in enumerate(zip(expected, shapes, strict=True)) if a != b)
            problem = (f"weight {layer.weights[i].name} has shape {expected[i]}, but the saved "
                       f"weight has shape {shapes[i]}")
        return _mismatch(layer, problem, k, where, skip_mismatch, stored_name)
    names, values = _read_weights(g, name, names, where)  # names and group looked up once
    return _prepare(layer, names, values, version, backend, k, where, skip_mismatch, stored_name)


def _converts(layer):
    """Whether loading may change the number of stored values of ``layer`` (CuDNN <-> plain RNN)."""
    layer = getattr(layer, "layer", layer)  # TimeDistributed
    names = {type(layer).__name__, type(getattr(layer, "forward_layer", layer)).__name__}
    return bool(names & {"LSTM", "GRU", "CuDNNLSTM", "CuDNNGRU"})


def _mismatch(layer, problem, k, where, skip_mismatch, stored_name=None):
    if skip_mismatch:
        warnings.warn(f"Skipping loading weights for layer #{k} (named {layer.name}) due to "
                      f"mismatch: it {problem} ({where}).", stacklevel=5)
        return None
    source = f' (stored as "{stored_name}")' if stored_name and stored_name != layer.name else ""
    raise ValueError(f'Layer #{k} (named "{layer.name}"{source}) {problem} ({where}). Pass '
                     "`by_name=True, skip_mismatch=True` to skip layers that do not fit.")


def _prepare(layer, names, values, version, backend, k, where, skip_mismatch, stored_name=None):
    """The arrays to give ``layer.set_weights``, or None to skip (skip_mismatch)."""
    values = order_by_name(layer, names, values)
    values = keras1.preprocess_weights(layer, values, version, backend)
    params = layer.weights
    problem = None
    if len(values) != len(params):
        problem = (f"expects {len(params)} weight(s), but the saved weights have {len(values)} "
                   "element(s)")
    else:
        for i, (p, v) in enumerate(zip(params, values, strict=True)):
            expected = tuple(getattr(p, "_keras_shape", p.shape))
            if tuple(v.shape) != expected:
                problem = (f"weight {p.name} has shape {expected}, but the saved weight has shape "
                           f"{tuple(v.shape)}")
                break
            values[i], problem = _same_dtype(p, v, layer)
            if problem:
                break
    if problem is None:
        return values
    return _mismatch(layer, problem, k, where, skip_mismatch, stored_name)


def _same_dtype(param, value, layer):
    """``value`` in ``param``'s dtype when that cast is exact (with a warning), else a problem."""
    try:
        target = np.dtype(str(param.dtype).replace("torch.", ""))
    except TypeError:  # bfloat16 and other dtypes numpy lacks: set_weights converts
        return value, None
    if value.dtype == target:
        return value, None
    with np.errstate(all="ignore"):
        cast = value.astype(target)
        back = cast.astype(value.dtype)
    if not np.array_equal(back, value, equal_nan=value.dtype.kind == "f" == target.kind):
        return value, (f"weight {param.name} is {target}, but the saved weight is {value.dtype} "
                       "with values that do not convert exactly")
    warnings.warn(f"Layer {layer.name!r}: weight {param.name} is stored as {value.dtype}; its "
                  f"values convert exactly to {target}, so it was loaded as {target}.",
                  stacklevel=6)
    return cast, None


# ---------------------------------------------------------------------------- whole models
def save_model_to_hdf5(model, filepath, include_optimizer=True):
    """Write ``model`` (architecture, weights, training config, optimizer state) atomically,
    or into an open ``h5py.File`` / ``h5py.Group`` given as ``filepath`` (left open)."""
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
        save_optimizer_weights(f, model)
        training_state.write_if_trained(f, model)  # to resume exactly
    f.attrs[h5_checks.DIGEST_ATTR] = _root_digest(f)


def save_weights_to_hdf5(model, filepath):
    """Write ``model``'s weights atomically in Keras 2's weights-file layout (or into an open
    ``h5py.Group``, which is left open)."""
    if isinstance(filepath, h5py.Group):
        save_weights_to_group(filepath, model.layers)
        filepath.attrs[h5_checks.DIGEST_ATTR] = _root_digest(filepath)
        return
    with atomic_path(filepath) as tmp:
        with h5py.File(tmp, "w") as f:
            save_weights_to_group(f, model.layers)
            f.attrs[h5_checks.DIGEST_ATTR] = _root_digest(f)


def _root_digest(f):
    """Checksum of the root's attributes (configs, versions) and model_weights' (layer names).

    Only the attributes Keras files hold are covered: a user's own note on the file is not damage.
    """
    weights = f.get("model_weights")
    groups = (f, weights) if isinstance(weights, h5py.Group) else (f,)
    return h5_checks.attrs_digest(*groups, only=_is_keras_attr)


def _is_keras_attr(key):
    return key in ("keras_version", "backend", "model_config", "training_config") or \
        key.startswith("layer_names")


def verify_root(f, filepath):
    """Check the root checksum of a file openkeras wrote (before anything is parsed)."""
    h5_checks.verify(f, _root_digest(f), f"{filepath!r}: the model config or layer list")


def save_optimizer_weights(f, model, attrs=None):
    """Write the optimizer's state as group ``optimizer_weights`` of ``f`` (Keras 2's layout:
    ``weight_names`` and one dataset per weight, with checksums); nothing without a state.

    Args:
        attrs: more attributes of the group (covered by its checksum), or None.
    """
    named = compile_state.optimizer_weights(model)
    if not named and not attrs:
        return
    group = f.create_group("optimizer_weights")
    group.attrs.update(attrs or {})
    names = _unique_names([name for name, _ in named])
    save_attributes(group, "weight_names", names)
    values = [np.asarray(value) for _, value in named]
    for name, value in zip(names, values, strict=True):
        write_dataset(group, name, value)
    group.attrs[h5_checks.DIGEST_ATTR] = h5_checks.weights_digest(group, names, values)


def read_optimizer_weights(f, filepath):
    """(weight names, arrays) of group ``optimizer_weights`` of ``f``, checked; ([], []) if absent."""
    if "optimizer_weights" not in f:
        return [], []
    group = f["optimizer_weights"]
    if not isinstance(group, h5py.Group):
        raise FileFormatError(f"{filepath!r}: optimizer_weights is not a group")
    names = load_attributes(group, "weight_names")
    values = [h5_checks.read_dataset(group[n], f"optimizer weight {n!r}") for n in names]
    h5_checks.verify(group, h5_checks.weights_digest(group, names, values), "optimizer_weights")
    return names, values


def read_model_config(f, filepath=None):
    """The model config (a dict) stored in an open HDF5 file."""
    text = f.attrs.get("model_config")
    if text is None:
        raise ValueError("No model found in config file: it has no `model_config` attribute "
                         "(a weights-only file? load it with `model.load_weights`).")
    return parse_config(text, f"{filepath!r}: model_config" if filepath else "model_config")


def load_model_from_hdf5(f, filepath, custom_objects=None, compile=True):
    """Rebuild, fill and (if a training config is stored) compile a model from an open file."""
    with reading(filepath, "root attributes"):
        verify_root(f, filepath)
    with reading(filepath, "model_config"):
        config = upgrade_config(read_model_config(f, filepath),  # parsed and checked once
                                attr_text(f.attrs, "keras_version"))
        with weight_budget.limit(*_budget(f.get("model_weights"), filepath)):
            model = deserialize(config, custom_objects=custom_objects)
    if not isinstance(f.get("model_weights"), h5py.Group):
        raise FileFormatError(f"{filepath!r} has a model config but no `model_weights` group: "
                              "the file is damaged or is not a Keras model file (Keras 2 "
                              "refuses it too), so there are no weights to load.")
    load_weights_from_group(f["model_weights"], model.layers, filepath=filepath)
    training_state.attach(model, training_state.read(f, filepath))
    if not compile:
        return model
    training = f.attrs.get("training_config")
    if training is None:
        warnings.warn("No training configuration found in the save file, so the model was "
                      "*not* compiled. Compile it manually.", stacklevel=5)
        return model
    with reading(filepath, "optimizer_weights / training_config"):
        names, values = read_optimizer_weights(f, filepath)
        training = parse_config(training, f"{filepath!r}: training_config", model=False)
    with reading(filepath, "training_config"):
        compile_state.compile_from_config(model, training, values, custom_objects=custom_objects,
                                          optimizer_names=names)
    return model


def _budget(group, filepath):
    """(bytes, source): how much weight memory a model rebuilt from this file may allocate."""
    stored = 0
    if isinstance(group, h5py.Group):
        def add(_, obj):
            nonlocal stored
            if isinstance(obj, h5py.Dataset):
                stored += obj.id.get_storage_size()
        group.visititems(add)
    # stored weights may be float16 and the layers float32; the floor covers weightless files
    return 4 * stored + WEIGHT_BUDGET_FLOOR, f"file {filepath!r} stores {stored} bytes of weights"
