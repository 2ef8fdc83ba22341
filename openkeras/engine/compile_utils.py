"""What ``compile`` resolves: per-output losses, loss weights, metrics and their log names."""

import copy

import torch

from openkeras import config
from openkeras import losses as losses_module
from openkeras import metrics as metrics_module
from openkeras.engine.fused_loss import categorical_crossentropy_mean
from openkeras.engine.symbolic_dispatch import eager_function
from openkeras.losses import squeeze_or_expand_dimensions

_FUSED_DTYPES = (torch.float32, torch.float64)
_CATEGORICAL_ACCURACY = eager_function(metrics_module.categorical_accuracy)


def per_output(value, output_names, what, default=None):
    """A compile argument (single value, list or dict by output name) as one entry per output."""
    n = len(output_names)
    if isinstance(value, dict):
        unknown = [k for k in value if k not in output_names]
        if unknown:
            raise ValueError(f'Unknown entry in {what} dictionary: "{unknown[0]}". Only expected '
                             f"the following keys: {output_names}")
        return [value.get(name, default) for name in output_names]
    if isinstance(value, (list, tuple)) and what != "metrics":
        if len(value) != n:
            raise ValueError(f"When passing a list as {what}, it should have one entry per model "
                             f"output. The model has {n} outputs, but you passed {what}="
                             f"{list(value)!r}")
        return list(value)
    return [value] * n


def _base_fn(loss):
    """The plain function behind a loss name, function or Loss object (None if not known)."""
    return getattr(loss, "fn", loss)


class OutputLoss:
    """The loss of one output: resolved function or Loss object, weight and log name.

    Args:
        loss: what the user gave (name, function or Loss object).
        weight: the output's loss weight.
        name: the output's name.
    """

    def __init__(self, loss, weight, name):
        self.spec = loss
        self.fn = losses_module.get(loss)
        self._eager_fn = eager_function(self.fn)  # called on torch tensors: no graph check
        self.weight = 1.0 if weight is None else float(weight)
        self.name = name
        self.is_object = isinstance(self.fn, losses_module.Loss)
        if self.is_object and self.fn.reduction == "none":
            raise ValueError(
                f"Output {name!r}: the loss {type(self.fn).__name__} has reduction='none', which "
                "gives one value per sample; compile() needs a scalar loss. Use the default "
                "reduction ('auto' / 'sum_over_batch_size') or 'sum'.")
        base = _base_fn(self.fn)
        self.sparse = base is losses_module.sparse_categorical_crossentropy
        self.base = base
        # Keras's categorical crossentropy by name or function: training may use the fused mean
        self.fused = self._eager_fn is eager_function(losses_module.categorical_crossentropy)

    def __call__(self, y_true, y_pred, sample_weight=None, mask=None):
        """The reduced loss of a batch (sample weights and mask applied as in tf.keras 2)."""
        if self.is_object and mask is None:
            return self.fn(y_true, y_pred, sample_weight=sample_weight)
        if (self.fused and sample_weight is None and mask is None and y_pred.requires_grad
                and torch.is_tensor(y_true) and y_true.shape == y_pred.shape
                and y_true.dtype == y_pred.dtype and y_pred.dtype in _FUSED_DTYPES
                and y_true.device == y_pred.device
                and y_pred.dim() > 0 and torch.is_grad_enabled()
                and not torch.compiler.is_compiling()):  # a compiler fuses the plain ops itself
            return categorical_crossentropy_mean(y_true, y_pred, config.epsilon())
        if self.is_object:
            values = self.fn.call(y_true, y_pred)
            reduction = self.fn.reduction
        else:
            y_pred, y_true, _ = squeeze_or_expand_dimensions(y_pred, y_true)
            values = self._eager_fn(y_true, y_pred)
            reduction = "sum_over_batch_size"
        if values.dim() == 0:
            return values
        if sample_weight is None and mask is None:
            return values.sum() if reduction == "sum" else values.mean()
        return weighted_reduce(values, sample_weight, mask, reduction)


def weighted_reduce(values, sample_weight, mask, reduction="sum_over_batch_size"):
    """sum(values * weights) / count, where count is the number of unmasked entries."""
    weights = None
    if sample_weight is not None:
        _, _, weights = squeeze_or_expand_dimensions(values, None, sample_weight.to(values.dtype))
    denominator = values.numel()
    if mask is not None:
        _, _, m = squeeze_or_expand_dimensions(values, None, mask.to(values.dtype))
        weights = m if weights is None else weights * m
        denominator = m.expand_as(values).sum().clamp(min=1.0)
    total = (values * weights).sum()
    if reduction == "sum":
        return total
    return total / denominator


class LossTracker:
    """The running mean of a loss over batches, weighted by batch size, kept on the device.

    Args:
        name: the log name ('loss', 'dense_1_loss', ...).
    """

    def __init__(self, name):
        self.name = name
        self.total = None
        self.count = 0

    def update_state(self, value, n):
        value = value.detach()
        if self.total is None or self.total.device != value.device:
            self.total = torch.zeros((), dtype=torch.float32, device=value.device)
        self.total.add_(value, alpha=n)
        self.count += n

    def result(self):
        if self.total is None:
            return torch.zeros(())
        return self.total / max(self.count, 1)

    def reset_state(self):
        if self.total is not None:
            self.total.zero_()
        self.count = 0

    reset_states = reset_state


def _accuracy_fn(loss_base, output_shape):
    if loss_base is losses_module.binary_crossentropy or (output_shape and output_shape[-1] == 1):
        return metrics_module.binary_accuracy
    if loss_base is losses_module.sparse_categorical_crossentropy:
        return metrics_module.sparse_categorical_accuracy
    return metrics_module.categorical_accuracy


def _crossentropy_fn(loss_base, output_shape):
    if loss_base is losses_module.binary_crossentropy or (output_shape and output_shape[-1] == 1):
        return losses_module.binary_crossentropy
    if loss_base is losses_module.sparse_categorical_crossentropy:
        return losses_module.sparse_categorical_crossentropy
    return losses_module.categorical_crossentropy


class FnMean(metrics_module.MeanMetricWrapper):
    """MeanMetricWrapper for metrics named in compile, with a lean path for the training loop.

    When targets and predictions already agree in rank and dtype and there is no sample weight
    (the common case in ``fit``), the values are added to the state without conversions.
    """

    def update_state(self, y_true, y_pred, sample_weight=None):
        if (sample_weight is not None or not torch.is_tensor(y_true) or not torch.is_tensor(y_pred)
                or y_true.dtype != y_pred.dtype or y_true.dim() != y_pred.dim()
                or self._device != y_pred.device):
            return super().update_state(y_true, y_pred, sample_weight=sample_weight)
        if self._eager_fn is _CATEGORICAL_ACCURACY:
            # The matches, counted: the same total as summing categorical_accuracy's 0./1.
            # values (exact integers), without the conversion to floats.
            hits = y_true.argmax(dim=-1) == y_pred.argmax(dim=-1)
            self._state["total"].add_(hits.sum())
            self._state["count"].add_(hits.numel())
            return
        values = self._eager_fn(y_true, y_pred, **self._fn_kwargs)
        if values.dtype != self.torch_dtype:
            values = values.to(self.torch_dtype)
        self._state["total"].add_(values.sum())
        self._state["count"].add_(values.numel())


def make_metric(spec, loss_base, output_shape):
    """A Metric object for a metric name, function, class or instance (and its log name)."""
    if isinstance(spec, str) and spec in ("accuracy", "acc"):
        return FnMean(_accuracy_fn(loss_base, output_shape), name=spec)
    if isinstance(spec, str) and spec in ("crossentropy", "ce"):
        return FnMean(_crossentropy_fn(loss_base, output_shape), name=spec)
    if isinstance(spec, metrics_module.Metric):
        return spec
    if isinstance(spec, type) and issubclass(spec, metrics_module.Metric):
        return spec()
    resolved = metrics_module.get(spec)
    if isinstance(resolved, metrics_module.Metric):
        return resolved
    name = spec if isinstance(spec, str) else getattr(resolved, "__name__", "metric")
    return FnMean(resolved, name=name)


class CompiledMetric:
    """One metric of one output: the Metric object, its log name and whether it is weighted."""

    __slots__ = ("metric", "name", "weighted", "output_index")

    def __init__(self, metric, name, weighted, output_index):
        self.metric = metric
        self.name = name
        self.weighted = weighted
        self.output_index = output_index


def build_metrics(metrics, weighted_metrics, output_names, output_shapes, output_losses):
    """CompiledMetric list in tf.keras 2 order, with Keras 2 log names.

    Args:
        metrics: compile's ``metrics`` (list for every output, or dict by output name).
        weighted_metrics: compile's ``weighted_metrics`` (same forms).
        output_names: the model's output names.
        output_shapes: the model's output shapes (None where unknown).
        output_losses: OutputLoss (or None) per output.
    """
    multi = len(output_names) > 1
    per_metrics = _metric_lists(metrics, output_names, "metrics")
    per_weighted = _metric_lists(weighted_metrics, output_names, "weighted_metrics")
    out, names, seen_objects = [], set(), set()
    for i, name in enumerate(output_names):
        loss_base = output_losses[i].base if output_losses[i] is not None else None
        for group, weighted in ((per_metrics[i], False), (per_weighted[i], True)):
            for spec in group:
                metric = make_metric(spec, loss_base, output_shapes[i])
                if id(metric) in seen_objects:
                    metric = copy.deepcopy(metric)
                    metric.reset_state()
                seen_objects.add(id(metric))
                log_name = metric.name
                if multi:
                    prefix = f"{name}_weighted_" if weighted and f"{name}_{log_name}" in names \
                        else f"{name}_"
                    log_name = prefix + log_name
                elif weighted and log_name in names:
                    log_name = "weighted_" + log_name
                if log_name in names:
                    raise ValueError(f"Found two metrics with the same name: {log_name}")
                names.add(log_name)
                out.append(CompiledMetric(metric, log_name, weighted, i))
    return out


def _metric_lists(metrics, output_names, what):
    if metrics is None:
        return [[] for _ in output_names]
    if isinstance(metrics, dict):
        lists = per_output(metrics, output_names, what, default=[])
        return [list(v) if isinstance(v, (list, tuple)) else [v] for v in lists]
    if not isinstance(metrics, (list, tuple)):
        raise TypeError(f"Type of `{what}` argument not understood. Expected a list or "
                        f"dictionary, found: {metrics!r}")
    if len(output_names) > 1 and len(metrics) == len(output_names) and all(
            isinstance(m, (list, tuple)) for m in metrics):
        return [list(m) for m in metrics]  # one list per output
    return [list(metrics) for _ in output_names]


def check_names(loss, metrics, weighted_metrics):
    """Fail at compile time on unknown loss or metric names (with the valid names)."""
    for spec in flat_values(loss):
        if isinstance(spec, str):
            losses_module.get(spec)
    for spec in flat_values(metrics) + flat_values(weighted_metrics):
        if isinstance(spec, str) and spec not in ("accuracy", "acc", "crossentropy", "ce"):
            metrics_module.get(spec)


def flat_values(value):
    if value is None:
        return []
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return [v for item in value for v in flat_values(item)]
    return [value]
