"""Optimizer base class with Keras 2 semantics (defaults, formulas) on torch parameters.

Defaults and update rules are standalone Keras 2.2.4 / 2.3.1's; config keys, slot names and the
weight order are tf.keras 2's legacy (OptimizerV2) ones, so files interchange with tf.keras.

Updates use in-place ``torch._foreach_*`` ops on parameters grouped by (device, dtype).
Hyperparameters are 0-d float32 CPU tensors (``K.set_value(opt.lr, x)`` fills them) read as
Python floats once per step, and scalar coefficients are computed in float32 as TensorFlow
does; nothing in ``step()`` waits for the accelerator.
"""

import inspect
import warnings

import numpy as np
import torch

from openkeras import config as _config
from openkeras.engine import aliases, registry
from openkeras.engine.arrays import as_tensor
from openkeras.optimizers import graph_updates
from openkeras.optimizers.schedules import LearningRateSchedule
from openkeras.optimizers.schedules import deserialize as deserialize_schedule
from openkeras.optimizers.schedules import serialize as serialize_schedule

f32 = np.float32


def _python_number(value) -> float:
    """The shortest Python float that rounds to the same float32 (0.001, not 0.0010000000475)."""
    return float(str(f32(value)))


class Optimizer(registry.Registered):
    """Base class of Keras 2 optimizers.

    Subclasses create their slots in ``_create_slots`` (with ``add_slot``), compute the step's
    scalar coefficients in ``_coefficients(step)`` and update one (device, dtype) group of
    parameters in place in ``_update(params, grads, slots, coefficients)``.

    Args:
        name: Name of the optimizer.
        **kwargs: ``clipnorm`` (per-tensor norm clip), ``clipvalue`` (elementwise clip),
            ``global_clipnorm`` (clip by the norm of all gradients) and ``decay``
            (time-based decay lr / (1 + decay * iterations)).
    """

    _registry_kind = "optimizer"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # A Keras 2-style subclass's get_updates (K.update ops) is replayed each step.
        own = cls.__dict__.get("get_updates")
        if own is not None and not getattr(own, "_openkeras_replayed", False):
            cls.get_updates = graph_updates.replayed(own)

    def __init__(self, name: str = None, **kwargs):
        name = name or type(self).__name__
        self.__dict__["_hyper"] = {}
        for key, value in kwargs.items():
            if key not in ("clipnorm", "clipvalue", "global_clipnorm", "decay"):
                raise TypeError(f"Unexpected keyword argument passed to optimizer {name}: {key}")
            if value is not None and value < 0:
                raise ValueError(f"Expected {key} >= 0, received: {key}={value}")
        if kwargs.get("clipnorm") is not None and kwargs.get("global_clipnorm") is not None:
            raise ValueError("Cannot accept both `clipnorm` and `global_clipnorm`. Received: "
                             f"clipnorm={kwargs['clipnorm']}, "
                             f"global_clipnorm={kwargs['global_clipnorm']}")
        self._name = name
        self.clipnorm = kwargs.get("clipnorm")
        self.clipvalue = kwargs.get("clipvalue")
        self.global_clipnorm = kwargs.get("global_clipnorm")
        self._iterations = torch.zeros((), dtype=torch.int64)
        self._set_hyper("decay", kwargs.get("decay", 0.0))
        self._params = None
        self._slots = {}
        self._extra = {}
        self._pending_weights = None
        self.updates = []

    # -- hyperparameters -------------------------------------------------------------------

    def _set_hyper(self, name: str, value) -> None:
        """Set a hyperparameter: a number (kept in a 0-d float32 tensor), schedule or callable."""
        current = self._hyper.get(name)
        if isinstance(value, LearningRateSchedule) or (
                callable(value) and not torch.is_tensor(value)):
            if name != "learning_rate" and isinstance(value, LearningRateSchedule):
                raise ValueError(f"Only the learning rate may be a schedule. Received: "
                                 f"{name}={value!r}")
            self._hyper[name] = value
        elif torch.is_tensor(current):
            current.fill_(value if torch.is_tensor(value) else float(value))
        elif torch.is_tensor(value):
            self._hyper[name] = value.detach().to("cpu", torch.float32).reshape(()).clone()
        else:
            self._hyper[name] = torch.tensor(float(value), dtype=torch.float32)

    def _get_hyper(self, name: str, step: int = 0):
        """A hyperparameter's value for this step, as a numpy float32."""
        value = self._hyper[name]
        if torch.is_tensor(value):
            return f32(value.item())
        if isinstance(value, LearningRateSchedule):
            return f32(float(value(step)))
        return f32(float(value()))

    def _serialize_hyperparameter(self, name: str):
        value = self._hyper[name]
        if isinstance(value, LearningRateSchedule):
            return serialize_schedule(value)
        if torch.is_tensor(value):
            return _python_number(value.item())
        return value()

    def _hyper_config(self, *names: str) -> dict:
        """``get_config`` entries for learning_rate, decay and the named hyperparameters.

        Args:
            *names: the optimizer's own hyperparameters, in Keras 2's config order.
        """
        return {name: self._serialize_hyperparameter(name)
                for name in ("learning_rate", "decay", *names)}

    def __getattr__(self, name):
        hyper = self.__dict__.get("_hyper", {})
        key = "learning_rate" if name == "lr" else name
        if key in hyper:
            return hyper[key]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __setattr__(self, name, value):
        key = "learning_rate" if name == "lr" else name
        if key in self.__dict__.get("_hyper", {}):
            self._set_hyper(key, value)
        else:
            super().__setattr__(name, value)

    def _decayed_lr(self, step: int):
        """lr (or schedule(step)) * (1 / (1 + decay * step)) in float32, as Keras 2.2.4."""
        lr = self._get_hyper("learning_rate", step)
        decay = self._get_hyper("decay", step)
        if decay > 0:
            lr = lr * (f32(1.0) / (f32(1.0) + decay * f32(step)))
        return lr

    @property
    def iterations(self) -> torch.Tensor:
        """The number of steps taken, as a 0-d int64 CPU tensor."""
        return self._iterations

    @iterations.setter
    def iterations(self, value) -> None:
        self._iterations.fill_(int(value))

    # -- state -----------------------------------------------------------------------------

    def build(self, params) -> None:
        """Create the optimizer state for ``params`` (Keras weight order) on their devices.

        Calling it again with the same list is a no-op; state of parameters already known is
        kept when the list changes.

        Args:
            params: List of torch Parameters.
        """
        params = list(params)
        if self._params is not None and len(params) == len(self._params) and all(
                a is b for a, b in zip(params, self._params, strict=True)):
            return
        old_index = {} if self._params is None else {id(p): i for i, p in
                                                     enumerate(self._params)}
        old_slots, self._slots = self._slots, {}
        self._params = params
        self._index = {id(p): i for i, p in enumerate(params)}
        self._create_slots(params)
        for name, tensors in self._slots.items():
            for i, p in enumerate(params):
                j = old_index.get(id(p))
                if name in old_slots and j is not None:
                    tensors[i] = old_slots[name][j]
        groups = {}
        for i, p in enumerate(params):
            groups.setdefault((p.device, p.dtype), []).append(i)
        self._groups = [self._make_group(idx) for idx in groups.values()]
        if self._pending_weights is not None:
            pending, self._pending_weights = self._pending_weights, None
            try:
                self.set_weights(pending)
            except ValueError as e:
                warnings.warn("Error in loading the saved optimizer state. As a result, your "
                              f"model is starting with a freshly initialized optimizer. ({e})",
                              stacklevel=2)

    def _make_group(self, idx):
        return (idx, [self._params[i] for i in idx],
                {name: [tensors[i] for i in idx] for name, tensors in self._slots.items()})

    def _create_slots(self, params) -> None:
        """Create the slots of each parameter (subclasses call ``add_slot``)."""

    def add_slot(self, slot_name: str, initial_value: float = 0.0) -> None:
        """Create slot ``slot_name`` for every parameter, filled with ``initial_value``."""
        if self._params is None:
            raise RuntimeError(f"{self._name}: add_slot() is only valid inside build().")
        self._slots[slot_name] = [
            torch.full_like(p, initial_value, memory_format=torch.preserve_format).detach()
            for p in self._params
        ]

    def add_extra_weight(self, name: str, initial_value: float = 0.0) -> None:
        """Create a scalar non-slot state weight (e.g. Nadam's momentum cache), once."""
        if name not in self._extra:
            self._extra[name] = torch.tensor(initial_value, dtype=torch.float32)

    def get_slot_names(self) -> list:
        return list(self._slots)

    def get_slot(self, param, slot_name: str) -> torch.Tensor:
        return self._slots[slot_name][self._index[id(param)]]

    @property
    def weights(self) -> list:
        """Iterations, extra weights, then each slot for every parameter (Keras order); what a
        Keras 2-style subclass assigned to ``self.weights``, if it did."""
        if self.__dict__.get("_keras2_weights") is not None:
            return self.__dict__["_keras2_weights"]
        out = [self._iterations, *self._extra.values()]
        for tensors in self._slots.values():
            out.extend(tensors)
        return out

    @weights.setter
    def weights(self, value) -> None:
        self.__dict__["_keras2_weights"] = list(value)

    def variables(self) -> list:
        return self.weights

    # -- Keras 2 graph API -----------------------------------------------------------------

    def get_updates(self, loss, params) -> list:
        """Keras 2's update ops for one step on the graph tensor ``loss``: one update that
        ``K.function(..., updates=...)`` applies with this optimizer's step.

        Args:
            loss: a graph tensor (built from model outputs, placeholders).
            params: the variables or weights to train.
        """
        return graph_updates.builtin_get_updates(self, loss, params)

    def get_gradients(self, loss, params) -> list:
        """Keras 2's gradients of ``loss`` w.r.t. ``params``, clipped by clipnorm/clipvalue."""
        return graph_updates.get_gradients(self, loss, params)

    def _weight_layouts(self) -> list:
        """For each entry of ``weights``: the Keras-layout converter of its parameter, or None."""
        if self.__dict__.get("_keras2_weights") is not None:
            return [None] * len(self.weights)
        layouts = [None] * (1 + len(self._extra))
        for _ in self._slots:
            layouts.extend(getattr(p, "_keras_layout", None) for p in self._params)
        return layouts

    def get_weights(self) -> list:
        """The optimizer state as numpy arrays in Keras order (iterations first) and Keras layout."""
        return [(layout.to_keras(w) if layout is not None else w).detach().cpu().numpy().copy()
                for w, layout in zip(self.weights, self._weight_layouts(), strict=True)]

    def set_weights(self, weights) -> None:
        """Load state from ``get_weights()`` output; deferred until ``build`` if not built.

        Args:
            weights: List of arrays in Keras order.
        """
        weights = list(weights)
        if self._params is None:
            self._pending_weights = weights
            return
        if (self.__dict__.get("_keras2_weights") is None
                and type(self).get_updates is not Optimizer.get_updates):
            # Keras 2 made a subclass's variables when the train function was built
            graph_updates.create_state(self, self._params)
        params = self.weights
        if len(params) != len(weights):
            raise ValueError(
                f"You called `set_weights(weights)` on optimizer {self._name} with a weight "
                f"list of length {len(weights)}, but the optimizer was expecting "
                f"{len(params)} weights. Provided weights: {str(weights)[:50]}...")
        layouts = self._weight_layouts()
        for p, w, layout in zip(params, weights, layouts, strict=True):
            shape = tuple(layout.to_keras(p).shape) if layout is not None else tuple(p.shape)
            if shape != tuple(np.shape(w)):
                raise ValueError(f"Optimizer weight shape {shape} not compatible with "
                                 f"provided weight shape {tuple(np.shape(w))}")
        with torch.no_grad():
            for p, w, layout in zip(params, weights, layouts, strict=True):
                t = as_tensor(np.asarray(w) if not torch.is_tensor(w) else w).to(p.dtype)
                p.copy_(layout.to_engine(t) if layout is not None else t)

    # -- stepping --------------------------------------------------------------------------

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients of the built parameters."""
        for p in self._params or ():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad.detach_()
                p.grad.zero_()

    @torch.no_grad()
    def step(self) -> None:
        """Apply one update from ``p.grad`` (parameters without a gradient are skipped)."""
        if self._params is None:
            raise RuntimeError(f"Optimizer {self._name} must be built with build(params) "
                               "before step().")
        if type(self).get_updates is not Optimizer.get_updates:
            graph_updates.replay_step(self, self._params)  # a Keras 2-style subclass
            return
        self._apply([p.grad for p in self._params])

    @torch.no_grad()
    def apply_gradients(self, grads_and_vars) -> None:
        """Apply ``(gradient, parameter)`` pairs, building state for new parameters."""
        pairs = [(g, v) for g, v in grads_and_vars]
        known = self._params or []
        known_ids = {id(p) for p in known}
        new = [v for _, v in pairs if id(v) not in known_ids]
        if self._params is None or new:
            self.build(list(known) + new)
        grads = [None] * len(self._params)
        for g, v in pairs:
            grads[self._index[id(v)]] = g
        self._apply(grads)

    def _apply(self, grads) -> None:
        work = self._work(grads)
        if not work:
            return
        step = int(self._iterations)
        self._update_work(work, self._coefficients(step))
        self._iterations.fill_(step + 1)

    def _work(self, grads) -> list:
        """``(params, clipped grads, slots)`` of each group, for the parameters that have a
        gradient in ``grads`` (one per parameter, None to skip it)."""
        work = []
        for idx, params, slots in self._groups:
            group_grads = [grads[i] for i in idx]
            if any(g is None for g in group_grads):
                keep = [k for k, g in enumerate(group_grads) if g is not None]
                if not keep:
                    continue
                params = [params[k] for k in keep]
                slots = {n: [t[k] for k in keep] for n, t in slots.items()}
                group_grads = [group_grads[k] for k in keep]
            group_grads = [g.to_dense() if g.is_sparse else g for g in group_grads]
            work.append((params, self._clip(group_grads), slots))
        if work and self.global_clipnorm is not None:
            work = self._clip_global(work)
        return work

    def _update_work(self, work, coefficients) -> None:
        """Apply ``_work``'s groups with this step's ``coefficients`` (Python floats, or 0-d
        tensors in a compiled step)."""
        for params, group_grads, slots in work:
            self._update(params, group_grads, slots, coefficients)

    def _clip(self, grads):
        """clipvalue, then per-tensor clipnorm: g * clipnorm / max(||g||, clipnorm)."""
        if self.clipvalue is not None:
            grads = torch._foreach_clamp_min(grads, -self.clipvalue)
            torch._foreach_clamp_max_(grads, self.clipvalue)
        if self.clipnorm is not None:
            norms = torch._foreach_norm(grads)
            torch._foreach_clamp_min_(norms, self.clipnorm)
            grads = torch._foreach_mul(grads, self.clipnorm)
            torch._foreach_div_(grads, norms)
        return grads

    def _clip_global(self, work):
        """Scale every gradient by clip / max(global norm, clip) (NaN norms propagate)."""
        clip = self.global_clipnorm
        device = work[0][1][0].device
        norms = [torch.linalg.vector_norm(torch.stack(torch._foreach_norm(g))).to(device)
                 for _, g, _ in work]
        total = torch.linalg.vector_norm(torch.stack(norms))
        scale = clip / total.clamp(min=clip)  # 1 when total <= clip; NaN propagates
        return [(p, torch._foreach_mul(g, scale.to(g[0].device)), s) for p, g, s in work]

    def _coefficients(self, step: int) -> dict:
        """Scalar coefficients of this step (Python floats computed in float32)."""
        return {"lr": float(self._decayed_lr(step))}

    def _update(self, params, grads, slots, coefficients) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement _update().")

    # -- config ----------------------------------------------------------------------------

    def _learning_rate_arg(self, learning_rate, kwargs):
        """The learning rate from ``learning_rate`` or the Keras 2.0 ``lr`` keyword."""
        aliases.rename_kwargs(kwargs, "Optimizer", type(self).__name__)
        learning_rate = kwargs.pop("learning_rate", learning_rate)
        if isinstance(learning_rate, (int, float, np.number)) and not learning_rate >= 0:
            raise ValueError(f"{type(self).__name__}: `learning_rate` must be a number >= 0 (or a "
                             f"schedule). Received: learning_rate={learning_rate}")
        return learning_rate

    @staticmethod
    def _epsilon_arg(epsilon):
        """``epsilon``, or ``K.epsilon()`` (read now, as Keras 2) when it is None."""
        return _config.epsilon() if epsilon is None else epsilon

    def get_config(self) -> dict:
        config = {"name": self._name}
        for key in ("clipnorm", "clipvalue", "global_clipnorm"):
            if getattr(self, key) is not None:
                config[key] = getattr(self, key)
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        """Create an optimizer from ``get_config()`` output, Keras 2.0-2.2 configs included."""
        config = dict(config)
        # a Keras 2 subclass declaring ``lr`` (keras-radam's RAdam ...) gets it back as is
        if "lr" in config and "lr" not in inspect.signature(cls.__init__).parameters:
            config["learning_rate"] = config.pop("lr")
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = deserialize_schedule(config["learning_rate"],
                                                           custom_objects=custom_objects)
        if config.get("name") is None:
            config.pop("name", None)
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self._name}>"
