"""Math, reductions, comparisons and shape ops with Keras 2's signatures, on torch tensors.

Every op accepts torch tensors (and numpy arrays or numbers, converted) and is differentiable
torch code, so it can be used in Lambda layers, custom losses, metrics and layers. Keras's
names (sum, max, min, abs, round, pow, any, all, slice) shadow Python builtins in this module;
the builtins are reached through ``builtins``.
"""

import builtins

import torch

from openkeras import config
from openkeras.backend.common import to_pair, to_tensor
from openkeras.utils.generic_utils import is_int

# ------------------------------------------------------------------------------ reductions


def _dims(x, axis):
    if axis is None:
        return tuple(range(x.dim()))
    if isinstance(axis, (list, tuple)):
        return tuple(int(a) for a in axis)
    return (int(axis),)


def _float(x):
    return x if x.is_floating_point() else x.to(config.torch_dtype())


def sum(x, axis=None, keepdims=False):
    """Sum over ``axis`` (an int, a list of ints, or None for all)."""
    x = to_tensor(x, "sum")
    return x.sum(dim=_dims(x, axis), keepdim=keepdims)


def mean(x, axis=None, keepdims=False):
    """Mean over ``axis``; booleans and ints are averaged as floatx."""
    x = _float(to_tensor(x, "mean"))
    return x.mean(dim=_dims(x, axis), keepdim=keepdims)


def max(x, axis=None, keepdims=False):
    """Maximum over ``axis``."""
    x = to_tensor(x, "max")
    return torch.amax(x, dim=_dims(x, axis), keepdim=keepdims)


def min(x, axis=None, keepdims=False):
    """Minimum over ``axis``."""
    x = to_tensor(x, "min")
    return torch.amin(x, dim=_dims(x, axis), keepdim=keepdims)


def prod(x, axis=None, keepdims=False):
    """Product over ``axis``."""
    x = to_tensor(x, "prod")
    for d in sorted((d % builtins.max(x.dim(), 1) for d in _dims(x, axis)), reverse=True):
        x = x.prod(dim=d, keepdim=keepdims)
    return x


def var(x, axis=None, keepdims=False):
    """Population variance over ``axis`` (mean of squared deviations)."""
    x = _float(to_tensor(x, "var"))
    return torch.var(x, dim=_dims(x, axis), correction=0, keepdim=keepdims)


def std(x, axis=None, keepdims=False):
    """Population standard deviation over ``axis``."""
    x = _float(to_tensor(x, "std"))
    return torch.std(x, dim=_dims(x, axis), correction=0, keepdim=keepdims)


def any(x, axis=None, keepdims=False):
    """Logical or over ``axis`` (a bool tensor)."""
    x = to_tensor(x, "any").bool()
    return torch.any(x, dim=_dims(x, axis), keepdim=keepdims)


def all(x, axis=None, keepdims=False):
    """Logical and over ``axis`` (a bool tensor)."""
    x = to_tensor(x, "all").bool()
    return torch.all(x, dim=_dims(x, axis), keepdim=keepdims)


def logsumexp(x, axis=None, keepdims=False):
    """``log(sum(exp(x)))`` over ``axis``, computed stably."""
    x = _float(to_tensor(x, "logsumexp"))
    return torch.logsumexp(x, dim=_dims(x, axis), keepdim=keepdims)


def cumsum(x, axis=0):
    """Cumulative sum along ``axis``."""
    return torch.cumsum(to_tensor(x, "cumsum"), dim=axis)


def cumprod(x, axis=0):
    """Cumulative product along ``axis``."""
    return torch.cumprod(to_tensor(x, "cumprod"), dim=axis)


def argmax(x, axis=-1):
    """Index of the maximum along ``axis``."""
    return torch.argmax(to_tensor(x, "argmax"), dim=axis)


def argmin(x, axis=-1):
    """Index of the minimum along ``axis``."""
    return torch.argmin(to_tensor(x, "argmin"), dim=axis)


def in_top_k(predictions, targets, k):
    """Whether each target's score is among the ``k`` largest of its row (ties count in).

    Args:
        predictions: (batch, classes) scores.
        targets: (batch,) integer class indices.
        k: how many top scores count.
    """
    predictions = to_tensor(predictions, "in_top_k")
    targets = to_tensor(targets, "in_top_k").to(predictions.device).long()
    score = predictions.gather(1, targets.reshape(-1, 1))
    kth = torch.topk(predictions, int(k), dim=-1).values[:, -1:]
    return (score >= kth).reshape(-1)


# ----------------------------------------------------------------------------- elementwise


def square(x):
    """Elementwise square."""
    return torch.square(to_tensor(x, "square"))


def abs(x):
    """Absolute value."""
    return torch.abs(to_tensor(x, "abs"))


def sqrt(x):
    """Square root; negative inputs are clipped to 0 first, as Keras does."""
    return torch.sqrt(torch.clamp(to_tensor(x, "sqrt"), min=0.0))


def exp(x):
    """Exponential."""
    return torch.exp(to_tensor(x, "exp"))


def log(x):
    """Natural logarithm."""
    return torch.log(to_tensor(x, "log"))


def round(x):
    """Round to the nearest integer, ties to even (as TensorFlow)."""
    return torch.round(to_tensor(x, "round"))


def sign(x):
    """Sign: -1, 0 or 1."""
    return torch.sign(to_tensor(x, "sign"))


def pow(x, a):
    """``x ** a`` elementwise."""
    x, a = to_pair(x, a, "pow")
    return torch.pow(x, a)


def sin(x):
    """Sine."""
    return torch.sin(to_tensor(x, "sin"))


def cos(x):
    """Cosine."""
    return torch.cos(to_tensor(x, "cos"))


def clip(x, min_value, max_value):
    """Clip to ``[min_value, max_value]`` (None: unbounded; max below min becomes min)."""
    x = to_tensor(x, "clip")
    if min_value is not None and max_value is not None and max_value < min_value:
        max_value = min_value
    return torch.clamp(x, min=min_value, max=max_value)


def maximum(x, y):
    """Elementwise maximum."""
    x, y = to_pair(x, y, "maximum")
    if not isinstance(x, torch.Tensor):
        x, y = y, x
    return torch.clamp(x, min=y) if not isinstance(y, torch.Tensor) else torch.maximum(x, y)


def minimum(x, y):
    """Elementwise minimum."""
    x, y = to_pair(x, y, "minimum")
    if not isinstance(x, torch.Tensor):
        x, y = y, x
    return torch.clamp(x, max=y) if not isinstance(y, torch.Tensor) else torch.minimum(x, y)


def equal(x, y):
    """Elementwise ``x == y`` (a bool tensor)."""
    x, y = to_pair(x, y, "equal")
    return x == y


def not_equal(x, y):
    """Elementwise ``x != y`` (a bool tensor)."""
    x, y = to_pair(x, y, "not_equal")
    return x != y


def greater(x, y):
    """Elementwise ``x > y`` (a bool tensor)."""
    x, y = to_pair(x, y, "greater")
    return x > y


def greater_equal(x, y):
    """Elementwise ``x >= y`` (a bool tensor)."""
    x, y = to_pair(x, y, "greater_equal")
    return x >= y


def less(x, y):
    """Elementwise ``x < y`` (a bool tensor)."""
    x, y = to_pair(x, y, "less")
    return x < y


def less_equal(x, y):
    """Elementwise ``x <= y`` (a bool tensor)."""
    x, y = to_pair(x, y, "less_equal")
    return x <= y


# --------------------------------------------------------------------------------- products


def dot(x, y):
    """Keras's dot: for nD tensors, the last axis of ``x`` with the second-to-last of ``y``.

    Shapes: (..., n) . (..., n, m) -> x.shape[:-1] + y.shape[:-2] + (m,).
    """
    x, y = to_pair(x, y, "dot")
    if x.dim() <= 2 and y.dim() <= 2:
        return torch.matmul(x, y)
    return torch.tensordot(x, y, dims=([-1], [builtins.max(y.dim() - 2, 0)]))


def batch_dot(x, y, axes=None):
    """Dot product per sample, with Keras 2.2.4's shape rules.

    As Keras 2.2.4: the lower-rank input gets trailing size-1 axes; 2-D inputs are multiplied
    elementwise and summed over ``axes``; higher ranks are a matrix product over the last two
    axes, all other axes being batch axes (so (b, h, n, d) with (b, h, m, d) and axes=(3, 3)
    gives (b, h, n, m)). An ``axes`` entry equal to the last axis contracts the last axis,
    any other contracts the second-to-last one. The added axes are removed; a 1-D result
    becomes (batch, 1). Keras 2.3 and tf.keras instead keep every non-contracted axis of
    both inputs (which gives (b, h, n, h, m) above).

    Args:
        x: a tensor of rank >= 2.
        y: a tensor of rank >= 2 with the same batch size.
        axes: an int or a pair of ints (not 0; negative ones count from the end). Default:
            ``(ndim(x) - 1, ndim(y) - 2)``.
    """
    x, y = to_pair(x, y, "batch_dot")
    x_ndim, y_ndim = x.dim(), y.dim()
    if x_ndim < 2 or y_ndim < 2:
        raise ValueError(f"Cannot do batch_dot on inputs with rank < 2. Received inputs with "
                         f"shapes {tuple(x.shape)} and {tuple(y.shape)}.")
    explicit = axes is not None
    if axes is None:
        axes = (x_ndim - 1, y_ndim - 2)  # with a 2-D y: 0, harmless under the rules below
    elif isinstance(axes, int) or hasattr(axes, "__index__"):
        axes = (int(axes), int(axes))
    if len(axes) != 2 or builtins.any(isinstance(a, (list, tuple)) for a in axes):
        raise ValueError("Multiple target dimensions are not supported. Expected: None, int, "
                         f"(int, int). Received: axes={axes}")
    ax, ay = (int(a) % n for a, n in zip(axes, (x_ndim, y_ndim), strict=True))
    if explicit and (ax == 0 or ay == 0):
        raise ValueError(f"Cannot perform batch_dot over axis 0. Received: axes={axes}")
    diff = x_ndim - y_ndim
    if diff > 0:
        y = y.reshape(tuple(y.shape) + (1,) * diff)
    elif diff < 0:
        x = x.reshape(tuple(x.shape) + (1,) * -diff)
    rank = x.dim()
    if rank == 2:
        cx, cy = ax, ay
    else:
        cx = rank - 1 if ax == rank - 1 else rank - 2
        cy = rank - 1 if ay == rank - 1 else rank - 2
    if x.shape[cx] != y.shape[cy] or (rank > 2 and x.shape[:-2] != y.shape[:-2]) or (
            x.shape[0] != y.shape[0]):
        raise ValueError(
            f"Cannot do batch_dot on inputs with shapes {tuple(x.shape)} and {tuple(y.shape)} "
            f"with axes={axes} (Keras 2.2.4 rules: a matrix product over the last two axes). "
            f"x.shape[{cx}] != y.shape[{cy}] ({x.shape[cx]} != {y.shape[cy]}) or the leading "
            "axes differ.")
    if rank == 2:
        out = (x * y).sum(dim=cx)
    else:
        xm = x if cx == rank - 1 else x.transpose(-1, -2)
        ym = y.transpose(-1, -2) if cy == rank - 1 else y
        out = torch.matmul(xm, ym)
    if diff:
        first = x_ndim + y_ndim - 3 if diff > 0 else x_ndim - 1
        if first + abs(diff) > out.dim() or builtins.any(
                n != 1 for n in out.shape[first:first + abs(diff)]):
            raise ValueError(
                f"batch_dot of shapes {tuple(x.shape[:x_ndim])} and {tuple(y.shape[:y_ndim])} "
                f"with axes={axes}: Keras 2.2.4's rules leave no size-1 axes to remove at "
                f"{first}..{first + abs(diff) - 1} of the product of shape {tuple(out.shape)}.")
        out = out.reshape(tuple(out.shape[:first]) + tuple(out.shape[first + abs(diff):]))
    return out.unsqueeze(1) if out.dim() == 1 else out


# ------------------------------------------------------------------------------ shape ops


def reshape(x, shape):
    """``x`` with a new ``shape`` (-1 once allowed)."""
    return to_tensor(x, "reshape").reshape(tuple(int(d) for d in shape))


def transpose(x):
    """All axes reversed (a matrix transpose for 2-D)."""
    x = to_tensor(x, "transpose")
    return x.permute(tuple(reversed(range(x.dim()))))


def permute_dimensions(x, pattern):
    """Axes reordered by ``pattern`` (e.g. (0, 2, 1))."""
    return to_tensor(x, "permute_dimensions").permute(tuple(pattern))


def expand_dims(x, axis=-1):
    """A size-1 axis inserted at ``axis``."""
    return to_tensor(x, "expand_dims").unsqueeze(axis)


def squeeze(x, axis):
    """The size-1 axis ``axis`` removed (an error if its size is not 1)."""
    x = to_tensor(x, "squeeze")
    if x.shape[axis] != 1:
        raise ValueError(f"K.squeeze: cannot squeeze axis {axis} of size {x.shape[axis]} "
                         f"(input shape {tuple(x.shape)}).")
    return x.squeeze(axis)


def concatenate(tensors, axis=-1):
    """Tensors joined along ``axis``."""
    first = to_tensor(tensors[0], "concatenate")
    return torch.cat([first] + [to_tensor(t, "concatenate", like=first) for t in tensors[1:]],
                     dim=axis)


def stack(x, axis=0):
    """Tensors of the same shape stacked along a new ``axis``."""
    first = to_tensor(x[0], "stack")
    return torch.stack([first] + [to_tensor(t, "stack", like=first) for t in x[1:]], dim=axis)


def flatten(x):
    """A 1-D tensor of all the elements."""
    return to_tensor(x, "flatten").reshape(-1)


def batch_flatten(x):
    """(batch, ...) -> (batch, everything else)."""
    x = to_tensor(x, "batch_flatten")
    return x.reshape(x.shape[0], -1)


def tile(x, n):
    """``x`` repeated ``n[i]`` times along axis i (``n`` an int or a list)."""
    return torch.tile(to_tensor(x, "tile"), (int(n),) if is_int(n) else tuple(int(k) for k in n))


def repeat(x, n):
    """(samples, dim) -> (samples, n, dim)."""
    x = to_tensor(x, "repeat")
    if x.dim() != 2:
        raise ValueError(f"K.repeat expects a 2-D tensor. Received shape {tuple(x.shape)}")
    return x.unsqueeze(1).repeat(1, int(n), 1)


def repeat_elements(x, rep, axis):
    """Each element repeated ``rep`` times along ``axis`` (like np.repeat)."""
    return torch.repeat_interleave(to_tensor(x, "repeat_elements"), int(rep), dim=axis)


def reverse(x, axes):
    """``x`` reversed along ``axes`` (an int or a list)."""
    x = to_tensor(x, "reverse")
    return torch.flip(x, dims=_dims(x, axes))


def slice(x, start, size):
    """``x[start:start + size]`` per axis (size -1: to the end)."""
    x = to_tensor(x, "slice")
    index = tuple(builtins.slice(int(s), None if int(n) == -1 else int(s) + int(n))
                  for s, n in zip(start, size, strict=True))
    return x[index]


def gather(reference, indices):
    """Rows of ``reference`` (axis 0) picked by integer ``indices``."""
    reference = to_tensor(reference, "gather")
    indices = to_tensor(indices, "gather")
    return reference[indices.to(reference.device).long()]


def one_hot(indices, num_classes):
    """Integer ``indices`` (..., ) as one-hot floatx (..., num_classes); an index outside
    ``[0, num_classes)`` gives a row of zeros (as TensorFlow's one_hot in Keras 2)."""
    indices = to_tensor(indices, "one_hot").long()
    classes = torch.arange(int(num_classes), device=indices.device)
    return (indices.unsqueeze(-1) == classes).to(config.torch_dtype())


def switch(condition, then_expression, else_expression):
    """``then_expression`` where ``condition`` holds, else ``else_expression``.

    A scalar condition picks one expression (callables are called only when picked); a tensor
    condition selects elementwise (a lower-rank condition is broadcast over trailing axes).
    """
    if isinstance(condition, torch.Tensor) and condition.dim() > 0:
        then = then_expression() if callable(then_expression) else then_expression
        other = else_expression() if callable(else_expression) else else_expression
        then, other = to_pair(then, other, "switch")
        target = then if isinstance(then, torch.Tensor) else other
        if condition.dim() > target.dim():
            raise ValueError(f"K.switch: the rank of `condition` ({condition.dim()}) must not "
                             f"exceed the rank of the expressions ({target.dim()}).")
        cond = condition.bool().reshape(tuple(condition.shape) + (1,) * (target.dim()
                                                                         - condition.dim()))
        return torch.where(cond, then, other)
    chosen = then_expression if bool(condition) else else_expression
    return chosen() if callable(chosen) else chosen
