"""The node API of a layer: input, output, shapes and masks per call (Keras 2's accessors)."""

from openkeras.engine.keras_tensor import flatten, pack_like


class NodeAccessors:
    """``layer.input``/``output``/``input_shape``/``output_shape`` and the ``*_at(node_index)`` forms.

    Each call of a layer on symbolic tensors adds a node; these read them. Mixed into Layer.
    """

    def _node_attr(self, node_index, attr, what):
        if not self._inbound_nodes:
            raise AttributeError(f'Layer "{self._name}" is not connected, no {what} to return.')
        if node_index >= len(self._inbound_nodes):
            raise ValueError(
                f"Asked to get {what} at node {node_index}, but the layer has only "
                f"{len(self._inbound_nodes)} inbound nodes."
            )
        value = getattr(self._inbound_nodes[node_index], attr)
        return value

    def _single_node_attr(self, attr, what, plural):
        if not self._inbound_nodes:
            raise AttributeError(f'Layer "{self._name}" has never been called and thus has no defined {what}.')
        values = {repr(getattr(n, attr)) for n in self._inbound_nodes}
        if len(self._inbound_nodes) > 1 and len(values) > 1:
            raise AttributeError(
                f'Layer "{self._name}" has multiple inbound nodes, hence the notion of "layer {what}" '
                f"is ill-defined. Use `get_{plural}_at(node_index)` instead."
            )
        return getattr(self._inbound_nodes[0], attr)

    def get_input_at(self, node_index):
        return self._node_attr(node_index, "inputs", "input")

    def get_output_at(self, node_index):
        return self._node_attr(node_index, "outputs", "output")

    def get_input_shape_at(self, node_index):
        return _as_tuple_shapes(self._node_attr(node_index, "input_shapes", "input shape"))

    def get_output_shape_at(self, node_index):
        return _as_tuple_shapes(self._node_attr(node_index, "output_shapes", "output shape"))

    def get_input_mask_at(self, node_index):
        inputs = self.get_input_at(node_index)
        return pack_like(inputs, [t._keras_mask for t in flatten(inputs)])

    def get_output_mask_at(self, node_index):
        outputs = self.get_output_at(node_index)
        return pack_like(outputs, [t._keras_mask for t in flatten(outputs)])

    @property
    def input(self):
        if len(self._inbound_nodes) > 1:
            raise AttributeError(
                f'Layer "{self._name}" has multiple inbound nodes, hence the notion of "layer input" '
                "is ill-defined. Use `get_input_at(node_index)` instead."
            )
        return self._node_attr(0, "inputs", "input")

    @property
    def output(self):
        if len(self._inbound_nodes) > 1:
            raise AttributeError(
                f'Layer "{self._name}" has multiple inbound nodes, hence the notion of "layer output" '
                "is ill-defined. Use `get_output_at(node_index)` instead."
            )
        return self._node_attr(0, "outputs", "output")

    @property
    def input_shape(self):
        return _as_tuple_shapes(self._single_node_attr("input_shapes", "input shape", "input_shape"))

    @property
    def output_shape(self):
        return _as_tuple_shapes(self._single_node_attr("output_shapes", "output shape", "output_shape"))

    @property
    def input_mask(self):
        return self.get_input_mask_at(0)

    @property
    def output_mask(self):
        return self.get_output_mask_at(0)

    @property
    def inbound_nodes(self):
        return self._inbound_nodes

    @property
    def outbound_nodes(self):
        return self._outbound_nodes


def _as_tuple_shapes(shape):
    if isinstance(shape, list) and shape and isinstance(shape[0], (list, tuple)):
        return [_as_tuple_shapes(s) for s in shape]
    if isinstance(shape, list) and shape and all(s is None or isinstance(s, tuple) for s in shape):
        return [_as_tuple_shapes(s) for s in shape]
    return tuple(shape) if shape is not None else None
