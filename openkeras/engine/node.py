"""A Node records one call of a layer on symbolic inputs; nodes form the graph of a model.

``map_graph_network`` sorts that graph as Keras does (for models, ``add_loss`` tensors and
``K.function``) and ``get_source_inputs`` finds the inputs a tensor was computed from.
"""

import collections

from openkeras.engine.keras_tensor import flatten


class Node:
    """The connection made when ``layer`` is called on KerasTensors.

    Args:
        layer: the layer that was called.
        inputs: the call's input structure (a KerasTensor or a list of them).
        outputs: the call's output structure.
        arguments: the call's other keyword arguments (serialized in configs).
    """

    def __init__(self, layer, inputs, outputs, arguments=None, own_node=False):
        self.layer = layer
        self.inputs = inputs
        self.outputs = outputs
        self.arguments = dict(arguments or {})
        self.keras_inputs = [t for t in flatten(inputs) if t is not None]
        self.output_tensors = flatten(outputs)
        self.is_input = not self.keras_inputs
        self.own_node = own_node
        if own_node:
            # A functional model's node 0 links its own inputs to its outputs (as in Keras);
            # it leaves the tensors' history and the graph untouched.
            nodes = layer._inbound_nodes
            if nodes and nodes[0].own_node:
                nodes.pop(0)
            nodes.insert(0, self)
            self.node_index = 0
            return
        self.node_index = len(layer._inbound_nodes)
        layer._inbound_nodes.append(self)
        for t in self.keras_inputs:
            t._keras_history[0]._outbound_nodes.append(self)
        for i, t in enumerate(self.output_tensors):
            t._keras_history = (layer, self.node_index, i)

    @property
    def parent_nodes(self):
        return [t._keras_history[0]._inbound_nodes[t._keras_history[1]] for t in self.keras_inputs]

    @property
    def input_shapes(self):
        return _shapes(self.inputs)

    @property
    def output_shapes(self):
        return _shapes(self.outputs)

    def history(self):
        """[(layer, node_index, tensor_index), ...] for the inputs."""
        return [t._keras_history for t in self.keras_inputs]


def _shapes(structure):
    if isinstance(structure, (list, tuple)):
        return [_shapes(s) for s in structure]
    return structure.shape


def get_source_inputs(tensor, layer=None, node_index=None):
    """The input tensors (of Input layers) a symbolic tensor was computed from.

    Args:
        tensor: a KerasTensor.
        layer: the layer to start from (default: the one that made ``tensor``).
        node_index: that layer's node (default: the one that made ``tensor``).
    """
    history = getattr(tensor, "_keras_history", None)
    if history is None:
        raise ValueError("get_source_inputs: expected a Keras symbolic tensor (from Input or a "
                         f"layer call). Received: {type(tensor).__name__}")
    if layer is None or node_index is None:
        layer, node_index = history[0], history[1]
    if not layer._inbound_nodes:
        return [tensor]
    node = layer._inbound_nodes[node_index]
    if node.is_input:
        return list(node.output_tensors)
    sources = []
    for t in node.keras_inputs:
        for source in get_source_inputs(t):
            if not any(source is s for s in sources):
                sources.append(source)
    return sources


def map_graph_network(inputs, outputs):
    """Sort the graph between ``inputs`` and ``outputs``, as Keras does.

    Returns (network node keys, nodes by depth, layers in Keras's order).
    """
    finished, in_progress = set(), set()
    nodes_in_order, layer_indices = [], {}

    def visit(tensor):
        layer, node_index, _ = tensor._keras_history
        node = layer._inbound_nodes[node_index]
        if node in finished:
            return
        if node in in_progress:
            raise ValueError(f'The tensor {tensor} at layer "{layer.name}" is part of a cycle.')
        layer_indices.setdefault(layer, len(layer_indices))
        in_progress.add(node)
        for t in node.keras_inputs:
            visit(t)
        finished.add(node)
        in_progress.discard(node)
        nodes_in_order.append(node)

    for x in outputs:
        visit(x)
    network_nodes = {node_key(n.layer, n.node_index) for n in nodes_in_order}
    nodes_depths, layers_depths = {}, {}
    for node in reversed(nodes_in_order):
        depth = nodes_depths.setdefault(node, 0)
        depth = max(depth, layers_depths.get(node.layer, 0))
        layers_depths[node.layer] = depth
        nodes_depths[node] = depth
        for parent in node.parent_nodes:
            nodes_depths[parent] = max(depth + 1, nodes_depths.get(parent, 0))
    for x in inputs:
        layer = x._keras_history[0]
        if layer not in layers_depths:
            layers_depths[layer] = 0
            layer_indices[layer] = -1
            nodes_depths[layer._inbound_nodes[0]] = 0
            network_nodes.add(node_key(layer, 0))
    nodes_by_depth = collections.defaultdict(list)
    for node, depth in nodes_depths.items():
        nodes_by_depth[depth].append(node)
    layers_by_depth = collections.defaultdict(list)
    for layer, depth in layers_depths.items():
        layers_by_depth[depth].append(layer)
    layers = []
    for depth in sorted(layers_by_depth, reverse=True):
        layers.extend(sorted(layers_by_depth[depth], key=lambda la: layer_indices[la]))
    computable = {id(x) for x in inputs}
    done = []
    for depth in sorted(nodes_by_depth, reverse=True):
        for node in nodes_by_depth[depth]:
            if node.is_input:
                continue
            for x in node.keras_inputs:
                if id(x) not in computable:
                    raise ValueError(
                        f"Graph disconnected: cannot obtain value for tensor {x} at layer "
                        f'"{node.layer.name}". The following previous layers were accessed without '
                        f"issue: {done}"
                    )
            computable.update(id(x) for x in node.output_tensors)
            done.append(node.layer.name)
    for x in outputs:
        if id(x) not in computable:
            raise ValueError(f"Graph disconnected: output {x} cannot be computed from the model inputs.")
    names = [layer.name for layer in layers]
    for name in names:
        if names.count(name) != 1:
            raise ValueError(
                f'The name "{name}" is used {names.count(name)} times in the model. '
                "All layer names should be unique."
            )
    return network_nodes, dict(nodes_by_depth), layers


def node_key(layer, node_index):
    return f"{layer.name}_ib-{node_index}"
