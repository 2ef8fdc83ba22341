"""Xception (Chollet, 2017), built as ``keras.applications.xception``.

Reference: "Xception: Deep Learning with Depthwise Separable Convolutions",
https://arxiv.org/abs/1610.02357. Default input size 299x299, smallest 71x71.
"""

from openkeras import config, layers
from openkeras.applications import imagenet_utils
from openkeras.applications.imagenet_utils import keras_modules_injection  # noqa: F401
from openkeras.applications.weights import apply_weights
from openkeras.engine.functional import Functional


def Xception(include_top: bool = True, weights="imagenet", input_tensor=None, input_shape=None,
             pooling=None, classes: int = 1000, classifier_activation="softmax"):
    """Instantiates the Xception architecture, optionally with ImageNet weights.

    Args:
        include_top: whether to include the classifier (global pooling + ``Dense``).
        weights: None (random initialization), 'imagenet', or the path of a weights file.
        input_tensor: optional Keras tensor (output of ``Input()``) to use as image input.
        input_shape: optional shape tuple when ``include_top`` is False, e.g. ``(150, 150, 3)``;
            width and height no smaller than 71.
        pooling: feature pooling when ``include_top`` is False: None, 'avg' or 'max'.
        classes: number of classes, only with ``include_top=True`` and no 'imagenet' weights.
        classifier_activation: activation of the top layer (None returns logits).

    Returns:
        A ``Model`` named 'xception'.
    """
    imagenet_utils.validate_weights_and_classes(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=299, min_size=71, data_format=config.image_data_format(),
        require_flatten=include_top, weights=weights)
    img_input = imagenet_utils.image_input(input_tensor, input_shape)
    axis = 1 if config.image_data_format() == "channels_first" else -1

    x = layers.Conv2D(32, (3, 3), strides=(2, 2), use_bias=False, name="block1_conv1")(img_input)
    x = layers.BatchNormalization(axis=axis, name="block1_conv1_bn")(x)
    x = layers.Activation("relu", name="block1_conv1_act")(x)
    x = layers.Conv2D(64, (3, 3), use_bias=False, name="block1_conv2")(x)
    x = layers.BatchNormalization(axis=axis, name="block1_conv2_bn")(x)
    x = layers.Activation("relu", name="block1_conv2_act")(x)

    # entry flow: blocks 2-4 halve the resolution, with a strided 1x1 shortcut
    for block, filters in ((2, 128), (3, 256), (4, 728)):
        x = _downsampling_block(x, f"block{block}", filters, filters, axis,
                                first_activation=block != 2)
    # middle flow: 8 residual blocks of three separable convolutions
    for block in range(5, 13):
        residual = x
        prefix = f"block{block}"
        for i in (1, 2, 3):
            x = layers.Activation("relu", name=f"{prefix}_sepconv{i}_act")(x)
            x = layers.SeparableConv2D(728, (3, 3), padding="same", use_bias=False,
                                       name=f"{prefix}_sepconv{i}")(x)
            x = layers.BatchNormalization(axis=axis, name=f"{prefix}_sepconv{i}_bn")(x)
        x = layers.add([x, residual])
    # exit flow
    x = _downsampling_block(x, "block13", 728, 1024, axis, first_activation=True)
    for i, filters in ((1, 1536), (2, 2048)):
        x = layers.SeparableConv2D(filters, (3, 3), padding="same", use_bias=False,
                                   name=f"block14_sepconv{i}")(x)
        x = layers.BatchNormalization(axis=axis, name=f"block14_sepconv{i}_bn")(x)
        x = layers.Activation("relu", name=f"block14_sepconv{i}_act")(x)

    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D()(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D()(x)

    model = Functional(imagenet_utils.source_inputs(input_tensor, img_input), x, name="xception")
    return apply_weights(model, weights, "xception", include_top)


def _downsampling_block(x, prefix, filters1, filters2, axis, first_activation):
    """Two separable convolutions + strided max pooling, added to a strided 1x1 shortcut.

    Layer names follow Keras, including its quirk that block 2 has no 'sepconv1_act' layer
    and names the activation between its convolutions '<prefix>_sepconv2_act'.
    """
    residual = layers.Conv2D(filters2, (1, 1), strides=(2, 2), padding="same",
                             use_bias=False)(x)
    residual = layers.BatchNormalization(axis=axis)(residual)
    if first_activation:
        x = layers.Activation("relu", name=f"{prefix}_sepconv1_act")(x)
    x = layers.SeparableConv2D(filters1, (3, 3), padding="same", use_bias=False,
                               name=f"{prefix}_sepconv1")(x)
    x = layers.BatchNormalization(axis=axis, name=f"{prefix}_sepconv1_bn")(x)
    x = layers.Activation("relu", name=f"{prefix}_sepconv2_act")(x)
    x = layers.SeparableConv2D(filters2, (3, 3), padding="same", use_bias=False,
                               name=f"{prefix}_sepconv2")(x)
    x = layers.BatchNormalization(axis=axis, name=f"{prefix}_sepconv2_bn")(x)
    x = layers.MaxPooling2D((3, 3), strides=(2, 2), padding="same", name=f"{prefix}_pool")(x)
    return layers.add([x, residual])


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
