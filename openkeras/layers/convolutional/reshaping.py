"""Spatial reshaping layers: Cropping1D/2D/3D, UpSampling1D/2D/3D, ZeroPadding1D/2D/3D."""

import torch.nn.functional as F

from openkeras import config
from openkeras.engine import aliases
from openkeras.engine.base_layer import Layer
from openkeras.layers.convolutional.conv import spatial_dims, to_channels_first, to_channels_last
from openkeras.layers.core import input_rank_error
from openkeras.utils import conv_utils
from openkeras.utils.generic_utils import is_int

_INTERPOLATIONS = ("nearest", "bilinear", "area")  # 'area' equals 'nearest' for integer factors


def normalize_pairs(value, rank: int, name: str) -> tuple:
    """int, ``rank`` ints or ``rank`` pairs -> ``rank`` (before, after) pairs of ints >= 0."""
    if is_int(value):  # checked below like the tuples (no negative padding)
        value = (value,) * rank
    try:
        items = tuple(value)
    except TypeError:
        items = ()
    if len(items) != rank:
        raise ValueError(f"`{name}` should be an int, a tuple of {rank} ints or a tuple of {rank} "
                         f"tuples of 2 ints. Received: {name}={value!r}")
    return tuple(conv_utils.normalize_tuple(v, 2, name, allow_zero=True) for v in items)


class _SpatialLayer(Layer):
    """Shared input checks of the layers below: a (batch, *spatial, channels) input."""

    rank = 1

    def __init__(self, data_format=None, **kwargs):
        data_format = conv_utils.take_dim_ordering(kwargs, type(self).__name__) or data_format
        super().__init__(**kwargs)
        self.data_format = config.normalize_data_format(data_format)
        self._channels_last = self.data_format == "channels_last"

    def _checked_spatial(self, input_shape):
        if len(input_shape) != self.rank + 2:
            raise input_rank_error(self, f"ndim={self.rank + 2}", input_shape)
        return spatial_dims(input_shape, self.data_format)

    def _with_spatial(self, input_shape, spatial):
        if self._channels_last:
            return (input_shape[0],) + tuple(spatial) + (input_shape[-1],)
        return (input_shape[0], input_shape[1]) + tuple(spatial)

    def build(self, input_shape):
        self.compute_output_shape(input_shape)
        self.built = True

    def get_config(self):
        config_ = super().get_config()
        if self.rank > 1:
            config_["data_format"] = self.data_format
        return config_


class _Cropping(_SpatialLayer):
    def __init__(self, cropping, data_format=None, **kwargs):
        super().__init__(data_format, **kwargs)
        self.cropping = normalize_pairs(cropping, self.rank, "cropping")
        crops = tuple(slice(a, -b if b else None) for a, b in self.cropping)
        if self._channels_last:
            self._slices = (slice(None),) + crops + (slice(None),)
        else:
            self._slices = (slice(None), slice(None)) + crops

    def compute_output_shape(self, input_shape):
        spatial = self._checked_spatial(input_shape)
        out = tuple(None if n is None else n - a - b for n, (a, b) in zip(spatial, self.cropping,
                                                                          strict=True))
        if any(n is not None and n <= 0 for n in out):
            raise ValueError(f'Layer "{self.name}": `cropping` must be smaller than the input '
                             f"size. Received: input_shape={tuple(input_shape)}, "
                             f"cropping={self.cropping}")
        return self._with_spatial(input_shape, out)

    def call(self, inputs):
        return inputs[self._slices]

    def get_config(self):
        cropping = self.cropping[0] if self.rank == 1 else self.cropping
        return {**super().get_config(), "cropping": cropping}


class Cropping1D(_Cropping):
    """Crops along the time axis. Shapes: (batch, steps, features) -> (batch, cropped, features).

    Args:
        cropping: int or (before, after): steps removed at the start and the end.
    """

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__((cropping,), "channels_last", **kwargs)


class Cropping2D(_Cropping):
    """Crops rows and columns. Shapes: (batch, rows, cols, channels) (or channels_first).

    Args:
        cropping: int, (rows, cols) symmetric, or ((top, bottom), (left, right)).
        data_format: 'channels_last' or 'channels_first'.
    """

    rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


class Cropping3D(_Cropping):
    """Crops three spatial dimensions. Shapes: (batch, d1, d2, d3, channels) (or channels_first).

    Args:
        cropping: int, 3 symmetric ints, or 3 (before, after) pairs.
        data_format: 'channels_last' or 'channels_first'.
    """

    rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


class _ZeroPadding(_SpatialLayer):
    def __init__(self, padding, data_format=None, **kwargs):
        super().__init__(data_format, **kwargs)
        self.padding = normalize_pairs(padding, self.rank, "padding")
        fpad = [p for pair in reversed(self.padding) for p in pair]
        self._fpad = [0, 0] + fpad if self._channels_last else fpad

    def compute_output_shape(self, input_shape):
        spatial = self._checked_spatial(input_shape)
        out = (None if n is None else n + a + b for n, (a, b) in zip(spatial, self.padding,
                                                                      strict=True))
        return self._with_spatial(input_shape, out)

    def call(self, inputs):
        return F.pad(inputs, self._fpad)

    def get_config(self):
        padding = self.padding[0] if self.rank == 1 else self.padding
        return {**super().get_config(), "padding": padding}


class ZeroPadding1D(_ZeroPadding):
    """Pads the time axis with zeros. Shapes: (batch, steps, features) -> (batch, padded, features).

    Args:
        padding: int or (before, after).
    """

    def __init__(self, padding=1, **kwargs):
        super().__init__((padding,), "channels_last", **kwargs)


class ZeroPadding2D(_ZeroPadding):
    """Pads rows and columns with zeros. Shapes: (batch, rows, cols, channels) (or channels_first).

    Args:
        padding: int, (rows, cols) symmetric, or ((top, bottom), (left, right)).
        data_format: 'channels_last' or 'channels_first'.
    """

    rank = 2

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding3D(_ZeroPadding):
    """Pads three spatial dimensions with zeros. Shapes: (batch, d1, d2, d3, channels).

    Args:
        padding: int, 3 symmetric ints, or 3 (before, after) pairs.
        data_format: 'channels_last' or 'channels_first'.
    """

    rank = 3

    def __init__(self, padding=(1, 1, 1), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class _UpSampling(_SpatialLayer):
    def __init__(self, size, data_format=None, interpolation="nearest", **kwargs):
        super().__init__(data_format, **kwargs)
        self.size = conv_utils.normalize_tuple(size, self.rank, "size")
        if interpolation not in _INTERPOLATIONS:
            raise ValueError(f"{type(self).__name__} {self.name!r}: `interpolation` must be one of "
                             f"{', '.join(map(repr, _INTERPOLATIONS))} in openkeras. "
                             f"Received: interpolation={interpolation!r}")
        self.interpolation = interpolation
        self._mode = "bilinear" if interpolation == "bilinear" else "nearest"
        self._scale = tuple(float(s) for s in self.size)
        self._to_cf = to_channels_first(self.rank)
        self._to_cl = to_channels_last(self.rank)

    def compute_output_shape(self, input_shape):
        spatial = self._checked_spatial(input_shape)
        out = (None if n is None else n * s for n, s in zip(spatial, self.size, strict=True))
        return self._with_spatial(input_shape, out)

    def call(self, inputs):
        x = inputs.permute(self._to_cf) if self._channels_last else inputs
        # bilinear with align_corners=False is TensorFlow 2's half-pixel-centers resize
        out = F.interpolate(x, scale_factor=self._scale, mode=self._mode,
                            align_corners=False if self._mode == "bilinear" else None)
        return out.permute(self._to_cl) if self._channels_last else out


class UpSampling1D(_UpSampling):
    """Repeats each step ``size`` times.

    Shapes: (batch, steps, features) -> (batch, steps * size, features).

    Args:
        size: the upsampling factor (Keras 1: ``length``).
    """

    def __init__(self, size=2, **kwargs):
        aliases.rename_kwargs(kwargs, "UpSampling1D")
        size = kwargs.pop("size", size)
        super().__init__(size, "channels_last", **kwargs)

    def call(self, inputs):
        return inputs.repeat_interleave(self.size[0], dim=1)

    def get_config(self):
        return {**super().get_config(), "size": self.size[0]}


class UpSampling2D(_UpSampling):
    """Upsamples rows and columns by ``size``. Shapes: (batch, rows, cols, channels) ->
    (batch, rows*size[0], cols*size[1], channels) (or channels_first).

    Args:
        size: int or (rows, cols) factors.
        data_format: 'channels_last' or 'channels_first'.
        interpolation: 'nearest' or 'bilinear' (TensorFlow 2's half-pixel centers); 'area'.
    """

    rank = 2

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(size, data_format, interpolation, **kwargs)

    def get_config(self):
        return {**super().get_config(), "size": self.size, "interpolation": self.interpolation}


class UpSampling3D(_UpSampling):
    """Repeats each voxel ``size`` times per axis. Shapes: (batch, d1, d2, d3, channels).

    Args:
        size: int or 3 factors.
        data_format: 'channels_last' or 'channels_first'.
    """

    rank = 3

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(size, data_format, **kwargs)

    def get_config(self):
        return {**super().get_config(), "size": self.size}
