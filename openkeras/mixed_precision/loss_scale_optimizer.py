"""LossScaleOptimizer: dynamic loss scaling around an openkeras optimizer (tf.keras 2's)."""

import torch

from openkeras import optimizers
from openkeras.optimizers.optimizer import Optimizer


class LossScaleOptimizer(Optimizer):
    """Scales the loss before backward and unscales gradients, skipping steps that overflow.

    With ``dynamic=True`` the scale halves (down to 1) whenever a gradient is inf or NaN (that
    step is skipped: the weights stay, the iteration still counts, as tf.keras), and doubles
    after ``dynamic_growth_steps`` finite steps in a row.

    Args:
        inner_optimizer: the optimizer that applies the unscaled gradients (instance or name).
        dynamic: whether the scale changes during training.
        initial_scale: the first scale (default 2**15 when dynamic; required otherwise).
        dynamic_growth_steps: finite steps before the scale doubles (default 2000).
    """

    def __init__(self, inner_optimizer, dynamic=True, initial_scale=None,
                 dynamic_growth_steps=None, name=None):
        super().__init__(name=name or "LossScaleOptimizer")
        inner = optimizers.get(inner_optimizer)
        if isinstance(inner, LossScaleOptimizer):
            raise TypeError("LossScaleOptimizer cannot wrap another LossScaleOptimizer. "
                            f"Received: inner_optimizer={inner_optimizer!r}")
        if not dynamic and initial_scale is None:
            raise ValueError("When dynamic=False, initial_scale must be given. Received: "
                             "initial_scale=None")
        if not dynamic and dynamic_growth_steps is not None:
            raise ValueError("dynamic_growth_steps cannot be given when dynamic=False. "
                             f"Received: dynamic_growth_steps={dynamic_growth_steps}")
        initial_scale = 2.0 ** 15 if initial_scale is None else float(initial_scale)
        growth = 2000 if dynamic_growth_steps is None else int(dynamic_growth_steps)
        if initial_scale < 1 or growth < 1:
            raise ValueError("initial_scale and dynamic_growth_steps must be >= 1. Received: "
                             f"initial_scale={initial_scale}, dynamic_growth_steps={growth}")
        self.__dict__["inner_optimizer"] = inner
        self.dynamic = bool(dynamic)
        self.initial_scale = initial_scale
        self.dynamic_growth_steps = growth
        self._scale = torch.tensor(initial_scale, dtype=torch.float32)
        self._good_steps = torch.zeros((), dtype=torch.int64)

    @property
    def loss_scale(self):
        """The current loss scale (a 0-d float32 tensor)."""
        return self._scale

    @property
    def dynamic_counter(self):
        """Finite steps since the scale last changed (a 0-d int64 tensor)."""
        return self._good_steps

    def get_scaled_loss(self, loss):
        """``loss * loss_scale``: what backward runs on."""
        return loss * self._scale.to(loss.device)

    def get_unscaled_gradients(self, grads):
        """``grads / loss_scale`` (None entries kept)."""
        inv = 1.0 / float(self._scale)
        return [None if g is None else g * inv for g in grads]

    # -- the inner optimizer's state is this optimizer's state -----------------------------
    @property
    def iterations(self):
        return self.inner_optimizer.iterations

    @iterations.setter
    def iterations(self, value):
        self.inner_optimizer.iterations = value

    @property
    def weights(self):
        return self.inner_optimizer.weights

    def build(self, params):
        self._params = list(params)
        self.inner_optimizer.build(self._params)

    def get_weights(self):
        return self.inner_optimizer.get_weights()

    def set_weights(self, weights):
        self.inner_optimizer.set_weights(weights)

    def zero_grad(self, set_to_none=True):
        self.inner_optimizer.zero_grad(set_to_none)

    @torch.no_grad()
    def step(self):
        """Unscale ``p.grad``; apply them with the inner optimizer if all are finite; update
        the scale."""
        grads = [p.grad for p in self._params or () if p.grad is not None]
        self._apply_scaled(grads, self.inner_optimizer.step)

    @torch.no_grad()
    def apply_gradients(self, grads_and_vars):
        """Apply ``(scaled gradient, parameter)`` pairs as ``step`` does."""
        pairs = [(g, v) for g, v in grads_and_vars]
        grads = self.get_unscaled_gradients([g for g, _ in pairs])
        finite = all(bool(torch.isfinite(g).all()) for g in grads if g is not None)
        if finite:
            self.inner_optimizer.apply_gradients(zip(grads, [v for _, v in pairs], strict=True))
        else:
            self.inner_optimizer.iterations.add_(1)
        self._update_scale(finite)

    def _apply_scaled(self, grads, apply):
        if grads:
            torch._foreach_mul_(grads, 1.0 / float(self._scale))
            # one device sync for all gradients: each isfinite().all() stays on the device
            flags = torch.stack([torch.isfinite(g).all().to(grads[0].device) for g in grads])
            finite = bool(flags.all())
        else:
            finite = True
        if finite:
            apply()
        else:
            self.inner_optimizer.iterations.add_(1)  # tf.keras counts a skipped step
        self._update_scale(finite)

    def _update_scale(self, finite):
        if not self.dynamic:
            return
        if finite:
            self._good_steps.add_(1)
            if int(self._good_steps) >= self.dynamic_growth_steps:
                self._scale.mul_(2.0)
                self._good_steps.zero_()
        else:
            self._scale.fill_(max(float(self._scale) / 2.0, 1.0))
            self._good_steps.zero_()

    # -- attributes and config -------------------------------------------------------------
    def __getattr__(self, name):  # lr, learning_rate, beta_1 ... of the inner optimizer
        inner = self.__dict__.get("inner_optimizer")
        if inner is None:
            raise AttributeError(name)
        return getattr(inner, name)

    def __setattr__(self, name, value):
        inner = self.__dict__.get("inner_optimizer")
        key = "learning_rate" if name == "lr" else name
        if inner is not None and key in inner.__dict__.get("_hyper", {}):
            setattr(inner, name, value)
        else:
            super().__setattr__(name, value)

    def get_config(self):
        return {"inner_optimizer": optimizers.serialize(self.inner_optimizer),
                "dynamic": self.dynamic, "initial_scale": self.initial_scale,
                "dynamic_growth_steps": self.dynamic_growth_steps if self.dynamic else None}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        inner = config.pop("inner_optimizer", None) or config.pop("optimizer", None)
        if inner is None:
            raise TypeError("LossScaleOptimizer config needs 'inner_optimizer'. Received: "
                            f"config={config!r}")
        if isinstance(inner, dict):
            inner = optimizers.deserialize(inner, custom_objects=custom_objects)
        config.pop("name", None)
        return cls(inner, **{k: v for k, v in config.items()
                             if k in ("dynamic", "initial_scale", "dynamic_growth_steps")})

    def __repr__(self):
        return f"<LossScaleOptimizer inner={self.inner_optimizer!r} scale={float(self._scale)}>"
