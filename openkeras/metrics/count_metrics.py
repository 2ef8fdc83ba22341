"""Keras 2.3's confusion-count, sensitivity/specificity, MeanIoU and RMSE metrics."""

import torch

from openkeras.metrics.base_metric import Mean, Metric, div_no_nan
from openkeras.metrics.confusion_metrics import (
    _parse_thresholds,
    _ThresholdMetric,
    update_confusion_matrix,
)


class _ConfusionCount(_ThresholdMetric):
    _key = ""  # 'tp', 'fp', 'tn' or 'fn'

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = _parse_thresholds(thresholds, 0.5)
        self.add_weight("accumulator", (len(self.thresholds),))

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add the weighted count of a batch (y_pred in [0, 1]; positive above a threshold)."""
        y_pred = self._tensor(y_pred)
        states = self._states_on(y_pred.device)
        update_confusion_matrix({self._key: states["accumulator"]},
                                self._tensor(y_true).to(y_pred.device), y_pred,
                                self._threshold_tensor(self.thresholds, y_pred.device),
                                sample_weight=sample_weight)

    def result(self):
        value = self._states_on(self._device or "cpu")["accumulator"]
        return value[0] if len(self.thresholds) == 1 else value

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds}


class TruePositives(_ConfusionCount):
    """The weighted number of true positives, per threshold.

    Args:
        thresholds: a float or list of floats in [0, 1] (default 0.5).
        name: the metric's name. ``dtype``: its dtype.
    """

    _key = "tp"


class FalsePositives(_ConfusionCount):
    """The weighted number of false positives, per threshold (see ``TruePositives``)."""

    _key = "fp"


class TrueNegatives(_ConfusionCount):
    """The weighted number of true negatives, per threshold (see ``TruePositives``)."""

    _key = "tn"


class FalseNegatives(_ConfusionCount):
    """The weighted number of false negatives, per threshold (see ``TruePositives``)."""

    _key = "fn"


class SensitivitySpecificityBase(_ThresholdMetric):
    """Confusion counts on ``num_thresholds`` evenly spaced thresholds (Keras 2.3's grid).

    Args:
        value: the target specificity / sensitivity, in [0, 1].
        num_thresholds: number of thresholds (> 0).
        name: the metric's name. ``dtype``: its dtype.
    """

    def __init__(self, value, num_thresholds=200, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        if num_thresholds <= 0:
            raise ValueError(f"`num_thresholds` must be > 0. Received: {num_thresholds}")
        self.value = value
        self.num_thresholds = num_thresholds
        if num_thresholds == 1:
            self.thresholds = [0.5]
        else:
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self.thresholds = [0.0] + inner + [1.0]
        for key in ("true_positives", "true_negatives", "false_positives", "false_negatives"):
            self.add_weight(key, (num_thresholds,))

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add the batch's counts at every threshold."""
        y_pred = self._tensor(y_pred)
        s = self._states_on(y_pred.device)
        update_confusion_matrix(
            {"tp": s["true_positives"], "tn": s["true_negatives"], "fp": s["false_positives"],
             "fn": s["false_negatives"]}, self._tensor(y_true).to(y_pred.device), y_pred,
            self._threshold_tensor(self.thresholds, y_pred.device), sample_weight=sample_weight)

    def _rates(self):
        s = self._states_on(self._device or "cpu")
        sensitivity = div_no_nan(s["true_positives"], s["true_positives"] + s["false_negatives"])
        specificity = div_no_nan(s["true_negatives"], s["true_negatives"] + s["false_positives"])
        return sensitivity, specificity

    def get_config(self):
        return {**super().get_config(), "num_thresholds": self.num_thresholds}


class SensitivityAtSpecificity(SensitivitySpecificityBase):
    """The sensitivity at the threshold whose specificity is closest to ``specificity``.

    Args:
        specificity: the target specificity in [0, 1].
        num_thresholds: number of thresholds (default 200).
    """

    def __init__(self, specificity, num_thresholds=200, name=None, dtype=None):
        if specificity < 0 or specificity > 1:
            raise ValueError(f"`specificity` must be in the range [0, 1]. Received: {specificity}")
        self.specificity = specificity
        super().__init__(specificity, num_thresholds, name=name, dtype=dtype)

    def result(self):
        sensitivity, specificity = self._rates()
        return sensitivity[torch.argmin(torch.abs(specificity - self.value))]

    def get_config(self):
        return {**super().get_config(), "specificity": self.specificity}


class SpecificityAtSensitivity(SensitivitySpecificityBase):
    """The specificity at the threshold whose sensitivity is closest to ``sensitivity``.

    Args:
        sensitivity: the target sensitivity in [0, 1].
        num_thresholds: number of thresholds (default 200).
    """

    def __init__(self, sensitivity, num_thresholds=200, name=None, dtype=None):
        if sensitivity < 0 or sensitivity > 1:
            raise ValueError(f"`sensitivity` must be in the range [0, 1]. Received: {sensitivity}")
        self.sensitivity = sensitivity
        super().__init__(sensitivity, num_thresholds, name=name, dtype=dtype)

    def result(self):
        sensitivity, specificity = self._rates()
        return specificity[torch.argmin(torch.abs(sensitivity - self.value))]

    def get_config(self):
        return {**super().get_config(), "sensitivity": self.sensitivity}


BaseMeanIoU = Metric  # Keras 2.3 based MeanIoU on tf.keras's; openkeras's stands alone


class MeanIoU(Metric):
    """The mean over classes of intersection / union, from an accumulated confusion matrix.

    Args:
        num_classes: the number of classes (the matrix is num_classes x num_classes).
        name: the metric's name. ``dtype``: its dtype.
    """

    def __init__(self, num_classes, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.num_classes = int(num_classes)
        self.add_weight("total_confusion_matrix", (self.num_classes, self.num_classes))

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add a batch of integer labels and predictions (any shape, flattened)."""
        y_pred = torch.as_tensor(y_pred)
        matrix = self._states_on(y_pred.device)["total_confusion_matrix"]
        y_true = torch.as_tensor(y_true, device=y_pred.device).reshape(-1).long()
        y_pred = y_pred.reshape(-1).long()
        weights = (torch.ones_like(y_true, dtype=matrix.dtype) if sample_weight is None
                   else torch.as_tensor(sample_weight, device=matrix.device)
                   .to(matrix.dtype).expand(y_true.shape[0]).reshape(-1))
        index = y_true * self.num_classes + y_pred
        matrix.view(-1).index_add_(0, index, weights)

    def result(self):
        m = self._states_on(self._device or "cpu")["total_confusion_matrix"]
        true_positives = torch.diagonal(m)
        union = m.sum(0) + m.sum(1) - true_positives
        present = (union != 0).to(m.dtype)
        iou = div_no_nan(true_positives, union)
        return div_no_nan(iou.sum(), present.sum())

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes}


class RootMeanSquaredError(Mean):
    """The square root of the (weighted) mean of ``(y_pred - y_true) ** 2``."""

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = self._tensor(y_pred)
        y_true = self._tensor(y_true).to(y_pred.device)
        super().update_state(torch.square(y_pred - y_true), sample_weight=sample_weight)

    def result(self):
        return torch.sqrt(super().result())


def clone_metric(metric):
    """A fresh copy of a stateful metric (from its config); functions are returned as is."""
    if isinstance(metric, Metric):
        return metric.__class__.from_config(metric.get_config())
    return metric


def clone_metrics(metrics):
    """``clone_metric`` over a list or dict of metrics (None stays None)."""
    if metrics is None:
        return None
    if isinstance(metrics, dict):
        return {key: clone_metric(value) for key, value in metrics.items()}
    return [clone_metric(m) for m in metrics]
