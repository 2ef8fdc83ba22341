"""Keras 2.3's ``keras.callbacks.tensorboard_v2`` (its TF2 TensorBoard); openkeras has one."""

from openkeras.callbacks.tensorboard import TensorBoard  # noqa: F401
