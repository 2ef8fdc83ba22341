"""Neural-network ops: activations, crossentropies, normalization, convolution, pooling, dropout.

Convolution kernels are in Keras layout ((*kernel_size, in, out)); inputs follow
``data_format`` (default: ``image_data_format()``); 'same' padding is TensorFlow's.
"""

import torch
import torch.nn.functional as F

from openkeras import activations, config, losses
from openkeras.backend.common import _PHASE, LearningPhase, to_tensor
from openkeras.backend.ops import switch
from openkeras.backend.random_ops import uniform_like
from openkeras.utils import conv_utils

_FUSED_MIN_EPSILON = 1.001e-5  # TensorFlow's fused batch norm raises a smaller epsilon to this
_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_POOL = {("max", 2): F.max_pool2d, ("avg", 2): F.avg_pool2d,
         ("max", 3): F.max_pool3d, ("avg", 3): F.avg_pool3d}

# ------------------------------------------------------------------------------ activations


def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit with optional leak ``alpha``, saturation and threshold."""
    return activations.relu(to_tensor(x, "relu"), alpha, max_value, threshold)


def elu(x, alpha=1.0):
    """Exponential linear unit: ``x`` if ``x > 0`` else ``alpha * (exp(x) - 1)``."""
    return activations.elu(to_tensor(x, "elu"), alpha)


def softmax(x, axis=-1):
    """Softmax along ``axis``."""
    return torch.softmax(to_tensor(x, "softmax"), dim=axis)


def softplus(x):
    """``log(exp(x) + 1)``."""
    return activations.softplus(to_tensor(x, "softplus"))


def softsign(x):
    """``x / (abs(x) + 1)``."""
    return activations.softsign(to_tensor(x, "softsign"))


def sigmoid(x):
    """``1 / (1 + exp(-x))``."""
    return torch.sigmoid(to_tensor(x, "sigmoid"))


def hard_sigmoid(x):
    """``clip(0.2 * x + 0.5, 0, 1)``."""
    return activations.hard_sigmoid(to_tensor(x, "hard_sigmoid"))


def tanh(x):
    """Hyperbolic tangent."""
    return torch.tanh(to_tensor(x, "tanh"))


# ---------------------------------------------------------------------------------- losses


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Crossentropy of one-hot ``target`` and probabilities (or logits) ``output`` per sample."""
    output = to_tensor(output, "categorical_crossentropy")
    target = to_tensor(target, "categorical_crossentropy", like=output)
    return losses.categorical_crossentropy(target, output, from_logits=from_logits, axis=axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Crossentropy of integer ``target`` and probabilities (or logits) ``output``."""
    output = to_tensor(output, "sparse_categorical_crossentropy")
    target = to_tensor(target, "sparse_categorical_crossentropy", like=output)
    return losses.sparse_categorical_crossentropy(target, output, from_logits=from_logits,
                                                  axis=axis)


def binary_crossentropy(target, output, from_logits=False):
    """Elementwise binary crossentropy (not averaged), as Keras 2.2.4 computes it.

    Probabilities are clipped to ``[epsilon, 1 - epsilon]`` and turned back into logits
    ``log(p / (1 - p))``, so the result is ``-(t log p + (1 - t) log(1 - p))`` of the clipped
    ``p``; tf.keras 2 adds ``epsilon`` inside both logarithms instead.
    """
    output = to_tensor(output, "binary_crossentropy")
    target = to_tensor(target, "binary_crossentropy", like=output).to(output.dtype)
    if not from_logits:
        eps = config.epsilon()
        p = torch.clamp(output, eps, 1.0 - eps)
        output = torch.log(p / (1.0 - p))
    return F.binary_cross_entropy_with_logits(output, target, reduction="none")


# --------------------------------------------------------------------------- normalization


def l2_normalize(x, axis=None):
    """``x / sqrt(max(sum(x ** 2, axis), 1e-12))``."""
    x = to_tensor(x, "l2_normalize")
    dims = tuple(range(x.dim())) if axis is None else axis
    return x * torch.rsqrt(torch.clamp(torch.square(x).sum(dim=dims, keepdim=True), min=1e-12))


def normalize_batch_in_training(x, gamma, beta, reduction_axes, epsilon=1e-3):
    """Normalize ``x`` with the mean and variance over ``reduction_axes``.

    Returns ``(normed, mean, variance)``; mean and variance have the shape of the axes that
    are kept (``gamma`` and ``beta``, or None, too). As Keras 2.2.4 on TensorFlow: the
    variance is the population variance (``tf.nn.moments``), except for 4-D inputs reduced
    over (0, 1, 2), which go through TensorFlow's fused kernel: there ``epsilon`` is at least
    1.001e-5 and the returned variance is Bessel-corrected (n / (n - 1)).
    """
    x = to_tensor(x, "normalize_batch_in_training")
    axes = sorted({int(a) % x.dim() for a in reduction_axes})
    fused = x.dim() == 4 and axes == [0, 1, 2]
    kept = [1 if i in axes else x.shape[i] for i in range(x.dim())]
    mean = x.mean(dim=axes, keepdim=True)
    var = torch.var(x, dim=axes, correction=0, keepdim=True)
    normed = (x - mean) * torch.rsqrt(var + (max(epsilon, _FUSED_MIN_EPSILON) if fused
                                             else epsilon))
    if gamma is not None:
        normed = normed * to_tensor(gamma, "normalize_batch_in_training", like=x).reshape(kept)
    if beta is not None:
        normed = normed + to_tensor(beta, "normalize_batch_in_training", like=x).reshape(kept)
    squeezed = [n for i, n in enumerate(x.shape) if i not in axes]
    if fused:
        n = x.numel() // x.shape[3]
        var = var * (n / max(n - 1, 1))
    return normed, mean.reshape(squeezed), var.reshape(squeezed)


def _along(p, x, axis):
    """A 1-D parameter reshaped to broadcast along ``axis`` of ``x``."""
    if p is None or p.dim() != 1:
        return p
    shape = [1] * x.dim()
    shape[axis] = p.shape[0]
    return p.reshape(shape)


def batch_normalization(x, mean, var, beta, gamma, axis=-1, epsilon=1e-3):
    """``(x - mean) / sqrt(var + epsilon) * gamma + beta`` (beta, gamma may be None).

    As Keras 2.2.4 (and tf.keras), 4-D channels-last inputs go through TensorFlow's fused
    kernel, whose ``epsilon`` is at least 1.001e-5.
    """
    x = to_tensor(x, "batch_normalization")
    if x.dim() == 4 and axis in (-1, 3):
        epsilon = max(epsilon, _FUSED_MIN_EPSILON)
    mean, var = (_along(to_tensor(t, "batch_normalization", like=x), x, axis) for t in (mean, var))
    out = (x - mean) * torch.rsqrt(var + epsilon)
    if gamma is not None:
        out = out * _along(to_tensor(gamma, "batch_normalization", like=x), x, axis)
    if beta is not None:
        out = out + _along(to_tensor(beta, "batch_normalization", like=x), x, axis)
    return out


def bias_add(x, bias, data_format=None):
    """``x + bias`` along the channels axis; ``bias`` is 1-D or of rank ``ndim(x) - 1``."""
    data_format = config.normalize_data_format(data_format)
    x = to_tensor(x, "bias_add")
    bias = to_tensor(bias, "bias_add", like=x)
    if bias.dim() != 1 and bias.dim() != x.dim() - 1:
        raise ValueError(f"Unexpected bias dimensions {bias.dim()}, expect to be 1 or "
                         f"{x.dim() - 1} dimensions. Received: bias of shape {tuple(bias.shape)}")
    if data_format == "channels_first" and x.dim() > 2:
        if bias.dim() == 1:
            return x + _along(bias, x, 1)
        return x + bias.movedim(-1, 0).unsqueeze(0)
    return x + bias


# ----------------------------------------------------------------------- conv and pooling


def _channels_first(x, data_format):
    return x.movedim(-1, 1) if data_format == "channels_last" else x


def _restore(x, data_format):
    return x.movedim(1, -1) if data_format == "channels_last" else x


def _same_pad(x, window, strides, dilation, value=0.0):
    pad, fpad = conv_utils.same_padding_plan(tuple(x.shape[2:]), window, strides, dilation)
    if fpad is None:
        return x, pad
    return F.pad(x, fpad, value=value), (0,) * len(window)


def _conv(op, rank, x, kernel, strides, padding, data_format, dilation_rate):
    data_format = config.normalize_data_format(data_format)
    allowed = ("valid", "same", "causal") if rank == 1 else ("valid", "same")
    padding = conv_utils.normalize_padding(padding, allowed)
    strides = conv_utils.normalize_tuple(strides, rank, "strides")
    dilation = conv_utils.normalize_tuple(dilation_rate, rank, "dilation_rate")
    x = to_tensor(x, op)
    kernel = to_tensor(kernel, op, like=x)
    if x.dim() != rank + 2 or kernel.dim() != rank + 2:
        raise ValueError(f"K.{op} expects a rank-{rank + 2} input and kernel. Received: x of "
                         f"shape {tuple(x.shape)}, kernel of shape {tuple(kernel.shape)}")
    weight = kernel.permute((rank + 1, rank) + tuple(range(rank)))  # -> (out, in, *kernel)
    x = _channels_first(x, data_format)
    pad = (0,) * rank
    if padding == "causal":
        x = F.pad(x, [dilation[0] * (kernel.shape[0] - 1), 0])
    elif padding == "same":
        x, pad = _same_pad(x, tuple(weight.shape[2:]), strides, dilation)
    out = _CONV[rank](x, weight, None, strides, pad, dilation)
    return _restore(out, data_format)


def conv1d(x, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """1-D convolution; ``kernel`` is (kernel_size, in, out); padding 'valid', 'same', 'causal'."""
    return _conv("conv1d", 1, x, kernel, strides, padding, data_format, dilation_rate)


def conv2d(x, kernel, strides=(1, 1), padding="valid", data_format=None, dilation_rate=(1, 1)):
    """2-D convolution; ``kernel`` is (kh, kw, in, out); padding 'valid' or 'same'."""
    return _conv("conv2d", 2, x, kernel, strides, padding, data_format, dilation_rate)


def conv3d(x, kernel, strides=(1, 1, 1), padding="valid", data_format=None,
           dilation_rate=(1, 1, 1)):
    """3-D convolution; ``kernel`` is (kd, kh, kw, in, out); padding 'valid' or 'same'."""
    return _conv("conv3d", 3, x, kernel, strides, padding, data_format, dilation_rate)


def _pool(op, rank, x, pool_size, strides, padding, data_format, pool_mode):
    data_format = config.normalize_data_format(data_format)
    padding = conv_utils.normalize_padding(padding)
    if pool_mode not in ("max", "avg"):
        raise ValueError(f"K.{op}: invalid pool_mode. Expected 'max' or 'avg'. Received: "
                         f"pool_mode={pool_mode!r}")
    window = conv_utils.normalize_tuple(pool_size, rank, "pool_size")
    strides = conv_utils.normalize_tuple(strides, rank, "strides")
    fn = _POOL[(pool_mode, rank)]
    x = _channels_first(to_tensor(x, op), data_format)
    if padding == "valid":
        out = fn(x, window, strides)
    elif pool_mode == "max":  # a padded element must never be the maximum
        x, pad = _same_pad(x, window, strides, (1,) * rank, value=float("-inf"))
        out = fn(x, window, strides, pad)
    else:  # the mean of the real (unpadded) elements of each window
        ones = x.new_ones((1, 1) + tuple(x.shape[2:]))
        xp, pad = _same_pad(x, window, strides, (1,) * rank)
        onesp, _ = _same_pad(ones, window, strides, (1,) * rank)
        out = (fn(xp, window, strides, pad, count_include_pad=True)
               / fn(onesp, window, strides, pad, count_include_pad=True))
    return _restore(out, data_format)


def pool2d(x, pool_size, strides=(1, 1), padding="valid", data_format=None, pool_mode="max"):
    """2-D max or average pooling ('same' padding as TensorFlow's)."""
    return _pool("pool2d", 2, x, pool_size, strides, padding, data_format, pool_mode)


def pool3d(x, pool_size, strides=(1, 1, 1), padding="valid", data_format=None, pool_mode="max"):
    """3-D max or average pooling ('same' padding as TensorFlow's)."""
    return _pool("pool3d", 3, x, pool_size, strides, padding, data_format, pool_mode)


# ------------------------------------------------------------------- resizing and padding


def _legacy_bilinear(x, factors):
    """TF 1's resize_bilinear, which Keras 2.2.4 uses: output index o reads input o / factor
    (no half-pixel centres), interpolating towards the next input index (the last repeats)."""
    for dim, factor in zip(range(2, x.dim()), factors, strict=True):
        n = x.shape[dim]
        src = torch.arange(n * factor, device=x.device, dtype=torch.float32) * (n / (n * factor))
        low = src.floor().long()
        high = (low + 1).clamp(max=n - 1)
        shape = [1] * x.dim()
        shape[dim] = -1
        w = (src - low).to(x.dtype).reshape(shape)
        lo, hi = x.index_select(dim, low), x.index_select(dim, high)
        x = lo + (hi - lo) * w
    return x


def resize_images(x, height_factor, width_factor, data_format, interpolation="nearest"):
    """Images scaled up by integer factors, as Keras 2.2.4 (TF 1's resize ops).

    'nearest' repeats each pixel; 'bilinear' reads output pixel o at input position
    o / factor (tf.keras 2 uses half-pixel centres, (o + 0.5) / factor - 0.5, instead).
    """
    data_format = config.normalize_data_format(data_format)
    if interpolation not in ("nearest", "bilinear"):
        raise ValueError(f"K.resize_images: `interpolation` must be 'nearest' or 'bilinear'. "
                         f"Received: interpolation={interpolation!r}")
    factors = (int(height_factor), int(width_factor))
    x = _channels_first(to_tensor(x, "resize_images"), data_format)
    if interpolation == "nearest":
        out = x.repeat_interleave(factors[0], dim=2).repeat_interleave(factors[1], dim=3)
    else:
        out = _legacy_bilinear(x, factors)
    return _restore(out, data_format)


def resize_volumes(x, depth_factor, height_factor, width_factor, data_format):
    """5-D volumes scaled up by repeating each element along the three spatial axes."""
    data_format = config.normalize_data_format(data_format)
    x = _channels_first(to_tensor(x, "resize_volumes"), data_format)
    for dim, factor in zip((2, 3, 4), (depth_factor, height_factor, width_factor), strict=True):
        x = x.repeat_interleave(int(factor), dim=dim)
    return _restore(x, data_format)


def _pad_spatial(x, pairs, data_format, op):
    data_format = config.normalize_data_format(data_format)
    x = to_tensor(x, op)
    flat = []
    if data_format == "channels_last":
        flat = [0, 0]
    for before, after in reversed([tuple(p) for p in pairs]):
        flat += [int(before), int(after)]
    return F.pad(x, flat)


def temporal_padding(x, padding=(1, 1)):
    """Zeros added before and after the steps axis of (batch, steps, features)."""
    return _pad_spatial(x, [padding], "channels_last", "temporal_padding")


def spatial_2d_padding(x, padding=((1, 1), (1, 1)), data_format=None):
    """Zeros added around the rows and columns of 4-D images."""
    return _pad_spatial(x, padding, data_format, "spatial_2d_padding")


def spatial_3d_padding(x, padding=((1, 1), (1, 1), (1, 1)), data_format=None):
    """Zeros added around the three spatial axes of 5-D volumes."""
    return _pad_spatial(x, padding, data_format, "spatial_3d_padding")


# ---------------------------------------------------------------- dropout and the phases


def dropout(x, level, noise_shape=None, seed=None):
    """Zero elements with probability ``level`` and scale the rest by ``1 / (1 - level)``.

    Always applied (it is the op, not the layer). ``noise_shape`` (None entries take
    ``x``'s size) shapes the random mask that is broadcast over ``x``.
    """
    if not 0 <= level < 1:
        raise ValueError(f"K.dropout: `level` must be in [0, 1). Received: level={level}")
    x = to_tensor(x, "dropout")
    shape = tuple(x.shape) if noise_shape is None else tuple(
        int(x.shape[i]) if d is None else int(d) for i, d in enumerate(noise_shape))
    keep = uniform_like(torch.empty(shape, dtype=x.dtype, device=x.device), seed) >= level
    return x * keep.to(x.dtype) / (1.0 - level)


def in_train_phase(x, alt, training=None):
    """``x`` in the training phase, else ``alt`` (callables are called when picked).

    Args:
        x: what to return in training.
        alt: what to return otherwise.
        training: True/False/1/0, a bool tensor, or None for ``learning_phase()``.
    """
    if training is None or isinstance(training, LearningPhase):
        training = _PHASE[0]
    return switch(training, x, alt)


def in_test_phase(x, alt, training=None):
    """``x`` in the test phase, else ``alt``."""
    return in_train_phase(alt, x, training=training)
