"""Pooling layers: Max/AveragePooling1D/2D/3D and their global versions.

'same' padding is TensorFlow's (the odd element after). Max pooling never picks a padded
element; average pooling divides by the number of real (unpadded) elements in the window.
"""

import torch
import torch.nn.functional as F

from openkeras import config
from openkeras.engine import aliases
from openkeras.engine.base_layer import Layer
from openkeras.layers.convolutional.conv import spatial_dims, to_channels_first, to_channels_last
from openkeras.layers.core import input_rank_error
from openkeras.utils import conv_utils

_OPS = {("max", 1): F.max_pool1d, ("max", 2): F.max_pool2d, ("max", 3): F.max_pool3d,
        ("avg", 1): F.avg_pool1d, ("avg", 2): F.avg_pool2d, ("avg", 3): F.avg_pool3d}


class Pooling(Layer):
    """Base of the N-D max and average pooling layers.

    Args:
        rank: number of spatial dimensions.
        pool_function: 'max' or 'avg'.
        pool_size: int or tuple of ``rank`` ints, the window size.
        strides: int or tuple of ``rank`` ints (None: ``pool_size``).
        padding: 'valid' or 'same'.
        data_format: 'channels_last' (batch, *spatial, channels) or 'channels_first'.
    """

    def __init__(self, rank: int, pool_function: str, pool_size, strides=None, padding="valid",
                 data_format=None, **kwargs):
        owner = type(self).__name__
        old = aliases.take_renamed(kwargs, "Pooling", owner)
        pool_size = old.get("pool_size", pool_size)
        strides = old.get("strides", strides)
        padding = old.get("padding", padding)
        data_format = conv_utils.take_dim_ordering(kwargs, owner) or data_format
        super().__init__(**kwargs)
        self.rank = rank
        self.pool_size = conv_utils.normalize_tuple(pool_size, rank, "pool_size")
        self.strides = conv_utils.normalize_tuple(
            self.pool_size if strides is None else strides, rank, "strides")
        self.padding = conv_utils.normalize_padding(padding)
        self.data_format = config.normalize_data_format(data_format)
        self._channels_last = self.data_format == "channels_last"
        self._to_cf, self._to_cl = to_channels_first(rank), to_channels_last(rank)
        self._max = pool_function == "max"
        self._op = _OPS[(pool_function, rank)]
        self._static_pad = None
        if self.padding == "valid":
            self._static_pad = ((0,) * rank, None)
        elif all(s == 1 for s in self.strides):
            self._static_pad = conv_utils.same_padding_plan((1,) * rank, self.pool_size,
                                                            self.strides)

    def compute_output_shape(self, input_shape):
        if len(input_shape) != self.rank + 2:
            raise input_rank_error(self, f"ndim={self.rank + 2}", input_shape)
        out = tuple(conv_utils.conv_output_length(n, k, self.padding, s) for n, k, s in zip(
            spatial_dims(input_shape, self.data_format), self.pool_size, self.strides, strict=True))
        if any(n is not None and n <= 0 for n in out):
            raise ValueError(
                f'Layer "{self.name}": the pool window {self.pool_size} with padding '
                f"{self.padding!r} does not fit the input. Received input shape "
                f"{tuple(input_shape)} which would produce output shape {out}.")
        if self._channels_last:
            return (input_shape[0],) + out + (input_shape[-1],)
        return (input_shape[0], input_shape[1]) + out

    def build(self, input_shape):
        self.compute_output_shape(input_shape)
        self.built = True

    def call(self, inputs):
        x = inputs.permute(self._to_cf) if self._channels_last else inputs
        pad, fpad = self._static_pad or conv_utils.same_padding_plan(x.shape[2:], self.pool_size,
                                                                     self.strides)
        if fpad is None:
            if self._max:
                out = self._op(x, self.pool_size, self.strides, pad)
            else:
                out = self._op(x, self.pool_size, self.strides, pad, count_include_pad=False)
        elif self._max:
            out = self._op(F.pad(x, fpad, value=float("-inf")), self.pool_size, self.strides)
        else:  # window sums over real elements / number of real elements
            ones = F.pad(x.new_ones((1, 1) + tuple(x.shape[2:])), fpad)
            out = (self._op(F.pad(x, fpad), self.pool_size, self.strides)
                   / self._op(ones, self.pool_size, self.strides))
        return out.permute(self._to_cl) if self._channels_last else out

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "padding": self.padding,
                "strides": self.strides, "data_format": self.data_format}


class MaxPooling1D(Pooling):
    """Max pooling over steps. Shapes: (batch, steps, features) -> (batch, pooled_steps, features).

    Args: pool_size (int), strides (int, None: pool_size), padding, data_format; see ``Pooling``.
    """

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format="channels_last",
                 **kwargs):
        super().__init__(1, "max", pool_size, strides, padding, data_format, **kwargs)


class AveragePooling1D(Pooling):
    """Average pooling over steps. Shapes: (batch, steps, features) -> (batch, pooled, features).

    Args: pool_size (int), strides (int, None: pool_size), padding, data_format; see ``Pooling``.
    """

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format="channels_last",
                 **kwargs):
        super().__init__(1, "avg", pool_size, strides, padding, data_format, **kwargs)


class MaxPooling2D(Pooling):
    """2D max pooling. Shapes: (batch, rows, cols, channels) -> (batch, pooled_rows,
    pooled_cols, channels) (or channels_first).

    Args: pool_size, strides (None: pool_size), padding, data_format; see ``Pooling``.
    """

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(2, "max", pool_size, strides, padding, data_format, **kwargs)


class AveragePooling2D(Pooling):
    """2D average pooling. Shapes: (batch, rows, cols, channels) -> (batch, pooled_rows,
    pooled_cols, channels) (or channels_first).

    Args: pool_size, strides (None: pool_size), padding, data_format; see ``Pooling``.
    """

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(2, "avg", pool_size, strides, padding, data_format, **kwargs)


class MaxPooling3D(Pooling):
    """3D max pooling. Shapes: (batch, d1, d2, d3, channels) (or channels_first).

    Args: pool_size, strides (None: pool_size), padding, data_format; see ``Pooling``.
    """

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(3, "max", pool_size, strides, padding, data_format, **kwargs)


class AveragePooling3D(Pooling):
    """3D average pooling. Shapes: (batch, d1, d2, d3, channels) (or channels_first).

    Args: pool_size, strides (None: pool_size), padding, data_format; see ``Pooling``.
    """

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(3, "avg", pool_size, strides, padding, data_format, **kwargs)


class GlobalPooling(Layer):
    """Base of the global pooling layers: reduce every spatial dimension.

    Args:
        rank: number of spatial dimensions.
        data_format: 'channels_last' or 'channels_first'.
        keepdims: keep the spatial dimensions with size 1.
    """

    _max = False

    def __init__(self, rank: int, data_format=None, keepdims=False, **kwargs):
        data_format = conv_utils.take_dim_ordering(kwargs, type(self).__name__) or data_format
        super().__init__(**kwargs)
        self.rank = rank
        self.data_format = config.normalize_data_format(data_format)
        self.keepdims = bool(keepdims)
        self._channels_last = self.data_format == "channels_last"
        first = 1 if self._channels_last else 2
        self._axes = tuple(range(first, first + rank))

    def compute_output_shape(self, input_shape):
        if len(input_shape) != self.rank + 2:
            raise input_rank_error(self, f"ndim={self.rank + 2}", input_shape)
        channels = input_shape[-1] if self._channels_last else input_shape[1]
        if not self.keepdims:
            return (input_shape[0], channels)
        ones = (1,) * self.rank
        if self._channels_last:
            return (input_shape[0],) + ones + (channels,)
        return (input_shape[0], channels) + ones

    def build(self, input_shape):
        self.compute_output_shape(input_shape)
        self.built = True

    def call(self, inputs):
        if self._max:
            return torch.amax(inputs, dim=self._axes, keepdim=self.keepdims)
        return torch.mean(inputs, dim=self._axes, keepdim=self.keepdims)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


class GlobalMaxPooling1D(GlobalPooling):
    """Max over steps. Shapes: (batch, steps, features) -> (batch, features).

    Args: data_format, keepdims; see ``GlobalPooling``.
    """

    _max = True

    def __init__(self, data_format="channels_last", keepdims=False, **kwargs):
        super().__init__(1, data_format, keepdims, **kwargs)


class GlobalAveragePooling1D(GlobalPooling):
    """Mean over steps; with a mask, the mean over unmasked steps.
    Shapes: (batch, steps, features) -> (batch, features).

    Args: data_format, keepdims; see ``GlobalPooling``.
    """

    def __init__(self, data_format="channels_last", keepdims=False, **kwargs):
        super().__init__(1, data_format, keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return torch.mean(inputs, dim=self._axes, keepdim=self.keepdims)
        weights = mask.to(inputs.dtype).unsqueeze(2 if self._channels_last else 1)
        return ((inputs * weights).sum(dim=self._axes, keepdim=self.keepdims)
                / weights.sum(dim=self._axes, keepdim=self.keepdims))

    def compute_mask(self, inputs, mask=None):
        return None


class GlobalMaxPooling2D(GlobalPooling):
    """Max over rows and columns. Shapes: (batch, rows, cols, channels) -> (batch, channels).

    Args: data_format, keepdims; see ``GlobalPooling``.
    """

    _max = True

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(2, data_format, keepdims, **kwargs)


class GlobalAveragePooling2D(GlobalPooling):
    """Mean over rows and columns. Shapes: (batch, rows, cols, channels) -> (batch, channels).

    Args: data_format, keepdims; see ``GlobalPooling``.
    """

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(2, data_format, keepdims, **kwargs)


class GlobalMaxPooling3D(GlobalPooling):
    """Max over three spatial dimensions. Shapes: (batch, d1, d2, d3, channels) -> (batch, channels)
    (or channels_first).

    Args: data_format, keepdims; see ``GlobalPooling``.
    """

    _max = True

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(3, data_format, keepdims, **kwargs)


class GlobalAveragePooling3D(GlobalPooling):
    """Mean over three spatial dimensions. Shapes: (batch, d1, d2, d3, channels) ->
    (batch, channels) (or channels_first).

    Args: data_format, keepdims; see ``GlobalPooling``.
    """

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(3, data_format, keepdims, **kwargs)


MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D
GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D = (GlobalMaxPooling1D, GlobalMaxPooling2D,
                                                     GlobalMaxPooling3D)
GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D = (GlobalAveragePooling1D,
                                                     GlobalAveragePooling2D,
                                                     GlobalAveragePooling3D)


# Names Keras 2 code imports from this module, resolved on first access (so this module
# imports nothing more at load time).
from openkeras.engine.lazy_exports import lazy_exports  # noqa: E402

__getattr__ = lazy_exports(__name__, {
    "InputSpec": "openkeras.engine.input_spec:InputSpec",
    "interfaces": "openkeras.legacy.interfaces",
})
