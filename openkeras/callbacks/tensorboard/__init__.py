"""The TensorBoard callback, written with ``torch.utils.tensorboard`` (the ``tensorboard`` extra)."""

from openkeras.callbacks.tensorboard.callback import TensorBoard

__all__ = ["TensorBoard"]
