"""Keras 2's ``TFOptimizer`` (a TensorFlow optimizer wrapper) and ``clip_norm``."""

import torch


def clip_norm(g, c, n):
    """``g`` scaled by ``c / n`` when the norm ``n`` exceeds ``c`` (``c <= 0``: unchanged).

    Args:
        g: a gradient tensor.
        c: the clip norm.
        n: the (global) norm to compare with ``c``.
    """
    if c <= 0:
        return g
    g = torch.as_tensor(g)
    n = torch.as_tensor(n, dtype=g.dtype, device=g.device)
    return torch.where(n >= c, g * (c / n), g)


class TFOptimizer:
    """Keras 2's wrapper of a native TensorFlow optimizer; openkeras runs on torch only."""

    def __init__(self, optimizer=None, *args, **kwargs):
        raise NotImplementedError(
            "TFOptimizer wraps a TensorFlow optimizer; openkeras runs on PyTorch and cannot use "
            f"one (received {type(optimizer).__name__}). Use a keras.optimizers optimizer "
            "(SGD, Adam, ...) or write a keras.optimizers.Optimizer subclass.")
