"""ResNet50/101/152 (``keras.applications.resnet``, Keras 2.3), built as tf.keras 2 builds them.

Reference: [Deep Residual Learning for Image Recognition](https://arxiv.org/abs/1512.03385).
"""

from openkeras.applications.imagenet_utils import keras_modules_injection  # noqa: F401
from openkeras.applications.resnet50 import (  # noqa: F401
    ResNet50,
    _v1_stacks,
    build_resnet,
    decode_predictions,
    preprocess_input,
)
from openkeras.engine.training import Model


def ResNet101(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
              pooling=None, classes=1000, **kwargs) -> Model:
    """Instantiate ResNet101 (stacks of 3, 4, 23 and 3 bottleneck blocks); args as ResNet50."""
    return build_resnet(_v1_stacks((3, 4, 23, 3)), False, "resnet101", include_top, weights,
                        input_tensor, input_shape, pooling, classes, **kwargs)


def ResNet152(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
              pooling=None, classes=1000, **kwargs) -> Model:
    """Instantiate ResNet152 (stacks of 3, 8, 36 and 3 bottleneck blocks); args as ResNet50."""
    return build_resnet(_v1_stacks((3, 8, 36, 3)), False, "resnet152", include_top, weights,
                        input_tensor, input_shape, pooling, classes, **kwargs)
