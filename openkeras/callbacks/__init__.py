"""Callbacks: objects called by ``fit`` / ``evaluate`` / ``predict`` at set points of the loop."""

from openkeras.callbacks.backup_and_restore import BackupAndRestore
from openkeras.callbacks.base import (
    BaseLogger,
    Callback,
    CallbackList,
    History,
    ProgbarLogger,
)
from openkeras.callbacks.csv_logger import CSVLogger
from openkeras.callbacks.early_stopping import EarlyStopping
from openkeras.callbacks.lambda_callback import LambdaCallback, TerminateOnNaN
from openkeras.callbacks.lr_callbacks import LearningRateScheduler, ReduceLROnPlateau
from openkeras.callbacks.model_checkpoint import ModelCheckpoint
from openkeras.callbacks.remote_monitor import RemoteMonitor
from openkeras.callbacks.tensorboard import TensorBoard

__all__ = ["Callback", "CallbackList", "History", "BaseLogger", "ProgbarLogger",
           "EarlyStopping", "ModelCheckpoint", "ReduceLROnPlateau", "LearningRateScheduler",
           "CSVLogger", "LambdaCallback", "TerminateOnNaN", "TensorBoard", "RemoteMonitor",
           "BackupAndRestore"]


# Names Keras 2 code imports from this module, resolved on first access (so this module
# imports nothing more at load time).
from openkeras.engine.lazy_exports import lazy_exports  # noqa: E402

__getattr__ = lazy_exports(__name__, {
    "Progbar": "openkeras.utils.progbar:Progbar",
    "standardize_input_data": "openkeras.engine.training_utils:standardize_input_data",
})
