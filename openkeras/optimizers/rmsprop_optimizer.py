"""RMSprop as Keras 2.2.4, with the momentum and centered variants of tf.keras 2."""

import torch

from openkeras.optimizers import foreach
from openkeras.optimizers.optimizer import Optimizer, f32


class RMSprop(Optimizer):
    """Divide the gradient by a running root mean square of recent gradients.

    Without momentum: ``rms = rho * rms + (1 - rho) * g**2`` and
    ``w -= lr * g / (sqrt(rms) + epsilon)``; with momentum TensorFlow's kernel puts epsilon
    inside the square root: ``mom = momentum * mom + lr * g / sqrt(rms + epsilon)``,
    ``w -= mom``. ``centered`` subtracts the squared running mean of the gradient from rms.

    Args:
        learning_rate: Learning rate (float or LearningRateSchedule); ``lr`` is accepted.
        rho: Discount factor of the running averages.
        momentum: Momentum; a "momentum" slot exists only when it is > 0.
        epsilon: Small constant for numerical stability; None means ``K.epsilon()``.
        centered: Normalize by the estimated variance of the gradient.
        name: Name of the optimizer.
        **kwargs: clipnorm, clipvalue, global_clipnorm, decay.
    """

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=None, centered=False,
                 name="RMSprop", **kwargs):
        learning_rate = self._learning_rate_arg(learning_rate, kwargs)
        super().__init__(name, **kwargs)
        self._set_hyper("learning_rate", learning_rate)
        self._set_hyper("rho", rho)
        self._set_hyper("momentum", momentum)
        self._momentum = callable(momentum) or momentum > 0
        self.epsilon = self._epsilon_arg(epsilon)
        self.centered = centered

    def _create_slots(self, params):
        self.add_slot("rms")
        if self._momentum:
            self.add_slot("momentum")
        if self.centered:
            self.add_slot("mg")

    def _coefficients(self, step):
        rho = self._get_hyper("rho", step)
        return {"lr": float(self._decayed_lr(step)), "rho": float(rho),
                "one_minus_rho": float(f32(1.0) - rho),
                "momentum": float(self._get_hyper("momentum", step)),
                "epsilon": float(f32(self.epsilon))}

    def _update(self, params, grads, slots, c):
        rms, eps = slots["rms"], c["epsilon"]
        if self._momentum:
            foreach.lerp_(rms, torch._foreach_mul(grads, grads), c["one_minus_rho"])
            if self.centered:
                mg = slots["mg"]
                foreach.lerp_(mg, grads, c["one_minus_rho"])
                denom = torch._foreach_sub(rms, torch._foreach_mul(mg, mg))
                foreach.add_scalar_(denom, eps)
            else:
                denom = foreach.add_scalar(rms, eps)
            torch._foreach_sqrt_(denom)
            scaled = torch._foreach_mul(grads, c["lr"])
            torch._foreach_div_(scaled, denom)
            mom = slots["momentum"]
            torch._foreach_mul_(mom, c["momentum"])
            torch._foreach_add_(mom, scaled)
            torch._foreach_sub_(params, mom)
            return
        torch._foreach_mul_(rms, c["rho"])
        foreach.addcmul_(rms, grads, grads, c["one_minus_rho"])
        denom = rms
        if self.centered:
            mg = slots["mg"]
            torch._foreach_mul_(mg, c["rho"])
            foreach.add_(mg, grads, c["one_minus_rho"])
            denom = torch._foreach_sub(rms, torch._foreach_mul(mg, mg))
        denom = torch._foreach_sqrt(denom)
        foreach.add_scalar_(denom, eps)
        foreach.addcdiv_(params, grads, denom, -c["lr"])

    def get_config(self):
        return {**super().get_config(), **self._hyper_config("rho", "momentum"),
                "epsilon": self.epsilon, "centered": self.centered}
