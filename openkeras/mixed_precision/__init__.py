"""Mixed precision (tf.keras 2's ``keras.mixed_precision``): dtype policies and loss scaling."""

from openkeras.engine.lazy_exports import lazy_exports
from openkeras.mixed_precision import experimental  # noqa: F401  (the tf.keras 2.1-2.3 spellings)
from openkeras.mixed_precision.policy import Policy, global_policy, set_global_policy

__all__ = ["Policy", "global_policy", "set_global_policy", "LossScaleOptimizer", "experimental"]

# LossScaleOptimizer wraps optimizers, which sit above the engine core that reads policies.
__getattr__ = lazy_exports(__name__, {
    "LossScaleOptimizer": "openkeras.mixed_precision.loss_scale_optimizer:LossScaleOptimizer"})
