"""Keras 2.2's module name for MobileNetV2 (``keras.applications.mobilenetv2``)."""

from openkeras.applications.imagenet_utils import keras_modules_injection  # noqa: F401
from openkeras.applications.mobilenet_v2 import (  # noqa: F401
    MobileNetV2,
    decode_predictions,
    preprocess_input,
)
