"""A Node records one call of a layer on symbolic inputs."""


class Node:
    """The connection made when ``layer`` is called on KerasTensors.

    Args:
        layer: the layer that was called.
        inputs: the call's input structure (a KerasTensor or a list of them).
        outputs: the call's output structure.
        arguments: the call's other keyword arguments (serialized in configs).
    """

    def __init__(self, layer, inputs, outputs, arguments=None, own_node=False):
        from openkeras.engine.keras_tensor import flatten

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
