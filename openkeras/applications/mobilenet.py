"""MobileNet v1 (``keras.applications.mobilenet``), as tf.keras 2.x builds it.

Reference: [MobileNets: Efficient Convolutional Neural Networks for Mobile Vision
Applications](https://arxiv.org/abs/1704.04861).
"""

import warnings

from openkeras import config, layers
from openkeras.applications import imagenet_utils
from openkeras.applications.imagenet_utils import keras_modules_injection  # noqa: F401
from openkeras.applications.weights import apply_weights
from openkeras.engine.training import Model

_IMAGENET_SIZES = (128, 160, 192, 224)
# (pointwise filters, strides) of the 13 depthwise separable blocks.
_BLOCKS = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1),
           (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1))


def _channel_axis():
    return 1 if config.image_data_format() == "channels_first" else -1


def _conv_block(inputs, filters, alpha, kernel=(3, 3), strides=(1, 1)):
    """The first convolution, batch normalization and ReLU6."""
    x = layers.Conv2D(int(filters * alpha), kernel, padding="same", use_bias=False,
                      strides=strides, name="conv1")(inputs)
    x = layers.BatchNormalization(axis=_channel_axis(), name="conv1_bn")(x)
    return layers.ReLU(6.0, name="conv1_relu")(x)


def _depthwise_conv_block(inputs, pointwise_conv_filters, alpha, depth_multiplier=1,
                          strides=(1, 1), block_id=1):
    """Depthwise 3x3 conv, BN, ReLU6, pointwise 1x1 conv, BN, ReLU6."""
    channel_axis = _channel_axis()
    x = inputs
    if strides != (1, 1):
        x = layers.ZeroPadding2D(((0, 1), (0, 1)), name=f"conv_pad_{block_id}")(x)
    x = layers.DepthwiseConv2D((3, 3), padding="same" if strides == (1, 1) else "valid",
                               depth_multiplier=depth_multiplier, strides=strides,
                               use_bias=False, name=f"conv_dw_{block_id}")(x)
    x = layers.BatchNormalization(axis=channel_axis, name=f"conv_dw_{block_id}_bn")(x)
    x = layers.ReLU(6.0, name=f"conv_dw_{block_id}_relu")(x)
    x = layers.Conv2D(int(pointwise_conv_filters * alpha), (1, 1), padding="same",
                      use_bias=False, strides=(1, 1), name=f"conv_pw_{block_id}")(x)
    x = layers.BatchNormalization(axis=channel_axis, name=f"conv_pw_{block_id}_bn")(x)
    return layers.ReLU(6.0, name=f"conv_pw_{block_id}_relu")(x)


def _rows_cols(shape):
    return (shape[1], shape[2]) if config.image_data_format() == "channels_first" else shape[:2]


def MobileNet(input_shape=None, alpha=1.0, depth_multiplier=1, dropout=1e-3, include_top=True,
              weights="imagenet", input_tensor=None, pooling=None, classes=1000,
              classifier_activation="softmax", **kwargs) -> Model:
    """Instantiate the MobileNet architecture (4,253,864 parameters for alpha=1 with the top).

    Args:
        input_shape: optional shape tuple, only with `include_top=False` (otherwise
            (224, 224, 3)); 3 channels, width and height at least 32.
        alpha: width multiplier: scales the number of filters in each layer.
        depth_multiplier: depth multiplier of the depthwise convolutions.
        dropout: dropout rate before the classifier.
        include_top: whether to include the classifier at the top.
        weights: None (random initialization), 'imagenet' (downloads the published
            weights for alpha in 0.25/0.5/0.75/1.0 and sizes 128/160/192/224) or the path
            to a weights file to load.
        input_tensor: optional Keras tensor (output of `Input()`) to use as image input.
        pooling: with `include_top=False`: None (4D output), 'avg' or 'max'.
        classes: number of classes, only with `include_top=True` and no 'imagenet' weights.
        classifier_activation: activation of the top layer (None for logits).
        **kwargs: for backwards compatibility only; any key is refused.

    Returns:
        A `Model` named 'mobilenet_<alpha>_<rows>'.
    """
    if kwargs:
        raise ValueError(f"Unknown argument(s): {kwargs}")
    imagenet_utils.validate_weights_and_classes(weights, include_top, classes)
    default_size = 224
    if input_shape is not None:
        rows, cols = _rows_cols(input_shape)
        if rows == cols and rows in _IMAGENET_SIZES:
            default_size = rows
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=default_size, min_size=32,
        data_format=config.image_data_format(), require_flatten=include_top, weights=weights)
    rows, cols = _rows_cols(input_shape)

    if weights == "imagenet":
        if depth_multiplier != 1:
            raise ValueError("If imagenet weights are being loaded, depth multiplier must be 1.  "
                             f"Received depth_multiplier={depth_multiplier}")
        if alpha not in [0.25, 0.50, 0.75, 1.0]:
            raise ValueError("If imagenet weights are being loaded, alpha can be one of"
                             f"`0.25`, `0.50`, `0.75` or `1.0` only.  Received alpha={alpha}")
        if rows != cols or rows not in _IMAGENET_SIZES:
            rows = 224
            warnings.warn(
                "`input_shape` is undefined or non-square, or `rows` is not in "
                "[128, 160, 192, 224]. Weights for input shape (224, 224) will be loaded as "
                "the default.", stacklevel=2)

    img_input = imagenet_utils.image_input(input_tensor, input_shape)
    x = _conv_block(img_input, 32, alpha, strides=(2, 2))
    for block_id, (filters, stride) in enumerate(_BLOCKS, start=1):
        x = _depthwise_conv_block(x, filters, alpha, depth_multiplier,
                                  strides=(stride, stride), block_id=block_id)

    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Dropout(dropout, name="dropout")(x)
        x = layers.Conv2D(classes, (1, 1), padding="same", name="conv_preds")(x)
        x = layers.Reshape((classes,), name="reshape_2")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Activation(activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D()(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D()(x)

    model = Model(imagenet_utils.source_inputs(input_tensor, img_input), x, name=f"mobilenet_{alpha:0.2f}_{rows}")
    return apply_weights(model, weights, "mobilenet", include_top, alpha=alpha, rows=rows)


def preprocess_input(x, data_format=None):
    """Scale RGB [0, 255] pixels to [-1, 1] ('tf' mode).

    Args:
        x: numpy array or torch tensor, 3D or 4D.
        data_format: 'channels_last' or 'channels_first'; default `image_data_format()`.
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """Decode ImageNet predictions: see `imagenet_utils.decode_predictions`.

    Args:
        preds: array of shape (samples, 1000).
        top: how many top guesses to return per sample.
    """
    return imagenet_utils.decode_predictions(preds, top=top)
