"""ResNet50V2/101V2/152V2 (``keras.applications.resnet_v2``, Keras 2.3): pre-activation ResNets.

Reference: [Identity Mappings in Deep Residual Networks](https://arxiv.org/abs/1603.05027).
"""

from openkeras import layers
from openkeras.applications import imagenet_utils
from openkeras.applications.imagenet_utils import keras_modules_injection  # noqa: F401
from openkeras.applications.resnet import build_resnet
from openkeras.applications.resnet50 import _BN_EPSILON, _bn_axis
from openkeras.engine.training import Model


def _block_v2(x, filters, kernel_size=3, stride=1, conv_shortcut=False, name=None):
    """A pre-activation bottleneck block; the stride sits on the 3x3 convolution."""
    bn_axis = _bn_axis()
    preact = layers.BatchNormalization(axis=bn_axis, epsilon=_BN_EPSILON,
                                       name=name + "_preact_bn")(x)
    preact = layers.Activation("relu", name=name + "_preact_relu")(preact)
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=name + "_0_conv")(preact)
    elif stride > 1:
        shortcut = layers.MaxPooling2D(1, strides=stride)(x)
    else:
        shortcut = x
    y = layers.Conv2D(filters, 1, strides=1, use_bias=False, name=name + "_1_conv")(preact)
    y = layers.BatchNormalization(axis=bn_axis, epsilon=_BN_EPSILON, name=name + "_1_bn")(y)
    y = layers.Activation("relu", name=name + "_1_relu")(y)
    y = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name=name + "_2_pad")(y)
    y = layers.Conv2D(filters, kernel_size, strides=stride, use_bias=False,
                      name=name + "_2_conv")(y)
    y = layers.BatchNormalization(axis=bn_axis, epsilon=_BN_EPSILON, name=name + "_2_bn")(y)
    y = layers.Activation("relu", name=name + "_2_relu")(y)
    y = layers.Conv2D(4 * filters, 1, name=name + "_3_conv")(y)
    return layers.Add(name=name + "_out")([shortcut, y])


def _stack_v2(x, filters, blocks, stride1=2, name=None):
    """``blocks`` blocks: a projection shortcut first, the stride on the last block."""
    x = _block_v2(x, filters, conv_shortcut=True, name=name + "_block1")
    for i in range(2, blocks):
        x = _block_v2(x, filters, name=f"{name}_block{i}")
    return _block_v2(x, filters, stride=stride1, name=f"{name}_block{blocks}")


def _v2_stacks(sizes):
    def stack_fn(x):
        x = _stack_v2(x, 64, sizes[0], name="conv2")
        x = _stack_v2(x, 128, sizes[1], name="conv3")
        x = _stack_v2(x, 256, sizes[2], name="conv4")
        return _stack_v2(x, 512, sizes[3], stride1=1, name="conv5")

    return stack_fn


def ResNet50V2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
               pooling=None, classes=1000, **kwargs) -> Model:
    """Instantiate ResNet50V2 (args as ResNet50)."""
    return build_resnet(_v2_stacks((3, 4, 6, 3)), True, "resnet50v2", include_top, weights,
                        input_tensor, input_shape, pooling, classes, **kwargs)


def ResNet101V2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, **kwargs) -> Model:
    """Instantiate ResNet101V2 (args as ResNet50)."""
    return build_resnet(_v2_stacks((3, 4, 23, 3)), True, "resnet101v2", include_top, weights,
                        input_tensor, input_shape, pooling, classes, **kwargs)


def ResNet152V2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, **kwargs) -> Model:
    """Instantiate ResNet152V2 (args as ResNet50)."""
    return build_resnet(_v2_stacks((3, 8, 36, 3)), True, "resnet152v2", include_top, weights,
                        input_tensor, input_shape, pooling, classes, **kwargs)


def preprocess_input(x, data_format=None):
    """Scale RGB [0, 255] images to [-1, 1] ('tf' mode), as the V2 weights expect."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """Decode ImageNet predictions: see ``imagenet_utils.decode_predictions``."""
    return imagenet_utils.decode_predictions(preds, top=top)
