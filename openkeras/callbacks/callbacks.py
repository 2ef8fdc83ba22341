"""Keras 2.3's ``keras.callbacks.callbacks``: the module that held every built-in callback."""

from openkeras.callbacks.base import BaseLogger, Callback, CallbackList, History, ProgbarLogger  # noqa: F401
from openkeras.callbacks.csv_logger import CSVLogger  # noqa: F401
from openkeras.callbacks.early_stopping import EarlyStopping  # noqa: F401
from openkeras.callbacks.lambda_callback import LambdaCallback, TerminateOnNaN  # noqa: F401
from openkeras.callbacks.lr_callbacks import LearningRateScheduler, ReduceLROnPlateau  # noqa: F401
from openkeras.callbacks.model_checkpoint import ModelCheckpoint  # noqa: F401
from openkeras.callbacks.remote_monitor import RemoteMonitor  # noqa: F401
from openkeras.engine.training_utils import standardize_input_data  # noqa: F401
from openkeras.utils.progbar import Progbar  # noqa: F401
