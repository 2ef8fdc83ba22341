"""Keras 2 loss functions and Loss classes on torch tensors.

A loss function ``fn(y_true, y_pred)`` returns one value per sample (the last axis is reduced
where Keras reduces it); a ``Loss`` object adds sample weighting and the batch reduction.
"""

import math

import torch
import torch.nn.functional as F

from openkeras import config
from openkeras.engine import registry
from openkeras.engine.arrays import as_tensor
from openkeras.engine.symbolic_dispatch import eager_function
from openkeras.engine.symbolic_dispatch import wrap_public_functions as _wrap_public_functions
from openkeras.utils.generic_utils import (  # noqa: F401  (Keras 2 exported them here)
    deserialize_keras_object,
    serialize_keras_object,
)

REDUCTIONS = ("auto", "none", "sum", "sum_over_batch_size")


def _pair(y_true, y_pred):
    """y_pred as a float tensor and y_true cast to its dtype and device."""
    if not torch.is_tensor(y_pred):
        y_pred = as_tensor(y_pred, dtype=config.torch_dtype())
    y_true = as_tensor(y_true, device=y_pred.device).to(y_pred.dtype)
    return y_true, y_pred


def squeeze_or_expand_dimensions(y_pred, y_true=None, sample_weight=None):
    """Make ranks agree the way tf.keras's losses_utils does.

    A trailing dimension of size 1 is squeezed from y_pred or y_true when their ranks differ by
    one; sample_weight is squeezed or expanded by one axis to match y_pred.

    Args:
        y_pred: Predictions tensor.
        y_true: Optional labels tensor.
        sample_weight: Optional weights tensor.
    """
    if y_true is not None:
        diff = y_pred.dim() - y_true.dim()
        if diff == 1 and y_pred.shape[-1] == 1:
            y_pred = y_pred.squeeze(-1)
        elif diff == -1 and y_true.shape[-1] == 1:
            y_true = y_true.squeeze(-1)
    if sample_weight is not None and sample_weight.dim() > 0:
        diff = sample_weight.dim() - y_pred.dim()
        if diff == 1:
            sample_weight = sample_weight.squeeze(-1)
        elif diff == -1:
            sample_weight = sample_weight.unsqueeze(-1)
    return y_pred, y_true, sample_weight


def compute_weighted_loss(losses, sample_weight=None, reduction="sum_over_batch_size"):
    """Weight per-sample losses and reduce them as tf.keras's compute_weighted_loss.

    Args:
        losses: Per-sample loss tensor.
        sample_weight: Optional weights broadcastable to ``losses`` (after rank matching).
        reduction: One of 'auto', 'none', 'sum', 'sum_over_batch_size'.
    """
    if sample_weight is not None:
        sample_weight = as_tensor(sample_weight, device=losses.device).to(losses.dtype)
        losses, _, sample_weight = squeeze_or_expand_dimensions(losses, None, sample_weight)
        losses = losses * sample_weight
    if reduction == "none":
        return losses
    total = losses.sum()
    if reduction == "sum":
        return total
    return total / max(losses.numel(), 1)


def _clip(x, low=None, high=None):
    eps = config.epsilon()
    return torch.clamp(x, eps if low is None else low, 1.0 - eps if high is None else high)


def mean_squared_error(y_true, y_pred):
    """mean(square(y_pred - y_true), axis=-1)."""
    y_true, y_pred = _pair(y_true, y_pred)
    return torch.square(y_pred - y_true).mean(dim=-1)


def mean_absolute_error(y_true, y_pred):
    """mean(abs(y_pred - y_true), axis=-1)."""
    y_true, y_pred = _pair(y_true, y_pred)
    return torch.abs(y_pred - y_true).mean(dim=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """100 * mean(abs((y_true - y_pred) / max(abs(y_true), epsilon)), axis=-1)."""
    y_true, y_pred = _pair(y_true, y_pred)
    diff = torch.abs((y_true - y_pred) / torch.clamp(torch.abs(y_true), min=config.epsilon()))
    return 100.0 * diff.mean(dim=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    """mean(square(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)), axis=-1)."""
    y_true, y_pred = _pair(y_true, y_pred)
    eps = config.epsilon()
    first = torch.log(torch.clamp(y_pred, min=eps) + 1.0)
    second = torch.log(torch.clamp(y_true, min=eps) + 1.0)
    return torch.square(first - second).mean(dim=-1)


def _maybe_convert_labels(y_true):
    """Map {0, 1} labels to {-1, 1} when every label is 0 or 1 (decided on device)."""
    is_binary = ((y_true == 0) | (y_true == 1)).all()
    return torch.where(is_binary, 2.0 * y_true - 1.0, y_true)


def squared_hinge(y_true, y_pred):
    """mean(square(max(1 - y_true * y_pred, 0)), axis=-1); 0/1 labels become -1/1."""
    y_true, y_pred = _pair(y_true, y_pred)
    y_true = _maybe_convert_labels(y_true)
    return torch.square(torch.clamp(1.0 - y_true * y_pred, min=0.0)).mean(dim=-1)


def hinge(y_true, y_pred):
    """mean(max(1 - y_true * y_pred, 0), axis=-1); 0/1 labels become -1/1."""
    y_true, y_pred = _pair(y_true, y_pred)
    y_true = _maybe_convert_labels(y_true)
    return torch.clamp(1.0 - y_true * y_pred, min=0.0).mean(dim=-1)


def categorical_hinge(y_true, y_pred):
    """max(0, max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1) per sample."""
    y_true, y_pred = _pair(y_true, y_pred)
    pos = (y_true * y_pred).sum(dim=-1)
    neg = ((1.0 - y_true) * y_pred).amax(dim=-1)
    return torch.clamp(neg - pos + 1.0, min=0.0)


def log_cosh(y_true, y_pred):
    """mean(log(cosh(y_pred - y_true)), axis=-1), computed stably."""
    y_true, y_pred = _pair(y_true, y_pred)
    x = y_pred - y_true
    return (x + F.softplus(-2.0 * x) - math.log(2.0)).mean(dim=-1)


def huber(y_true, y_pred, delta=1.0):
    """Huber loss: 0.5 * e**2 for |e| <= delta, else delta * |e| - 0.5 * delta**2 (mean)."""
    y_true, y_pred = _pair(y_true, y_pred)
    error = y_pred - y_true
    abs_error = torch.abs(error)
    quadratic = 0.5 * torch.square(error)
    linear = delta * abs_error - 0.5 * delta * delta
    return torch.where(abs_error <= delta, quadratic, linear).mean(dim=-1)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Crossentropy of one-hot y_true and y_pred (renormalised and clipped, or logits)."""
    y_true, y_pred = _pair(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_true.shape[axis]
    if from_logits:
        return -(y_true * torch.log_softmax(y_pred, dim=axis)).sum(dim=axis)
    y_pred = _clip(y_pred / y_pred.sum(dim=axis, keepdim=True))
    return -(y_true * torch.log(y_pred)).sum(dim=axis)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, axis=-1,
                                    ignore_class=None):
    """Crossentropy of integer labels ((n,) or (n, 1)) and probabilities or logits."""
    if not torch.is_tensor(y_pred):
        y_pred = as_tensor(y_pred, dtype=config.torch_dtype())
    target = as_tensor(y_true, device=y_pred.device).long()
    logits = y_pred if from_logits else torch.log(_clip(y_pred))
    if axis not in (-1, y_pred.dim() - 1):
        logits = logits.movedim(axis, -1)
    if target.dim() == logits.dim():
        target = target.squeeze(-1)
    log_probs = torch.log_softmax(logits, dim=-1)
    if ignore_class is None:
        return -log_probs.gather(-1, target.unsqueeze(-1)).squeeze(-1)
    valid = target != ignore_class
    picked = log_probs.gather(-1, torch.where(valid, target, 0).unsqueeze(-1)).squeeze(-1)
    return torch.where(valid, -picked, 0.0)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """mean(binary crossentropy, axis): Keras 2.2.4's ``-(t log p + (1-t) log(1-p))`` of the
    probabilities clipped to [epsilon, 1 - epsilon], or stable logits."""
    y_true, y_pred = _pair(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        bce = F.binary_cross_entropy_with_logits(y_pred, y_true, reduction="none")
    else:  # Keras 2.2.4: clipped probabilities back to logits (tf.keras adds eps in the logs)
        y_pred = _clip(y_pred)
        logits = torch.log(y_pred / (1.0 - y_pred))
        bce = F.binary_cross_entropy_with_logits(logits, y_true, reduction="none")
    return bce.mean(dim=axis)


def kl_divergence(y_true, y_pred):
    """sum(y_true * log(y_true / y_pred), axis=-1), both clipped to [epsilon, 1]."""
    y_true, y_pred = _pair(y_true, y_pred)
    y_true = _clip(y_true, high=1.0)
    y_pred = _clip(y_pred, high=1.0)
    return (y_true * torch.log(y_true / y_pred)).sum(dim=-1)


def poisson(y_true, y_pred):
    """mean(y_pred - y_true * log(y_pred + epsilon), axis=-1)."""
    y_true, y_pred = _pair(y_true, y_pred)
    return (y_pred - y_true * torch.log(y_pred + config.epsilon())).mean(dim=-1)


def _l2_normalize(x, axis):
    return x * torch.rsqrt(torch.clamp(torch.square(x).sum(dim=axis, keepdim=True), min=1e-12))


def cosine_similarity(y_true, y_pred, axis=-1):
    """Negative cosine similarity (tf.keras 2's loss: -1 means perfectly aligned)."""
    y_true, y_pred = _pair(y_true, y_pred)
    return -(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis)).sum(dim=axis)


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh
huber_loss = huber
bce = BCE = binary_crossentropy
cosine_proximity = cosine = cosine_similarity

# On graph tensors every loss function records an OpLambda node (openkeras.engine.symbolic_dispatch).
_wrap_public_functions(globals(), [__name__], exclude=("squeeze_or_expand_dimensions", "compute_weighted_loss",
                                                    "is_categorical_crossentropy"))


class Loss(registry.Registered):
    """Base class of loss objects: ``loss(y_true, y_pred, sample_weight=None)`` -> tensor.

    Args:
        reduction: 'auto' (= 'sum_over_batch_size'), 'sum_over_batch_size', 'sum' or 'none'.
        name: Name of the loss.
    """

    _registry_kind = "loss"

    def __init__(self, reduction: str = "auto", name: str | None = None):
        if reduction not in REDUCTIONS:
            raise ValueError(
                f"Invalid Reduction Key: {reduction!r}. Expected keys are {REDUCTIONS}. "
                f"Received: reduction={reduction!r}"
            )
        self.reduction = reduction
        self.name = name

    def __call__(self, y_true, y_pred, sample_weight=None):
        losses = self.call(y_true, y_pred)
        reduction = "sum_over_batch_size" if self.reduction == "auto" else self.reduction
        return compute_weighted_loss(losses, sample_weight, reduction)

    def call(self, y_true, y_pred):
        raise NotImplementedError(f"{type(self).__name__} must implement call().")

    def get_config(self) -> dict:
        return {"reduction": self.reduction, "name": self.name}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)


class LossFunctionWrapper(Loss):
    """A Loss that calls ``fn(y_true, y_pred, **kwargs)``.

    Args:
        fn: The per-sample loss function.
        reduction: See ``Loss``.
        name: Name of the loss (default: the function's name).
        **kwargs: Extra keyword arguments for ``fn``.
    """

    def __init__(self, fn, reduction="auto", name=None, **kwargs):
        super().__init__(reduction=reduction, name=name or getattr(fn, "__name__", None))
        self.fn = fn
        self._eager_fn = eager_function(fn)  # called on torch tensors: no graph check
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        if not torch.is_tensor(y_pred):
            y_pred = as_tensor(y_pred, dtype=config.torch_dtype())
        y_true = as_tensor(y_true, device=y_pred.device)
        y_pred, y_true, _ = squeeze_or_expand_dimensions(y_pred, y_true)
        return self._eager_fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self) -> dict:
        fn = registry.serialize(self.fn)
        return {**super().get_config(), "fn": fn, **self._fn_kwargs}

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        fn = config.pop("fn", None)
        if cls is LossFunctionWrapper:
            return cls(get(fn), **config)
        return cls(**config)


def _wrapper_class(class_name, fn, default_name, doc, **defaults):
    """Build a LossFunctionWrapper subclass with keyword arguments and their defaults."""

    def __init__(self, reduction="auto", name=default_name, **kwargs):
        unknown = set(kwargs) - set(defaults)
        if unknown:
            raise TypeError(f"{class_name}: unexpected keyword arguments {sorted(unknown)}.")
        LossFunctionWrapper.__init__(self, fn, reduction=reduction, name=name,
                                     **{**defaults, **kwargs})

    return type(class_name, (LossFunctionWrapper,), {"__init__": __init__, "__doc__": doc})


MeanSquaredError = _wrapper_class(
    "MeanSquaredError", mean_squared_error, "mean_squared_error", "Mean of squared errors.")
MeanAbsoluteError = _wrapper_class(
    "MeanAbsoluteError", mean_absolute_error, "mean_absolute_error", "Mean of absolute errors.")
MeanAbsolutePercentageError = _wrapper_class(
    "MeanAbsolutePercentageError", mean_absolute_percentage_error,
    "mean_absolute_percentage_error", "100 * mean(|y_true - y_pred| / |y_true|).")
MeanSquaredLogarithmicError = _wrapper_class(
    "MeanSquaredLogarithmicError", mean_squared_logarithmic_error,
    "mean_squared_logarithmic_error", "Mean of squared log(1 + y) differences.")
Hinge = _wrapper_class("Hinge", hinge, "hinge", "Hinge loss; labels in {-1, 1} or {0, 1}.")
SquaredHinge = _wrapper_class("SquaredHinge", squared_hinge, "squared_hinge",
                              "Squared hinge loss; labels in {-1, 1} or {0, 1}.")
CategoricalHinge = _wrapper_class("CategoricalHinge", categorical_hinge, "categorical_hinge",
                                  "Categorical hinge loss on one-hot labels.")
LogCosh = _wrapper_class("LogCosh", log_cosh, "log_cosh", "Mean of log(cosh(error)).")
Huber = _wrapper_class("Huber", huber, "huber_loss",
                       "Huber loss: quadratic below `delta`, linear above.", delta=1.0)
CategoricalCrossentropy = _wrapper_class(
    "CategoricalCrossentropy", categorical_crossentropy, "categorical_crossentropy",
    "Crossentropy between one-hot labels and probabilities (or logits).",
    from_logits=False, label_smoothing=0.0, axis=-1)
BinaryCrossentropy = _wrapper_class(
    "BinaryCrossentropy", binary_crossentropy, "binary_crossentropy",
    "Crossentropy between 0/1 labels and probabilities (or logits).",
    from_logits=False, label_smoothing=0.0, axis=-1)
KLDivergence = _wrapper_class("KLDivergence", kl_divergence, "kl_divergence",
                              "Kullback-Leibler divergence sum(y_true * log(y_true / y_pred)).")
Poisson = _wrapper_class("Poisson", poisson, "poisson", "Mean of y_pred - y_true * log(y_pred).")
CosineSimilarity = _wrapper_class(
    "CosineSimilarity", cosine_similarity, "cosine_similarity",
    "Negative cosine similarity along `axis`.", axis=-1)


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Crossentropy between integer labels and probabilities (or logits).

    Args:
        from_logits: Whether y_pred holds logits.
        ignore_class: A label value whose entries do not count (loss 0, left out of the mean).
        reduction: See ``Loss``.
        name: Name of the loss.
    """

    def __init__(self, from_logits=False, ignore_class=None, reduction="auto",
                 name="sparse_categorical_crossentropy"):
        super().__init__(sparse_categorical_crossentropy, reduction=reduction, name=name,
                         from_logits=from_logits, ignore_class=ignore_class)

    def __call__(self, y_true, y_pred, sample_weight=None):
        ignore = self._fn_kwargs.get("ignore_class")
        if ignore is None or self.reduction not in ("auto", "sum_over_batch_size"):
            return super().__call__(y_true, y_pred, sample_weight)
        # As tf.keras: the loss is the mean over valid entries only.
        losses = self.call(y_true, y_pred)
        target = as_tensor(y_true, device=losses.device).reshape(losses.shape)
        valid = (target != ignore).to(losses.dtype)
        weight = valid * (valid.numel() / valid.sum().clamp(min=1.0))
        if sample_weight is not None:
            sample_weight = as_tensor(sample_weight, device=losses.device)
            _, _, sample_weight = squeeze_or_expand_dimensions(losses, None, sample_weight)
            weight = weight * sample_weight.to(losses.dtype)
        return compute_weighted_loss(losses, weight, "sum_over_batch_size")


# The loss functions by every Keras 2 / tf.keras name (the Loss classes join by themselves).
registry.register_names("loss", globals(), (
    "mean_squared_error", "mse", "MSE", "mean_absolute_error", "mae", "MAE",
    "mean_absolute_percentage_error", "mape", "MAPE", "mean_squared_logarithmic_error", "msle",
    "MSLE", "squared_hinge", "hinge", "categorical_hinge", "log_cosh", "logcosh", "huber",
    "huber_loss", "categorical_crossentropy", "sparse_categorical_crossentropy",
    "binary_crossentropy", "bce", "BCE", "kl_divergence", "kullback_leibler_divergence", "kld",
    "KLD", "poisson", "cosine_similarity", "cosine_proximity", "cosine",
))


def serialize(loss):
    """A loss function's name, or a Loss object's {'class_name', 'config'} dict."""
    return registry.serialize(loss)


def deserialize(name, custom_objects=None):
    """The loss function or Loss object named by a string or a config dict.

    Args:
        name: A loss name ('mse') or a {'class_name', 'config'} dict.
        custom_objects: Optional dict of user losses.
    """
    obj = registry.deserialize("loss", name, custom_objects)
    return obj() if isinstance(obj, type) else obj


@registry.register_getter("loss")
def get(identifier):
    """Resolve a name, config dict, function or Loss object to a loss (None stays None)."""
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret loss function identifier: {identifier!r}")


_SAME_SHAPE_LOSSES = (mean_squared_error, binary_crossentropy, categorical_crossentropy)


def _shape_str(shape):
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + \
        ("," if len(shape) == 1 else "") + ")"


def check_target_shape(loss_fn, y_true_shape, y_pred_shape, output_name="output"):
    """Raise Keras 2's ValueError when targets cannot match a loss and an output shape.

    Args:
        loss_fn: A loss function, Loss object or loss name.
        y_true_shape: Shape of the target array (including the batch dimension).
        y_pred_shape: Shape of the model output (batch dimension may be None).
        output_name: Name of the output, used in the message.
    """
    fn = get(loss_fn)
    fn = getattr(fn, "fn", fn)
    y_true_shape, y_pred_shape = tuple(y_true_shape), tuple(y_pred_shape)
    if len(y_true_shape) == 1 and len(y_pred_shape) >= 2:
        y_true_shape = y_true_shape + (1,)  # Keras feeds a (n,) target as (n, 1)
    if fn is categorical_crossentropy and y_true_shape[-1] == 1 and y_pred_shape[-1] != 1:
        raise ValueError(
            f"You are passing a target array of shape {_shape_str(y_true_shape)} while using "
            "as loss `categorical_crossentropy`. `categorical_crossentropy` expects targets to "
            "be binary matrices (1s and 0s) of shape (samples, classes). If your targets are "
            "integer classes, you can convert them to the expected format via `from "
            "keras.utils import to_categorical; y_binary = to_categorical(y_int)`. "
            "Alternatively, you can use the loss function `sparse_categorical_crossentropy` "
            "instead, which does expect integer targets."
        )
    if fn is sparse_categorical_crossentropy and len(y_true_shape) == len(y_pred_shape) \
            and y_true_shape[-1] != 1:
        raise ValueError(
            f"A target array with shape {_shape_str(y_true_shape)} was passed for output "
            f"`{output_name}` of shape {_shape_str(y_pred_shape)} while using as loss "
            "`sparse_categorical_crossentropy`, which expects integer targets of shape "
            "(samples,) or (samples, 1). For one-hot targets use `categorical_crossentropy`."
        )
    if fn in _SAME_SHAPE_LOSSES:
        for target_dim, out_dim in zip(y_true_shape[1:], y_pred_shape[1:], strict=False):
            if out_dim is not None and target_dim != out_dim:
                raise ValueError(
                    f"A target array with shape {_shape_str(y_true_shape)} was passed for "
                    f"output `{output_name}` of shape {_shape_str(y_pred_shape)} while using "
                    f"as loss `{fn.__name__}`. This loss expects targets to have the same shape as "
                    "the output."
                )


def is_categorical_crossentropy(loss) -> bool:
    """Whether ``loss`` is categorical crossentropy (its name, function or Loss object)."""
    if isinstance(loss, LossFunctionWrapper):
        return loss.fn is categorical_crossentropy
    return loss == "categorical_crossentropy" or loss is categorical_crossentropy


# Names Keras 2 code imports from this module, resolved on first access (so this module
# imports nothing more at load time).
from openkeras.engine.lazy_exports import lazy_exports  # noqa: E402

__getattr__ = lazy_exports(__name__, {
    "losses_utils": "openkeras.utils.losses_utils",
})
