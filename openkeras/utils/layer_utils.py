"""model.summary() in Keras 2's text format, and parameter counting."""

import numpy as np


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
    if isinstance(shape, list):
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
        relevant = None
    else:
        line_length = line_length or 98
        positions = positions or [0.33, 0.55, 0.67, 1.0]
        headers = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
        relevant = {id(n) for nodes in model._nodes_by_depth.values() for n in nodes}
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
    layers = model.layers
    for i, layer in enumerate(layers):
        try:
            shape = _fmt_shape(layer.output_shape)
        except AttributeError:
            shape = "multiple"
        params = layer.count_params() if layer.built else "0 (unused)"
        name = f"{layer.name} ({type(layer).__name__})"
        if sequential_like:
            row([name, shape, params])
        else:
            connections = []
            for node in layer._inbound_nodes:
                if id(node) not in relevant:
                    continue
                for parent, node_index, tensor_index in node.history():
                    connections.append(f"{parent.name}[{node_index}][{tensor_index}]")
            row([name, shape, params, connections[0] if connections else ""])
            for extra in connections[1:]:
                row(["", "", "", extra])
        print_fn(("=" if i == len(layers) - 1 else "_") * line_length)
    trainable = count_params(model.trainable_weights)
    non_trainable = count_params(model.non_trainable_weights)
    print_fn(f"Total params: {trainable + non_trainable:,}")
    print_fn(f"Trainable params: {trainable:,}")
    print_fn(f"Non-trainable params: {non_trainable:,}")
    print_fn("_" * line_length)
