"""Keras 1 layers kept by Keras 2 (``keras.legacy.layers``): MaxoutDense, Highway, Atrous*.

They live in the layers package (Atrous* are convolutions, and layers.deserialize finds every
layer class here); ``openkeras.legacy.layers`` re-exports them at Keras 2's path.

``Recurrent`` and ``ConvRecurrent2D`` (Keras 1's step-function base classes) exist so imports
work; building one raises an error that names the Keras 2 replacement (``RNN(cell)``).
"""

import warnings

import torch

from openkeras import activations, constraints, initializers, regularizers
from openkeras.engine.base_layer import Layer
from openkeras.engine.input_spec import InputSpec
from openkeras.layers.convolutional import Conv1D, Conv2D

__all__ = ["MaxoutDense", "Highway", "AtrousConvolution1D", "AtrousConvolution2D", "Recurrent",
           "ConvRecurrent2D", "InputSpec", "Layer"]


def _rank2(layer, input_shape):
    if len(input_shape) != 2:
        raise ValueError(f"Layer {layer.name} ({type(layer).__name__}) expects 2D inputs "
                         f"(batch, input_dim). Received input shape: {tuple(input_shape)}")


class MaxoutDense(Layer):
    """Keras 1's maxout dense layer: the max over ``nb_feature`` affine maps.

    Args:
        output_dim: output dimension.
        nb_feature: number of affine maps the maximum is taken over.
        init: kernel initializer. ``bias``: whether to add biases.
    Shapes: (batch, input_dim) -> (batch, output_dim).
    """

    def __init__(self, output_dim, nb_feature=4, init="glorot_uniform", W_regularizer=None,
                 b_regularizer=None, W_constraint=None, b_constraint=None, bias=True,
                 input_dim=None, **kwargs):
        warnings.warn("The `MaxoutDense` layer is deprecated (Keras 1).", DeprecationWarning,
                      stacklevel=2)
        if input_dim:
            kwargs.setdefault("input_shape", (input_dim,))
        super().__init__(**kwargs)
        self.output_dim, self.nb_feature, self.bias, self.input_dim = (
            int(output_dim), int(nb_feature), bool(bias), input_dim)
        self.init = initializers.get(init)
        self.W_regularizer, self.b_regularizer = (regularizers.get(W_regularizer),
                                                  regularizers.get(b_regularizer))
        self.W_constraint, self.b_constraint = (constraints.get(W_constraint),
                                                constraints.get(b_constraint))
        self.input_spec = InputSpec(ndim=2)

    def build(self, input_shape):
        _rank2(self, input_shape)
        self.W = self.add_weight("W", (self.nb_feature, input_shape[1], self.output_dim),
                                 initializer=self.init, regularizer=self.W_regularizer,
                                 constraint=self.W_constraint)
        self.b = None
        if self.bias:
            self.b = self.add_weight("b", (self.nb_feature, self.output_dim),
                                     initializer="zeros", regularizer=self.b_regularizer,
                                     constraint=self.b_constraint)
        self.input_spec = InputSpec(ndim=2, axes={-1: input_shape[1]})
        self.built = True

    def call(self, inputs):
        out = torch.einsum("bi,fio->bfo", inputs, self.W)
        if self.b is not None:
            out = out + self.b
        return out.max(dim=1).values

    def compute_output_shape(self, input_shape):
        _rank2(self, input_shape)
        return (input_shape[0], self.output_dim)

    def get_config(self):
        return {**super().get_config(), "output_dim": self.output_dim,
                "init": initializers.serialize(self.init), "nb_feature": self.nb_feature,
                "W_regularizer": regularizers.serialize(self.W_regularizer),
                "b_regularizer": regularizers.serialize(self.b_regularizer),
                "W_constraint": constraints.serialize(self.W_constraint),
                "b_constraint": constraints.serialize(self.b_constraint),
                "bias": self.bias, "input_dim": self.input_dim}


class Highway(Layer):
    """Keras 1's highway layer: ``t * activation(x W + b) + (1 - t) * x``, ``t = sigmoid(x W_carry + b_carry)``.

    Args:
        init: kernel initializer. ``activation``: applied to the transform.
        bias: whether to add ``b`` (zeros) and ``b_carry`` (ones).
    Shapes: (batch, input_dim) -> (batch, input_dim).
    """

    def __init__(self, init="glorot_uniform", activation=None, W_regularizer=None,
                 b_regularizer=None, W_constraint=None, b_constraint=None, bias=True,
                 input_dim=None, **kwargs):
        warnings.warn("The `Highway` layer is deprecated (Keras 1).", DeprecationWarning,
                      stacklevel=2)
        if kwargs.pop("transform_bias", None) is not None:
            warnings.warn("`transform_bias` argument is deprecated and has been removed.",
                          DeprecationWarning, stacklevel=2)
        if input_dim:
            kwargs.setdefault("input_shape", (input_dim,))
        super().__init__(**kwargs)
        self.init = initializers.get(init)
        self.activation = activations.get(activation)
        self.W_regularizer, self.b_regularizer = (regularizers.get(W_regularizer),
                                                  regularizers.get(b_regularizer))
        self.W_constraint, self.b_constraint = (constraints.get(W_constraint),
                                                constraints.get(b_constraint))
        self.bias, self.input_dim = bool(bias), input_dim
        self.input_spec = InputSpec(ndim=2)

    def build(self, input_shape):
        _rank2(self, input_shape)
        dim = input_shape[1]
        # Keras 1's weight order: W, W_carry, b, b_carry.
        self.W = self.add_weight("W", (dim, dim), initializer=self.init,
                                 regularizer=self.W_regularizer, constraint=self.W_constraint)
        self.W_carry = self.add_weight("W_carry", (dim, dim), initializer=self.init)
        self.b = self.b_carry = None
        if self.bias:
            self.b = self.add_weight("b", (dim,), initializer="zeros",
                                     regularizer=self.b_regularizer,
                                     constraint=self.b_constraint)
            self.b_carry = self.add_weight("b_carry", (dim,), initializer="ones")
        self.input_spec = InputSpec(ndim=2, axes={-1: dim})
        self.built = True

    def call(self, inputs):
        carry = inputs @ self.W_carry
        y = inputs @ self.W
        if self.bias:
            carry, y = carry + self.b_carry, y + self.b
        t = torch.sigmoid(carry)
        return self.activation(y) * t + (1 - t) * inputs

    def compute_output_shape(self, input_shape):
        _rank2(self, input_shape)
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "init": initializers.serialize(self.init),
                "activation": activations.serialize(self.activation),
                "W_regularizer": regularizers.serialize(self.W_regularizer),
                "b_regularizer": regularizers.serialize(self.b_regularizer),
                "W_constraint": constraints.serialize(self.W_constraint),
                "b_constraint": constraints.serialize(self.b_constraint),
                "bias": self.bias, "input_dim": self.input_dim}


def _atrous(layer_name, *args, **kwargs):
    if "atrous_rate" in kwargs:
        kwargs["dilation_rate"] = kwargs.pop("atrous_rate")
    warnings.warn(f"The `{layer_name}` layer is deprecated (Keras 1). Use "
                  f"`Conv{layer_name[-2:]}(..., dilation_rate=...)` instead.",
                  DeprecationWarning, stacklevel=3)
    return (Conv1D if layer_name.endswith("1D") else Conv2D)(*args, **kwargs)


def AtrousConvolution1D(*args, **kwargs):  # noqa: N802 (a Keras 1 layer name)
    """Keras 1's dilated Conv1D: ``Conv1D`` with ``dilation_rate=atrous_rate``."""
    return _atrous("AtrousConvolution1D", *args, **kwargs)


def AtrousConvolution2D(*args, **kwargs):  # noqa: N802
    """Keras 1's dilated Conv2D: ``Conv2D`` with ``dilation_rate=atrous_rate``."""
    return _atrous("AtrousConvolution2D", *args, **kwargs)


class Recurrent(Layer):
    """Keras 1's recurrent base class (``step()`` subclasses); not supported: use ``RNN(cell)``."""

    def __init__(self, *args, **kwargs):
        raise NotImplementedError(
            f"{type(self).__name__}: openkeras does not implement Keras 1's `Recurrent` base "
            "class (subclasses defining `step()`). Write the step as a cell (a layer with "
            "`state_size` and `call(inputs, states)`) and wrap it in `keras.layers.RNN(cell)`.")


class ConvRecurrent2D(Recurrent):
    """Keras 1's convolutional recurrent base class; not supported: use ``ConvLSTM2D``/``RNN``."""


# Names Keras 2 code imports from this module, resolved on first access (so this module
# imports nothing more at load time).
from openkeras.engine.lazy_exports import lazy_exports  # noqa: E402

__getattr__ = lazy_exports(__name__, {
    "conv_utils": "openkeras.utils.conv_utils",
    "to_list": "openkeras.utils.generic_utils:to_list",
})
