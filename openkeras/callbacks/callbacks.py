"""Keras 2.3's ``keras.callbacks.callbacks``: the module that held every built-in callback."""

from openkeras.callbacks import (  # noqa: F401
    BaseLogger,
    Callback,
    CallbackList,
    CSVLogger,
    EarlyStopping,
    History,
    LambdaCallback,
    LearningRateScheduler,
    ModelCheckpoint,
    ProgbarLogger,
    ReduceLROnPlateau,
    RemoteMonitor,
    TerminateOnNaN,
)
from openkeras.engine.training_utils import standardize_input_data  # noqa: F401
from openkeras.utils.progbar import Progbar  # noqa: F401
