"""Keras 2 metrics: per-sample metric functions and stateful Metric classes on torch tensors."""

from openkeras.engine import registry
from openkeras.engine.symbolic_dispatch import wrap_public_functions as _wrap_public_functions
from openkeras.losses import (
    binary_crossentropy,
    categorical_crossentropy,
    categorical_hinge,
    hinge,
    kl_divergence,
    kullback_leibler_divergence,
    log_cosh,
    logcosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
)
from openkeras.metrics.accuracy_metrics import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from openkeras.metrics.base_metric import Mean, MeanMetricWrapper, Metric, Reduce, Sum
from openkeras.metrics.confusion_metrics import AUC, Precision, Recall
from openkeras.metrics.count_metrics import (
    BaseMeanIoU,
    FalseNegatives,
    FalsePositives,
    MeanIoU,
    RootMeanSquaredError,
    SensitivityAtSpecificity,
    SensitivitySpecificityBase,
    SpecificityAtSensitivity,
    TrueNegatives,
    TruePositives,
    clone_metric,
    clone_metrics,
)
from openkeras.metrics.loss_metrics import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    CategoricalHinge,
    CosineSimilarity,
    Hinge,
    KLDivergence,
    LogCoshError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    Poisson,
    SparseCategoricalCrossentropy,
    SquaredHinge,
    cosine_similarity,
)
from openkeras.utils.generic_utils import (  # noqa: F401  (Keras 2 exported them here)
    deserialize_keras_object,
    serialize_keras_object,
)

# On graph tensors every metric function records an OpLambda node (openkeras.engine.symbolic_dispatch).
_wrap_public_functions(globals(), ["openkeras.metrics"], exclude=("div_no_nan", "update_confusion_matrix",
                                                                "clone_metric", "clone_metrics"))

acc = ACC = accuracy
bce = BCE = binary_crossentropy
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kl_divergence
cosine_proximity = cosine_similarity
cosine = cosine_similarity  # Keras 2 alias

__all__ = [
    "Metric", "Reduce", "Sum", "Mean", "MeanMetricWrapper", "Accuracy", "BinaryAccuracy",
    "CategoricalAccuracy", "SparseCategoricalAccuracy", "TopKCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy", "Precision", "Recall", "AUC", "MeanSquaredError",
    "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "Hinge",
    "SquaredHinge", "CategoricalHinge", "LogCoshError", "KLDivergence", "Poisson",
    "CosineSimilarity", "BinaryCrossentropy", "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy",
    "accuracy", "acc", "ACC", "binary_accuracy", "categorical_accuracy",
    "sparse_categorical_accuracy", "top_k_categorical_accuracy",
    "sparse_top_k_categorical_accuracy", "binary_crossentropy", "bce", "BCE",
    "categorical_crossentropy", "sparse_categorical_crossentropy", "mean_squared_error", "mse",
    "MSE", "mean_absolute_error", "mae", "MAE", "mean_absolute_percentage_error", "mape", "MAPE",
    "mean_squared_logarithmic_error", "msle", "MSLE", "hinge", "squared_hinge",
    "categorical_hinge", "kl_divergence", "kullback_leibler_divergence", "kld", "KLD",
    "log_cosh", "logcosh", "poisson", "cosine_similarity", "cosine_proximity", "cosine",
    "TruePositives", "TrueNegatives", "FalsePositives", "FalseNegatives",
    "SensitivityAtSpecificity", "SpecificityAtSensitivity", "MeanIoU", "RootMeanSquaredError",
    "get", "serialize", "deserialize",
]
# The metric functions by every Keras 2 / tf.keras name (the Metric classes join by themselves).
registry.register_names("metric", globals(),
                            [name for name in __all__[:-3] if not isinstance(globals()[name], type)])


def serialize(metric):
    """A metric function's name, or a Metric's {'class_name', 'config'} dict."""
    return registry.serialize(metric)


def deserialize(config, custom_objects=None):
    """The metric function or Metric object named by a string or a config dict.

    Args:
        config: A metric name ('mae', 'AUC') or a {'class_name', 'config'} dict.
        custom_objects: Optional dict of user metrics.
    """
    obj = registry.deserialize("metric", config, custom_objects)
    return obj() if isinstance(obj, type) else obj


@registry.register_getter("metric")
def get(identifier):
    """Resolve a name, config dict, function or Metric to a metric."""
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret metric identifier: {identifier!r}")


# Names Keras 2 code imports from this module, resolved on first access.
from openkeras.engine.lazy_exports import lazy_exports  # noqa: E402

__getattr__ = lazy_exports(__name__, {
    "Layer": "openkeras.engine.base_layer:Layer",
    "losses_utils": "openkeras.utils.losses_utils",
    "metrics_utils": "openkeras.utils.metrics_utils",
})
