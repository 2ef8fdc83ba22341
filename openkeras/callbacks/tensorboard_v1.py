"""Keras 2.3's ``keras.callbacks.tensorboard_v1`` (its TF1 TensorBoard); openkeras has one."""

from openkeras.callbacks.base import Callback  # noqa: F401
from openkeras.callbacks.tensorboard import TensorBoard  # noqa: F401
from openkeras.engine.training_utils import standardize_input_data  # noqa: F401
