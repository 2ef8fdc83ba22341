"""Convolutions: the rank-generic ``Conv`` base and Conv1D, Conv2D, Conv3D.

Weights are stored in torch layout (out, in, *kernel) and shown in Keras layout
(*kernel, in, out) by ``get_weights``/files. ``channels_last`` inputs are computed as a
permuted (channels_last-strided) NC... view, which torch's CPU and GPU kernels take
without a copy.
"""

import numbers
import warnings

import torch.nn.functional as F

from openkeras import activations, config, constraints, initializers, regularizers
from openkeras.engine import aliases
from openkeras.engine.base_layer import Layer, Transpose
from openkeras.engine.symbolic_dispatch import eager_function
from openkeras.layers.core import input_rank_error
from openkeras.utils import conv_utils

_CONV_OPS = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_KERNEL_DIMS = {2: ("nb_row", "nb_col"), 3: ("kernel_dim1", "kernel_dim2", "kernel_dim3")}


def take_keras1_conv_args(kwargs: dict, owner: str, rank: int) -> dict:
    """Pop Keras 1 convolution arguments with a DeprecationWarning; return them by Keras 2 name."""
    args = aliases.take_renamed(kwargs, "Conv", owner)
    dims = _KERNEL_DIMS.get(rank, ())
    if any(d in kwargs for d in dims):
        warnings.warn(f"{owner}: `{'`, `'.join(dims)}` are deprecated, use `kernel_size` "
                      "instead.", DeprecationWarning, stacklevel=4)
        sizes = {d: kwargs.pop(d) for d in dims if d in kwargs}
        if len(sizes) != rank:
            raise ValueError(f"{owner}: Keras 1 kernel sizes need all of {', '.join(dims)}. "
                             f"Received: {sizes}")
        args["kernel_size"] = tuple(sizes[d] for d in dims)
    data_format = conv_utils.take_dim_ordering(kwargs, owner)
    if data_format is not None:
        args["data_format"] = data_format
    if rank == 1 and ("input_length" in kwargs or "input_dim" in kwargs):
        warnings.warn(f"{owner}: `input_dim`/`input_length` are deprecated, use "
                      "`input_shape=(steps, channels)` instead.", DeprecationWarning, stacklevel=4)
        kwargs["input_shape"] = (kwargs.pop("input_length", None), kwargs.pop("input_dim", None))
    return args


def spatial_dims(input_shape, data_format):
    """The spatial part of a batch shape."""
    return tuple(input_shape[2:] if data_format == "channels_first" else input_shape[1:-1])


def to_channels_first(rank):
    """Permutation (N, *spatial, C) -> (N, C, *spatial)."""
    return (0, rank + 1) + tuple(range(1, rank + 1))


def to_channels_last(rank):
    """Permutation (N, C, *spatial) -> (N, *spatial, C)."""
    return (0,) + tuple(range(2, rank + 2)) + (1,)


def static_padding(padding, kernel_size, strides, dilation_rate):
    """``(op padding, F.pad list)`` when it does not depend on the input size, else None."""
    rank = len(kernel_size)
    if padding == "valid":
        return (0,) * rank, None
    if padding == "causal":
        return (0,), [conv_utils.dilated_size(kernel_size[0], dilation_rate[0]) - 1, 0]
    if all(s == 1 for s in strides):  # then 'same' padding is (span - 1) whatever the input size
        return conv_utils.same_padding_plan((1,) * rank, kernel_size, strides, dilation_rate)
    return None


class Conv(Layer):
    """Base of the N-D convolutions: ``activation(conv(inputs, kernel) + bias)``.

    Args:
        rank: number of spatial dimensions (1, 2 or 3).
        filters: number of output channels.
        kernel_size: int or tuple of ``rank`` ints.
        strides: int or tuple of ``rank`` ints.
        padding: 'valid', 'same' (TensorFlow's, the odd element after) or 'causal' (rank 1).
        data_format: 'channels_last' (batch, *spatial, channels) or 'channels_first'.
        dilation_rate: int or tuple of ``rank`` ints.
        groups: number of channel groups (input and output channels must divide by it).
        activation: activation function or name (None: linear).
        use_bias: whether to add a bias.
    """

    _transposed = False
    _has_filters = True

    def __init__(self, rank: int, filters=None, kernel_size=None, strides=1, padding="valid",
                 data_format=None, dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        owner = type(self).__name__
        old = take_keras1_conv_args(kwargs, owner, rank)
        filters = old.get("filters", filters)
        kernel_size = old.get("kernel_size", kernel_size)
        strides = old.get("strides", strides)
        padding = old.get("padding", padding)
        data_format = old.get("data_format", data_format)
        dilation_rate = old.get("dilation_rate", dilation_rate)
        kernel_initializer = old.get("kernel_initializer", kernel_initializer)
        kernel_regularizer = old.get("kernel_regularizer", kernel_regularizer)
        bias_regularizer = old.get("bias_regularizer", bias_regularizer)
        kernel_constraint = old.get("kernel_constraint", kernel_constraint)
        bias_constraint = old.get("bias_constraint", bias_constraint)
        use_bias = old.get("use_bias", use_bias)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.rank = rank
        if filters is not None:
            if isinstance(filters, numbers.Real) and float(filters).is_integer():
                filters = int(filters)  # Python, numpy and whole float numbers
            if not isinstance(filters, int) or isinstance(filters, bool) or filters <= 0:
                raise ValueError(f"Invalid value for argument `filters` of {owner} {self.name!r}. "
                                 "Expected a strictly positive integer. "
                                 f"Received: filters={filters!r}")
        elif self._has_filters:
            raise ValueError(f"{owner} {self.name!r}: the argument `filters` is required. "
                             "Received: filters=None")
        if kernel_size is None:
            raise ValueError(f"{owner} {self.name!r}: the argument `kernel_size` is required. "
                             "Received: kernel_size=None")
        self.filters = filters
        self.groups = int(groups or 1)
        self.kernel_size = conv_utils.normalize_tuple(kernel_size, rank, "kernel_size")
        self.strides = conv_utils.normalize_tuple(strides, rank, "strides")
        causal_ok = rank == 1 and not self._transposed
        self.padding = conv_utils.normalize_padding(
            padding, ("valid", "same", "causal") if causal_ok else ("valid", "same"))
        self.data_format = config.normalize_data_format(data_format)
        self.dilation_rate = conv_utils.normalize_tuple(dilation_rate, rank, "dilation_rate")
        if self.groups <= 0 or (filters is not None and filters % self.groups):
            raise ValueError(f"{owner} {self.name!r}: the number of filters must be evenly "
                             f"divisible by the number of groups. Received: groups={groups}, "
                             f"filters={filters}")
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
        self._channels_last = self.data_format == "channels_last"
        self._to_cf = to_channels_first(rank)
        self._to_cl = to_channels_last(rank)
        self._static_pad = static_padding(self.padding, self.kernel_size, self.strides,
                                          self.dilation_rate)
        self._op = _CONV_OPS[rank]

    # ------------------------------------------------------------------ shapes
    def _input_channels(self, input_shape):
        """Check the rank and the channel axis of ``input_shape``; return the channel count."""
        if len(input_shape) < self.rank + 2:
            raise input_rank_error(self, f"min_ndim={self.rank + 2}", input_shape)
        if len(input_shape) > self.rank + 2:
            raise input_rank_error(self, f"ndim={self.rank + 2}", input_shape)
        axis = 1 if self.data_format == "channels_first" else len(input_shape) - 1
        channels = input_shape[axis]
        if channels is None:
            raise ValueError(
                f'The channel dimension of the inputs to layer "{self.name}" should be defined. '
                f"The input_shape received is {tuple(input_shape)}, where axis {axis} (0-based) "
                "is the channel dimension, which found to be `None`."
            )
        return int(channels)

    def _output_spatial(self, input_shape):
        out = tuple(conv_utils.conv_output_length(n, k, self.padding, s, d) for n, k, s, d in zip(
            spatial_dims(input_shape, self.data_format), self.kernel_size, self.strides,
            self.dilation_rate, strict=True))
        if any(n is not None and n <= 0 for n in out):
            raise ValueError(
                f'One of the dimensions in the output of layer "{self.name}" is <= 0 due to '
                f"downsampling (kernel_size={self.kernel_size}, strides={self.strides}, "
                f"padding={self.padding!r}, dilation_rate={self.dilation_rate}). Consider "
                f"increasing the input size. Received input shape {tuple(input_shape)} which "
                f"would produce output shape with a zero or negative value in a dimension: {out}."
            )
        return out

    def _output_channels(self, in_channels):
        return self.filters

    def compute_output_shape(self, input_shape):
        in_channels = self._input_channels(input_shape)
        spatial = self._output_spatial(input_shape)
        channels = self._output_channels(in_channels)
        if self._channels_last:
            return (input_shape[0],) + spatial + (channels,)
        return (input_shape[0], channels) + spatial

    # ------------------------------------------------------------------ weights
    def build(self, input_shape):
        in_channels = self._input_channels(input_shape)
        if in_channels % self.groups:
            raise ValueError(
                f'Layer "{self.name}": the number of input channels must be evenly divisible by '
                f"the number of groups. Received groups={self.groups}, but the input has "
                f"{in_channels} channels (full input shape is {tuple(input_shape)})."
            )
        self._output_spatial(input_shape)
        rank = self.rank
        self.kernel = self.add_weight(
            "kernel", self.kernel_size + (in_channels // self.groups, self.filters),
            initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
            layout=Transpose((rank + 1, rank) + tuple(range(rank))))
        self._add_bias(self.filters)
        self.built = True

    def _add_bias(self, size):
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight("bias", (size,), initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)

    # --------------------------------------------------------------------- call
    def _padded(self, x):
        """``x`` (channels first) padded as the layer's padding says, and the op's padding."""
        pads = self._static_pad
        if pads is None:
            pads = conv_utils.same_padding_plan(x.shape[2:], self.kernel_size, self.strides,
                                                self.dilation_rate)
        if pads[1] is not None:
            x = F.pad(x, pads[1])
        return x, pads[0]

    def call(self, inputs):
        x = inputs.permute(self._to_cf) if self._channels_last else inputs
        x, pad = self._padded(x)
        out = self._op(x, self.kernel, self.bias, self.strides, pad, self.dilation_rate,
                       self.groups)
        if self._channels_last:
            out = out.permute(self._to_cl)
        return out if self._act is None else self._act(out)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "groups": self.groups,
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


class Conv1D(Conv):
    """1D convolution (temporal). Shapes: (batch, steps, channels) -> (batch, new_steps, filters).

    Args: see ``Conv``; ``padding='causal'`` pads ``(kernel_size - 1) * dilation_rate`` on the
    left so that output t depends only on inputs up to t. Keras 1 arguments (``nb_filter``,
    ``filter_length``, ``subsample_length``, ``border_mode``, ``init``, ``W_regularizer``, ...)
    are accepted with a DeprecationWarning.
    """

    def __init__(self, filters=None, kernel_size=None, strides=1, padding="valid",
                 data_format="channels_last", dilation_rate=1, groups=1, activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(1, filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate, groups=groups,
                         activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
                         **kwargs)


class Conv2D(Conv):
    """2D convolution. Shapes: (batch, rows, cols, channels) -> (batch, new_rows, new_cols, filters)
    (channels_last), or (batch, channels, rows, cols) -> (batch, filters, new_rows, new_cols).

    Args: see ``Conv``. Keras 1 arguments (``nb_filter``, ``nb_row``, ``nb_col``, ``subsample``,
    ``border_mode``, ``dim_ordering``, ``init``, ``W_regularizer``, ...) are accepted with a
    DeprecationWarning.
    """

    def __init__(self, filters=None, kernel_size=None, strides=(1, 1), padding="valid",
                 data_format=None, dilation_rate=(1, 1), groups=1, activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(2, filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate, groups=groups,
                         activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
                         **kwargs)


class Conv3D(Conv):
    """3D convolution. Shapes: (batch, d1, d2, d3, channels) -> (batch, n1, n2, n3, filters)
    (channels_last), or channels first.

    Args: see ``Conv``. Keras 1 arguments (``nb_filter``, ``kernel_dim1..3``, ``subsample``,
    ``border_mode``, ``dim_ordering``, ...) are accepted with a DeprecationWarning.
    """

    def __init__(self, filters=None, kernel_size=None, strides=(1, 1, 1), padding="valid",
                 data_format=None, dilation_rate=(1, 1, 1), groups=1, activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(3, filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate, groups=groups,
                         activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
                         **kwargs)


Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution3D = Conv3D
