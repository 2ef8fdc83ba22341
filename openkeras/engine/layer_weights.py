"""The weights part of a Layer: trainable flags, weight lists, add_weight, get/set_weights."""

import numpy as np
import torch

from openkeras import config, constraints, initializers, regularizers
from openkeras.engine import weight_budget
from openkeras.engine.arrays import as_tensor
from openkeras.engine.weights import Variable, set_weight, weight_to_keras

_TF_WEIGHT_KWARGS = {"use_resource", "synchronization", "aggregation", "partitioner", "getter",
                     "caching_device", "experimental_autocast"}


class LayerWeightsMixin:
    """Weights of a Layer: its own (``_trainable_weights``, ``_non_trainable_weights``) and its
    sub-layers'; the trainable flag and the ``requires_grad`` it sets."""

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._set_trainable_flags(bool(value))
        self._sync_requires_grad()

    def _set_trainable_flags(self, value):
        self._trainable = value
        for layer in self._sublayers():
            layer._set_trainable_flags(value)

    def _sync_requires_grad(self, parent_trainable=True):
        on = parent_trainable and self._trainable
        for weights, trainable in ((self._trainable_weights, on), (self._non_trainable_weights, False)):
            for p in weights:
                if p.is_leaf and p.is_floating_point():
                    p.requires_grad_(trainable)
        for layer in self._sublayers():
            layer._sync_requires_grad(on)

    def _sublayers(self):
        """Direct sub-layers in the order they were assigned (unique)."""
        out = []
        for m in self.children():
            if isinstance(m, LayerWeightsMixin):
                out.append(m)
            elif isinstance(m, (torch.nn.ModuleList, torch.nn.ModuleDict)):
                out.extend(x for x in m.children() if isinstance(x, LayerWeightsMixin))
        return out

    @property
    def _own_weights(self):
        """The weights this layer holds itself (``_trainable_weights`` then the others)."""
        return self._trainable_weights + self._non_trainable_weights

    @property
    def trainable_weights(self):
        if not self._trainable:
            return []
        return _dedup(self._trainable_weights
                      + [w for layer in self._sublayers() for w in layer.trainable_weights])

    @trainable_weights.setter
    def trainable_weights(self, weights):
        self._trainable_weights = list(weights)

    @property
    def non_trainable_weights(self):
        if not self._trainable:
            return _dedup(self._own_weights + [w for layer in self._sublayers() for w in layer.weights])
        return _dedup(self._non_trainable_weights
                      + [w for layer in self._sublayers() for w in layer.non_trainable_weights])

    @non_trainable_weights.setter
    def non_trainable_weights(self, weights):
        self._non_trainable_weights = list(weights)

    @property
    def weights(self):
        return _dedup(self.trainable_weights + self.non_trainable_weights)

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights
    variables = weights

    # ------------------------------------------------------------------ weights
    def add_weight(self, name=None, shape=None, dtype=None, initializer=None, regularizer=None,
                   trainable=True, constraint=None, layout=None, **kwargs):
        """Create a weight; ``shape`` is the Keras-layout shape.

        Keras 2's signature, positional or by keyword:
        ``add_weight(name, shape, dtype, initializer, regularizer, trainable, constraint)``.

        Args:
            name: the weight's name (default 'Variable').
            shape: the weight's shape (default: a scalar).
            layout: optional converter (e.g. ``Transpose``) between the Keras layout seen by
                ``get_weights``/files and the layout the layer computes with.
            **kwargs: tf.keras's distribution arguments (``use_resource``, ``synchronization``,
                ``aggregation``, ``experimental_autocast``...), which do not apply here.
        """
        unknown = set(kwargs) - _TF_WEIGHT_KWARGS
        if unknown:
            raise TypeError(f"Layer {self.__dict__.get('_name', type(self).__name__)}: "
                            f"add_weight() got unexpected keyword argument(s) {sorted(unknown)}.")
        name = "Variable" if name is None else name
        shape = tuple(int(d) for d in (shape or ()))
        dtype = dtype or self._dtype
        if initializer is None:
            initializer = "glorot_uniform" if "float" in str(dtype) else "zeros"
        weight_budget.charge(self._name, name, shape, config.torch_dtype(dtype).itemsize)
        value = initializers.get(initializer)(shape, dtype=dtype)
        value = as_tensor(value, dtype=config.torch_dtype(dtype))
        if layout is not None:
            value = layout.to_engine(value)
        param = Variable(value, requires_grad=bool(trainable) and self._trainable)
        param._keras_full_name = f"{self._name}/{name}:0"
        param._keras_name = name
        param._keras_trainable = bool(trainable)
        param._keras_layout = layout
        param._keras_shape = shape
        param.regularizer = regularizers.get(regularizer)
        param.constraint = constraints.get(constraint)
        attr = name.replace("/", "_").replace(":", "_")
        while attr in self._parameters or (hasattr(self, attr) and attr not in self._parameters):
            attr += "_"
        self.register_parameter(attr, param)
        (self._trainable_weights if trainable else self._non_trainable_weights).append(param)
        return param

    def get_weights(self):
        """The layer's weights as numpy arrays in Keras layout and order."""
        return [weight_to_keras(w) for w in self.weights]

    def set_weights(self, weights):
        """Set the weights from numpy arrays in Keras layout and order (shape-checked)."""
        params = self.weights
        if len(params) != len(weights):
            raise ValueError(
                f'You called `set_weights(weights)` on layer "{self._name}" with a weight list of '
                f"length {len(weights)}, but the layer was expecting {len(params)} weights. "
                f"Provided weights: {_short(weights)}"
            )
        for p, value in zip(params, weights, strict=True):
            set_weight(p, value, self._name)

    def count_params(self) -> int:
        if not self.built:
            raise ValueError(
                f'You tried to call `count_params` on layer "{self._name}", but the layer isn\'t '
                "built. You can build it manually via: `layer.build(batch_input_shape)`."
            )
        return int(sum(int(np.prod(p._keras_shape)) for p in self.weights))

def _dedup(weights):
    seen, out = set(), []
    for w in weights:
        if id(w) not in seen:
            seen.add(id(w))
            out.append(w)
    return out


def _short(weights):
    return [getattr(w, "shape", w) for w in weights]
