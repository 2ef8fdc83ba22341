"""Adagrad, as Keras 2.2.4 (lr 0.01, accumulators start at 0; tf.keras: 0.001 and 0.1)."""

import torch

from openkeras.optimizers import foreach
from openkeras.optimizers.optimizer import Optimizer, f32


class Adagrad(Optimizer):
    """Per-parameter learning rates scaled by accumulated squared gradients.

    ``acc += g**2`` and ``w -= lr * g / (sqrt(acc) + epsilon)``.

    Args:
        learning_rate: Learning rate (float or LearningRateSchedule); ``lr`` is accepted.
        initial_accumulator_value: Starting value of the accumulators (>= 0); Keras 2 has
            zeros, tf.keras 2 writes 0.1 in its configs.
        epsilon: Small constant for numerical stability; None means ``K.epsilon()``.
        name: Name of the optimizer.
        **kwargs: clipnorm, clipvalue, global_clipnorm, decay.
    """

    def __init__(self, learning_rate=0.01, initial_accumulator_value=0.0, epsilon=None,
                 name="Adagrad", **kwargs):
        if initial_accumulator_value < 0.0:
            raise ValueError("initial_accumulator_value must be non-negative. Received: "
                             f"initial_accumulator_value={initial_accumulator_value}")
        learning_rate = self._learning_rate_arg(learning_rate, kwargs)
        super().__init__(name, **kwargs)
        self._set_hyper("learning_rate", learning_rate)
        self._initial_accumulator_value = initial_accumulator_value
        self.epsilon = self._epsilon_arg(epsilon)

    def _create_slots(self, params):
        self.add_slot("accumulator", self._initial_accumulator_value)

    def _coefficients(self, step):
        return {"lr": float(self._decayed_lr(step)), "epsilon": float(f32(self.epsilon))}

    def _update(self, params, grads, slots, c):
        accumulator = slots["accumulator"]
        torch._foreach_addcmul_(accumulator, grads, grads)
        denom = torch._foreach_sqrt(accumulator)
        foreach.add_scalar_(denom, c["epsilon"])
        scaled = torch._foreach_mul(grads, c["lr"])
        torch._foreach_div_(scaled, denom)
        torch._foreach_sub_(params, scaled)

    def get_config(self):
        return {**super().get_config(), **self._hyper_config(),
                "initial_accumulator_value": self._initial_accumulator_value,
                "epsilon": self.epsilon}
