"""``K.map_fn``, ``K.foldl`` and ``K.foldr``: Python loops over the first axis of a tensor."""

import torch

from openkeras import config
from openkeras.backend.common import to_tensor


def map_fn(fn, elems, name=None, dtype=None):
    """``fn`` applied to each element of ``elems`` along axis 0, the results stacked.

    Args:
        fn: a callable taking one slice ``elems[i]`` and returning a tensor.
        elems: a tensor.
        name: ignored (a TensorFlow graph name).
        dtype: the Keras dtype name of the output (default: that of ``fn``'s results).
    """
    elems = to_tensor(elems, "map_fn")
    results = [to_tensor(fn(e), "map_fn", like=elems) for e in elems.unbind(0)]
    if not results:
        raise ValueError("K.map_fn: `elems` has no elements along axis 0.")
    out = torch.stack(results, dim=0)
    return out if dtype is None else out.to(config.torch_dtype(dtype))


def _fold(op, fn, elems, initializer, reverse):
    elems = to_tensor(elems, op)
    items = list(elems.unbind(0))
    if reverse:
        items.reverse()
    if initializer is None:
        if not items:
            raise ValueError(f"K.{op}: `elems` is empty and no `initializer` was given.")
        acc, items = items[0], items[1:]
    else:
        acc = initializer
    for x in items:
        acc = fn(acc, x)
    return acc


def foldl(fn, elems, initializer=None, name=None):
    """``fn(acc, x)`` accumulated over ``elems`` from the first to the last element of axis 0.

    Args:
        fn: a callable ``(acc, x) -> acc``.
        elems: a tensor.
        initializer: the first ``acc`` (default: ``elems[0]``, which is then not folded again).
        name: ignored (a TensorFlow graph name).
    """
    return _fold("foldl", fn, elems, initializer, reverse=False)


def foldr(fn, elems, initializer=None, name=None):
    """``fn(acc, x)`` accumulated over ``elems`` from the last to the first element of axis 0.

    Args:
        fn: a callable ``(acc, x) -> acc``.
        elems: a tensor.
        initializer: the first ``acc`` (default: ``elems[-1]``, which is then not folded again).
        name: ignored (a TensorFlow graph name).
    """
    return _fold("foldr", fn, elems, initializer, reverse=True)
