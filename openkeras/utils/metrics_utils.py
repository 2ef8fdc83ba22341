"""Keras 2.3's ``keras.utils.metrics_utils``: confusion-matrix helpers of threshold metrics."""

import functools

import torch

from openkeras.metrics.confusion_metrics import _filter_top_k, update_confusion_matrix
from openkeras.utils import losses_utils  # noqa: F401
from openkeras.utils.generic_utils import to_list
from openkeras.utils.losses_utils import Reduction  # noqa: F401

NEG_INF = -1e10


class ConfusionMatrix:
    """The names of the confusion-matrix counts."""

    TRUE_POSITIVES = "tp"
    FALSE_POSITIVES = "fp"
    TRUE_NEGATIVES = "tn"
    FALSE_NEGATIVES = "fn"


class AUCCurve:
    """The curves ``AUC`` integrates: ``'ROC'`` or ``'PR'``."""

    ROC = "ROC"
    PR = "PR"

    @staticmethod
    def from_str(key):
        if key in ("pr", "PR"):
            return AUCCurve.PR
        if key in ("roc", "ROC"):
            return AUCCurve.ROC
        raise ValueError(f'Invalid AUC curve value "{key}".')


class AUCSummationMethod:
    """How ``AUC`` sums the area: interpolation, majoring or minoring."""

    INTERPOLATION = "interpolation"
    MAJORING = "majoring"
    MINORING = "minoring"

    @staticmethod
    def from_str(key):
        for value in ("interpolation", "majoring", "minoring"):
            if key in (value, value.capitalize()):
                return value
        raise ValueError(f'Invalid AUC summation method value "{key}".')


def assert_thresholds_range(thresholds):
    """Refuse thresholds outside [0, 1]."""
    if thresholds is not None:
        bad = [t for t in to_list(thresholds) if t is None or t < 0 or t > 1]
        if bad:
            raise ValueError(f"Threshold values must be in [0, 1]. Invalid values: {bad}")


def parse_init_thresholds(thresholds, default_threshold=0.5):
    """The thresholds as a list (``default_threshold`` when None), checked to be in [0, 1]."""
    if thresholds is not None:
        assert_thresholds_range(to_list(thresholds))
    return to_list(default_threshold if thresholds is None else thresholds)


def filter_top_k(x, k):
    """``x`` with every entry outside the top ``k`` of the last axis set to ``NEG_INF``."""
    return _filter_top_k(torch.as_tensor(x), k)


def update_confusion_matrix_variables(variables_to_update, y_true, y_pred, thresholds,
                                      top_k=None, class_id=None, sample_weight=None):
    """Add the counts of a batch to the tensors in ``variables_to_update``.

    Args:
        variables_to_update: ``{ConfusionMatrix.X: tensor of shape (len(thresholds),)}``.
        y_true: labels (nonzero counts as positive).
        y_pred: scores in [0, 1].
        thresholds: a float or list of floats.
        top_k: only the top k scores of a sample may be positive.
        class_id: count only this class (last-axis index).
        sample_weight: optional weights.
    """
    unknown = set(variables_to_update) - {"tp", "fp", "tn", "fn"}
    if unknown:
        raise ValueError(f"Invalid keys: {sorted(unknown)}. Valid variable key options are: "
                         "ConfusionMatrix.TRUE_POSITIVES/FALSE_POSITIVES/TRUE_NEGATIVES/"
                         "FALSE_NEGATIVES")
    states = dict(variables_to_update)
    some = next(iter(states.values()))
    y_pred = torch.as_tensor(y_pred, device=some.device)
    y_true = torch.as_tensor(y_true, device=some.device)
    th = torch.tensor(to_list(thresholds), dtype=some.dtype, device=some.device)
    update_confusion_matrix(states, y_true, y_pred, th, top_k=top_k, class_id=class_id,
                            sample_weight=sample_weight)


def weighted_assign_add(label, pred, weights, var):
    """``var += sum(label * pred * weights)`` over the batch axis (in place)."""
    product = torch.as_tensor(label) * torch.as_tensor(pred)
    if weights is not None:
        product = product * torch.as_tensor(weights)
    var.add_(product.sum(0).to(var.dtype))
    return var


def update_state_wrapper(update_state_fn):
    """Keras 2.3 wrapped ``Metric.update_state`` to run in its graph; openkeras runs it as is."""
    return functools.wraps(update_state_fn)(lambda *a, **k: update_state_fn(*a, **k))


def result_wrapper(result_fn):
    """Keras 2.3 wrapped ``Metric.result`` to run in its graph; openkeras runs it as is."""
    return functools.wraps(result_fn)(lambda *a, **k: result_fn(*a, **k))
