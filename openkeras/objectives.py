"""Keras 1's name for ``keras.losses`` (``keras.objectives``), kept by Keras 2."""

from openkeras.losses import *  # noqa: F401,F403
from openkeras.losses import is_categorical_crossentropy  # noqa: F401
from openkeras.utils import losses_utils  # noqa: F401
