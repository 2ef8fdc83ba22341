"""Adam and Adamax, as Keras 2.2.4 (Adamax learning rate 0.002; tf.keras 2: 0.001)."""

import numpy as np
import torch

from openkeras.optimizers import foreach
from openkeras.optimizers.optimizer import Optimizer, f32


class Adam(Optimizer):
    """Adam with tf.keras's "epsilon hat" placement.

    ``m += (1 - beta_1) * (g - m)``, ``v += (1 - beta_2) * (g**2 - v)`` and
    ``w -= alpha * m / (sqrt(v) + epsilon)`` with
    ``alpha = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)``: epsilon is added to the
    uncorrected sqrt(v), unlike torch.optim.Adam. amsgrad uses max(vhat, v) instead of v.

    Args:
        learning_rate: Learning rate (float or LearningRateSchedule); ``lr`` is accepted.
        beta_1: Decay rate of the first moment.
        beta_2: Decay rate of the second moment.
        epsilon: Small constant for numerical stability; None means ``K.epsilon()``.
        amsgrad: Use the AMSGrad variant.
        name: Name of the optimizer.
        **kwargs: clipnorm, clipvalue, global_clipnorm, decay.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=None,
                 amsgrad=False, name="Adam", **kwargs):
        learning_rate = self._learning_rate_arg(learning_rate, kwargs)
        super().__init__(name, **kwargs)
        self._set_hyper("learning_rate", learning_rate)
        self._set_hyper("beta_1", beta_1)
        self._set_hyper("beta_2", beta_2)
        self.epsilon = self._epsilon_arg(epsilon)
        self.amsgrad = amsgrad

    def _create_slots(self, params):
        self.add_slot("m")
        self.add_slot("v")
        if self.amsgrad:
            self.add_slot("vhat")

    def _coefficients(self, step):
        t = f32(step + 1)
        beta_1, beta_2 = self._get_hyper("beta_1", step), self._get_hyper("beta_2", step)
        one = f32(1.0)
        alpha = self._decayed_lr(step) * np.sqrt(one - beta_2 ** t) / (one - beta_1 ** t)
        return {"alpha": float(alpha), "one_minus_beta_1": float(one - beta_1),
                "one_minus_beta_2": float(one - beta_2), "epsilon": float(f32(self.epsilon))}

    def _update(self, params, grads, slots, c):
        m, v = slots["m"], slots["v"]
        foreach.lerp_(m, grads, c["one_minus_beta_1"])
        foreach.lerp_(v, torch._foreach_mul(grads, grads), c["one_minus_beta_2"])
        if self.amsgrad:
            torch._foreach_maximum_(slots["vhat"], v)
            denom = torch._foreach_sqrt(slots["vhat"])
        else:
            denom = torch._foreach_sqrt(v)
        foreach.add_scalar_(denom, c["epsilon"])
        foreach.addcdiv_(params, m, denom, -c["alpha"])

    def get_config(self):
        return {**super().get_config(), **self._hyper_config("beta_1", "beta_2"),
                "epsilon": self.epsilon, "amsgrad": self.amsgrad}


class Adamax(Optimizer):
    """Adam with the infinity norm.

    ``m += (1 - beta_1) * (g - m)``, ``u = max(beta_2 * u, |g|)`` and
    ``w -= lr / (1 - beta_1**t) * m / (u + epsilon)``.

    Args:
        learning_rate: Learning rate (float or LearningRateSchedule); ``lr`` is accepted.
        beta_1: Decay rate of the first moment.
        beta_2: Decay rate of the infinity norm.
        epsilon: Small constant for numerical stability; None means ``K.epsilon()``.
        name: Name of the optimizer.
        **kwargs: clipnorm, clipvalue, global_clipnorm, decay.
    """

    def __init__(self, learning_rate=0.002, beta_1=0.9, beta_2=0.999, epsilon=None,
                 name="Adamax", **kwargs):
        learning_rate = self._learning_rate_arg(learning_rate, kwargs)
        super().__init__(name, **kwargs)
        self._set_hyper("learning_rate", learning_rate)
        self._set_hyper("beta_1", beta_1)
        self._set_hyper("beta_2", beta_2)
        self.epsilon = self._epsilon_arg(epsilon)

    def _create_slots(self, params):
        self.add_slot("m")
        self.add_slot("v")

    def _coefficients(self, step):
        beta_1 = self._get_hyper("beta_1", step)
        one = f32(1.0)
        return {"scale": float(self._decayed_lr(step) / (one - beta_1 ** f32(step + 1))),
                "one_minus_beta_1": float(one - beta_1),
                "beta_2": float(self._get_hyper("beta_2", step)),
                "epsilon": float(f32(self.epsilon))}

    def _update(self, params, grads, slots, c):
        m, u = slots["m"], slots["v"]
        foreach.lerp_(m, grads, c["one_minus_beta_1"])
        torch._foreach_mul_(u, c["beta_2"])
        torch._foreach_maximum_(u, torch._foreach_abs(grads))
        denom = foreach.add_scalar(u, c["epsilon"])
        foreach.addcdiv_(params, m, denom, -c["scale"])

    def get_config(self):
        return {**super().get_config(), **self._hyper_config("beta_1", "beta_2"),
                "epsilon": self.epsilon}
