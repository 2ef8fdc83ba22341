"""Core layers: Dense, Activation, Dropout, Flatten, Reshape, Permute, RepeatVector, Lambda, ..."""

import numpy as np
import torch
import torch.nn.functional as F

from openkeras import activations, config, constraints, initializers, regularizers
from openkeras.engine import aliases
from openkeras.engine.base_layer import Layer
from openkeras.engine.input_spec import InputSpec
from openkeras.engine.symbolic_dispatch import eager_function
from openkeras.layers.lambda_layer import Lambda  # noqa: F401  (Keras 2 imports it from here)


def input_rank_error(layer, expected, shape):
    return ValueError(
        f'Input 0 of layer "{layer.name}" is incompatible with the layer: expected {expected}, '
        f"found ndim={len(shape)}. Full shape received: {tuple(shape)}"
    )


class Dense(Layer):
    """A densely-connected layer: ``activation(dot(input, kernel) + bias)``.

    Args:
        units: output dimension (> 0).
        activation: activation function or name (None: linear).
        use_bias: whether to add a bias.
    Shapes: (batch, ..., input_dim) -> (batch, ..., units).
    """

    @aliases.legacy_arguments("Dense")
    def __init__(self, units=None, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if isinstance(units, (float, np.floating)) and units == int(units):
            units = int(units)  # Dense(n / 2) with an even n, as tf.keras accepts
        if units is None or not isinstance(units, (int, np.integer)) or units <= 0:
            raise ValueError(
                "Received an invalid value for `units`, expected a positive integer. "
                f"Received: units={units}"
            )
        self.units = int(units)
        self.activation = activations.get(activation)
        # the wrapped function: fit/predict skip the graph-tensor check (engine.symbolic_dispatch)
        self._act = (None if self.activation is activations.linear
                     else eager_function(self.activation))
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.supports_masking = True

    def build(self, input_shape):
        if len(input_shape) < 2:
            raise input_rank_error(self, "min_ndim=2", input_shape)
        if input_shape[-1] is None or input_shape[-1] < 1:
            raise ValueError(
                f'The last dimension of the inputs to a Dense layer "{self.name}" should be '
                f"defined and positive. Found {input_shape[-1]}. Full input shape received: "
                f"{tuple(input_shape)}"
            )
        self.kernel = self.add_weight("kernel", (input_shape[-1], self.units), initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.units,), initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_shape[-1]})
        self.built = True

    def call(self, inputs):
        kernel, bias = self.kernel, self.bias  # each weight read once: the hot path of fit
        if bias is not None and inputs.dim() == 2:
            out = torch.addmm(bias, inputs, kernel)
        else:
            out = torch.matmul(inputs, kernel)
            if bias is not None:
                out = out + bias
        return out if self._act is None else self._act(out)

    def compute_output_shape(self, input_shape):
        if len(input_shape) < 2:
            raise input_rank_error(self, "min_ndim=2", input_shape)
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }


class Activation(Layer):
    """Applies an activation function. Args: activation: name or callable."""

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self._act = eager_function(self.activation)
        self.supports_masking = True

    def call(self, inputs):
        return self._act(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class Dropout(Layer):
    """Randomly sets inputs to 0 with frequency ``rate`` during training (scaled by 1/(1-rate)).

    Args:
        rate: fraction of the inputs to drop, in [0, 1).
        noise_shape: shape of the binary mask (None entries follow the input).
        seed: accepted for compatibility; set seeds with ``openkeras.utils.set_random_seed``.
    """

    def __init__(self, rate=None, noise_shape=None, seed=None, **kwargs):
        aliases.rename_kwargs(kwargs, "Dropout")
        rate = kwargs.pop("rate", rate)
        super().__init__(**kwargs)
        if rate is None or not 0 <= float(rate) <= 1:
            raise ValueError(f"Invalid value received for argument `rate`. Expected a float value "
                             f"between 0 and 1. Received: rate={rate}")
        self.rate = float(rate)
        self.noise_shape = tuple(noise_shape) if noise_shape is not None else None
        self.seed = seed
        self.supports_masking = True

    def _noise_shape(self, inputs):
        if self.noise_shape is None:
            return None
        return tuple(s if n is None else n for s, n in zip(inputs.shape, self.noise_shape, strict=True))

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        if self.rate >= 1:
            return torch.zeros_like(inputs)
        shape = self._noise_shape(inputs)
        if shape is None and inputs.device.type != "cpu":
            return F.dropout(inputs, self.rate, True)  # one fused kernel on accelerators
        # uniform draws compared with the rate: about twice as fast as bernoulli_ on the CPU,
        # and torch.compile keeps them as they are
        keep = torch.rand(shape or inputs.shape, device=inputs.device) >= self.rate
        return inputs * keep.to(inputs.dtype) * (1.0 / (1.0 - self.rate))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate,
                "noise_shape": list(self.noise_shape) if self.noise_shape else None, "seed": self.seed}


class SpatialDropout1D(Dropout):
    """Drops whole 1D feature maps. Shapes: (batch, steps, channels)."""

    def __init__(self, rate=None, **kwargs):
        super().__init__(rate, **kwargs)

    def _noise_shape(self, inputs):
        if inputs.dim() != 3:
            raise input_rank_error(self, "ndim=3", tuple(inputs.shape))
        return (inputs.shape[0], 1, inputs.shape[2])


class SpatialDropout2D(SpatialDropout1D):
    """Drops whole 2D feature maps. Shapes: (batch, rows, cols, channels) or channels_first."""

    _rank = 4

    def __init__(self, rate=None, data_format=None, **kwargs):
        super().__init__(rate, **kwargs)
        self.data_format = config.normalize_data_format(data_format)

    def _noise_shape(self, inputs):
        if inputs.dim() != self._rank:
            raise input_rank_error(self, f"ndim={self._rank}", tuple(inputs.shape))
        ones = (1,) * (self._rank - 2)
        if self.data_format == "channels_first":
            return (inputs.shape[0], inputs.shape[1]) + ones
        return (inputs.shape[0],) + ones + (inputs.shape[-1],)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class SpatialDropout3D(SpatialDropout2D):
    """Drops whole 3D feature maps. Shapes: (batch, d1, d2, d3, channels) or channels_first."""

    _rank = 5


class Flatten(Layer):
    """Flattens all but the batch dimension. Shapes: (batch, ...) -> (batch, prod(...))."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = config.normalize_data_format(data_format)

    def call(self, inputs):
        if self.data_format == "channels_first" and inputs.dim() > 2:
            inputs = inputs.permute(0, *range(2, inputs.dim()), 1)
        return inputs.reshape(inputs.shape[0], -1) if inputs.dim() != 1 else inputs.reshape(-1, 1)

    def compute_output_shape(self, input_shape):
        if len(input_shape) == 1:
            return (input_shape[0], 1)
        rest = input_shape[1:]
        return (input_shape[0], None if any(d is None for d in rest) else int(np.prod(rest)))

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class Reshape(Layer):
    """Reshapes to ``target_shape`` (batch dimension kept); one entry may be -1."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(target_shape, (tuple, list)) or not all(
                isinstance(d, (int, np.integer)) and (d > 0 or d == -1) for d in target_shape):
            raise ValueError(f"Reshape {self.name!r}: `target_shape` must be a tuple of positive "
                             "integers (one of them may be -1), without the batch dimension. "
                             f"Received: target_shape={target_shape!r}")
        self.target_shape = tuple(int(d) for d in target_shape)
        if sum(d == -1 for d in self.target_shape) > 1:
            raise ValueError(f"Reshape {self.name!r}: there must be at most one unknown dimension (-1) "
                             f"in target_shape. Received: target_shape={self.target_shape}")

    def _resolve(self, input_shape):
        rest = input_shape[1:]
        if any(d is None for d in rest):
            return tuple(None if d == -1 else d for d in self.target_shape)
        total = int(np.prod(rest))
        known = int(np.prod([d for d in self.target_shape if d != -1]))
        shape = list(self.target_shape)
        if -1 in shape:
            if known == 0 or total % known:
                raise ValueError(self._mismatch(input_shape))
            shape[shape.index(-1)] = total // known
        elif known != total:
            raise ValueError(self._mismatch(input_shape))
        return tuple(shape)

    def _mismatch(self, input_shape):
        return (f'Layer "{self.name}": total size of new array must be unchanged, input_shape = '
                f"{list(input_shape[1:])}, output_shape = {list(self.target_shape)}")

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + self._resolve(input_shape)

    def call(self, inputs):
        return inputs.reshape((inputs.shape[0],) + self.target_shape)

    def get_config(self):
        return {**super().get_config(), "target_shape": list(self.target_shape)}


class Permute(Layer):
    """Permutes the non-batch dimensions; ``dims`` is 1-indexed, e.g. (2, 1)."""

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(int(d) for d in dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(f"Invalid permutation argument `dims` for Permute Layer. The set of "
                             f"indices in `dims` must be consecutive and start from 1. Received: dims={dims}")
        self._perm = (0,) + self.dims

    def call(self, inputs):
        return inputs.permute(self._perm)

    def compute_output_shape(self, input_shape):
        if len(input_shape) != len(self._perm):
            raise input_rank_error(self, f"ndim={len(self._perm)}", input_shape)
        return tuple(input_shape[i] for i in self._perm)

    def get_config(self):
        return {**super().get_config(), "dims": list(self.dims)}


class RepeatVector(Layer):
    """Repeats a 2D input ``n`` times. Shapes: (batch, features) -> (batch, n, features)."""

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
            raise ValueError(f"RepeatVector: `n` must be a positive integer. Received: n={n!r}")
        self.n = int(n)

    def call(self, inputs):
        return inputs.unsqueeze(1).expand(-1, self.n, -1)

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 2:
            raise input_rank_error(self, "ndim=2", input_shape)
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        return {**super().get_config(), "n": self.n}


class Masking(Layer):
    """Masks timesteps whose features all equal ``mask_value``. Shapes: (batch, steps, features)."""

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = mask_value
        self.supports_masking = True

    def compute_mask(self, inputs, mask=None):
        return (inputs != self.mask_value).any(dim=-1)

    def call(self, inputs):
        keep = (inputs != self.mask_value).any(dim=-1, keepdim=True)
        return inputs * keep.to(inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}


class ActivityRegularization(Layer):
    """Identity that adds ``l1*sum|x| + l2*sum(x^2)`` (per sample) to the training loss."""

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.l1, self.l2 = float(l1), float(l2)
        self.supports_masking = True

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        conf = {**super().get_config(), "l1": self.l1, "l2": self.l2}
        return conf


# Names Keras 2 code imports from this module, resolved on first access (so this module
# imports nothing more at load time).
from openkeras.engine.lazy_exports import lazy_exports  # noqa: E402

__getattr__ = lazy_exports(__name__, {
    "conv_utils": "openkeras.utils.conv_utils",
    "deserialize_keras_object": "openkeras.utils.generic_utils:deserialize_keras_object",
    "func_dump": "openkeras.utils.generic_utils:func_dump",
    "func_load": "openkeras.utils.generic_utils:func_load",
    "has_arg": "openkeras.utils.generic_utils:has_arg",
    "interfaces": "openkeras.legacy.interfaces",
})
