"""The TensorBoard callback and the event-file writer it uses (no TensorFlow needed)."""

from openkeras.callbacks.tensorboard.callback import TensorBoard
from openkeras.callbacks.tensorboard.event_file import EventFileWriter

__all__ = ["TensorBoard", "EventFileWriter"]
