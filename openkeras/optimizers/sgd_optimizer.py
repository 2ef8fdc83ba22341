"""Stochastic gradient descent with optional (Nesterov) momentum, as Keras 2.2.4."""

import torch

from openkeras.optimizers import foreach
from openkeras.optimizers.optimizer import Optimizer


class SGD(Optimizer):
    """Gradient descent (with momentum).

    Without momentum: ``w -= lr * g``. With momentum: ``v = momentum * v - lr * g`` then
    ``w += v`` (or ``w += momentum * v - lr * g`` when nesterov).

    Args:
        learning_rate: Learning rate (float or LearningRateSchedule); ``lr`` is accepted.
        momentum: Momentum in [0, 1]; a "momentum" slot exists only when it is > 0.
        nesterov: Whether to apply Nesterov momentum.
        name: Name of the optimizer.
        **kwargs: clipnorm, clipvalue, global_clipnorm, decay.
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name="SGD", **kwargs):
        learning_rate = self._learning_rate_arg(learning_rate, kwargs)
        super().__init__(name, **kwargs)
        if not callable(momentum) and not 0 <= momentum <= 1:
            raise ValueError(f"`momentum` must be between [0, 1]. Received: momentum={momentum}")
        self._set_hyper("learning_rate", learning_rate)
        self._set_hyper("momentum", momentum)
        self._momentum = callable(momentum) or momentum > 0
        self.nesterov = nesterov

    def _create_slots(self, params):
        if self._momentum:
            self.add_slot("momentum")

    def _coefficients(self, step):
        return {"lr": float(self._decayed_lr(step)),
                "momentum": float(self._get_hyper("momentum", step))}

    def _update(self, params, grads, slots, c):
        lr = c["lr"]
        if not self._momentum:
            foreach.add_(params, grads, -lr)
            return
        velocity = slots["momentum"]
        torch._foreach_mul_(velocity, c["momentum"])
        foreach.add_(velocity, grads, -lr)
        if self.nesterov:
            step = torch._foreach_mul(velocity, c["momentum"])
            foreach.add_(step, grads, -lr)
            torch._foreach_add_(params, step)
        else:
            torch._foreach_add_(params, velocity)

    def get_config(self):
        return {**super().get_config(), **self._hyper_config("momentum"),
                "nesterov": self.nesterov}

