"""Shape and padding arithmetic for convolutions and pooling (Keras/TensorFlow conventions)."""

import math

import numpy as np

from openkeras.engine import aliases
from openkeras.utils.generic_utils import is_int


def normalize_tuple(value, n: int, name: str, allow_zero: bool = False) -> tuple:
    """An int or an iterable of ``n`` ints as a tuple of ``n`` Python ints.

    Numpy integers count as ints (``pool_size=(np.int64(2), np.int64(2))``).

    Args:
        value: an int (repeated ``n`` times) or an iterable of ``n`` ints.
        n: the tuple length.
        name: the argument name, for error messages.
        allow_zero: whether 0 is allowed (padding, cropping) or not (kernel sizes, strides).
    """
    if is_int(value):
        out = (int(value),) * n
    else:
        try:
            out = tuple(value)
        except TypeError:
            raise ValueError(f"The `{name}` argument must be a tuple of {n} integers. "
                             f"Received: {name}={value!r}") from None
        if len(out) != n or not all(is_int(v) for v in out):
            raise ValueError(f"The `{name}` argument must be a tuple of {n} integers. "
                             f"Received: {name}={value!r}")
        out = tuple(int(v) for v in out)
    lowest = 0 if allow_zero else 1
    if any(v < lowest for v in out):
        what = "non-negative" if allow_zero else "strictly positive"
        raise ValueError(f"The `{name}` argument must be a tuple of {n} {what} integers. "
                         f"Received: {name}={value!r}")
    return out


def normalize_padding(value, allowed=("valid", "same")) -> str:
    """A padding name, lower-cased and checked against ``allowed``."""
    padding = str(value).lower()
    if padding not in allowed:
        raise ValueError(f"The `padding` argument must be one of {', '.join(map(repr, allowed))}. "
                         f"Received: padding={value!r}")
    return padding


def dilated_size(filter_size: int, dilation: int = 1) -> int:
    """The span of a filter once dilated: ``(filter_size - 1) * dilation + 1``."""
    return (filter_size - 1) * dilation + 1


def conv_output_length(input_length, filter_size: int, padding: str, stride: int,
                       dilation: int = 1):
    """Length of a convolution or pooling output (None when ``input_length`` is None).

    Args:
        input_length: the input length, or None.
        filter_size: kernel or pool size.
        padding: 'valid', 'same', 'causal' or 'full'.
        stride: the stride.
        dilation: the dilation rate.
    """
    if input_length is None:
        return None
    span = dilated_size(filter_size, dilation)
    if padding in ("same", "causal"):
        length = input_length
    elif padding == "valid":
        length = input_length - span + 1
    else:  # full
        length = input_length + span - 1
    return (length + stride - 1) // stride


def deconv_output_length(input_length, filter_size: int, padding: str, output_padding=None,
                         stride: int = 1, dilation: int = 1):
    """Length of a transposed convolution output, as Keras computes it."""
    if input_length is None:
        return None
    span = dilated_size(filter_size, dilation)
    if output_padding is None:
        if padding == "valid":
            return input_length * stride + max(span - stride, 0)
        if padding == "full":
            return input_length * stride - (stride + span - 2)
        return input_length * stride
    pad = {"same": span // 2, "valid": 0, "full": span - 1}[padding]
    return (input_length - 1) * stride + span - 2 * pad + output_padding


def same_padding(input_length: int, filter_size: int, stride: int, dilation: int = 1) -> tuple:
    """TensorFlow's 'same' padding ``(before, after)``: the odd element goes after."""
    out = math.ceil(input_length / stride)
    total = max((out - 1) * stride + dilated_size(filter_size, dilation) - input_length, 0)
    return total // 2, total - total // 2


def same_padding_plan(spatial, kernel, strides, dilation=None):
    """How to do TF 'same' padding in torch: ``(symmetric, fpad)``.

    ``symmetric`` is a tuple for the op's ``padding`` argument when every dimension pads the
    same on both sides (``fpad`` is then None); otherwise ``symmetric`` is all zeros and
    ``fpad`` is the ``F.pad`` list (last dimension first) to apply before the op.
    """
    dilation = dilation or (1,) * len(kernel)
    pairs = [same_padding(n, k, s, d) for n, k, s, d in zip(spatial, kernel, strides, dilation,
                                                               strict=True)]
    if all(b == a for b, a in pairs):
        return tuple(b for b, _ in pairs), None
    fpad = []
    for b, a in reversed(pairs):
        fpad += [b, a]
    return (0,) * len(pairs), fpad


def channel_axis(data_format: str) -> int:
    return 1 if data_format == "channels_first" else -1


def take_dim_ordering(kwargs: dict, owner: str):
    """Pop Keras 1's ``dim_ordering`` ('tf'/'th'/'default'); return a data_format or None."""
    if "dim_ordering" not in kwargs:
        return None
    value = kwargs["dim_ordering"]
    if not isinstance(value, str) or value not in aliases.VALUE_RENAMES["data_format"]:
        raise ValueError(f"{owner}: `dim_ordering` must be 'tf', 'th' or 'default'. "
                         f"Received: dim_ordering={value!r}")
    return aliases.take_renamed(kwargs, "dim_ordering", owner)["data_format"]


def conv_input_length(output_length, filter_size, padding, stride):
    """The input length a convolution output of ``output_length`` came from (None stays None).

    Args:
        output_length: the output length, or None.
        filter_size: the kernel size.
        padding: 'same', 'valid' or 'full'.
        stride: the stride.
    """
    if output_length is None:
        return None
    if padding not in ("same", "valid", "full"):
        raise ValueError(f"conv_input_length: unknown padding {padding!r}; expected 'same', "
                         "'valid' or 'full'.")
    pad = {"same": filter_size // 2, "valid": 0, "full": filter_size - 1}[padding]
    return (output_length - 1) * stride - 2 * pad + filter_size


def deconv_length(dim_size, stride_size, kernel_size, padding, output_padding=None,
                  dilation=1):
    """Keras 2's name of ``deconv_output_length`` (argument order ``dim, stride, kernel``)."""
    return deconv_output_length(dim_size, kernel_size, padding, output_padding,
                                stride=stride_size, dilation=dilation)


def convert_kernel(kernel):
    """Flip a convolution kernel along its spatial axes (Theano <-> TensorFlow kernels)."""
    kernel = np.asarray(kernel)
    if not 3 <= kernel.ndim <= 5:
        raise ValueError(f"convert_kernel expects a 3D to 5D kernel. Received shape {kernel.shape}")
    spatial = tuple(slice(None, None, -1) for _ in range(kernel.ndim - 2))
    return np.copy(kernel[spatial + (slice(None), slice(None))])
