"""DenseNet 121/169/201 (Huang et al., 2017), built as ``keras.applications.densenet``.

Reference: "Densely Connected Convolutional Networks", https://arxiv.org/abs/1608.06993.
Default input size 224x224, smallest 32x32.
"""

from openkeras import config, layers
from openkeras.applications import imagenet_utils
from openkeras.applications.imagenet_utils import keras_modules_injection  # noqa: F401
from openkeras.applications.weights import apply_weights
from openkeras.engine.functional import Functional

_NAMED_BLOCKS = {(6, 12, 24, 16): "densenet121", (6, 12, 32, 32): "densenet169",
                 (6, 12, 48, 32): "densenet201"}


def dense_block(x, blocks: int, name: str):
    """``blocks`` conv blocks, each concatenating 32 new channels to its input.

    Args:
        x: input tensor.
        blocks: number of building blocks.
        name: block label, e.g. 'conv2'.
    """
    for i in range(blocks):
        x = conv_block(x, 32, name=f"{name}_block{i + 1}")
    return x


def transition_block(x, reduction: float, name: str):
    """BN-ReLU-1x1 conv compressing the channels by ``reduction``, then 2x2 average pooling.

    Args:
        x: input tensor.
        reduction: compression rate of the channels.
        name: block label, e.g. 'pool2'.
    """
    axis = 3 if config.image_data_format() == "channels_last" else 1
    x = layers.BatchNormalization(axis=axis, epsilon=1.001e-5, name=name + "_bn")(x)
    x = layers.Activation("relu", name=name + "_relu")(x)
    x = layers.Conv2D(int(x.shape[axis] * reduction), 1, use_bias=False, name=name + "_conv")(x)
    return layers.AveragePooling2D(2, strides=2, name=name + "_pool")(x)


def conv_block(x, growth_rate: int, name: str):
    """BN-ReLU-1x1 conv, BN-ReLU-3x3 conv, concatenated to the input.

    Args:
        x: input tensor.
        growth_rate: number of channels added.
        name: block label, e.g. 'conv2_block1'.
    """
    axis = 3 if config.image_data_format() == "channels_last" else 1
    x1 = layers.BatchNormalization(axis=axis, epsilon=1.001e-5, name=name + "_0_bn")(x)
    x1 = layers.Activation("relu", name=name + "_0_relu")(x1)
    x1 = layers.Conv2D(4 * growth_rate, 1, use_bias=False, name=name + "_1_conv")(x1)
    x1 = layers.BatchNormalization(axis=axis, epsilon=1.001e-5, name=name + "_1_bn")(x1)
    x1 = layers.Activation("relu", name=name + "_1_relu")(x1)
    x1 = layers.Conv2D(growth_rate, 3, padding="same", use_bias=False, name=name + "_2_conv")(x1)
    return layers.Concatenate(axis=axis, name=name + "_concat")([x, x1])


def DenseNet(blocks, include_top: bool = True, weights="imagenet", input_tensor=None,
             input_shape=None, pooling=None, classes: int = 1000,
             classifier_activation="softmax"):
    """Instantiates a DenseNet with the given numbers of building blocks.

    'imagenet' weights exist for the blocks of DenseNet121 ([6, 12, 24, 16]), DenseNet169
    ([6, 12, 32, 32]) and DenseNet201 ([6, 12, 48, 32]).

    Args:
        blocks: numbers of building blocks of the four dense blocks.
        include_top: whether to include the classifier (global pooling + ``Dense``).
        weights: None (random initialization), 'imagenet', or the path of a weights file.
        input_tensor: optional Keras tensor (output of ``Input()``) to use as image input.
        input_shape: optional shape tuple when ``include_top`` is False, e.g. ``(200, 200, 3)``;
            width and height no smaller than 32.
        pooling: feature pooling when ``include_top`` is False: None, 'avg' or 'max'.
        classes: number of classes, only with ``include_top=True`` and no 'imagenet' weights.
        classifier_activation: activation of the top layer (None returns logits).

    Returns:
        A ``Model`` named 'densenet121', 'densenet169', 'densenet201' or 'densenet'.
    """
    imagenet_utils.validate_weights_and_classes(weights, include_top, classes)
    name = _NAMED_BLOCKS.get(tuple(blocks), "densenet")
    if weights == "imagenet" and name == "densenet":
        raise ValueError("ImageNet weights exist only for the blocks of DenseNet121, "
                         f"DenseNet169 and DenseNet201. Received: blocks={blocks}")
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=224, min_size=32, data_format=config.image_data_format(),
        require_flatten=include_top, weights=weights)
    img_input = imagenet_utils.image_input(input_tensor, input_shape)
    axis = 3 if config.image_data_format() == "channels_last" else 1

    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)))(img_input)
    x = layers.Conv2D(64, 7, strides=2, use_bias=False, name="conv1/conv")(x)
    x = layers.BatchNormalization(axis=axis, epsilon=1.001e-5, name="conv1/bn")(x)
    x = layers.Activation("relu", name="conv1/relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)))(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)

    for stage, count in enumerate(blocks[:3], start=2):
        x = dense_block(x, count, name=f"conv{stage}")
        x = transition_block(x, 0.5, name=f"pool{stage}")
    x = dense_block(x, blocks[3], name="conv5")

    x = layers.BatchNormalization(axis=axis, epsilon=1.001e-5, name="bn")(x)
    x = layers.Activation("relu", name="relu")(x)

    x = imagenet_utils.named_top(x, include_top, pooling, classes, classifier_activation,
                                 weights)

    model = Functional(imagenet_utils.source_inputs(input_tensor, img_input), x, name=name)
    return apply_weights(model, weights, name, include_top)


def DenseNet121(include_top: bool = True, weights="imagenet", input_tensor=None,
                input_shape=None, pooling=None, classes: int = 1000,
                classifier_activation="softmax"):
    """Instantiates the DenseNet121 architecture; arguments as in ``DenseNet``."""
    return DenseNet([6, 12, 24, 16], include_top, weights, input_tensor, input_shape, pooling,
                    classes, classifier_activation)


def DenseNet169(include_top: bool = True, weights="imagenet", input_tensor=None,
                input_shape=None, pooling=None, classes: int = 1000,
                classifier_activation="softmax"):
    """Instantiates the DenseNet169 architecture; arguments as in ``DenseNet``."""
    return DenseNet([6, 12, 32, 32], include_top, weights, input_tensor, input_shape, pooling,
                    classes, classifier_activation)


def DenseNet201(include_top: bool = True, weights="imagenet", input_tensor=None,
                input_shape=None, pooling=None, classes: int = 1000,
                classifier_activation="softmax"):
    """Instantiates the DenseNet201 architecture; arguments as in ``DenseNet``."""
    return DenseNet([6, 12, 48, 32], include_top, weights, input_tensor, input_shape, pooling,
                    classes, classifier_activation)


def preprocess_input(x, data_format=None):
    """Scales RGB images to [0, 1], then normalizes each channel by ImageNet's mean and std.

    Args:
        x: numpy array or torch tensor of images with values in [0, 255].
        data_format: 'channels_last' or 'channels_first' (default: the config's).
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="torch")


def decode_predictions(preds, top: int = 5):
    """The ``top`` (class_id, class_name, score) tuples of each ImageNet prediction.

    Args:
        preds: array of shape (samples, 1000).
        top: how many guesses to return per sample.
    """
    return imagenet_utils.decode_predictions(preds, top=top)
