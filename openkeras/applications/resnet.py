"""ResNet50/101/152 (``keras.applications.resnet``, Keras 2.3), built as tf.keras 2 builds them.

Reference: [Deep Residual Learning for Image Recognition](https://arxiv.org/abs/1512.03385).
"""

from openkeras import config, layers
from openkeras.applications import imagenet_utils
from openkeras.applications.imagenet_utils import keras_modules_injection  # noqa: F401
from openkeras.applications.resnet50 import (  # noqa: F401
    ResNet50,
    _stack,
    decode_predictions,
    preprocess_input,
)
from openkeras.applications.weights import apply_weights
from openkeras.engine.training import Model

_BN_EPSILON = 1.001e-5


def build_resnet(stack_fn, preact, model_name, include_top=True, weights="imagenet",
                 input_tensor=None, input_shape=None, pooling=None, classes=1000,
                 classifier_activation="softmax"):
    """A ResNet (v1 ``preact=False`` or v2 ``preact=True``) around ``stack_fn(x)``.

    Args:
        stack_fn: builds the residual stacks on a tensor.
        preact: pre-activation ResNet (v2): no BN after conv1, a final BN + ReLU.
        model_name: the model's name and its weights family.
        include_top, weights, input_tensor, input_shape, pooling, classes,
            classifier_activation: as for ``ResNet50``.
    """
    imagenet_utils.validate_weights_and_classes(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=224, min_size=32, data_format=config.image_data_format(),
        require_flatten=include_top, weights=weights)
    img_input = imagenet_utils.image_input(input_tensor, input_shape)
    bn_axis = 3 if config.image_data_format() == "channels_last" else 1

    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(img_input)
    x = layers.Conv2D(64, 7, strides=2, use_bias=True, name="conv1_conv")(x)
    if not preact:
        x = layers.BatchNormalization(axis=bn_axis, epsilon=_BN_EPSILON, name="conv1_bn")(x)
        x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    x = stack_fn(x)
    if preact:
        x = layers.BatchNormalization(axis=bn_axis, epsilon=_BN_EPSILON, name="post_bn")(x)
        x = layers.Activation("relu", name="post_relu")(x)

    x = imagenet_utils.named_top(x, include_top, pooling, classes, classifier_activation,
                                 weights)
    model = Model(imagenet_utils.source_inputs(input_tensor, img_input), x, name=model_name)
    return apply_weights(model, weights, model_name, include_top)


def _v1_stacks(sizes):
    def stack_fn(x):
        x = _stack(x, 64, sizes[0], stride1=1, name="conv2")
        x = _stack(x, 128, sizes[1], name="conv3")
        x = _stack(x, 256, sizes[2], name="conv4")
        return _stack(x, 512, sizes[3], name="conv5")

    return stack_fn


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
