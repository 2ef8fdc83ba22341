"""Model-level helpers: model_from_json / yaml / config, clone_model, load_model, save_model."""

from openkeras.engine import file_formats
from openkeras.engine.base_layer import drop_unsupported_masks
from openkeras.engine.functional_config import _reconstruct
from openkeras.engine.input_layer import Input, InputLayer
from openkeras.engine.sequential import Sequential
from openkeras.engine.training import Model  # (Model(inputs, outputs) is functional)
from openkeras.saving import load_model, save_model  # noqa: F401
from openkeras.saving import model_from_config as _model_from_any_config


def model_to_json(model, **kwargs):
    """The model's architecture as JSON text (``model.to_json()``)."""
    return file_formats.get("json").write_config(model, **kwargs)


def model_to_yaml(model, **kwargs):
    """The model's architecture as YAML text (``model.to_yaml()``)."""
    return file_formats.get("yaml").write_config(model, **kwargs)


def model_from_config(config, custom_objects=None):
    """A model (or layer) from ``{'class_name', 'config'}``."""
    if isinstance(config, list):
        raise TypeError("`model_from_config` expects a dictionary, not a list. "
                        f"Received: config={config!r}. Did you meant to use `Sequential.from_config(config)`?")
    return _model_from_any_config(config, custom_objects=custom_objects)  # Keras 1, 2 and 3


def model_from_json(json_string, custom_objects=None):
    """A model from the JSON written by ``model.to_json()`` (here or by Keras 2)."""
    config = file_formats.get("json").read_config(json_string)
    return model_from_config(config, custom_objects=custom_objects)


def model_from_yaml(yaml_string, custom_objects=None):
    """A model from YAML (plain data only: no tags, no aliases; bounded in size and depth)."""
    config = file_formats.get("yaml").read_config(yaml_string)
    return model_from_config(config, custom_objects=custom_objects)


class _LayerCloner:
    """Stands in for the layers module while a config is rebuilt: layers come from a function."""

    def __init__(self, model, clone_function, input_tensors):
        self.by_name = {layer.name: layer for layer in model.layers}
        self.clone_function = clone_function
        self.inputs = {}
        for layer, tensor in zip(model._input_layers, input_tensors or [], strict=False):
            source = getattr(tensor, "_keras_history", None)
            if source is None or not isinstance(source[0], InputLayer):
                raise ValueError("clone_model: `input_tensors` must be tensors made by "
                                 f"keras.layers.Input. Received: {tensor!r}")
            self.inputs[layer.name] = source[0]

    def deserialize(self, data, custom_objects=None):
        name = data.get("name") or data["config"]["name"]
        layer = self.by_name[name]
        if name in self.inputs:
            return self.inputs[name]
        if isinstance(layer, InputLayer):  # a fresh input, as Keras 2 made
            return InputLayer.from_config(layer.get_config())
        return self.clone_function(layer)


def _clone_layer(layer):
    return layer.__class__.from_config(layer.get_config())


def clone_model(model, input_tensors=None, clone_function=None):
    """A copy of a Sequential or functional model with new layers (and new, unshared weights).

    Args:
        model: the model to copy.
        input_tensors: optional ``Input`` tensors to build the copy on.
        clone_function: ``layer -> new layer`` (default: ``from_config(get_config())``).
    """
    clone_function = clone_function or _clone_layer
    if isinstance(model, Sequential):
        layers = [clone_function(layer) for layer in model.layers]
        if input_tensors is not None:
            tensors = input_tensors if isinstance(input_tensors, (list, tuple)) else [input_tensors]
            x = tensors[0]
            for layer in layers:
                x = layer(x)
            return Model(tensors[0], x, name=model.name)
        config = model.get_config()
        first = config["layers"][0] if isinstance(config, dict) else None
        clone = Sequential(name=model.name)
        if first is not None and first.get("class_name") == "InputLayer":
            clone.add(Input(batch_shape=first["config"]["batch_input_shape"],
                            dtype=first["config"].get("dtype")))
        elif model.built and layers and "batch_input_shape" not in layers[0].get_config():
            clone.add(Input(batch_shape=tuple(model.input_shape)))
        for layer in layers:
            clone.add(layer)
        return clone
    if not hasattr(model, "_input_layers"):
        raise ValueError("clone_model: expected a Sequential or functional model. "
                         f"Received: {type(model).__name__} (a subclassed model cannot be "
                         "cloned from its graph).")
    config = model.get_config()
    if input_tensors is not None and not isinstance(input_tensors, (list, tuple)):
        input_tensors = [input_tensors]
    cloner = _LayerCloner(model, clone_function, input_tensors)
    with drop_unsupported_masks():
        inputs, outputs, name = _reconstruct(config, None, cloner)
    return Model(inputs if len(inputs) > 1 else inputs[0],
                 outputs if len(outputs) > 1 else outputs[0], name=name)


# Names Keras 2 code imports from this module, resolved on first access (so this module
# imports nothing more at load time).
from openkeras.engine.lazy_exports import lazy_exports  # noqa: E402

__getattr__ = lazy_exports(__name__, {
    # torch.export programs as models: export sits above this module
    "from_torch_export": "openkeras.export.program_model:from_torch_export",
    "has_arg": "openkeras.utils.generic_utils:has_arg",
    "to_list": "openkeras.utils.generic_utils:to_list",
})
