"""Metric base class and the Sum / Mean / MeanMetricWrapper reducers.

Metric state lives in torch tensors created on the device of the first inputs and moved when
inputs arrive on another device, so ``update_state`` never synchronizes with the host.
"""

import torch

from openkeras import config
from openkeras.engine import registry
from openkeras.engine.arrays import as_tensor
from openkeras.engine.symbolic_dispatch import eager_function
from openkeras.losses import squeeze_or_expand_dimensions
from openkeras.utils.generic_utils import to_snake_case


def div_no_nan(numerator, denominator):
    """numerator / denominator, with 0 where the denominator is 0."""
    safe = torch.where(denominator == 0, torch.ones_like(denominator), denominator)
    return torch.where(denominator == 0, torch.zeros_like(numerator), numerator / safe)


class Metric(registry.Registered):
    """Base class of stateful metrics.

    Subclasses declare state with ``add_weight`` in ``__init__`` and implement
    ``update_state`` and ``result``. ``metric(y_true, y_pred)`` updates and returns the result.

    Args:
        name: Name of the metric (default: the class name in snake case).
        dtype: Dtype of the state and result (default: floatx).
    """

    _registry_kind = "metric"

    def __init__(self, name: str | None = None, dtype=None):
        self.name = name or to_snake_case(type(self).__name__)
        if dtype is None:
            dtype = config.floatx()
        self._dtype = dtype if isinstance(dtype, str) else str(dtype).replace("torch.", "")
        self._specs = {}
        self._state = {}
        self._device = None

    @property
    def dtype(self) -> str:
        return self._dtype

    @property
    def torch_dtype(self) -> torch.dtype:
        return config.torch_dtype(self._dtype)

    def add_weight(self, name: str, shape=(), aggregation=None, synchronization=None,
                   initializer=0.0, dtype=None):
        """Declare a state tensor and return it (Keras 2.3.1's ``Metric.add_weight``).

        Args:
            name: State name, also readable as an attribute.
            shape: State shape.
            aggregation, synchronization: accepted for Keras 2.3.1 code; not used.
            initializer: a constant fill value, or 'zeros' / 'ones' (or None: zeros).
            dtype: accepted for Keras 2.3.1 code; states use the metric's dtype.
        """
        del aggregation, synchronization, dtype
        self._specs[name] = (tuple(shape), _fill_value(initializer, name, type(self).__name__))
        if name in self._state:
            del self._state[name]
        return self._states_on(self._device or "cpu")[name]

    def _states_on(self, device):
        """Create the state tensors on ``device`` or move them there."""
        device = torch.device(device)
        if self._device != device:
            moved = {}
            for key, tensor in self._state.items():
                self._state[key] = moved[id(tensor)] = tensor.to(device)
            # Keras 2.3.1 subclasses keep the tensors add_weight returned as attributes
            for attr, value in list(self.__dict__.items()):
                if torch.is_tensor(value) and id(value) in moved:
                    self.__dict__[attr] = moved[id(value)]
            self._device = device
        for key, (shape, fill) in self._specs.items():
            if key not in self._state:
                self._state[key] = torch.full(shape, fill, dtype=self.torch_dtype,
                                              device=device)
        return self._state

    def __getattr__(self, name):
        specs = self.__dict__.get("_specs", {})
        if name in specs:
            return self._states_on(self._device or "cpu")[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @property
    def variables(self) -> list:
        """The state tensors, in declaration order."""
        states = self._states_on(self._device or "cpu")
        return [states[k] for k in self._specs]

    def _tensor(self, x, dtype=None):
        """``x`` as a tensor of ``dtype`` (default: the metric dtype) on the state device."""
        dtype = dtype or self.torch_dtype
        if torch.is_tensor(x):
            return x.to(dtype)
        return as_tensor(x, dtype=dtype, device=self._device or "cpu")

    def update_state(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must implement update_state().")

    def result(self):
        raise NotImplementedError(f"{type(self).__name__} must implement result().")

    def reset_state(self) -> None:
        """Put every state tensor back to its initial value."""
        if type(self).reset_states is not Metric.reset_states:  # a Keras 2.3.1 subclass's own
            self.reset_states()
            return
        self._reset_to_initial()

    def reset_states(self) -> None:
        """Keras 2.0-2.4 name of ``reset_state``."""
        if type(self).reset_state is not Metric.reset_state:
            self.reset_state()
            return
        self._reset_to_initial()

    def _reset_to_initial(self):
        with torch.no_grad():
            for key, tensor in self._state.items():
                tensor.fill_(self._specs[key][1])

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self._dtype}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


def _fill_value(initializer, name, owner):
    if initializer is None or initializer in ("zeros", "zero"):
        return 0.0
    if initializer in ("ones", "one"):
        return 1.0
    try:
        return float(initializer)
    except (TypeError, ValueError):
        raise ValueError(f"{owner}.add_weight({name!r}): a metric state starts from a constant; "
                         "initializer must be a number, 'zeros' or 'ones'. Received: "
                         f"{initializer!r}") from None


def _broadcasts_to(shape, target) -> bool:
    return len(shape) <= len(target) and all(
        a in (1, b) for a, b in zip(reversed(shape), reversed(target), strict=False))


def _apply_weights(values, sample_weight, reduce_fn):
    """Weighted values and the broadcast weights, as tf.keras's Reduce metric."""
    values, _, sample_weight = squeeze_or_expand_dimensions(values, None, sample_weight)
    if not _broadcasts_to(sample_weight.shape, values.shape) \
            and 0 < sample_weight.dim() < values.dim():
        # Weights that do not broadcast: reduce values down to the weights' rank.
        values = reduce_fn(values, dim=tuple(range(sample_weight.dim(), values.dim())))
    if not _broadcasts_to(sample_weight.shape, values.shape):
        raise ValueError(f"sample_weight of shape {tuple(sample_weight.shape)} cannot be "
                         f"broadcast to values of shape {tuple(values.shape)}.")
    sample_weight = sample_weight.expand(values.shape)
    return values * sample_weight, sample_weight


class Reduce(Metric):
    """Accumulate a reduction ('sum' or 'weighted_mean') of the values seen.

    Args:
        reduction: 'sum', 'sum_over_batch_size' or 'weighted_mean'.
        name: Name of the metric.
        dtype: Dtype of the state and result.
    """

    def __init__(self, reduction: str, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        if reduction not in ("sum", "sum_over_batch_size", "weighted_mean"):
            raise ValueError(f"Unknown reduction for {type(self).__name__}. "
                             f"Received: reduction={reduction!r}")
        self.reduction = reduction
        self.add_weight("total")
        if reduction != "sum":
            self.add_weight("count")

    def update_state(self, values, sample_weight=None):
        """Add ``values`` (optionally weighted by ``sample_weight``) to the state."""
        values = self._tensor(values)
        state = self._states_on(values.device)
        if sample_weight is not None:
            sample_weight = self._tensor(sample_weight).to(values.device)
            reduce_fn = torch.sum if self.reduction == "sum" else torch.mean
            values, sample_weight = _apply_weights(values, sample_weight, reduce_fn)
        state["total"].add_(values.sum())
        if self.reduction == "sum":
            return
        if sample_weight is None or self.reduction == "sum_over_batch_size":
            state["count"].add_(values.numel())
        else:
            state["count"].add_(sample_weight.sum())

    def result(self):
        state = self._states_on(self._device or "cpu")
        if self.reduction == "sum":
            return state["total"].clone()
        return div_no_nan(state["total"], state["count"])


class Sum(Reduce):
    """The (weighted) sum of all values seen.

    Args:
        name: Name of the metric.
        dtype: Dtype of the state and result.
    """

    def __init__(self, name="sum", dtype=None):
        super().__init__("sum", name=name, dtype=dtype)


class Mean(Reduce):
    """The (weighted) mean of all values seen.

    Args:
        name: Name of the metric.
        dtype: Dtype of the state and result.
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__("weighted_mean", name=name, dtype=dtype)


class MeanMetricWrapper(Mean):
    """The mean of ``fn(y_true, y_pred, **kwargs)`` over all samples seen.

    Args:
        fn: A per-sample metric function.
        name: Name of the metric (default: the function's name).
        dtype: Dtype of the state and result.
        **kwargs: Extra keyword arguments for ``fn``.
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", None), dtype=dtype)
        self._fn = fn
        self._eager_fn = eager_function(fn)  # called on torch tensors: no graph check
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Evaluate the function on a batch and add its values to the mean."""
        y_pred = self._tensor(y_pred)
        y_true = self._tensor(y_true).to(y_pred.device)
        y_pred, y_true, _ = squeeze_or_expand_dimensions(y_pred, y_true)
        values = self._eager_fn(y_true, y_pred, **self._fn_kwargs)
        super().update_state(values, sample_weight=sample_weight)

    def get_config(self) -> dict:
        config = {**super().get_config(), **self._fn_kwargs}
        if type(self) is MeanMetricWrapper:
            config["fn"] = registry.serialize(self._fn)
        return config

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        fn = config.pop("fn", None)
        if cls is MeanMetricWrapper:
            return cls(registry.get("metric", fn), **config)
        return cls(**config)
