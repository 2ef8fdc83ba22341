"""Metrics that average a loss function: MeanSquaredError, BinaryCrossentropy, ..."""

from openkeras import losses
from openkeras.metrics.base_metric import MeanMetricWrapper


def cosine_similarity(y_true, y_pred, axis=-1):
    """Cosine similarity along ``axis`` (the metric is positive, unlike the loss)."""
    return -losses.cosine_similarity(y_true, y_pred, axis=axis)


def _metric_class(class_name, fn, default_name, doc, **defaults):
    """A MeanMetricWrapper subclass with ``(name, dtype, **defaults)`` arguments."""

    def __init__(self, name=default_name, dtype=None, **kwargs):
        unknown = set(kwargs) - set(defaults)
        if unknown:
            raise TypeError(f"{class_name}: unexpected keyword arguments {sorted(unknown)}.")
        MeanMetricWrapper.__init__(self, fn, name, dtype=dtype, **{**defaults, **kwargs})

    return type(class_name, (MeanMetricWrapper,), {"__init__": __init__, "__doc__": doc})


MeanSquaredError = _metric_class(
    "MeanSquaredError", losses.mean_squared_error, "mean_squared_error",
    "Mean of squared errors over all samples seen.")
MeanAbsoluteError = _metric_class(
    "MeanAbsoluteError", losses.mean_absolute_error, "mean_absolute_error",
    "Mean of absolute errors over all samples seen.")
MeanAbsolutePercentageError = _metric_class(
    "MeanAbsolutePercentageError", losses.mean_absolute_percentage_error,
    "mean_absolute_percentage_error", "Mean absolute percentage error over all samples seen.")
MeanSquaredLogarithmicError = _metric_class(
    "MeanSquaredLogarithmicError", losses.mean_squared_logarithmic_error,
    "mean_squared_logarithmic_error", "Mean squared log error over all samples seen.")
Hinge = _metric_class("Hinge", losses.hinge, "hinge", "Mean hinge loss.")
SquaredHinge = _metric_class("SquaredHinge", losses.squared_hinge, "squared_hinge",
                             "Mean squared hinge loss.")
CategoricalHinge = _metric_class("CategoricalHinge", losses.categorical_hinge,
                                 "categorical_hinge", "Mean categorical hinge loss.")
LogCoshError = _metric_class("LogCoshError", losses.log_cosh, "logcosh",
                             "Mean log(cosh(error)).")
KLDivergence = _metric_class("KLDivergence", losses.kl_divergence,
                             "kullback_leibler_divergence", "Mean KL divergence.")
Poisson = _metric_class("Poisson", losses.poisson, "poisson", "Mean Poisson loss.")
CosineSimilarity = _metric_class("CosineSimilarity", cosine_similarity, "cosine_similarity",
                                 "Mean cosine similarity along `axis`.", axis=-1)
BinaryCrossentropy = _metric_class(
    "BinaryCrossentropy", losses.binary_crossentropy, "binary_crossentropy",
    "Mean binary crossentropy (`from_logits`, `label_smoothing`).",
    from_logits=False, label_smoothing=0.0)
CategoricalCrossentropy = _metric_class(
    "CategoricalCrossentropy", losses.categorical_crossentropy, "categorical_crossentropy",
    "Mean categorical crossentropy (`from_logits`, `label_smoothing`, `axis`).",
    from_logits=False, label_smoothing=0.0, axis=-1)
SparseCategoricalCrossentropy = _metric_class(
    "SparseCategoricalCrossentropy", losses.sparse_categorical_crossentropy,
    "sparse_categorical_crossentropy",
    "Mean sparse categorical crossentropy (`from_logits`, `axis`).",
    from_logits=False, axis=-1)
