"""Callbacks: objects called by ``fit`` / ``evaluate`` / ``predict`` at set points of the loop.

The base classes ``fit`` runs (``Callback``, ``CallbackList``, ``History``...) load with this
package; the callbacks themselves sit above saving (``ModelCheckpoint`` saves models) and
resolve on first access, as ``keras.callbacks.ModelCheckpoint`` or by ``from ... import``.
"""

from openkeras.callbacks.base import (
    BaseLogger,
    Callback,
    CallbackList,
    History,
    ProgbarLogger,
)
from openkeras.engine.lazy_exports import lazy_exports

__all__ = ["Callback", "CallbackList", "History", "BaseLogger", "ProgbarLogger",
           "EarlyStopping", "ModelCheckpoint", "ReduceLROnPlateau", "LearningRateScheduler",
           "CSVLogger", "LambdaCallback", "TerminateOnNaN", "TensorBoard", "RemoteMonitor",
           "BackupAndRestore"]

_NAMES = {
    "BackupAndRestore": "openkeras.callbacks.backup_and_restore:BackupAndRestore",
    "CSVLogger": "openkeras.callbacks.csv_logger:CSVLogger",
    "EarlyStopping": "openkeras.callbacks.early_stopping:EarlyStopping",
    "LambdaCallback": "openkeras.callbacks.lambda_callback:LambdaCallback",
    "LearningRateScheduler": "openkeras.callbacks.lr_callbacks:LearningRateScheduler",
    "ModelCheckpoint": "openkeras.callbacks.model_checkpoint:ModelCheckpoint",
    "ReduceLROnPlateau": "openkeras.callbacks.lr_callbacks:ReduceLROnPlateau",
    "RemoteMonitor": "openkeras.callbacks.remote_monitor:RemoteMonitor",
    "TensorBoard": "openkeras.callbacks.tensorboard:TensorBoard",
    "TerminateOnNaN": "openkeras.callbacks.lambda_callback:TerminateOnNaN",
    # Keras 2 code imports these from here too.
    "Progbar": "openkeras.utils.progbar:Progbar",
    "standardize_input_data": "openkeras.engine.training_utils:standardize_input_data",
    # The modules, as attributes of the package.
    "backup_and_restore": "openkeras.callbacks.backup_and_restore",
    "callbacks": "openkeras.callbacks.callbacks",
    "csv_logger": "openkeras.callbacks.csv_logger",
    "early_stopping": "openkeras.callbacks.early_stopping",
    "lambda_callback": "openkeras.callbacks.lambda_callback",
    "lr_callbacks": "openkeras.callbacks.lr_callbacks",
    "model_checkpoint": "openkeras.callbacks.model_checkpoint",
    "monitor": "openkeras.callbacks.monitor",
    "remote_monitor": "openkeras.callbacks.remote_monitor",
    "tensorboard": "openkeras.callbacks.tensorboard",
    "tensorboard_v1": "openkeras.callbacks.tensorboard_v1",
    "tensorboard_v2": "openkeras.callbacks.tensorboard_v2",
}

__getattr__ = lazy_exports(__name__, _NAMES)


def __dir__():
    return sorted(set(globals()) | set(_NAMES))
