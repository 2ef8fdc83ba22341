"""Inception-ResNet v2 (Szegedy et al., 2017), built as ``keras.applications.inception_resnet_v2``.

Reference: "Inception-v4, Inception-ResNet and the Impact of Residual Connections on
Learning", https://arxiv.org/abs/1602.07261. Default input size 299x299, smallest 75x75.
"""

from openkeras import config, layers
from openkeras.applications import imagenet_utils
from openkeras.applications.imagenet_utils import keras_modules_injection  # noqa: F401
from openkeras.applications.weights import apply_weights
from openkeras.engine.functional import Functional
from openkeras.layers.scale import CustomScaleLayer  # noqa: F401  (its Keras path is here)


def InceptionResNetV2(include_top: bool = True, weights="imagenet", input_tensor=None,
                      input_shape=None, pooling=None, classes: int = 1000,
                      classifier_activation="softmax", **kwargs):
    """Instantiates the Inception-ResNet v2 architecture, optionally with ImageNet weights.

    Args:
        include_top: whether to include the classifier (global pooling + ``Dense``).
        weights: None (random initialization), 'imagenet', or the path of a weights file.
        input_tensor: optional Keras tensor (output of ``Input()``) to use as image input.
        input_shape: optional shape tuple when ``include_top`` is False, e.g. ``(150, 150, 3)``;
            width and height no smaller than 75.
        pooling: feature pooling when ``include_top`` is False: None, 'avg' or 'max'.
        classes: number of classes, only with ``include_top=True`` and no 'imagenet' weights.
        classifier_activation: activation of the top layer (None returns logits).
        **kwargs: accepted for backwards compatibility only; any entry is an error.

    Returns:
        A ``Model`` named 'inception_resnet_v2'.
    """
    if kwargs:
        raise ValueError(f"Unknown argument(s): {kwargs}")
    imagenet_utils.validate_weights_and_classes(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=299, min_size=75, data_format=config.image_data_format(),
        require_flatten=include_top, weights=weights)
    img_input = imagenet_utils.image_input(input_tensor, input_shape)
    axis = 1 if config.image_data_format() == "channels_first" else 3

    # stem: 35 x 35 x 192
    x = conv2d_bn(img_input, 32, 3, strides=2, padding="valid")
    x = conv2d_bn(x, 32, 3, padding="valid")
    x = conv2d_bn(x, 64, 3)
    x = layers.MaxPooling2D(3, strides=2)(x)
    x = conv2d_bn(x, 80, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, padding="valid")
    x = layers.MaxPooling2D(3, strides=2)(x)

    # mixed 5b (Inception-A): 35 x 35 x 320
    branch_0 = conv2d_bn(x, 96, 1)
    branch_1 = conv2d_bn(x, 48, 1)
    branch_1 = conv2d_bn(branch_1, 64, 5)
    branch_2 = conv2d_bn(x, 64, 1)
    branch_2 = conv2d_bn(branch_2, 96, 3)
    branch_2 = conv2d_bn(branch_2, 96, 3)
    branch_pool = layers.AveragePooling2D(3, strides=1, padding="same")(x)
    branch_pool = conv2d_bn(branch_pool, 64, 1)
    x = layers.Concatenate(axis=axis, name="mixed_5b")([branch_0, branch_1, branch_2, branch_pool])

    for block_idx in range(1, 11):
        x = inception_resnet_block(x, scale=0.17, block_type="block35", block_idx=block_idx)

    # mixed 6a (Reduction-A): 17 x 17 x 1088
    branch_0 = conv2d_bn(x, 384, 3, strides=2, padding="valid")
    branch_1 = conv2d_bn(x, 256, 1)
    branch_1 = conv2d_bn(branch_1, 256, 3)
    branch_1 = conv2d_bn(branch_1, 384, 3, strides=2, padding="valid")
    branch_pool = layers.MaxPooling2D(3, strides=2, padding="valid")(x)
    x = layers.Concatenate(axis=axis, name="mixed_6a")([branch_0, branch_1, branch_pool])

    for block_idx in range(1, 21):
        x = inception_resnet_block(x, scale=0.1, block_type="block17", block_idx=block_idx)

    # mixed 7a (Reduction-B): 8 x 8 x 2080
    branch_0 = conv2d_bn(x, 256, 1)
    branch_0 = conv2d_bn(branch_0, 384, 3, strides=2, padding="valid")
    branch_1 = conv2d_bn(x, 256, 1)
    branch_1 = conv2d_bn(branch_1, 288, 3, strides=2, padding="valid")
    branch_2 = conv2d_bn(x, 256, 1)
    branch_2 = conv2d_bn(branch_2, 288, 3)
    branch_2 = conv2d_bn(branch_2, 320, 3, strides=2, padding="valid")
    branch_pool = layers.MaxPooling2D(3, strides=2, padding="valid")(x)
    x = layers.Concatenate(axis=axis, name="mixed_7a")([branch_0, branch_1, branch_2, branch_pool])

    for block_idx in range(1, 10):
        x = inception_resnet_block(x, scale=0.2, block_type="block8", block_idx=block_idx)
    x = inception_resnet_block(x, scale=1.0, activation=None, block_type="block8", block_idx=10)

    # final convolution: 8 x 8 x 1536
    x = conv2d_bn(x, 1536, 1, name="conv_7b")

    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D()(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D()(x)

    model = Functional(imagenet_utils.source_inputs(input_tensor, img_input), x, name="inception_resnet_v2")
    return apply_weights(model, weights, "inception_resnet_v2", include_top)


def conv2d_bn(x, filters: int, kernel_size, strides=1, padding: str = "same",
              activation="relu", use_bias: bool = False, name=None):
    """``Conv2D``, then (without bias) ``BatchNormalization`` (no scale), then the activation.

    Args:
        x: input tensor.
        filters: filters of the convolution.
        kernel_size: kernel size of the convolution.
        strides: strides of the convolution.
        padding: padding mode of the convolution.
        activation: activation after the convolution (None for none).
        use_bias: whether the convolution has a bias (then no batch normalization follows).
        name: if given, the layers are named ``name``, ``name + '_bn'`` and ``name + '_ac'``.
    """
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding=padding, use_bias=use_bias,
                      name=name)(x)
    if not use_bias:
        axis = 1 if config.image_data_format() == "channels_first" else 3
        x = layers.BatchNormalization(axis=axis, scale=False,
                                      name=None if name is None else name + "_bn")(x)
    if activation is not None:
        x = layers.Activation(activation, name=None if name is None else name + "_ac")(x)
    return x


def inception_resnet_block(x, scale: float, block_type: str, block_idx: int, activation="relu"):
    """An Inception-ResNet block: ``x + scale * residual(x)``, then the activation.

    Args:
        x: input tensor.
        scale: factor applied to the residual branch before it is added to ``x``.
        block_type: 'block35' (Inception-ResNet-A), 'block17' (-B) or 'block8' (-C).
        block_idx: index used in the layer names, e.g. 'block35_1'.
        activation: activation at the end of the block (None for none).
    """
    if block_type == "block35":
        branch_0 = conv2d_bn(x, 32, 1)
        branch_1 = conv2d_bn(x, 32, 1)
        branch_1 = conv2d_bn(branch_1, 32, 3)
        branch_2 = conv2d_bn(x, 32, 1)
        branch_2 = conv2d_bn(branch_2, 48, 3)
        branch_2 = conv2d_bn(branch_2, 64, 3)
        branches = [branch_0, branch_1, branch_2]
    elif block_type == "block17":
        branch_0 = conv2d_bn(x, 192, 1)
        branch_1 = conv2d_bn(x, 128, 1)
        branch_1 = conv2d_bn(branch_1, 160, [1, 7])
        branch_1 = conv2d_bn(branch_1, 192, [7, 1])
        branches = [branch_0, branch_1]
    elif block_type == "block8":
        branch_0 = conv2d_bn(x, 192, 1)
        branch_1 = conv2d_bn(x, 192, 1)
        branch_1 = conv2d_bn(branch_1, 224, [1, 3])
        branch_1 = conv2d_bn(branch_1, 256, [3, 1])
        branches = [branch_0, branch_1]
    else:
        raise ValueError('Unknown Inception-ResNet block type. Expects "block35", "block17" or '
                         f'"block8", but got: {block_type}')

    block_name = f"{block_type}_{block_idx}"
    axis = 1 if config.image_data_format() == "channels_first" else 3
    mixed = layers.Concatenate(axis=axis, name=block_name + "_mixed")(branches)
    up = conv2d_bn(mixed, x.shape[axis], 1, activation=None, use_bias=True,
                   name=block_name + "_conv")
    x = CustomScaleLayer(scale, name=block_name)([x, up])
    if activation is not None:
        x = layers.Activation(activation, name=block_name + "_ac")(x)
    return x


def preprocess_input(x, data_format=None):
    """Scales a batch of RGB images from [0, 255] to [-1, 1] ('tf' mode).

    Args:
        x: numpy array or torch tensor of images.
        data_format: 'channels_last' or 'channels_first' (default: the config's).
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top: int = 5):
    """The ``top`` (class_id, class_name, score) tuples of each ImageNet prediction.

    Args:
        preds: array of shape (samples, 1000).
        top: how many guesses to return per sample.
    """
    return imagenet_utils.decode_predictions(preds, top=top)
