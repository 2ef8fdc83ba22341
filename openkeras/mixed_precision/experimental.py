"""tf.keras 2.1-2.3's ``mixed_precision.experimental`` names (``set_policy``, ``global_policy``)."""

from openkeras.engine.lazy_exports import lazy_exports
from openkeras.mixed_precision.policy import Policy, global_policy  # noqa: F401
from openkeras.mixed_precision.policy import set_global_policy as set_policy  # noqa: F401

__getattr__ = lazy_exports(__name__, {
    "LossScaleOptimizer": "openkeras.mixed_precision.loss_scale_optimizer:LossScaleOptimizer"})
