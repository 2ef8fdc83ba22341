"""Accuracy metric functions (one value per sample) and their stateful classes."""

import torch

from openkeras import config
from openkeras.engine.arrays import as_tensor
from openkeras.metrics.base_metric import MeanMetricWrapper


def _as_tensors(y_true, y_pred):
    if not torch.is_tensor(y_pred):
        y_pred = as_tensor(y_pred, dtype=config.torch_dtype())
    return as_tensor(y_true, device=y_pred.device), y_pred


def _floatx(x):
    return x.to(config.torch_dtype())


def accuracy(y_true, y_pred):
    """1 where y_true == y_pred, elementwise."""
    y_true, y_pred = _as_tensors(y_true, y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"accuracy: y_true shape {tuple(y_true.shape)} does not match "
                         f"y_pred shape {tuple(y_pred.shape)}.")
    return _floatx(y_true == y_pred.to(y_true.dtype))


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """Mean over the last axis of y_true == (y_pred > threshold)."""
    y_true, y_pred = _as_tensors(y_true, y_pred)
    y_pred = (y_pred > threshold).to(y_pred.dtype)
    return _floatx(y_true.to(y_pred.dtype) == y_pred).mean(dim=-1)


def categorical_accuracy(y_true, y_pred):
    """1 where the argmax of one-hot y_true equals the argmax of y_pred."""
    y_true, y_pred = _as_tensors(y_true, y_pred)
    return _floatx(y_true.argmax(dim=-1) == y_pred.argmax(dim=-1))


def sparse_categorical_accuracy(y_true, y_pred):
    """1 where the integer label equals the argmax of y_pred."""
    y_true, y_pred = _as_tensors(y_true, y_pred)
    if y_true.dim() == y_pred.dim():
        y_true = y_true.squeeze(-1)
    return _floatx(y_true == y_pred.argmax(dim=-1).to(y_true.dtype))


def _in_top_k(predictions, targets, k):
    """tf.nn.in_top_k: ties at the k-th value count as inside; non-finite scores never do."""
    target_score = predictions.gather(-1, targets.long().unsqueeze(-1))
    rank = (predictions > target_score).sum(dim=-1)
    return (rank < k) & torch.isfinite(target_score.squeeze(-1))


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1 where the argmax of one-hot y_true is among the k highest scores of y_pred."""
    y_true, y_pred = _as_tensors(y_true, y_pred)
    return _floatx(_in_top_k(y_pred, y_true.argmax(dim=-1), k))


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1 where the integer label is among the k highest scores of y_pred."""
    y_true, y_pred = _as_tensors(y_true, y_pred)
    if y_pred.dim() > 2:
        y_pred = y_pred.reshape(-1, y_pred.shape[-1])
    return _floatx(_in_top_k(y_pred, y_true.reshape(-1), k))


class Accuracy(MeanMetricWrapper):
    """How often predictions equal labels.

    Args:
        name: Name of the metric.
        dtype: Dtype of the state and result.
    """

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name, dtype=dtype)


class BinaryAccuracy(MeanMetricWrapper):
    """How often thresholded predictions equal binary labels.

    Args:
        name: Name of the metric.
        dtype: Dtype of the state and result.
        threshold: Predictions above it count as 1.
    """

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(binary_accuracy, name, dtype=dtype, threshold=threshold)


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the argmax of predictions equals the argmax of one-hot labels.

    Args:
        name: Name of the metric.
        dtype: Dtype of the state and result.
    """

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name, dtype=dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the argmax of predictions equals integer labels.

    Args:
        name: Name of the metric.
        dtype: Dtype of the state and result.
    """

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name, dtype=dtype)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot label is among the top ``k`` predictions.

    Args:
        k: Number of top predictions considered.
        name: Name of the metric.
        dtype: Dtype of the state and result.
    """

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(top_k_categorical_accuracy, name, dtype=dtype, k=k)


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is among the top ``k`` predictions.

    Args:
        k: Number of top predictions considered.
        name: Name of the metric.
        dtype: Dtype of the state and result.
    """

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None):
        super().__init__(sparse_top_k_categorical_accuracy, name, dtype=dtype, k=k)
