"""The compile state in files: Keras 2's ``training_config`` and the optimizer's weights.

``training_config`` is ``{'optimizer_config': {'class_name', 'config'}, 'loss', 'metrics',
'weighted_metrics', 'loss_weights', 'sample_weight_mode'}``. A model exposes its compile
arguments with ``model._get_compile_args()`` (tf.keras's method: a dict with ``optimizer``,
``loss``, ``metrics``, ``weighted_metrics``, ``loss_weights``), or at least ``model.optimizer``
and ``model.loss`` (plus ``loss_weights``, ``sample_weight_mode`` and a ``_compile_args``
dict with ``metrics`` and ``weighted_metrics``).
"""

import inspect
import warnings

from openkeras import losses, metrics, optimizers
from openkeras.saving.optimizer_state import convert_optimizer_weights
from openkeras.utils.generic_utils import CustomObjectScope, get_registered_name

# Keys of newer optimizer configs (TF 2.11+, Keras 3) that have no effect on a legacy optimizer.
_IGNORED_OPTIMIZER_KEYS = {"is_legacy_optimizer", "jit_compile", "use_ema", "ema_momentum",
                           "ema_overwrite_frequency", "loss_scale_factor",
                           "gradient_accumulation_steps", "weight_decay"}
# Metric names that compile resolves from the loss, as Keras 2 kept them.
_LOSS_DEPENDENT_METRICS = {"accuracy", "acc", "crossentropy", "ce"}


def _serialize(obj):
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if isinstance(obj, dict):
        return {k: _serialize(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_serialize(v) for v in obj]
    if hasattr(obj, "get_config"):
        return {"class_name": get_registered_name(type(obj)), "config": obj.get_config()}
    if callable(obj):
        return get_registered_name(obj)
    raise TypeError(f"Cannot serialize compile argument {obj!r} of type {type(obj).__name__}.")


def _compile_args(model):
    if hasattr(model, "_get_compile_args"):
        return dict(model._get_compile_args())
    args = {key: getattr(model, key, None)
            for key in ("optimizer", "loss", "loss_weights", "sample_weight_mode")}
    args.update(getattr(model, "_compile_args", None) or {})
    return args


def training_config(model):
    """Keras 2's training_config for a compiled model, None if it is not compiled."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return None
    args = _compile_args(model)
    return {
        "loss": _serialize(args.get("loss")),
        "metrics": _serialize(args.get("metrics")),
        "weighted_metrics": _serialize(args.get("weighted_metrics")),
        "loss_weights": _serialize(args.get("loss_weights")),
        "sample_weight_mode": _serialize(args.get("sample_weight_mode")),
        "optimizer_config": {"class_name": get_registered_name(type(optimizer)),
                             "config": optimizer.get_config()},
    }


def optimizer_weights(model):
    """[(name, array)] of the optimizer's state in Keras order, names as tf.keras writes them."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not hasattr(optimizer, "get_weights"):
        return []
    values = optimizer.get_weights()
    if not values:
        return []
    prefix = getattr(optimizer, "_name", None) or type(optimizer).__name__
    names = [f"{prefix}/iter:0"] + [f"{prefix}/{k}:0" for k in getattr(optimizer, "_extra", {})]
    params = list(getattr(optimizer, "_params", None) or [])
    for slot in getattr(optimizer, "_slots", {}):
        for i, p in enumerate(params):
            var = (getattr(p, "name", None) or f"param_{i}:0").rsplit(":", 1)[0]
            names.append(f"{prefix}/{var}/{slot}:0")
    if len(names) != len(values):
        names = [f"{prefix}/weight_{i}:0" for i in range(len(values))]
    return list(zip(names, values, strict=True))


# ------------------------------------------------------------------------------- loading
def deserialize_optimizer(config, custom_objects=None):
    """An optimizer from any Keras optimizer config (2.0 ``lr``, 2.11 ``Custom>Adam``, Keras 3)."""
    class_name = str(config.get("class_name", ""))
    class_name = class_name.split(">", 1)[-1] if class_name.startswith("Custom>") else class_name
    conf = dict(config.get("config") or {})
    try:
        cls = optimizers.deserialize({"class_name": class_name, "config": {}},
                                     custom_objects=custom_objects).__class__
    except (TypeError, ValueError):
        cls = None
    if cls is not None:
        accepted = set(inspect.signature(cls.__init__).parameters)
        accepted |= {"clipnorm", "clipvalue", "global_clipnorm", "decay", "lr", "name"}
        dropped = {k: conf.pop(k) for k in list(conf) if k not in accepted}
        noisy = {k: v for k, v in dropped.items() if k not in _IGNORED_OPTIMIZER_KEYS and v}
        if noisy:
            warnings.warn(f"Optimizer {class_name}: ignoring config entries {noisy} that the "
                          "Keras 2 optimizer does not have.", stacklevel=5)
        for key in ("clipnorm", "clipvalue", "global_clipnorm"):
            if conf.get(key) is None:
                conf.pop(key, None)
    return optimizers.deserialize({"class_name": class_name, "config": conf},
                                  custom_objects=custom_objects)


def _deserialize_metric(metric):
    if isinstance(metric, list):  # None marks an output without metrics
        return [_deserialize_metric(m) for m in metric if m is not None]
    if isinstance(metric, dict) and "class_name" not in metric:
        return {k: _deserialize_metric(v) for k, v in metric.items()}
    if isinstance(metric, dict) and metric.get("class_name") == "MeanMetricWrapper":
        conf = metric.get("config", {})
        name = conf.get("name")
        return name if name in _LOSS_DEPENDENT_METRICS else conf.get("fn", name)
    if isinstance(metric, dict):
        return metrics.deserialize(metric)
    return metric


def _metrics_arg(model, metrics):
    """tf.keras stores metrics per output ([['accuracy']]); a single output takes the inner list."""
    metrics = _deserialize_metric(metrics)
    outputs = getattr(model, "outputs", None) or [None]
    if isinstance(metrics, list) and len(metrics) == 1 and isinstance(metrics[0], list) \
            and len(outputs) == 1:
        return metrics[0]
    return metrics


def _deserialize_loss(loss):
    if isinstance(loss, list):
        return [_deserialize_loss(v) for v in loss]
    if isinstance(loss, dict) and "class_name" not in loss:
        return {k: _deserialize_loss(v) for k, v in loss.items()}
    if isinstance(loss, dict):
        return losses.deserialize(loss)
    return loss


def compile_from_config(model, config, optimizer_values=None, custom_objects=None,
                        optimizer_names=None):
    """Compile ``model`` from a stored training_config and restore the optimizer state.

    The state may come from any Keras version: ``optimizer_names`` (the stored weight names)
    tell tf.keras >= 2.11's and Keras 3's layouts apart (see ``optimizer_state``).

    An optimizer state that does not fit gives Keras's "freshly initialized optimizer"
    warning. A training configuration that cannot be rebuilt (say, a custom loss or metric
    missing from ``custom_objects``) also gives a warning naming it, and the model loads
    uncompiled: tf.keras raises there, but the weights are still good, so we keep them.
    """
    if not hasattr(model, "compile"):
        warnings.warn("The model has no `compile` method yet, so the saved training "
                      "configuration was not applied.", stacklevel=5)
        return
    try:
        with CustomObjectScope(custom_objects or {}):
            optimizer = deserialize_optimizer(config["optimizer_config"], custom_objects)
            kwargs = {"loss": _deserialize_loss(config.get("loss")),
                      "metrics": _metrics_arg(model, config.get("metrics")),
                      "loss_weights": config.get("loss_weights"),
                      "weighted_metrics": _metrics_arg(model, config.get("weighted_metrics"))}
            if config.get("sample_weight_mode") is not None:
                kwargs["sample_weight_mode"] = config["sample_weight_mode"]
            model.compile(optimizer=optimizer, **kwargs)
    except (TypeError, ValueError, KeyError) as e:
        warnings.warn(f"The saved training configuration could not be applied ({e}); the model "
                      "was loaded *uncompiled*. Pass the missing objects in `custom_objects=`, "
                      "or load with `compile=False` and compile it yourself.", stacklevel=5)
        return
    if optimizer_values:
        try:
            set_optimizer_weights(model, optimizer_names, optimizer_values)
        except ValueError as e:
            warnings.warn("Error in loading the saved optimizer state. As a result, your model is "
                          f"starting with a freshly initialized optimizer. ({e})", stacklevel=5)


def set_optimizer_weights(model, names, values):
    """Build ``model.optimizer`` on the model's weights and set its state from a file's
    ``optimizer_weights`` (``names``, ``values``), written by any Keras version.

    Raises:
        ValueError: the state does not fit the optimizer.
    """
    optimizer = model.optimizer
    if getattr(optimizer, "build", None) is not None:
        optimizer.build(list(model.trainable_weights))
    optimizer.set_weights(convert_optimizer_weights(optimizer, names, values))
