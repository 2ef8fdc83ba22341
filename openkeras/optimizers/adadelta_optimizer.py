"""Adadelta, as Keras 2.2.4 (learning rate 1.0; tf.keras 2 changed it to 0.001)."""

import torch

from openkeras.optimizers import foreach
from openkeras.optimizers.optimizer import Optimizer, f32


class Adadelta(Optimizer):
    """Adaptive learning rates from running averages of squared gradients and updates.

    ``acc = rho * acc + (1 - rho) * g**2``,
    ``u = sqrt(acc_u + eps) / sqrt(acc + eps) * g``, ``w -= lr * u``,
    ``acc_u = rho * acc_u + (1 - rho) * u**2``.

    Args:
        learning_rate: Learning rate (float or LearningRateSchedule); ``lr`` is accepted.
        rho: Decay rate of the running averages.
        epsilon: Small constant for numerical stability; None means ``K.epsilon()``.
        name: Name of the optimizer.
        **kwargs: clipnorm, clipvalue, global_clipnorm, decay.
    """

    def __init__(self, learning_rate=1.0, rho=0.95, epsilon=None, name="Adadelta", **kwargs):
        learning_rate = self._learning_rate_arg(learning_rate, kwargs)
        super().__init__(name, **kwargs)
        self._set_hyper("learning_rate", learning_rate)
        self._set_hyper("rho", rho)
        self.epsilon = self._epsilon_arg(epsilon)

    def _create_slots(self, params):
        self.add_slot("accum_grad")
        self.add_slot("accum_var")

    def _coefficients(self, step):
        rho = self._get_hyper("rho", step)
        return {"lr": float(self._decayed_lr(step)), "rho": float(rho),
                "one_minus_rho": float(f32(1.0) - rho), "epsilon": float(f32(self.epsilon))}

    def _update(self, params, grads, slots, c):
        accum_grad, accum_var = slots["accum_grad"], slots["accum_var"]
        torch._foreach_mul_(accum_grad, c["rho"])
        foreach.addcmul_(accum_grad, grads, grads, c["one_minus_rho"])
        update = foreach.add_scalar(accum_var, c["epsilon"])
        torch._foreach_sqrt_(update)
        denom = foreach.add_scalar(accum_grad, c["epsilon"])
        torch._foreach_sqrt_(denom)
        torch._foreach_div_(update, denom)
        torch._foreach_mul_(update, grads)
        foreach.add_(params, update, -c["lr"])
        torch._foreach_mul_(accum_var, c["rho"])
        foreach.addcmul_(accum_var, update, update, c["one_minus_rho"])

    def get_config(self):
        return {**super().get_config(), **self._hyper_config("rho"), "epsilon": self.epsilon}
