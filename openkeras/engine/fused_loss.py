"""The batch mean of Keras 2's categorical crossentropy, with its backward pass written out.

``fit`` on a softmax classifier spends much of a small model's step in the loss: Keras 2.2.4's
probability-space formula (renormalize, clip, log, weighted sum, mean) records eight autograd
nodes whose backward runs about twenty small kernels. ``categorical_crossentropy_mean`` computes
the same forward ops and a backward that applies the same formulas autograd would (same
operations in the same order, so the loss and the gradient are bitwise equal to those of
``losses.categorical_crossentropy(y_true, y_pred).mean()``) in about half the kernels.
"""

import torch


class _CategoricalCrossentropyMean(torch.autograd.Function):
    """mean(-sum(y_true * log(clip(y_pred / sum(y_pred), eps, 1 - eps)), -1))."""

    @staticmethod
    def forward(ctx, y_true, y_pred, epsilon):
        total = y_pred.sum(dim=-1, keepdim=True)
        probs = y_pred / total
        clipped = torch.clamp(probs, epsilon, 1.0 - epsilon)
        values = -(y_true * torch.log(clipped)).sum(dim=-1)
        # Where the clip cut a value (or it is NaN) no gradient flows, as through torch.clamp:
        # ``probs != clipped`` is exactly "not (epsilon <= probs <= 1 - epsilon)".
        ctx.save_for_backward(y_true, total, probs, clipped, probs != clipped)
        return values.mean()

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad):
        y_true, total, probs, clipped, cut = ctx.saved_tensors
        count = y_true.numel() // y_true.shape[-1] if y_true.dim() else 1
        # mean -> neg -> sum -> mul(y_true) -> log -> clamp, as autograd's nodes compute them
        grad_probs = (y_true * (grad / count).neg()).div_(clipped).masked_fill_(cut, 0.0)
        # probs = y_pred / total, with total = y_pred.sum(-1): both paths reach y_pred
        through_total = (grad_probs * (probs / total)).sum(dim=-1, keepdim=True)
        return None, (grad_probs / total).sub_(through_total), None


def categorical_crossentropy_mean(y_true, y_pred, epsilon):
    """The mean over samples of ``losses.categorical_crossentropy(y_true, y_pred)``.

    Args:
        y_true: one-hot (or soft) targets, the shape and dtype of ``y_pred``.
        y_pred: probabilities, classes on the last axis.
        epsilon: the clip value (``K.epsilon()``).
    """
    return _CategoricalCrossentropyMean.apply(y_true, y_pred, epsilon)
