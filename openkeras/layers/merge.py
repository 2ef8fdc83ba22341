"""Merge layers: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot."""

import torch

from openkeras.engine.base_layer import Layer


class _Merge(Layer):
    """Element-wise merge of a list of inputs with broadcasting as in Keras."""

    _min_inputs = 2

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def _check_inputs(self, input_shape):
        if not isinstance(input_shape, list) or len(input_shape) < self._min_inputs:
            raise ValueError(
                f'A merge layer "{self.name}" should be called on a list of at least '
                f"{self._min_inputs} inputs. Received: input_shape={input_shape}"
            )

    def build(self, input_shape):
        self._check_inputs(input_shape)
        self.compute_output_shape(input_shape)
        self._align = len({len(s) for s in input_shape}) > 1
        self.built = True

    def _aligned(self, inputs):
        """Inputs of lower rank get new axes at position 1, as Keras 2 expands them."""
        if not self._align:
            return inputs
        rank = max(x.dim() for x in inputs)
        return [x.reshape(x.shape[:1] + (1,) * (rank - x.dim()) + x.shape[1:]) for x in inputs]

    def compute_output_shape(self, input_shape):
        self._check_inputs(input_shape)
        out = tuple(input_shape[0][1:])
        for shape in input_shape[1:]:
            out = _broadcast(out, tuple(shape[1:]), input_shape, self.name)
        batch = {s[0] for s in input_shape} - {None}
        return ((batch.pop() if len(batch) == 1 else None),) + out

    def compute_mask(self, inputs, mask=None):
        if mask is None or all(m is None for m in mask):
            return None
        masks = [m for m in mask if m is not None]
        out = masks[0]
        for m in masks[1:]:
            out = out & m
        return out

    def call(self, inputs):
        inputs = self._aligned(inputs)
        out = inputs[0]
        for x in inputs[1:]:
            out = self._merge(out, x)
        return out


def _broadcast(a, b, shapes, name):
    if len(a) < len(b):
        a, b = b, a
    b = (1,) * (len(a) - len(b)) + b
    out = []
    for x, y in zip(a, b, strict=True):
        if x is None or y is None:
            out.append(None if (x in (None, 1) and y in (None, 1)) or x == y else (x if y in (None, 1) else y))
        elif x == 1 or y == 1 or x == y:
            out.append(max(x, y) if 1 in (x, y) else x)
        else:
            raise ValueError(
                f'Layer "{name}": inputs must have compatible shapes. Operands could not be broadcast '
                f"together with shapes {[tuple(s) for s in shapes]}"
            )
    return tuple(out)


class Add(_Merge):
    """Sums a list of inputs of the same shape."""

    def _merge(self, a, b):
        return a + b


class Subtract(_Merge):
    """Subtracts the second input from the first (exactly two inputs)."""

    def _check_inputs(self, input_shape):
        if not isinstance(input_shape, list) or len(input_shape) != 2:
            raise ValueError(
                f'A `Subtract` layer "{self.name}" should be called on exactly 2 inputs. '
                f"Received: input_shape={input_shape}"
            )

    def call(self, inputs):
        a, b = self._aligned(inputs)
        return a - b


class Multiply(_Merge):
    """Multiplies a list of inputs element-wise."""

    def _merge(self, a, b):
        return a * b


class Average(_Merge):
    """Averages a list of inputs element-wise."""

    def call(self, inputs):
        inputs = self._aligned(inputs)
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out / len(inputs)


class Maximum(_Merge):
    """Element-wise maximum of a list of inputs."""

    def _merge(self, a, b):
        return torch.maximum(a, b)


class Minimum(_Merge):
    """Element-wise minimum of a list of inputs."""

    def _merge(self, a, b):
        return torch.minimum(a, b)


class Concatenate(_Merge):
    """Concatenates a list of inputs along ``axis``; other dimensions must match."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def _check_inputs(self, input_shape):
        if not isinstance(input_shape, list) or len(input_shape) < 1:
            raise ValueError(
                f'A `Concatenate` layer "{self.name}" should be called on a list of at least 1 input. '
                f"Received: input_shape={input_shape}"
            )

    def compute_output_shape(self, input_shape):
        self._check_inputs(input_shape)
        rank = len(input_shape[0])
        axis = self.axis % rank
        if any(len(s) != rank for s in input_shape) or any(
            a is not None and b is not None and a != b
            for s in input_shape for i, (a, b) in enumerate(zip(s, input_shape[0], strict=True))
            if i not in (axis, 0)
        ):
            raise ValueError(
                f'A `Concatenate` layer "{self.name}" requires inputs with matching shapes except for '
                f"the concatenation axis. Received: input_shape={[tuple(s) for s in input_shape]}"
            )
        out = list(input_shape[0])
        sizes = [s[axis] for s in input_shape]
        out[axis] = None if any(d is None for d in sizes) else sum(sizes)
        return tuple(out)

    def call(self, inputs):
        return torch.cat(inputs, dim=self.axis)

    def compute_mask(self, inputs, mask=None):
        if mask is None or all(m is None for m in mask):
            return None
        full = []
        for x, m in zip(inputs, mask, strict=True):
            if m is None:
                m = torch.ones(x.shape[: x.dim() - 1] if x.dim() > 1 else x.shape, dtype=torch.bool,
                               device=x.device)
            while m.dim() < x.dim():
                m = m.unsqueeze(-1)
            full.append(m.expand_as(x))
        return torch.cat(full, dim=self.axis).all(dim=-1)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class Dot(_Merge):
    """Dot product between the samples of two tensors along ``axes``.

    Args:
        axes: int or pair of ints (1-based for non-batch axes, negatives allowed).
        normalize: L2-normalize along the dot axes first (cosine proximity).
    """

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        self.axes = list(axes) if isinstance(axes, (list, tuple)) else int(axes)
        self.normalize = bool(normalize)
        self.supports_masking = False

    def _axes(self, shapes):
        axes = self.axes if isinstance(self.axes, list) else [self.axes, self.axes]
        return [a % len(s) if a < 0 else a for a, s in zip(axes, shapes, strict=True)]

    def _check_inputs(self, input_shape):
        if not isinstance(input_shape, list) or len(input_shape) != 2:
            raise ValueError(
                f'A `Dot` layer "{self.name}" should be called on a list of 2 inputs. '
                f"Received: input_shape={input_shape}"
            )

    def compute_output_shape(self, input_shape):
        self._check_inputs(input_shape)
        a, b = (list(s) for s in input_shape)
        ax = self._axes([a, b])
        if a[ax[0]] is not None and b[ax[1]] is not None and a[ax[0]] != b[ax[1]]:
            raise ValueError(
                f'Layer "{self.name}": incompatible input shapes for Dot: axis values {a[ax[0]]} '
                f"(at axis {ax[0]}) != {b[ax[1]]} (at axis {ax[1]}). Full input shapes: "
                f"{[tuple(s) for s in input_shape]}"
            )
        a.pop(ax[0])
        b.pop(ax[1])
        b.pop(0)
        out = a + b
        return tuple(out) if len(out) > 1 else (out[0], 1)

    def call(self, inputs):
        x, y = inputs
        ax = self._axes([x.shape, y.shape])
        if self.normalize:  # Keras's l2_normalize: x / sqrt(max(sum(x^2), 1e-12))
            x = x * torch.rsqrt(x.square().sum(dim=ax[0], keepdim=True).clamp_min(1e-12))
            y = y * torch.rsqrt(y.square().sum(dim=ax[1], keepdim=True).clamp_min(1e-12))
        out = _batch_dot(x, y, ax)
        return out.unsqueeze(1) if out.dim() == 1 else out

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def _batch_dot(x, y, axes):
    """Batch-wise dot product contracting x's axes[0] with y's axes[1] (batch axis 0 kept)."""
    x = x.movedim(axes[0], -1)
    y = y.movedim(axes[1], 1)
    xs, ys = x.shape, y.shape
    out = torch.bmm(x.reshape(xs[0], -1, xs[-1]), y.reshape(ys[0], ys[1], -1))
    return out.reshape(tuple(xs[:-1]) + tuple(ys[2:]))


def add(inputs, **kwargs):
    """Functional interface to ``Add``."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """Functional interface to ``Subtract``."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """Functional interface to ``Multiply``."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """Functional interface to ``Average``."""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """Functional interface to ``Maximum``."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """Functional interface to ``Minimum``."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """Functional interface to ``Concatenate``."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes, normalize=False, **kwargs):
    """Functional interface to ``Dot``."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
