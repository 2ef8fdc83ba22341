"""Sequential: a linear stack of layers (a functional model underneath)."""

import numpy as np
import torch

from openkeras.engine import registry
from openkeras.engine.base_layer import Layer, drop_unsupported_masks
from openkeras.engine.functional import Functional
from openkeras.engine.input_layer import Input, InputLayer
from openkeras.engine.keras_tensor import flatten
from openkeras.engine.training_legacy import SequentialPredictMixin


class Sequential(SequentialPredictMixin, Functional):
    """A linear stack of layers.

    Args:
        layers: layers to add in order.
        name: the model's name.
    """


    def __init__(self, layers=None, name=None):
        Layer.__init__(self, name=name)
        self._seq = torch.nn.ModuleList()
        self._input_layer = None
        self._seq_outputs = []
        self.built = False
        self.inputs, self.outputs = [], []
        for layer in layers or []:
            self.add(layer)

    @property
    def layers(self):
        return list(self._seq)

    def add(self, layer):
        """Append a layer (or a whole model, or an ``Input`` tensor first, as tf.keras)."""
        history = getattr(layer, "_keras_history", None)
        if history is not None and isinstance(history[0], InputLayer):
            layer = history[0]  # Sequential([Input((3,)), ...]) as tf.keras 2 accepts
        if not isinstance(layer, Layer):
            raise TypeError(
                "The added layer must be an instance of class Layer. "
                f"Received: layer={layer!r} of type {type(layer)}."
            )
        if isinstance(layer, InputLayer):
            if self._input_layer is not None or len(self._seq):
                raise ValueError(f"Sequential {self.name!r}: an InputLayer can only be the first layer.")
            self._input_layer = layer
            self._seq_outputs = [layer._inbound_nodes[0].outputs]
            return
        if any(existing is layer for existing in self._seq):
            raise ValueError(f"Sequential {self.name!r}: layer {layer.name!r} was already added.")
        if not len(self._seq) and self._input_layer is None:
            batch_shape, dtype = _first_layer_input(layer)
            if batch_shape is not None:
                x = Input(batch_shape=batch_shape, dtype=dtype, name=f"{layer.name}_input")
                self._input_layer = x._keras_history[0]
                self._seq_outputs = [x]
        self._seq.append(layer)
        if self._seq_outputs:
            self._connect(layer)

    def _connect(self, layer):
        out = layer(self._seq_outputs[-1])
        if len(flatten(out)) != 1:
            self._seq = self._seq[:-1]
            raise ValueError(
                "All layers in a Sequential model should have a single output tensor. For "
                f"multi-output layers, use the functional API. Layer {layer.name!r} has "
                f"{len(flatten(out))} outputs."
            )
        self._seq_outputs.append(out)
        self._init_graph(self._seq_outputs[0], out)
        self._layer_list = torch.nn.ModuleList([self._input_layer] + list(self._seq))

    def pop(self):
        """Remove the last layer."""
        if not len(self._seq):
            raise TypeError("There are no layers in the model.")
        del self._seq[len(self._seq) - 1]
        if self._seq_outputs:
            self._seq_outputs.pop()
            if len(self._seq):
                self._init_graph(self._seq_outputs[0], self._seq_outputs[-1])
                self._layer_list = torch.nn.ModuleList([self._input_layer] + list(self._seq))
            else:
                self.inputs, self.outputs, self.built = [], [], False

    def build(self, input_shape=None):
        """Create the graph for ``input_shape`` (including the batch dimension)."""
        if self.inputs:
            return
        if input_shape is None:
            raise ValueError(f"Sequential {self.name!r}: you must provide an `input_shape` argument.")
        layers = list(self._seq)
        x = Input(batch_shape=tuple(input_shape), name=f"{layers[0].name}_input" if layers else None)
        self._input_layer = x._keras_history[0]
        self._seq_outputs = [x]
        for layer in layers:
            self._connect(layer)
        self.built = True

    def _build_from_data(self, x):
        """Build the graph for the shape of the first data (``fit`` / ``predict`` without an
        input shape)."""
        t = next(iter(x.values())) if isinstance(x, dict) else (
            x[0] if isinstance(x, (list, tuple)) else x)
        self.build((None,) + tuple(np.shape(t)[1:]))

    def _maybe_build(self, input_shape):
        if not self.inputs:
            self.build(input_shape)

    def call(self, inputs, training=None, mask=None):
        if not self.inputs:
            self.build((None,) + tuple(inputs.shape[1:]))
        return super().call(inputs, training=training, mask=mask)

    def _check_built(self, what):
        if not self.inputs:
            raise ValueError(
                f"This model has not yet been built. Build the model first by calling `build()` or "
                f"by calling the model on a batch of data, or give the first layer an `input_shape` "
                f"before calling `{what}`."
            )

    def summary(self, line_length=None, positions=None, print_fn=None):
        self._check_built("summary()")
        super().summary(line_length=line_length, positions=positions, print_fn=print_fn)

    @property
    def weights(self):
        if not self.inputs:
            return []
        return super().weights

    def count_params(self):
        self._check_built("count_params()")
        return super().count_params()

    def get_config(self):
        layer_configs = []
        all_layers = ([self._input_layer] if self._input_layer is not None else []) + list(self._seq)
        for layer in all_layers:
            layer_configs.append({"class_name": registry.registered_name(type(layer)),
                                  "config": layer.get_config()})
        return {"name": self.name, "layers": layer_configs}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        if isinstance(config, list):  # Keras 2.0-2.1: a bare list of layer configs
            name, layer_configs = None, config
        else:
            name, layer_configs = config.get("name"), config["layers"]
        model = cls(name=name)
        with drop_unsupported_masks():
            for conf in layer_configs:
                model.add(registry.deserialize("layer", conf, custom_objects))
        if not model.inputs and isinstance(config, dict) and config.get("build_input_shape"):
            model.build(config["build_input_shape"])
        return model


def _first_layer_input(layer):
    if isinstance(layer, Functional) and layer.inputs:
        if len(layer.inputs) != 1:
            raise ValueError(
                f"A model added to a Sequential must have one input; {layer.name!r} has {len(layer.inputs)}."
            )
        return layer.inputs[0].shape, layer.inputs[0].dtype
    if layer._batch_input_shape is not None:
        return layer._batch_input_shape, layer.dtype
    return None, None


# Names Keras 2 code imports from this module, resolved on first access (openkeras.engine.keras2_names).
from openkeras.engine.keras2_names import SEQUENTIAL as _KERAS2  # noqa: E402
from openkeras.engine.lazy_exports import lazy_exports  # noqa: E402

__getattr__ = lazy_exports(__name__, _KERAS2)
