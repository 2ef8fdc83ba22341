"""model.summary() in Keras 2's text format, and parameter counting."""

import numpy as np

from openkeras.engine.node import get_source_inputs  # noqa: F401  (Keras 2 exported it here)
from openkeras.utils.conv_utils import convert_kernel  # Keras 2 also exports it here


def count_params(weights) -> int:
    """Total number of scalars in a list of weights (Keras-layout shapes)."""
    return int(sum(int(np.prod(getattr(w, "_keras_shape", tuple(w.shape)))) for w in weights))


def _is_sequential_like(model):
    if type(model).__name__ == "Sequential" or not hasattr(model, "_nodes_by_depth"):
        return True
    nodes = []
    for depth_nodes in model._nodes_by_depth.values():
        if len(depth_nodes) > 1 or (len(depth_nodes) == 1 and len(depth_nodes[0].keras_inputs) > 1):
            return False
        nodes += depth_nodes
    for layer in model.layers:
        if sum(1 for node in layer._inbound_nodes if node in nodes) > 1:
            return False
    return True


def _fmt_shape(shape):
    """'(None, 10)', or '[(None, 10), (None, 2)]' for several outputs (shapes as lists)."""
    if shape and isinstance(shape[0], list):
        return str([tuple(s) for s in shape])
    return str(tuple(shape))


def print_summary(model, line_length=None, positions=None, print_fn=None):
    """Print a summary of a model.

    Args:
        model: a built model.
        line_length: total length of the printed lines.
        positions: relative or absolute end positions of the columns.
        print_fn: function called with each line (default: print).
    """
    print_fn = print_fn or print
    sequential_like = _is_sequential_like(model)
    if sequential_like:
        line_length = line_length or 65
        positions = positions or [0.45, 0.85, 1.0]
        headers = ["Layer (type)", "Output Shape", "Param #"]
    else:
        line_length = line_length or 98
        positions = positions or [0.33, 0.55, 0.67, 1.0]
        headers = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]

    def row(fields):
        line = ""
        for i, field in enumerate(fields):
            if i > 0:
                line = line[:-1] + " "
            line += str(field)
            line = line[: positions[i]]
            line += " " * (positions[i] - len(line))
        print_fn(line)

    print_fn(f'Model: "{model.name}"')
    print_fn("_" * line_length)
    row(headers)
    print_fn("=" * line_length)
    info = summary_dict(model)
    layers = info["layers"]
    for i, layer in enumerate(layers):
        shape = "multiple" if layer["output_shape"] is None else _fmt_shape(layer["output_shape"])
        params = "0 (unused)" if layer["params"] is None else layer["params"]
        name = f"{layer['name']} ({layer['class_name']})"
        if sequential_like:
            row([name, shape, params])
        else:
            connections = layer["connected_to"]
            row([name, shape, params, connections[0] if connections else ""])
            for extra in connections[1:]:
                row(["", "", "", extra])
        print_fn(("=" if i == len(layers) - 1 else "_") * line_length)
    print_fn(f"Total params: {info['total_params']:,}")
    print_fn(f"Trainable params: {info['trainable_params']:,}")
    print_fn(f"Non-trainable params: {info['non_trainable_params']:,}")
    print_fn("_" * line_length)


def _shape_list(shape):
    if shape and isinstance(shape[0], (list, tuple)):  # several outputs
        return [_shape_list(s) for s in shape]
    return [None if d is None else int(d) for d in shape]


def summary_dict(model) -> dict:
    """The facts of ``model.summary()`` as plain data (for JSON).

    Returns ``{'name', 'class_name', 'layers', 'total_params', 'trainable_params',
    'non_trainable_params'}``; each layer is ``{'name', 'class_name', 'output_shape'`` (a list
    with None for unknown sizes, a list of those for several outputs, None when the layer has
    several different shapes), ``'params'`` (None when the layer is unused and unbuilt),
    ``'connected_to'`` (``'layer[node][tensor]'`` strings)``}``.

    Args:
        model: a built model.
    """
    relevant = None
    if hasattr(model, "_nodes_by_depth"):
        relevant = {id(n) for nodes in model._nodes_by_depth.values() for n in nodes}
    layers = []
    for layer in model.layers:
        try:
            shape = _shape_list(layer.output_shape)
        except AttributeError:
            shape = None
        connections = []
        for node in layer._inbound_nodes:
            if relevant is None or id(node) not in relevant:
                continue
            for parent, node_index, tensor_index in node.history():
                connections.append(f"{parent.name}[{node_index}][{tensor_index}]")
        layers.append({"name": layer.name, "class_name": type(layer).__name__,
                       "output_shape": shape,
                       "params": layer.count_params() if layer.built else None,
                       "connected_to": connections})
    trainable = count_params(model.trainable_weights)
    non_trainable = count_params(model.non_trainable_weights)
    return {"name": model.name, "class_name": type(model).__name__, "layers": layers,
            "total_params": trainable + non_trainable, "trainable_params": trainable,
            "non_trainable_params": non_trainable}


def convert_all_kernels_in_model(model):
    """Flip the kernels of every Conv1D/2D/3D and Conv2DTranspose of ``model`` in place
    (Theano-trained weights <-> TensorFlow/torch orientation)."""
    conv_classes = {"Conv1D", "Conv2D", "Conv3D", "Conv2DTranspose"}
    to_assign = []
    for layer in model.layers:
        if type(layer).__name__ in conv_classes and layer.get_weights():
            weights = layer.get_weights()
            weights[0] = convert_kernel(weights[0])
            to_assign.append((layer, weights))
    for layer, weights in to_assign:
        layer.set_weights(weights)


def convert_dense_weights_data_format(dense, previous_feature_map_shape,
                                      target_data_format="channels_first"):
    """Reorder the kernel rows of a Dense layer that follows a Flatten, for a model moved
    between ``channels_first`` and ``channels_last``.

    Args:
        dense: the Dense layer.
        previous_feature_map_shape: the feature map shape before the Flatten, without the
            batch axis, in the *target* format's counterpart (as Keras 2 defines it).
        target_data_format: the data format the weights should end up in.
    """
    if target_data_format not in ("channels_first", "channels_last"):
        raise ValueError("target_data_format must be 'channels_first' or 'channels_last'. "
                         f"Received: {target_data_format!r}")
    kernel, *rest = dense.get_weights()
    units = kernel.shape[1]
    # The rows of the kernel are the flattened feature map: reorder its axes as one block.
    if target_data_format == "channels_first":
        c, h, w = previous_feature_map_shape
        kernel = kernel.reshape(h, w, c, units).transpose(2, 0, 1, 3)
    else:
        h, w, c = previous_feature_map_shape
        kernel = kernel.reshape(c, h, w, units).transpose(1, 2, 0, 3)
    kernel = np.ascontiguousarray(kernel).reshape(-1, units)
    dense.set_weights([kernel, *rest])

