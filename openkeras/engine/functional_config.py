"""Functional model configs in Keras 2's format (layers, inbound_nodes, input/output_layers)."""

import inspect

from openkeras.engine import registry
from openkeras.engine.base_layer import drop_unsupported_masks
from openkeras.engine.node import node_key
from openkeras.utils.generic_utils import unpack_singleton


class _RegistryLayers:
    """What ``_reconstruct`` needs of ``openkeras.layers``: ``deserialize`` (from the registry)."""

    @staticmethod
    def deserialize(config, custom_objects=None):
        return registry.deserialize("layer", config, custom_objects)


def get_network_config(model):
    """Keras 2's {'name', 'layers', 'input_layers', 'output_layers'} for a functional model."""
    conversion = {}
    for layer in model.layers:
        kept = 0
        for index, node in enumerate(layer._inbound_nodes):
            if node.own_node:  # a nested model's own node keeps index 0, as in Keras
                kept = 1
                continue
            if node_key(layer, index) in model._network_nodes:
                conversion[node_key(layer, index)] = kept
                kept += 1
    layer_configs = []
    for layer in model.layers:
        inbound = []
        for index, node in enumerate(layer._inbound_nodes):
            if node_key(layer, index) not in model._network_nodes or node.is_input:
                continue
            node_data = []
            for t in node.keras_inputs:
                parent, parent_index, tensor_index = t._keras_history
                new_index = conversion.get(node_key(parent, parent_index), 0)
                node_data.append([parent.name, new_index, tensor_index, dict(node.arguments)])
            inbound.append(node_data)
        layer_configs.append({
            "class_name": class_name_of(layer),
            "config": layer.get_config(),
            "name": layer.name,
            "inbound_nodes": inbound,
        })

    def refs(tensors):
        out = []
        for t in tensors:
            layer, node_index, tensor_index = t._keras_history
            out.append([layer.name, conversion.get(node_key(layer, node_index), 0), tensor_index])
        return out

    return {
        "name": model.name,
        "trainable": bool(model.trainable),  # tf.keras 2 writes it
        "layers": layer_configs,
        "input_layers": refs(model.inputs),
        "output_layers": refs(model.outputs),
    }


def class_name_of(layer):
    """The class name a layer is written under (a subclass under its own name)."""
    return registry.registered_name(type(layer))


def reconstruct_from_config(config, custom_objects=None):
    """Rebuild the layers and their connections; return (inputs, outputs, name)."""
    with drop_unsupported_masks():
        return _reconstruct(config, custom_objects, _RegistryLayers)


def _reconstruct(config, custom_objects, layer_module):
    if "layers" not in config:
        raise ValueError(f"A functional model config needs a 'layers' entry. Received keys: {sorted(config)}")
    created = {}
    pending = {}

    def process_node(layer, node_data):
        tensors = []
        kwargs = {}
        for entry in _node_entries(node_data):
            name, node_index, tensor_index = entry[0], int(entry[1]), int(entry[2])
            if len(entry) > 3 and entry[3]:
                kwargs = dict(entry[3])
            if name not in created:
                raise ValueError(f"Layer {layer.name!r} refers to an unknown layer {name!r} in its inbound nodes.")
            parent = created[name]
            if len(parent._inbound_nodes) <= node_index:
                return False
            tensors.append(parent._inbound_nodes[node_index].output_tensors[tensor_index])
        if tensors:
            _check_call_arguments(layer, kwargs)
            layer(unpack_singleton(tensors), **kwargs)
        return True

    for layer_data in config["layers"]:
        layer = layer_module.deserialize(layer_data, custom_objects=custom_objects)
        created[layer_data.get("name", layer.name)] = layer
        nodes = list(layer_data.get("inbound_nodes", []))
        if nodes:
            pending[layer] = nodes

    while pending:
        progress = False
        for layer_data in config["layers"]:
            layer = created[layer_data.get("name")]
            nodes = pending.get(layer)
            while nodes:
                if not process_node(layer, nodes[0]):
                    break
                nodes.pop(0)
                progress = True
            if layer in pending and not nodes:
                del pending[layer]
        if not progress:
            names = [la.name for la in pending]
            raise ValueError(f"Model config is malformed: the inbound nodes of {names} cannot be resolved.")

    def tensors_for(refs):
        if refs and not isinstance(refs[0], (list, tuple)):  # a single [name, node, tensor]
            refs = [refs]
        out = []
        for name, node_index, tensor_index in (r[:3] for r in refs):
            out.append(created[name]._inbound_nodes[node_index].output_tensors[tensor_index])
        return out

    inputs = tensors_for(config["input_layers"])
    outputs = tensors_for(config["output_layers"])
    return inputs, outputs, config.get("name")


def _check_call_arguments(layer, kwargs):
    """Refuse call arguments from a config that the layer's ``call`` does not take (they would
    only fail later, at prediction time)."""
    if not isinstance(kwargs, dict) or not all(isinstance(k, str) for k in kwargs):
        raise ValueError(f"Layer {layer.name!r}: the call arguments in its inbound node must be "
                         f"a dict of names. Received: {str(kwargs)[:200]}")
    try:
        params = inspect.signature(layer.call).parameters
    except (TypeError, ValueError):
        return
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return
    unknown = sorted(set(kwargs) - set(params) - {"mask", "training"})
    if unknown:
        raise ValueError(f"Layer {layer.name!r}: its inbound node passes {unknown} to "
                         f"{type(layer).__name__}.call, which takes {sorted(params)}.")


def _node_entries(node_data):
    """tf.keras node data is a list of [name, node, tensor, kwargs]; Keras 3 uses dicts."""
    if isinstance(node_data, dict):  # Keras 3: {'args': [...], 'kwargs': {...}}
        out = []
        for arg in _flatten_k3(node_data.get("args", [])):
            out.append(arg)
        return out
    return node_data


def _flatten_k3(args):
    out = []
    for a in args:
        if isinstance(a, dict) and a.get("class_name") == "__keras_tensor__":
            hist = a["config"]["keras_history"]
            out.append([hist[0], hist[1], hist[2]])
        elif isinstance(a, (list, tuple)):
            out.extend(_flatten_k3(a))
    return out
