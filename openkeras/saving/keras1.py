"""Keras 1 files: convert configs and weights to Keras 2, as Keras 2 itself did when loading them.

Configs: Keras 1 argument names (``output_dim``, ``nb_filter``, ``border_mode``, ``init``,
``W_regularizer``, ``consume_less``, ...), removed classes (``TimeDistributedDense``,
``Merge``, ``Convolution2D``, ...) and the 3-element node format.
Weights: per-gate LSTM/GRU arrays fused in Keras 2 gate order, Keras 1 conv kernel layouts,
and Theano kernels flipped (``convert_kernel``) when the file says its backend was Theano.
"""

import copy
import warnings

import numpy as np

from openkeras.engine import aliases
from openkeras.utils.conv_utils import convert_kernel

_CLASS_RENAMES = aliases.KERAS1_CLASS_RENAMES
_CONV = {"Conv1D", "Conv2D", "Conv3D", "Conv2DTranspose", "SeparableConv2D"}
_RNN = {"LSTM", "GRU", "SimpleRNN"}
_POOL = {"MaxPooling1D", "AveragePooling1D", "MaxPooling2D", "AveragePooling2D", "MaxPooling3D",
         "AveragePooling3D", "GlobalMaxPooling1D", "GlobalAveragePooling1D", "GlobalMaxPooling2D",
         "GlobalAveragePooling2D", "GlobalMaxPooling3D", "GlobalAveragePooling3D"}
_KERAS1_KEYS = {"output_dim", "nb_filter", "nb_row", "border_mode", "dim_ordering", "init",
                "inner_init", "input_dtype", "W_regularizer", "subsample", "consume_less",
                "filter_length", "pool_length", "dropout_W"}
_KERAS1_CLASSES = set(_CLASS_RENAMES) | {"TimeDistributedDense", "Merge"}

# Keras 1 -> Keras 2 argument names (and values): the one rename table, engine.aliases.
_COMMON = aliases.KERAS1_COMMON
_PER_CLASS = {
    "Dense": aliases.arg_renames("Dense"), "Conv1D": aliases.arg_renames("Conv"),
    "Embedding": aliases.arg_renames("Embedding"), "RNN": aliases.arg_renames("RNN"),
    "Pooling": aliases.arg_renames("Pooling"),
    "BatchNormalization": aliases.arg_renames("BatchNormalization"),
    "Dropout": aliases.arg_renames("Dropout"), "SpatialDropout1D": aliases.arg_renames("Dropout"),
    "SpatialDropout2D": aliases.arg_renames("Dropout"),
    "SpatialDropout3D": aliases.arg_renames("Dropout"),
    "GaussianDropout": aliases.arg_renames("Dropout"),
    "GaussianNoise": aliases.arg_renames("GaussianNoise"),
    "UpSampling1D": aliases.arg_renames("UpSampling1D"),
}
_VALUES = aliases.VALUE_RENAMES
_MERGE_MODES = {"sum": "Add", "mul": "Multiply", "concat": "Concatenate", "ave": "Average",
                "max": "Maximum", "dot": "Dot", "cos": "Dot"}


def is_keras1_config(model_config, keras_version=None) -> bool:
    """Whether a model config was written by Keras 1 (by version, else by its contents)."""
    if keras_version is not None:
        return str(keras_version).startswith("1")
    return any(_layer_is_keras1(layer) for layer in _layer_entries(model_config))


def _layer_is_keras1(layer_config):
    if not isinstance(layer_config, dict):
        return False
    if layer_config.get("class_name") in _KERAS1_CLASSES:
        return True
    conf = layer_config.get("config")
    if not isinstance(conf, dict):
        return False
    if isinstance(conf.get("layer"), dict) and _layer_is_keras1(conf["layer"]):
        return True
    keys = set(conf) & _KERAS1_KEYS
    if layer_config.get("class_name") == "Embedding":
        keys.discard("output_dim")
    return bool(keys)


def _layer_entries(model_config):
    conf = model_config
    if isinstance(model_config, dict):
        conf = model_config.get("config", model_config)
    if isinstance(conf, list):
        return conf
    if isinstance(conf, dict) and isinstance(conf.get("layers"), list):
        return conf["layers"]
    return []


def convert_model_config(model_config):
    """A Keras 2 ``{'class_name', 'config'}`` model config from a Keras 1 one (a new dict)."""
    model_config = copy.deepcopy(model_config)
    class_name = model_config.get("class_name")
    conf = model_config.get("config")
    if class_name == "Sequential":
        layers = conf if isinstance(conf, list) else conf.get("layers", [])
        converted = [convert_layer_config(layer, first=(i == 0)) for i, layer in enumerate(layers)]
        model_config["config"] = ({"name": conf.get("name"), "layers": converted}
                                  if isinstance(conf, dict) else converted)
    elif class_name in ("Model", "Functional"):
        conf["layers"] = [convert_layer_config(layer, first=False) for layer in conf["layers"]]
        for layer in conf["layers"]:
            nodes = layer.get("inbound_nodes", [])
            layer["inbound_nodes"] = [_convert_node(node) for node in nodes]
    else:
        model_config = convert_layer_config(model_config, first=True)
    return model_config


def _convert_node(node):
    out = []
    for entry in node:
        entry = list(entry)
        if len(entry) == 3:
            entry.append({})
        out.append(entry)
    return out


def convert_layer_config(layer_config, first=False):
    """Convert one Keras 1 ``{'class_name', 'config', ...}`` layer entry to Keras 2."""
    entry = dict(layer_config)
    class_name = entry.get("class_name")
    raw = entry.get("config") or {}
    if class_name in ("Sequential", "Model", "Functional") and (
            isinstance(raw, list) or "layers" in raw):
        return convert_model_config(entry)
    conf = dict(raw)
    if class_name == "TimeDistributedDense":
        name = conf.get("name")
        input_dim, input_length = conf.pop("input_dim", None), conf.pop("input_length", None)
        inner = convert_layer_config({"class_name": "Dense", "config": conf})
        outer = {k: inner["config"].pop(k) for k in ("batch_input_shape", "dtype", "trainable")
                 if k in inner["config"]}
        if first and input_dim is not None and "batch_input_shape" not in outer:
            outer["batch_input_shape"] = [None, input_length, input_dim]
        inner["config"]["name"] = f"{name}_dense"
        entry["class_name"] = "TimeDistributed"
        entry["config"] = {"name": name, "layer": inner, **outer}
        return entry
    if class_name == "Merge":
        class_name, conf = _convert_merge(conf)
    class_name = _CLASS_RENAMES.get(class_name, class_name)
    conf = _convert_args(class_name, conf, first)
    if isinstance(conf.get("layer"), dict):  # wrappers: TimeDistributed, Bidirectional
        conf["layer"] = convert_layer_config(conf["layer"], first=False)
    entry["class_name"] = class_name
    entry["config"] = conf
    return entry


def _convert_merge(conf):
    mode = conf.get("mode", "sum")
    if conf.get("layers"):
        raise ValueError(
            f"Merge layer {conf.get('name')!r}: a Keras 1 Merge of whole models inside a "
            "Sequential cannot be converted. Rebuild it with the functional API."
        )
    if not isinstance(mode, str) or mode not in _MERGE_MODES:
        raise ValueError(
            f"Merge layer {conf.get('name')!r}: mode {mode!r} cannot be converted to a Keras 2 "
            f"merge layer (a custom function). Supported modes: {sorted(_MERGE_MODES)}."
        )
    out = {"name": conf.get("name"), "trainable": conf.get("trainable", True)}
    if mode == "concat":
        out["axis"] = conf.get("concat_axis", -1)
    if mode in ("dot", "cos"):
        axes = conf.get("dot_axes", -1)
        out["axes"] = list(axes) if isinstance(axes, (list, tuple)) else axes
        out["normalize"] = mode == "cos"
    return _MERGE_MODES[mode], out


def _convert_args(class_name, conf, first):
    owner = "RNN" if class_name in _RNN else "Pooling" if class_name in _POOL else class_name
    mapping = dict(_COMMON)
    mapping.update(_PER_CLASS.get(owner, {}))
    if class_name == "Embedding":
        mapping.pop("bias", None)
        if conf.pop("dropout", 0):
            warnings.warn(f"Embedding {conf.get('name')!r}: the Keras 1 `dropout` argument has no "
                          "Keras 2 equivalent and was dropped.", stacklevel=3)
    out = {}
    for key, value in conf.items():
        new = mapping.get(key, key)
        if new in _VALUES and isinstance(value, str):
            value = _VALUES[new].get(value, value)
        if new.endswith("_regularizer") or new == "activity_regularizer":
            value = _convert_regularizer(value)
        elif new.endswith("_constraint"):
            value = _convert_constraint(value)
        if value is None and new == "data_format":
            continue
        out[new] = value
    _convert_shapes(class_name, out, first)
    if class_name in ("Conv2D", "Conv2DTranspose", "SeparableConv2D") and "nb_row" in out:
        out["kernel_size"] = [out.pop("nb_row"), out.pop("nb_col")]
    if class_name == "Conv3D" and "kernel_dim1" in out:
        out["kernel_size"] = [out.pop(f"kernel_dim{i}") for i in (1, 2, 3)]
    if class_name == "Conv2DTranspose":
        out.pop("output_shape", None)
    if class_name == "SeparableConv2D" and "kernel_initializer" in out:
        init = out.pop("kernel_initializer")
        out.setdefault("depthwise_initializer", init)
        out.setdefault("pointwise_initializer", init)
    if class_name in _RNN and "forget_bias_init" in out:
        out["unit_forget_bias"] = out.pop("forget_bias_init") in ("one", "ones")
    if class_name == "BatchNormalization" and "mode" in out:
        mode = out.pop("mode")
        if mode != 0:
            raise ValueError(
                f"BatchNormalization {out.get('name')!r}: Keras 1 `mode={mode}` no longer exists "
                "(only mode=0, the feature-wise normalization, is supported)."
            )
    if out.get("padding") == "full":
        raise ValueError(f"Layer {out.get('name')!r}: Theano's border_mode='full' has no Keras 2 "
                         "equivalent.")
    return out


def _convert_shapes(class_name, conf, first):
    """Keras 1 input_dim/input_length -> batch_input_shape on the first layer only."""
    input_dim = conf.pop("input_dim", None)
    input_length = conf.pop("input_length", None) if class_name != "Embedding" else None
    if not first or conf.get("batch_input_shape") is not None or input_dim is None:
        return
    if class_name in _RNN or class_name == "Conv1D":
        conf["batch_input_shape"] = [None, input_length, input_dim]
    elif class_name != "Embedding":
        conf["batch_input_shape"] = [None, input_dim]


def _convert_regularizer(value):
    if isinstance(value, dict) and "name" in value and "class_name" not in value:
        return {"class_name": "L1L2", "config": {"l1": float(value.get("l1", 0.0)),
                                                 "l2": float(value.get("l2", 0.0))}}
    return value


def _convert_constraint(value):
    if isinstance(value, dict) and "name" in value and "class_name" not in value:
        name = value["name"]
        conf = {k: v for k, v in value.items() if k != "name"}
        if "m" in conf:
            conf["max_value"] = conf.pop("m")
        return {"class_name": name, "config": conf}
    return value


# ------------------------------------------------------------------------------ weights
def preprocess_weights(layer, weights, keras_version, backend):
    """Convert a layer's stored arrays (file order) to the arrays ``layer.set_weights`` wants.

    Args:
        layer: the target layer.
        weights: list of numpy arrays as stored.
        keras_version: the file's ``keras_version`` (``'1'`` when it has none).
        backend: the file's ``backend`` attribute, or None.
    """
    class_name = type(layer).__name__
    weights = list(weights)
    if class_name == "Bidirectional" and weights:
        half = len(weights) // 2
        forward = preprocess_weights(layer.forward_layer, weights[:half], keras_version, backend)
        backward = preprocess_weights(layer.backward_layer, weights[half:], keras_version, backend)
        weights = forward + backward
    if class_name == "TimeDistributed":
        return preprocess_weights(layer.layer, weights, keras_version, backend)
    if str(keras_version).startswith("1"):
        weights = _keras1_weights(layer, class_name, weights)
    if class_name in ("LSTM", "CuDNNLSTM", "GRU", "CuDNNGRU") and len(weights) == 3:
        weights = _cudnn_or_plain_rnn_weights(layer, class_name, weights)
    if class_name in ("Conv1D", "Conv2D", "Conv3D", "Conv2DTranspose") and weights:
        if backend == "theano":
            weights[0] = convert_kernel(weights[0])
        expected = tuple(layer.weights[0]._keras_shape)
        if weights[0].shape != expected and weights[0].ndim == 4:
            turned = np.transpose(weights[0], (3, 2, 0, 1)) if class_name == "Conv2D" else None
            if turned is not None and turned.shape == expected:  # a Theano-layout kernel
                weights[0] = turned
    return weights


def _cudnn_blocks(kernel, n, to_cudnn):
    """Each gate's input kernel between the Keras layout and CuDNN's (its (units, rows) matrix
    flattened into a (rows, units) block)."""
    rows = kernel.shape[0]
    blocks = np.hsplit(kernel, n)
    units = blocks[0].shape[1]
    if to_cudnn:
        return np.hstack([b.T.reshape(rows, units) for b in blocks])
    return np.hstack([b.reshape(units, rows).T for b in blocks])


def _cudnn_or_plain_rnn_weights(layer, class_name, weights):
    """LSTM <-> CuDNNLSTM and GRU(reset_after=True) <-> CuDNNGRU weights, as Keras 2 converts
    them when a file written with one is loaded into the other."""
    kernel, recurrent, bias = weights
    units = recurrent.shape[0]
    n = 4 if "LSTM" in class_name else 3
    stored_cudnn = bias.shape == (2 * n * units,)
    if n == 3 and bias.shape == (n * units,) or (
            n == 3 and class_name == "GRU" and not getattr(layer, "reset_after", True)):
        if stored_cudnn or class_name == "CuDNNGRU":
            raise ValueError(f"{layer.name}: GRU(reset_after=False) weights are not compatible "
                             "with CuDNNGRU (use GRU(reset_after=True)).")
        return weights
    target_cudnn = class_name.startswith("CuDNN")
    if stored_cudnn == target_cudnn:
        return weights
    recurrent = np.hstack([b.T for b in np.hsplit(recurrent, n)])
    kernel = _cudnn_blocks(kernel, n, to_cudnn=target_cudnn)
    if n == 4:
        bias = np.tile(0.5 * bias, 2) if target_cudnn else np.sum(np.split(bias, 2), axis=0)
    else:
        bias = bias.reshape(-1) if target_cudnn else bias.reshape(2, -1)
    return [kernel, recurrent, bias]


def _keras1_weights(layer, class_name, weights):
    if class_name == "Conv1D" and weights and weights[0].ndim == 4:
        kernel = weights[0]
        if kernel.shape[1] != 1:  # Keras 1.0: (filters, input_dim, length, 1)
            kernel = np.transpose(kernel, (2, 3, 1, 0))
        weights[0] = kernel[:, 0, :, :]
    elif class_name == "Conv2D" and getattr(layer, "data_format", None) == "channels_first":
        weights[0] = np.transpose(weights[0], (2, 3, 1, 0))
    elif class_name == "Conv2DTranspose":
        perm = (0, 1, 3, 2) if layer.data_format == "channels_last" else (2, 3, 0, 1)
        weights[0] = np.transpose(weights[0], perm)
    elif class_name == "Conv3D" and getattr(layer, "data_format", None) == "channels_first":
        weights[0] = np.transpose(weights[0], (2, 3, 4, 1, 0))
    elif class_name == "GRU" and len(weights) == 9:  # z, r, h gates stored one by one
        weights = [np.concatenate(weights[i::3], axis=-1) for i in range(3)]
    elif class_name == "LSTM" and len(weights) == 12:  # Keras 1 gate order i, c, f, o
        order = (0, 2, 1, 3)  # -> i, f, c, o
        weights = [np.concatenate([weights[3 * g + k] for g in order], axis=-1) for k in range(3)]
    return weights
