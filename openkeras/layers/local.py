"""Locally-connected layers: convolutions whose weights are not shared across positions.

Three ``implementation`` modes as in tf.keras 2 (Keras 2.2.4 has mode 1 only); each keeps the
kernel in its own Keras layout, so files interchange:

1. kernel ``(output positions, kernel positions * channels_in, filters)``: every output
   position multiplies its input patch (``valid`` padding only);
2. kernel ``(*input_spatial, channels_in, *output_spatial, filters)`` (channels_first:
   ``(channels_in, *input_spatial, filters, *output_spatial)``): a dense matmul's matrix of
   which only the receptive fields are used;
3. kernel ``(connections,)``: the non-zero entries of that matrix, in the order of their
   (output index, input index).

All modes compute the same way: modes 2 and 3 gather their used weights into mode 1's
layout (a precomputed index), so each runs as one batched matmul of input patches.

The bias is ``(*output_spatial, filters)``; with ``channels_first`` it is added reshaped (not
transposed) to ``(filters, *output_spatial)``, as Keras's ``bias_add`` does.
"""

import numpy as np
import torch
import torch.nn.functional as F

from openkeras import activations, config, constraints, initializers, regularizers
from openkeras.engine.base_layer import Layer
from openkeras.engine.input_spec import InputSpec
from openkeras.layers.convolutional.conv import spatial_dims, take_keras1_conv_args
from openkeras.layers.core import input_rank_error
from openkeras.utils import conv_utils


def _connections(input_spatial, kernel_size, strides, padding):
    """Boolean (*input_spatial, *output_spatial): input position feeds output position."""
    output_spatial = tuple(conv_utils.conv_output_length(n, k, padding, s)
                           for n, k, s in zip(input_spatial, kernel_size, strides, strict=True))
    mask = np.ones((), bool)
    for d, (n, k, s) in enumerate(zip(input_spatial, kernel_size, strides, strict=True)):
        # Keras's conv_connected_inputs: a window of k around o * s (shifted by k // 2 when
        # 'valid'), clipped to the input.
        left = k // 2
        centers = np.arange(output_spatial[d]) * s + (left if padding == "valid" else 0)
        positions = np.arange(n)[:, None]
        axis = (positions >= centers - left) & (positions < centers - left + k)
        shape = [1] * (2 * len(input_spatial))
        shape[d], shape[len(input_spatial) + d] = n, output_spatial[d]
        mask = mask & axis.reshape(shape)
    return mask, output_spatial


class LocallyConnected(Layer):
    """Base of LocallyConnected1D and LocallyConnected2D.

    Args:
        rank: number of spatial dimensions (1 or 2).
        filters: number of output channels.
        kernel_size: int or tuple of ``rank`` ints.
        strides: int or tuple of ``rank`` ints.
        padding: 'valid', or 'same' with implementation 2 or 3.
        data_format: 'channels_last' (batch, *spatial, channels) or 'channels_first'.
        activation: activation function or name (None: linear).
        use_bias: whether to add a bias.
        implementation: 1, 2 or 3 (see the module docstring).
    """

    def __init__(self, rank, filters=None, kernel_size=None, strides=1, padding="valid",
                 data_format=None, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, implementation=1, **kwargs):
        owner = type(self).__name__
        old = take_keras1_conv_args(kwargs, owner, rank)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        filters = old.get("filters", filters)
        if isinstance(filters, np.integer):
            filters = int(filters)
        if not isinstance(filters, int) or isinstance(filters, bool) or filters <= 0:
            raise ValueError(f"Invalid value for argument `filters` of {owner} {self.name!r}. "
                             f"Expected a strictly positive integer. Received: filters={filters!r}")
        kernel_size = old.get("kernel_size", kernel_size)
        if kernel_size is None:
            raise ValueError(f"{owner} {self.name!r}: the argument `kernel_size` is required. "
                             "Received: kernel_size=None")
        if implementation not in (1, 2, 3):
            raise ValueError(f"{owner} {self.name!r}: unrecognized implementation mode. "
                             f"Expected 1, 2 or 3. Received: implementation={implementation!r}")
        self.rank = rank
        self.filters = filters
        self.kernel_size = conv_utils.normalize_tuple(kernel_size, rank, "kernel_size")
        self.strides = conv_utils.normalize_tuple(old.get("strides", strides), rank, "strides")
        self.padding = conv_utils.normalize_padding(old.get("padding", padding))
        if self.padding != "valid" and implementation == 1:
            raise ValueError(f"Invalid border mode for {owner} (only \"valid\" is supported if "
                             f"implementation is 1). Received: padding={padding!r}")
        self.data_format = config.normalize_data_format(old.get("data_format", data_format))
        self.activation = activations.get(activation)
        self.use_bias = bool(old.get("use_bias", use_bias))
        self.kernel_initializer = initializers.get(old.get("kernel_initializer",
                                                           kernel_initializer))
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(old.get("kernel_regularizer",
                                                           kernel_regularizer))
        self.bias_regularizer = regularizers.get(old.get("bias_regularizer", bias_regularizer))
        self.kernel_constraint = constraints.get(old.get("kernel_constraint", kernel_constraint))
        self.bias_constraint = constraints.get(old.get("bias_constraint", bias_constraint))
        self.implementation = int(implementation)
        self.input_spec = InputSpec(ndim=rank + 2)

    def _channel_axis(self):
        return 1 if self.data_format == "channels_first" else -1

    def build(self, input_shape):
        if len(input_shape) != self.rank + 2:
            raise input_rank_error(self, f"ndim={self.rank + 2}", input_shape)
        channels = input_shape[self._channel_axis()]
        spatial = spatial_dims(input_shape, self.data_format)
        if channels is None or any(n is None for n in spatial):
            raise ValueError(f"{type(self).__name__} {self.name!r} needs fully-defined spatial "
                             f"and channel dimensions. Received input shape {tuple(input_shape)}")
        mask, out = _connections(spatial, self.kernel_size, self.strides, self.padding)
        if any(n <= 0 for n in out):
            raise ValueError(f"One of the dimensions in the output of {self.name!r} is <= 0 "
                             f"due to downsampling. Received input shape {tuple(input_shape)} "
                             f"which would produce output shape {out}.")
        self._spatial_in, self._spatial_out, self._channels = tuple(spatial), out, channels
        cf = self.data_format == "channels_first"
        index = None
        if self.implementation == 1:
            shape = (int(np.prod(out)), int(np.prod(self.kernel_size)) * channels, self.filters)
        elif self.implementation == 2:
            shape = ((channels, *spatial, self.filters, *out) if cf
                     else (*spatial, channels, *out, self.filters))
        else:
            index = self._connection_index(mask, channels)
            shape = (index.shape[1],)
        self.kernel = self.add_weight("kernel", shape, initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        if self.implementation != 1:
            # Modes 2 and 3 compute as mode 1: their kernel gathered into mode 1's layout.
            self.register_buffer("_gather", torch.from_numpy(self._gather_index(index)),
                                 persistent=False)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight("bias", (*out, self.filters),
                                        initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        # The weights are made for these sizes: spatial dimensions are fixed too.
        first = 2 if cf else 1
        axes = {first + d: n for d, n in enumerate(spatial)}
        axes[self._channel_axis()] = channels
        self.input_spec = InputSpec(ndim=self.rank + 2, axes=axes)
        self.built = True

    def _connection_index(self, mask, channels):
        """(2, connections): the (output, input) index of every weight of mode 3, sorted.

        Indices are raveled as the inputs and outputs are laid out: (*spatial, channels), or
        (channels, *spatial) with channels_first.
        """
        r = self.rank
        pairs = np.nonzero(mask)  # mask is (*in_spatial, *out_spatial)
        in_pos = np.ravel_multi_index(pairs[:r], self._spatial_in)[:, None, None]
        out_pos = np.ravel_multi_index(pairs[r:], self._spatial_out)[:, None, None]
        filters, inputs = np.arange(self.filters)[None, :, None], np.arange(channels)[None, None]
        if self.data_format == "channels_first":
            out_idx = filters * int(np.prod(self._spatial_out)) + out_pos
            in_idx = inputs * int(np.prod(self._spatial_in)) + in_pos
        else:
            out_idx, in_idx = out_pos * self.filters + filters, in_pos * channels + inputs
        shape = (len(pairs[0]), self.filters, channels)
        out_idx, in_idx = (np.broadcast_to(i, shape).reshape(-1) for i in (out_idx, in_idx))
        order = np.lexsort((in_idx, out_idx))
        return np.stack([out_idx[order], in_idx[order]])

    def _windows(self):
        """(output positions, kernel positions, rank): the input position each one reads."""
        out = np.stack(np.meshgrid(*[np.arange(n) for n in self._spatial_out], indexing="ij"),
                       -1).reshape(-1, 1, self.rank)
        offsets = np.stack(np.meshgrid(*[np.arange(k) for k in self.kernel_size], indexing="ij"),
                           -1).reshape(1, -1, self.rank)
        return out * np.array(self.strides) - self._left() + offsets

    def _left(self):
        """Zeros before each spatial dimension: k // 2 with 'same' (Keras's connectivity)."""
        return np.array([k // 2 if self.padding == "same" else 0 for k in self.kernel_size])

    def _gather_index(self, connections):
        """For each entry of mode 1's kernel, its flat index in this mode's kernel.

        Windows reaching into the 'same' padding read one extra zero appended to the kernel.
        """
        positions = self._windows()  # (L, K, rank)
        inside = np.all((positions >= 0) & (positions < np.array(self._spatial_in)), -1)
        spatial = np.ravel_multi_index(tuple(np.moveaxis(np.where(
            inside[..., None], positions, 0), -1, 0)), self._spatial_in)  # (L, K)
        n_out_sp, n_in_sp = int(np.prod(self._spatial_out)), int(np.prod(self._spatial_in))
        o = np.arange(n_out_sp)[:, None, None, None]
        i, c = spatial[:, :, None, None], np.arange(self._channels)[None, None, :, None]
        f = np.arange(self.filters)[None, None, None, :]
        cf = self.data_format == "channels_first"
        if self.implementation == 2:  # (*in, C, *out, F) or (C, *in, F, *out)
            flat = (((c * n_in_sp + i) * self.filters + f) * n_out_sp + o if cf
                    else ((i * self._channels + c) * n_out_sp + o) * self.filters + f)
            size = n_in_sp * self._channels * n_out_sp * self.filters
        else:  # position of (output index, input index) among the sorted connections
            n_in = n_in_sp * self._channels
            out_idx, in_idx = ((f * n_out_sp + o, c * n_in_sp + i) if cf
                               else (o * self.filters + f, i * self._channels + c))
            keys = connections[0].astype(np.int64) * n_in + connections[1]
            flat = np.searchsorted(keys, out_idx * n_in + in_idx)
            size = connections.shape[1]
        flat = np.where(inside[:, :, None, None], flat, size)  # the appended zero
        if cf:  # mode 1's features are (C, *k) with channels_first, (*k, C) otherwise
            flat = flat.transpose(0, 2, 1, 3)
        return flat.reshape(n_out_sp, -1, self.filters).astype(np.int64)

    def _patches(self, inputs):
        """(batch, output positions, kernel positions * channels) in Keras's feature order."""
        x = inputs
        first = 2 if self.data_format == "channels_first" else 1
        if self.padding == "same":
            pads = []
            for n, k, s, o, left in zip(self._spatial_in, self.kernel_size, self.strides,
                                        self._spatial_out, self._left(), strict=True):
                pads = [int(left), max(0, (o - 1) * s + k - int(left) - n)] + pads
            x = F.pad(x, pads if first == 2 else [0, 0] + pads)
        for d, (k, s) in enumerate(zip(self.kernel_size, self.strides, strict=True)):
            x = x.unfold(first + d, k, s)
        # x: (N, C, *out, *k) channels_first, (N, *out, C, *k) channels_last
        r = self.rank
        if self.data_format == "channels_first":
            order = (0, *range(2, 2 + r), 1, *range(2 + r, 2 + 2 * r))  # (N, *out, C, *k)
        else:
            order = (0, *range(1, 1 + r), *range(2 + r, 2 + 2 * r), 1 + r)  # (N, *out, *k, C)
        x = x.permute(order)
        return x.reshape(x.shape[0], int(np.prod(self._spatial_out)), -1)

    def call(self, inputs):
        batch = inputs.shape[0]
        kernel = self.kernel
        if self.implementation != 1:
            kernel = torch.cat([kernel.reshape(-1), kernel.new_zeros(1)])[self._gather]
        out = torch.einsum("blf,lfo->blo", self._patches(inputs), kernel)
        out = out.reshape(batch, *self._spatial_out, self.filters)
        cf = self.data_format == "channels_first"
        if cf:
            out = out.permute(0, self.rank + 1, *range(1, self.rank + 1))
        if self.bias is not None:
            out = out + (self.bias.reshape(1, self.filters, *self._spatial_out) if cf
                         else self.bias)
        return self.activation(out)

    def compute_output_shape(self, input_shape):
        if len(input_shape) != self.rank + 2:
            raise input_rank_error(self, f"ndim={self.rank + 2}", input_shape)
        out = tuple(conv_utils.conv_output_length(n, k, self.padding, s) for n, k, s in zip(
            spatial_dims(input_shape, self.data_format), self.kernel_size, self.strides,
            strict=True))
        if self.data_format == "channels_first":
            return (input_shape[0], self.filters, *out)
        return (input_shape[0], *out, self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "implementation": self.implementation,
        }


class LocallyConnected1D(LocallyConnected):
    """Locally-connected layer for temporal data: a Conv1D with unshared weights.

    Args: as ``LocallyConnected`` without ``rank``.
    Shapes: (batch, steps, channels) -> (batch, new_steps, filters) (channels_last).
    """

    def __init__(self, filters=None, kernel_size=None, strides=1, padding="valid",
                 data_format=None, activation=None, use_bias=True, **kwargs):
        super().__init__(1, filters, kernel_size, strides, padding, data_format, activation,
                         use_bias, **kwargs)


class LocallyConnected2D(LocallyConnected):
    """Locally-connected layer for images: a Conv2D with unshared weights.

    Args: as ``LocallyConnected`` without ``rank``.
    Shapes: (batch, rows, cols, channels) -> (batch, new_rows, new_cols, filters)
    (channels_last).
    """

    def __init__(self, filters=None, kernel_size=None, strides=(1, 1), padding="valid",
                 data_format=None, activation=None, use_bias=True, **kwargs):
        super().__init__(2, filters, kernel_size, strides, padding, data_format, activation,
                         use_bias, **kwargs)


# Names Keras 2 code imports from this module, resolved on first access (so this module
# imports nothing more at load time).
from openkeras.engine.lazy_exports import lazy_exports  # noqa: E402

__getattr__ = lazy_exports(__name__, {
    "interfaces": "openkeras.legacy.interfaces",
})
