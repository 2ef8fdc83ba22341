"""Confusion-matrix metrics: Precision, Recall and AUC (tf.keras 2 thresholds and formulas)."""

import numpy as np
import torch

from openkeras import config
from openkeras.engine.arrays import as_tensor
from openkeras.losses import squeeze_or_expand_dimensions
from openkeras.metrics.base_metric import Metric, div_no_nan
from openkeras.utils.generic_utils import to_list

NEG_INF = -1e10


def _parse_thresholds(thresholds, default):
    if thresholds is not None:
        invalid = [t for t in to_list(thresholds) if t is None or t < 0 or t > 1]
        if invalid:
            raise ValueError(f"Threshold values must be in [0, 1]. Received: {invalid}")
    return [float(t) for t in to_list(default if thresholds is None else thresholds)]


def _evenly_distributed(thresholds) -> bool:
    n = len(thresholds)
    if n < 3:
        return False
    even = np.arange(n, dtype=np.float32) / (n - 1)
    return bool(np.allclose(thresholds, even, atol=config.epsilon()))


def _filter_top_k(x, k):
    """Keep the k largest scores of the last axis (lower index first on ties), -1e10 elsewhere."""
    top = torch.sort(x, dim=-1, descending=True, stable=True).indices[..., :k]
    keep = torch.zeros_like(x, dtype=torch.bool).scatter_(-1, top, True)
    return torch.where(keep, x, torch.full_like(x, NEG_INF))


def _bucket_counts(values, buckets, num_thresholds, multi_label):
    """Sum ``values`` per bucket, then accumulate from the top bucket down."""
    if multi_label:
        sums = values.new_zeros((num_thresholds, values.shape[-1]))
        sums.scatter_add_(0, buckets, values)
    else:
        sums = values.new_zeros((num_thresholds,)).index_add_(0, buckets, values)
    return sums.flip(0).cumsum(0).flip(0)


def update_confusion_matrix(states, y_true, y_pred, thresholds, *, evenly=False, top_k=None,
                            class_id=None, sample_weight=None, multi_label=False,
                            label_weights=None, thresholds_with_epsilon=False):
    """Add weighted true/false positive/negative counts per threshold to ``states``.

    Args:
        states: Dict with any of the keys 'tp', 'fp', 'tn', 'fn' -> state tensors.
        y_true: Labels; nonzero counts as positive.
        y_pred: Scores in [0, 1]; positive when strictly greater than a threshold.
        thresholds: 1-D tensor of thresholds on the state device.
        evenly: Thresholds are evenly spaced in [0, 1] (bucketed counting, as tf.keras).
        thresholds_with_epsilon: The first threshold lies below 0 (AUC's endpoint).
        top_k: Only the top k scores of each sample may be positive.
        class_id: Only this class (last-axis index) is counted.
        sample_weight: Optional weights broadcastable to y_pred.
        multi_label: Keep the label axis (states of shape (thresholds, labels)).
        label_weights: Optional per-label weights (ignored when multi_label).
    """
    dtype = thresholds.dtype
    y_pred = y_pred.to(dtype)
    y_true = y_true.to(dtype)
    if sample_weight is not None:
        sample_weight = as_tensor(sample_weight, device=y_pred.device).to(dtype)
    y_pred, y_true, sample_weight = squeeze_or_expand_dimensions(y_pred, y_true, sample_weight)
    if y_pred.shape != y_true.shape:
        raise ValueError(f"Shapes of y_true {tuple(y_true.shape)} and y_pred "
                         f"{tuple(y_pred.shape)} are incompatible.")
    weights = None if sample_weight is None else sample_weight.expand(y_pred.shape)
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
    if class_id is not None:
        y_true, y_pred = y_true[..., class_id], y_pred[..., class_id]
        weights = None if weights is None else weights[..., class_id]
    if label_weights is not None and not multi_label:
        label_weights = label_weights.expand(y_pred.shape)
        weights = label_weights if weights is None else weights * label_weights
    if not multi_label:
        y_true, y_pred = y_true.reshape(-1), y_pred.reshape(-1)
        weights = None if weights is None else weights.reshape(-1)
    positive = (y_true != 0).to(dtype)
    true_w = positive if weights is None else positive * weights
    false_w = (1.0 - positive) if weights is None else (1.0 - positive) * weights
    num = thresholds.shape[0]
    if evenly:
        buckets = torch.ceil(y_pred.clamp(0.0, 1.0) * (num - 1)) - 1
        in_range = (buckets >= 0).to(dtype)
        if thresholds_with_epsilon:  # every prediction passes the first threshold
            in_range = torch.ones_like(in_range)
        buckets = buckets.clamp(min=0).long()
        tp = _bucket_counts(true_w * in_range, buckets, num, multi_label)
        fp = _bucket_counts(false_w * in_range, buckets, num, multi_label)
        counts = {"tp": tp, "fp": fp, "fn": true_w.sum(0) - tp, "tn": false_w.sum(0) - fp}
    else:
        view = (-1, 1, 1) if multi_label else (-1, 1)
        above = (y_pred.unsqueeze(0) > thresholds.reshape(view)).to(dtype)
        below = 1.0 - above
        if multi_label:
            counts = {"tp": (above * true_w).sum(1), "fp": (above * false_w).sum(1),
                      "fn": (below * true_w).sum(1), "tn": (below * false_w).sum(1)}
        else:
            counts = {"tp": above @ true_w, "fp": above @ false_w,
                      "fn": below @ true_w, "tn": below @ false_w}
    for key, state in states.items():
        state.add_(counts[key])


class _ThresholdMetric(Metric):
    """A metric holding a fixed list of thresholds, cached as a tensor per device."""

    def _threshold_tensor(self, values, device):
        cached = self.__dict__.get("_threshold_cache")
        if cached is None or cached.device != device:
            cached = torch.tensor(values, dtype=self.torch_dtype, device=device)
            self._threshold_cache = cached
        return cached


class _PrecisionRecall(_ThresholdMetric):
    _other = ""  # 'false_positives' for Precision, 'false_negatives' for Recall

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        self.thresholds = _parse_thresholds(thresholds, 0.5 if top_k is None else NEG_INF)
        self._evenly = _evenly_distributed(self.thresholds)
        self.add_weight("true_positives", (len(self.thresholds),))
        self.add_weight(self._other, (len(self.thresholds),))

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulate the counts of a batch (y_pred in [0, 1])."""
        y_pred = self._tensor(y_pred)
        states = self._states_on(y_pred.device)
        key = "fp" if self._other == "false_positives" else "fn"
        update_confusion_matrix(
            {"tp": states["true_positives"], key: states[self._other]},
            self._tensor(y_true).to(y_pred.device), y_pred,
            self._threshold_tensor(self.thresholds, y_pred.device), evenly=self._evenly,
            top_k=self.top_k, class_id=self.class_id, sample_weight=sample_weight,
            thresholds_with_epsilon=self.thresholds[0] < 0)

    def result(self):
        states = self._states_on(self._device or "cpu")
        tp = states["true_positives"]
        value = div_no_nan(tp, tp + states[self._other])
        return value[0] if len(self.thresholds) == 1 else value

    def get_config(self) -> dict:
        return {**super().get_config(), "thresholds": self.init_thresholds,
                "top_k": self.top_k, "class_id": self.class_id}


class Precision(_PrecisionRecall):
    """true_positives / (true_positives + false_positives), per threshold.

    Args:
        thresholds: A float or list of floats in [0, 1] (default 0.5, or none with top_k).
        top_k: Only the top k predictions of each sample count as positive.
        class_id: Restrict the metric to one class.
        name: Name of the metric.
        dtype: Dtype of the state and result.
    """

    _other = "false_positives"


class Recall(_PrecisionRecall):
    """true_positives / (true_positives + false_negatives), per threshold.

    Args:
        thresholds: A float or list of floats in [0, 1] (default 0.5, or none with top_k).
        top_k: Only the top k predictions of each sample count as positive.
        class_id: Restrict the metric to one class.
        name: Name of the metric.
        dtype: Dtype of the state and result.
    """

    _other = "false_negatives"


_CURVES = {"roc": "ROC", "pr": "PR"}
_SUMMATIONS = ("interpolation", "majoring", "minoring")


class AUC(_ThresholdMetric):
    """Area under the ROC or PR curve, approximated on a grid of thresholds (tf.keras 2).

    Args:
        num_thresholds: Number of thresholds (> 1) when ``thresholds`` is not given.
        curve: 'ROC' or 'PR'.
        summation_method: 'interpolation', 'majoring' or 'minoring'.
        name: Name of the metric.
        dtype: Dtype of the state and result.
        thresholds: Explicit thresholds in [0, 1]; overrides num_thresholds.
        multi_label: Compute one AUC per label and average them.
        num_labels: Number of labels when multi_label (otherwise taken from the first batch).
        label_weights: Per-label weights (of the AUC average when multi_label).
        from_logits: Apply a sigmoid to y_pred first.
    """

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name=None, dtype=None, thresholds=None, multi_label=False, num_labels=None,
                 label_weights=None, from_logits=False):
        super().__init__(name=name, dtype=dtype)
        if curve not in ("ROC", "PR", "roc", "pr"):
            raise ValueError(f'Invalid AUC curve value: "{curve}". '
                             'Expected values are ["PR", "ROC"]')
        if str(summation_method).lower() not in _SUMMATIONS:
            raise ValueError(f'Invalid AUC summation method value: "{summation_method}". '
                             'Expected values are ["interpolation", "majoring", "minoring"]')
        self.curve = _CURVES[str(curve).lower()]
        self.summation_method = str(summation_method).lower()
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            inner = sorted(_parse_thresholds(thresholds, 0.5))
            self.num_thresholds = len(inner) + 2
            self._evenly = _evenly_distributed([0.0] + inner + [1.0])
        else:
            if num_thresholds <= 1:
                raise ValueError("Argument `num_thresholds` must be an integer > 1. "
                                 f"Received: num_thresholds={num_thresholds}")
            self.num_thresholds = num_thresholds
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._evenly = True
        eps = config.epsilon()
        self._thresholds = [0.0 - eps] + inner + [1.0 + eps]
        self.multi_label = multi_label
        self.num_labels = num_labels
        self.label_weights = None if label_weights is None else [float(w) for w in label_weights]
        if self.label_weights is not None and min(self.label_weights) < 0:
            raise ValueError("All values of `label_weights` must be non-negative. "
                             f"Received: label_weights={label_weights}")
        self._from_logits = from_logits
        self._built = False
        if multi_label and num_labels:
            self._build(num_labels)
        elif not multi_label:
            if num_labels:
                raise ValueError("`num_labels` is needed only when `multi_label` is True.")
            self._build(None)

    @property
    def thresholds(self) -> list:
        return list(self._thresholds)

    def _build(self, num_labels):
        shape = (self.num_thresholds,) if not self.multi_label else (self.num_thresholds,
                                                                      num_labels)
        for key in ("true_positives", "true_negatives", "false_positives", "false_negatives"):
            self.add_weight(key, shape)
        self._built = True

    def _label_weights_on(self, device):
        if self.label_weights is None:
            return None
        cached = self.__dict__.get("_label_weights_cache")
        if cached is None or cached.device != device:
            cached = torch.tensor(self.label_weights, dtype=self.torch_dtype, device=device)
            self._label_weights_cache = cached
        return cached

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulate the confusion counts of a batch at every threshold."""
        y_pred = self._tensor(y_pred)
        if not self._built:
            if y_pred.dim() != 2:
                raise ValueError("`y_true` must have rank 2 when `multi_label=True`. Found "
                                 f"rank {y_pred.dim()}. Full shape received for `y_true`: "
                                 f"{tuple(y_pred.shape)}")
            self._build(y_pred.shape[1])
        if self._from_logits:
            y_pred = torch.sigmoid(y_pred)
        s = self._states_on(y_pred.device)
        update_confusion_matrix(
            {"tp": s["true_positives"], "tn": s["true_negatives"], "fp": s["false_positives"],
             "fn": s["false_negatives"]},
            self._tensor(y_true).to(y_pred.device), y_pred,
            self._threshold_tensor(self._thresholds, y_pred.device), evenly=self._evenly,
            sample_weight=sample_weight, multi_label=self.multi_label,
            label_weights=None if self.multi_label else self._label_weights_on(y_pred.device),
            thresholds_with_epsilon=True)

    def _average(self, per_threshold):
        """Sum over thresholds, then the (weighted) mean over labels when multi_label."""
        by_label = per_threshold.sum(0)
        if not self.multi_label:
            return by_label
        weights = self._label_weights_on(by_label.device)
        if weights is None:
            return by_label.mean()
        return div_no_nan((by_label * weights).sum(), weights.sum())

    def _interpolate_pr_auc(self, tp, fp, fn):
        """Davis & Goadrich interpolation of the PR curve between thresholds."""
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        prec_slope = div_no_nan(dtp, dp.clamp(min=0))
        intercept = tp[1:] - prec_slope * p[1:]
        both = (p[:-1] > 0) & (p[1:] > 0)
        ratio = torch.where(both, div_no_nan(p[:-1], p[1:].clamp(min=0)), torch.ones_like(p[1:]))
        increment = div_no_nan(prec_slope * (dtp + intercept * torch.log(ratio)),
                               (tp[1:] + fn[1:]).clamp(min=0))
        return self._average(increment)

    def result(self):
        if not self._built:
            return torch.zeros((), dtype=self.torch_dtype)
        s = self._states_on(self._device or "cpu")
        tp, fp = s["true_positives"], s["false_positives"]
        tn, fn = s["true_negatives"], s["false_negatives"]
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolate_pr_auc(tp, fp, fn)
        recall = div_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = div_no_nan(fp, fp + tn), recall
        else:
            x, y = recall, div_no_nan(tp, tp + fp)
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = torch.minimum(y[:-1], y[1:])
        else:
            heights = torch.maximum(y[:-1], y[1:])
        return self._average((x[:-1] - x[1:]) * heights)

    def get_config(self) -> dict:
        config_ = {**super().get_config(), "num_thresholds": self.num_thresholds,
                   "curve": self.curve, "summation_method": self.summation_method,
                   "multi_label": self.multi_label, "num_labels": self.num_labels,
                   "label_weights": self.label_weights, "from_logits": self._from_logits}
        if self._init_from_thresholds:
            config_["thresholds"] = self.thresholds[1:-1]
        return config_
