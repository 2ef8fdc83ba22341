"""Keras 3: its configs (``module``/``registered_name`` keys, DTypePolicy dicts, ``batch_shape``,
dict nodes) and its ``.keras`` zip archive (``config.json``, ``model.weights.h5``,
``metadata.json``).

Weights in an archive live under ``layers/<snake_case class name, numbered>/vars/<i>``, with
sub-layers in child groups (``cell``, ``forward_layer``, ``backward_layer``, ``layer``,
``layers/...``), as Keras 3 writes them.
"""

import datetime
import io
import json
import zipfile

import h5py

from openkeras.engine.functional_config import class_name_of
from openkeras.saving import h5_checks
from openkeras.saving.atomic import atomic_open
from openkeras.saving.errors import (
    MAX_ARCHIVE_WEIGHTS_BYTES,
    MAX_CONFIG_BYTES,
    FileFormatError,
    FileIntegrityError,
    check_config_depth,
    reading,
)
from openkeras.saving.json_utils import get_json_type
from openkeras.utils.generic_utils import to_snake_case

_WRAPPER_KEYS = ("module", "registered_name", "build_config", "compile_config",
                 "shared_object_id")
_DROPPED_CONFIG_KEYS = ("quantization_config", "lora_rank", "lora_alpha")
# Keras 3 additions that Keras 2 does not know, dropped when they hold their default (None).
_DROPPED_WHEN_NONE = ("input_axes", "output_axes")
_RNN = ("SimpleRNN", "LSTM", "GRU")
# tf.keras 2 config keys that Keras 3's constructors reject.
_KERAS3_REFUSES = {
    "Conv1DTranspose": ("groups",), "Conv2DTranspose": ("groups",),
    "Conv3DTranspose": ("groups",), "DepthwiseConv1D": ("groups",),
    "DepthwiseConv2D": ("groups",),
    "SeparableConv1D": ("groups", "kernel_initializer", "kernel_regularizer", "kernel_constraint"),
    "SeparableConv2D": ("groups", "kernel_initializer", "kernel_regularizer", "kernel_constraint"),
}
KERAS3_VERSION = "3.0.0"
# Archive members: how many are listed at most, and how much a member may expand (weights
# barely compress; config.json compresses about 10 times).
_MAX_MEMBERS = 10_000
_MAX_RATIO = 200


# --------------------------------------------------------------------- configs: 3 -> 2
def to_keras2_config(obj, from_keras3=False):
    """A Keras 2 form of a (possibly Keras 3) config: idempotent on Keras 2 configs.

    Args:
        obj: a config (dict, list or value).
        from_keras3: the writer was Keras 3 (its node numbering), even if nodes are lists.
    """
    if isinstance(obj, list):
        return [to_keras2_config(v, from_keras3) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if obj.get("class_name") in ("DTypePolicy", "Policy", "DTypePolicyMap") and "config" in obj:
        return obj["config"].get("name")
    if obj.get("class_name") == "__tuple__":
        return [to_keras2_config(v, from_keras3) for v in obj.get("config", {}).get("value", [])]
    out = {k: to_keras2_config(v, from_keras3) for k, v in obj.items()
           if not (k in _WRAPPER_KEYS and "class_name" in obj)}
    conf = out.get("config")
    if isinstance(conf, dict) and "class_name" in out:
        for key in _DROPPED_CONFIG_KEYS:
            conf.pop(key, None)
        if conf.get("optional", False) is not False:  # InputLayer keeps tf_keras's optional=False
            del conf["optional"]
        for key in _DROPPED_WHEN_NONE:
            if key in conf and conf[key] is None:
                del conf[key]
        if out["class_name"] in _RNN and conf.get("seed", 0) is None:  # Keras 3 dropout seed
            del conf["seed"]
        if out["class_name"] == "BatchNormalization" and conf.get("synchronized") is False:
            del conf["synchronized"]  # tf.keras writes it only when True
        if out["class_name"] == "InputLayer" and "batch_shape" in conf:
            conf["batch_input_shape"] = conf.pop("batch_shape")
    if "inbound_nodes" in out:
        out["inbound_nodes"] = [_node_to_keras2(n) for n in out["inbound_nodes"]]
    keras3_numbering = from_keras3 or _has_keras3_nodes(obj)
    if isinstance(conf, dict) and "input_layers" in conf and keras3_numbering:
        _shift_nested_model_nodes(conf)
    return out


def _has_keras3_nodes(obj):
    conf = obj.get("config")
    layers = conf.get("layers") if isinstance(conf, dict) else None
    return isinstance(layers, list) and any(
        isinstance(n, dict) for layer in layers for n in layer.get("inbound_nodes", []))


def _shift_nested_model_nodes(conf, delta=1):
    """Keras 2 gives a nested model its own node 0; Keras 3 numbers its calls from 0."""
    nested = {layer["config"]["name"] for layer in conf.get("layers", [])
              if layer.get("class_name") in ("Functional", "Model")
              or (layer.get("class_name") == "Sequential" and _starts_with_input(layer))}
    if not nested:
        return

    def shift(ref):
        return [ref[0], ref[1] + delta, *ref[2:]] if ref and ref[0] in nested else ref

    for layer in conf["layers"]:
        nodes = layer.get("inbound_nodes", [])
        layer["inbound_nodes"] = [[shift(r) for r in node] for node in nodes]
    for key in ("input_layers", "output_layers"):
        refs = conf.get(key, [])
        conf[key] = shift(refs) if refs and isinstance(refs[0], str) else [shift(r) for r in refs]


def _starts_with_input(layer):
    layers = layer.get("config", {}).get("layers", [])
    return bool(layers) and layers[0].get("class_name") == "InputLayer"


def _node_to_keras2(node):
    if not isinstance(node, dict):
        return node
    kwargs = dict(node.get("kwargs", {}))
    tensors = _tensor_refs(node.get("args", []))
    extra = kwargs.pop("initial_state", None)
    if extra is not None:  # Keras 2 fed initial states as extra inputs
        tensors += _tensor_refs(extra if isinstance(extra, list) else [extra])
    bad = [k for k, v in kwargs.items() if _tensor_refs([v])]
    if bad:
        raise ValueError(f"Keras 3 node arguments {bad} hold tensors; openkeras cannot rebuild "
                         "such a call from a config.")
    return [[*ref, kwargs] for ref in tensors]


def _tensor_refs(args):
    out = []
    for a in args:
        if isinstance(a, dict) and a.get("class_name") == "__keras_tensor__":
            out.append(list(a["config"]["keras_history"][:3]))
        elif isinstance(a, (list, tuple)):
            out.extend(_tensor_refs(a))
    return out


# --------------------------------------------------------------------- configs: 2 -> 3
def to_keras3_config(model):
    """config.json's content for ``model``: Keras 3's wrapper around the Keras 2 config."""
    class_name = class_name_of(model)
    module = "keras.src.models.functional" if class_name == "Functional" else "keras"
    config = _model_config_to_keras3(json.loads(json.dumps(model.get_config(),
                                                             default=get_json_type)))
    out = {"module": module, "class_name": class_name, "config": config,
           "registered_name": None if class_name in ("Functional", "Sequential") else class_name}
    if getattr(model, "inputs", None):
        shapes = [list(x.shape) for x in model.inputs]
        out["build_config"] = {"input_shape": shapes[0] if len(shapes) == 1 else shapes}
    return out


def _model_config_to_keras3(config):
    """Keras 3 spellings inside a Sequential or Functional config (a JSON-ready dict)."""
    layers = config.get("layers", [])
    if layers and layers[0].get("class_name") != "InputLayer" and "input_layers" not in config:
        first = layers[0].get("config", {})
        if first.get("batch_input_shape") is not None:  # Keras 3 wants an explicit InputLayer
            layers.insert(0, {"class_name": "InputLayer", "config": {
                "batch_input_shape": first["batch_input_shape"],
                "dtype": first.get("dtype", "float32"), "name": f"{first.get('name')}_input"}})
    for layer in layers:
        _layer_to_keras3(layer)
    if "input_layers" in config:
        _shift_nested_model_nodes(config, delta=-1)
    return config


def _layer_to_keras3(layer):
    class_name = layer.get("class_name")
    conf = layer.get("config", {})
    if class_name == "InputLayer":
        conf["batch_shape"] = conf.pop("batch_input_shape", conf.get("batch_shape"))
    else:
        conf.pop("batch_input_shape", None)  # Keras 3 layers refuse it; the InputLayer has it
    if class_name in _RNN:
        conf.pop("time_major", None)
    for key in _KERAS3_REFUSES.get(class_name, ()):
        conf.pop(key, None)
    if class_name in ("BatchNormalization", "LayerNormalization") and \
            isinstance(conf.get("axis"), list) and len(conf["axis"]) == 1:
        conf["axis"] = conf["axis"][0]  # Keras 3 BatchNormalization takes an int
    if isinstance(conf.get("layers"), list):
        _model_config_to_keras3(conf)
    if isinstance(conf.get("layer"), dict):
        _layer_to_keras3(conf["layer"])
    modules = {"Sequential": "keras", "Functional": "keras.src.models.functional"}
    layer.setdefault("module", modules.get(class_name, "keras.layers"))
    layer.setdefault("registered_name", None)


# ----------------------------------------------------------------------- weight layout
def _children(layer):
    """(group name, sub-layer) pairs under which Keras 3 stores a layer's sub-layers."""
    class_name = type(layer).__name__
    if class_name in _RNN:
        return [("cell", None)]
    if class_name == "Bidirectional":
        return [("forward_layer", layer.forward_layer), ("backward_layer", layer.backward_layer)]
    if class_name == "TimeDistributed":
        return [("layer", layer.layer)]
    if hasattr(layer, "_layer_list") or class_name == "Sequential":
        return [(f"layers/{path}", sub) for path, sub in _numbered(layer.layers)]
    return []


def _numbered(layers):
    used, out = {}, []
    for layer in layers:
        base = to_snake_case(type(layer).__name__)
        count = used.get(base, -1) + 1
        used[base] = count
        out.append((base if count == 0 else f"{base}_{count}", layer))
    return out


def _write_layer(group, layer, values):
    """Write ``values`` (the layer's weights, Keras order) under ``group``; return the rest."""
    vars_group = group.create_group("vars")
    vars_group.attrs["name"] = layer.name
    children = _children(layer)
    if not children or children == [("cell", None)]:
        n = len(layer.weights)
        target = group.create_group("cell").create_group("vars") if children else vars_group
        for i, v in enumerate(values[:n]):
            target.create_dataset(str(i), data=v)
        return values[n:]
    for path, sub in children:
        values = _write_layer(group.create_group(path), sub, values)
    return values


def _layer_datasets(group, layer, where):
    """The datasets holding ``layer``'s arrays in Keras order (nothing is read yet)."""
    children = _children(layer)
    if not children or children == [("cell", None)]:
        vars_group = group["cell/vars"] if children else group["vars"]
        if not isinstance(vars_group, h5py.Group):
            raise FileFormatError(f"{where}: 'vars' of layer {layer.name!r} is not a group")
        return [vars_group[str(i)] for i in range(len(vars_group))]
    out = []
    for path, sub in children:
        out.extend(_layer_datasets(group[path], sub, where))
    return out


def _read_layer(group, layer, where):
    """The arrays of ``layer`` in Keras order, after checking their declared shapes."""
    datasets = _layer_datasets(group, layer, where)
    shapes = [h5_checks.dataset_shape(d, f"{where}: {d.name}") for d in datasets]
    expected = [tuple(getattr(p, "_keras_shape", p.shape)) for p in layer.weights]
    if shapes != expected:
        raise FileFormatError(f"{where}: layer {layer.name!r} expects weights of shapes "
                              f"{expected[:8]}, but the archive stores shapes {shapes[:8]}.")
    return [h5_checks.read_dataset(d, f"{where}: {d.name}") for d in datasets]


# ---------------------------------------------------------------------------- archive
def save_keras_archive(model, filepath):
    """Write ``model`` as a Keras 3 ``.keras`` zip archive, atomically."""
    config = to_keras3_config(model)
    metadata = {"keras_version": KERAS3_VERSION, "date_saved":
                datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")}
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        layers_group = f.create_group("layers")
        for path, layer in _numbered(model.layers):
            _write_layer(layers_group.create_group(path), layer, layer.get_weights())
    members = {"config.json": json.dumps(config, default=get_json_type).encode("utf-8"),
               "model.weights.h5": buffer.getvalue()}
    metadata[h5_checks.DIGEST_ATTR] = {name: h5_checks.bytes_digest(data)
                                       for name, data in members.items()}
    with atomic_open(filepath, "wb") as raw, zipfile.ZipFile(raw, "w") as z:
        z.writestr("metadata.json", json.dumps(metadata))
        for name, data in members.items():
            z.writestr(name, data)


def _verify_members(filepath, metadata, members):
    """Check the digests openkeras stores in metadata.json (archives without them pass)."""
    digests = metadata.get(h5_checks.DIGEST_ATTR)
    if digests is None:
        return
    if not isinstance(digests, dict):
        raise FileIntegrityError(f"{filepath!r}: metadata.json's digests are damaged.")
    for name, data in members.items():
        if name in digests and digests[name] != h5_checks.bytes_digest(data):
            raise FileIntegrityError(f"{filepath!r}: archive member {name} is damaged: its "
                                     "checksum does not match what openkeras wrote.")


def read_keras_archive(filepath):
    """(config dict, metadata dict, weights h5 bytes) from a ``.keras`` archive.

    Member sizes are checked from the archive's directory before anything is extracted.
    """
    try:
        with zipfile.ZipFile(filepath) as z:
            infos = z.infolist()
            if len(infos) > _MAX_MEMBERS:
                raise FileFormatError(f"{filepath!r} has {len(infos)} members; a Keras archive "
                                      f"has a handful (at most {_MAX_MEMBERS} are read).")
            members = {}
            for info in infos:
                parts = info.filename.replace("\\", "/").split("/")
                if info.filename.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
                    raise FileFormatError(f"{filepath!r}: archive member {info.filename!r} points "
                                          "outside the archive (an absolute path or '..').")
                members.setdefault(info.filename, info)
            missing = {"config.json", "model.weights.h5"} - set(members)
            if missing:
                raise FileFormatError(f"{filepath!r} is not a Keras archive: it lacks "
                                      f"{sorted(missing)}.")
            config_bytes = _read_member(z, members["config.json"], filepath, MAX_CONFIG_BYTES)
            metadata = {}
            if "metadata.json" in members:
                metadata = _read_json_member(z, members["metadata.json"], filepath)
            weights = _read_member(z, members["model.weights.h5"], filepath,
                                   MAX_ARCHIVE_WEIGHTS_BYTES)
            _verify_members(filepath, metadata, {"config.json": config_bytes,
                                                 "model.weights.h5": weights})
            config = _parse_json_member(config_bytes, "config.json", filepath)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError,
            OSError, RuntimeError) as e:
        raise FileFormatError(f"Cannot read {filepath!r} as a .keras archive: {e}") from e
    return config, metadata, weights


def _read_member(z, info, filepath, limit):
    """A member's bytes, refused from its declared sizes (size, ratio) before extraction."""
    ratio_ok = info.file_size <= max(_MAX_RATIO * info.compress_size, 2**20)
    if info.file_size > limit or not ratio_ok:
        raise FileFormatError(
            f"{filepath!r}: archive member {info.filename!r} declares {info.file_size} bytes "
            f"uncompressed from {info.compress_size} compressed; more than openkeras extracts "
            f"(at most {limit} bytes, at most {_MAX_RATIO} times the compressed size).")
    with z.open(info) as f:
        data = f.read(info.file_size + 1)
    if len(data) > info.file_size:
        raise FileFormatError(f"{filepath!r}: archive member {info.filename!r} is larger than "
                              "it declares.")
    return data


def _read_json_member(z, info, filepath):
    return _parse_json_member(_read_member(z, info, filepath, MAX_CONFIG_BYTES), info.filename,
                              filepath)


def _parse_json_member(data, name, filepath):
    try:
        value = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as e:
        raise FileFormatError(f"{filepath!r}: {name} is not valid JSON ({e})") from e
    if not isinstance(value, dict):
        raise FileFormatError(f"{filepath!r}: {name} is not a JSON object.")
    return check_config_depth(value, f"{filepath!r}: {name}")


def load_weights_from_archive(model, weights_bytes, filepath):
    """Set ``model``'s weights from an archive's ``model.weights.h5`` bytes."""
    where = f"{filepath!r}: model.weights.h5"
    try:
        f = h5py.File(io.BytesIO(weights_bytes), "r")
    except OSError as e:
        raise FileFormatError(f"{where} is not an HDF5 file ({e})") from e
    with f:
        h5_checks.check_structure(f, f"{filepath} (model.weights.h5)")
        assignments = []
        for path, layer in _numbered(model.layers):
            if not layer.weights:
                continue
            key = f"layers/{path}"
            if key not in f:
                raise FileFormatError(f"{where}: the weights of layer {layer.name!r} ({key}) are "
                                      "missing")
            with reading(filepath, f"model.weights.h5/{key}"):
                assignments.append((layer, _read_layer(f[key], layer, where)))
    for layer, values in assignments:
        with reading(filepath, f"weights of layer {layer.name!r}"):
            layer.set_weights(values)
