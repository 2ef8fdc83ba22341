"""Nadam (Adam with Nesterov momentum), as Keras 2.2.4 (learning rate 0.002; tf.keras: 0.001)."""

import numpy as np
import torch

from openkeras.optimizers import foreach
from openkeras.optimizers.optimizer import Optimizer, f32
from openkeras.optimizers.schedules import LearningRateSchedule


class Nadam(Optimizer):
    """Adam with Nesterov momentum and Dozat's momentum schedule.

    ``mu_t = beta_1 * (1 - 0.5 * 0.96 ** (decay * t))`` with ``decay`` the Keras 1
    ``schedule_decay`` (default 0.004); the product of the mu's is kept in the
    "momentum_cache" weight. The learning rate itself is not decayed.

    Args:
        learning_rate: Learning rate (a float; schedules are refused as in tf.keras).
        beta_1: Decay rate of the first moment.
        beta_2: Decay rate of the second moment.
        epsilon: Small constant for numerical stability; None means ``K.epsilon()``.
        name: Name of the optimizer.
        schedule_decay: Keras 1/2.2 name of the momentum schedule decay (default 0.004).
        **kwargs: clipnorm, clipvalue, global_clipnorm, and ``decay`` (= schedule_decay).
    """

    def __init__(self, learning_rate=0.002, beta_1=0.9, beta_2=0.999, epsilon=None,
                 name="Nadam", schedule_decay=None, **kwargs):
        learning_rate = self._learning_rate_arg(learning_rate, kwargs)
        if isinstance(learning_rate, LearningRateSchedule):
            raise ValueError("The Nadam optimizer does not support "
                             "LearningRateSchedules as the learning rate.")
        kwargs["decay"] = schedule_decay if schedule_decay is not None else kwargs.get(
            "decay", 0.004)
        super().__init__(name, **kwargs)
        self._set_hyper("learning_rate", learning_rate)
        self._set_hyper("beta_1", beta_1)
        self._set_hyper("beta_2", beta_2)
        self.epsilon = self._epsilon_arg(epsilon)

    def _create_slots(self, params):
        self.add_extra_weight("momentum_cache", 1.0)
        self.add_slot("m")
        self.add_slot("v")

    def _coefficients(self, step):
        one, half, base = f32(1.0), f32(0.5), f32(0.96)
        beta_1, beta_2 = self._get_hyper("beta_1", step), self._get_hyper("beta_2", step)
        decay = self._get_hyper("decay", step)
        t, t_next = f32(step + 1), f32(step + 2)
        m_t = beta_1 * (one - half * base ** (decay * t))
        m_t_1 = beta_1 * (one - half * base ** (decay * t_next))
        cache = self._extra["momentum_cache"]
        m_schedule_new = f32(cache.item()) * m_t
        cache.fill_(float(m_schedule_new))
        m_schedule_next = m_schedule_new * m_t_1
        return {"lr": float(self._get_hyper("learning_rate", step)),
                "beta_1": float(beta_1), "one_minus_beta_1": float(one - beta_1),
                "beta_2": float(beta_2), "one_minus_beta_2": float(one - beta_2),
                "grad_scale": float((one - m_t) / (one - m_schedule_new)),
                "m_scale": float(m_t_1 / (one - m_schedule_next)),
                "v_correction": float(one - beta_2 ** t), "epsilon": float(f32(self.epsilon))}

    @property
    def schedule_decay(self):
        """Keras 2's name of the momentum schedule decay (the ``decay`` hyperparameter)."""
        return self._hyper["decay"]

    def momentum_cache_after(self, steps: int):
        """The momentum cache (product of the mu's) after ``steps`` steps, in float32.

        Files of Keras 2.2.4 and tf.keras >= 2.11 do not store it; it follows from the step.
        """
        one, half, base = f32(1.0), f32(0.5), f32(0.96)
        beta_1, decay = self._get_hyper("beta_1"), self._get_hyper("decay")
        cache = f32(1.0)
        for t in range(1, steps + 1):
            cache = cache * (beta_1 * (one - half * base ** (decay * f32(t))))
        return np.float32(cache)

    def _update(self, params, grads, slots, c):
        m, v = slots["m"], slots["v"]
        torch._foreach_mul_(m, c["beta_1"])
        foreach.add_(m, grads, c["one_minus_beta_1"])
        torch._foreach_mul_(v, c["beta_2"])
        foreach.addcmul_(v, grads, grads, c["one_minus_beta_2"])
        m_bar = torch._foreach_mul(grads, c["grad_scale"])
        foreach.add_(m_bar, m, c["m_scale"])
        denom = torch._foreach_div(v, c["v_correction"])
        torch._foreach_sqrt_(denom)
        foreach.add_scalar_(denom, c["epsilon"])
        foreach.addcdiv_(params, m_bar, denom, -c["lr"])

    def get_config(self):
        return {**super().get_config(), **self._hyper_config("beta_1", "beta_2"),
                "epsilon": self.epsilon}
