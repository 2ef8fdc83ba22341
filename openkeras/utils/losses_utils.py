"""Keras 2.3's ``keras.utils.losses_utils``: loss reduction and sample weighting helpers."""

import torch

from openkeras.losses import compute_weighted_loss as _compute_weighted_loss
from openkeras.losses import squeeze_or_expand_dimensions  # noqa: F401


class Reduction:
    """How a loss over a batch is reduced (Keras 2.3's names and values)."""

    NONE = "none"
    SUM = "sum"
    SUM_OVER_BATCH_SIZE = "sum_over_batch_size"

    @classmethod
    def all(cls):
        return (cls.NONE, cls.SUM, cls.SUM_OVER_BATCH_SIZE)

    @classmethod
    def validate(cls, key):
        if key not in cls.all():
            raise ValueError(f"Invalid Reduction Key {key!r}. Expected one of {cls.all()}.")


def broadcast_weights(values, sample_weight):
    """``sample_weight`` broadcast to the shape of ``values``."""
    values = torch.as_tensor(values)
    return torch.as_tensor(sample_weight, dtype=values.dtype).expand(values.shape)


def reduce_weighted_loss(weighted_losses, reduction=Reduction.SUM_OVER_BATCH_SIZE):
    """Sum or average (over all elements) already weighted losses, or keep them (``'none'``)."""
    Reduction.validate(reduction)
    if reduction == Reduction.NONE:
        return weighted_losses
    total = torch.sum(weighted_losses)
    if reduction == Reduction.SUM_OVER_BATCH_SIZE:
        total = total / max(1, weighted_losses.numel())
    return total


def compute_weighted_loss(losses, sample_weight=None, reduction=Reduction.SUM_OVER_BATCH_SIZE,
                          name=None):
    """Weight per-sample ``losses`` by ``sample_weight`` and reduce them.

    Args:
        losses: a tensor of per-sample (or per-element) losses.
        sample_weight: None, a scalar, or a tensor broadcastable to ``losses``.
        reduction: a ``Reduction`` value.
        name: accepted for Keras 2.3 compatibility.
    """
    Reduction.validate(reduction)
    return _compute_weighted_loss(torch.as_tensor(losses), sample_weight, reduction)
