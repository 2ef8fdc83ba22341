"""MobileNetV2 (``keras.applications.mobilenet_v2``), as tf.keras 2.x builds it.

Reference: [MobileNetV2: Inverted Residuals and Linear Bottlenecks](
https://arxiv.org/abs/1801.04381) (CVPR 2018).
"""

import warnings

from openkeras import config, layers
from openkeras.applications import imagenet_utils
from openkeras.applications.imagenet_utils import keras_modules_injection  # noqa: F401
from openkeras.applications.weights import apply_weights
from openkeras.engine.training import Model

_IMAGENET_SIZES = (96, 128, 160, 192, 224)
_IMAGENET_ALPHAS = (0.35, 0.50, 0.75, 1.0, 1.3, 1.4)
# (filters, stride, expansion) of the 17 inverted residual blocks.
_BLOCKS = ((16, 1, 1), (24, 2, 6), (24, 1, 6), (32, 2, 6), (32, 1, 6), (32, 1, 6),
           (64, 2, 6), (64, 1, 6), (64, 1, 6), (64, 1, 6), (96, 1, 6), (96, 1, 6),
           (96, 1, 6), (160, 2, 6), (160, 1, 6), (160, 1, 6), (320, 1, 6))


def _make_divisible(v, divisor, min_value=None):
    """`v` rounded to a multiple of `divisor`, never more than 10% below `v`."""
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def _channel_axis():
    return 1 if config.image_data_format() == "channels_first" else -1


def _bn(x, name):
    return layers.BatchNormalization(axis=_channel_axis(), epsilon=1e-3, momentum=0.999,
                                     name=name)(x)


def _inverted_res_block(inputs, expansion, stride, alpha, filters, block_id):
    """Expand (1x1), depthwise 3x3, project (1x1); a residual add when shapes allow."""
    in_channels = inputs.shape[_channel_axis()]
    pointwise_filters = _make_divisible(int(filters * alpha), 8)
    x = inputs
    prefix = f"block_{block_id}_"
    if block_id:
        x = layers.Conv2D(expansion * in_channels, kernel_size=1, padding="same", use_bias=False,
                          activation=None, name=prefix + "expand")(x)
        x = _bn(x, prefix + "expand_BN")
        x = layers.ReLU(6.0, name=prefix + "expand_relu")(x)
    else:
        prefix = "expanded_conv_"
    if stride == 2:
        x = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(x, 3), name=prefix + "pad")(x)
    x = layers.DepthwiseConv2D(kernel_size=3, strides=stride, activation=None, use_bias=False,
                               padding="same" if stride == 1 else "valid",
                               name=prefix + "depthwise")(x)
    x = _bn(x, prefix + "depthwise_BN")
    x = layers.ReLU(6.0, name=prefix + "depthwise_relu")(x)
    x = layers.Conv2D(pointwise_filters, kernel_size=1, padding="same", use_bias=False,
                      activation=None, name=prefix + "project")(x)
    x = _bn(x, prefix + "project_BN")
    if in_channels == pointwise_filters and stride == 1:
        return layers.Add(name=prefix + "add")([inputs, x])
    return x


def _rows_cols(shape, batched=False):
    shape = tuple(shape)[1:] if batched else tuple(shape)
    return (shape[1], shape[2]) if config.image_data_format() == "channels_first" else shape[:2]


def _default_size(input_shape, input_tensor):
    """The ImageNet size matching the requested input, else 224 (as Keras decides it)."""
    if input_shape is not None and input_tensor is not None:
        imagenet_utils.image_input(input_tensor, input_shape)  # refuses non-Keras tensors
        axis = 1 if config.image_data_format() == "channels_first" else 2
        if input_tensor.shape[axis] != input_shape[1]:
            raise ValueError(
                f"input_tensor.shape[{axis}] must equal input_shape[1]; Received "
                f"`input_tensor.shape={input_tensor.shape}`, `input_shape={input_shape}`")
    if input_shape is not None:
        rows, cols = _rows_cols(input_shape)
    elif input_tensor is not None:
        imagenet_utils.image_input(input_tensor, None)
        rows, cols = _rows_cols(input_tensor.shape, batched=True)
    else:
        return 224
    return rows if rows == cols and rows in _IMAGENET_SIZES else 224


def MobileNetV2(input_shape=None, alpha=1.0, include_top=True, weights="imagenet",
                input_tensor=None, pooling=None, classes=1000, classifier_activation="softmax",
                **kwargs) -> Model:
    """Instantiate the MobileNetV2 architecture (3,538,984 parameters for alpha=1 with the top).

    Args:
        input_shape: optional shape tuple (default (224, 224, 3)); 3 channels, width and
            height at least 32.
        alpha: width multiplier: scales the number of filters in each layer.
        include_top: whether to include the classifier at the top.
        weights: None (random initialization), 'imagenet' (downloads the published weights
            for alpha in 0.35/0.5/0.75/1.0/1.3/1.4 and sizes 96-224) or the path to a weights
            file to load.
        input_tensor: optional Keras tensor (output of `Input()`) to use as image input.
        pooling: with `include_top=False`: None (4D output), 'avg' or 'max'.
        classes: number of classes, only with `include_top=True` and no 'imagenet' weights.
        classifier_activation: activation of the top layer (None for logits).
        **kwargs: for backwards compatibility only; any key is refused.

    Returns:
        A `Model` named 'mobilenetv2_<alpha>_<rows>'.
    """
    if kwargs:
        raise ValueError(f"Unknown argument(s): {kwargs}")
    imagenet_utils.validate_weights_and_classes(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=_default_size(input_shape, input_tensor), min_size=32,
        data_format=config.image_data_format(), require_flatten=include_top, weights=weights)
    rows, cols = _rows_cols(input_shape)
    if weights == "imagenet":
        if alpha not in _IMAGENET_ALPHAS:
            raise ValueError("If imagenet weights are being loaded, alpha must be one of "
                             "`0.35`, `0.50`, `0.75`, `1.0`, `1.3` or `1.4` only; "
                             f"Received `alpha={alpha}`")
        if rows != cols or rows not in _IMAGENET_SIZES:
            rows = 224
            warnings.warn("`input_shape` is undefined or non-square, or `rows` is not in "
                          "[96, 128, 160, 192, 224]. Weights for input shape (224, 224) will be "
                          "loaded as the default.", stacklevel=2)

    img_input = imagenet_utils.image_input(input_tensor, input_shape)
    x = layers.Conv2D(_make_divisible(32 * alpha, 8), kernel_size=3, strides=(2, 2),
                      padding="same", use_bias=False, name="Conv1")(img_input)
    x = _bn(x, "bn_Conv1")
    x = layers.ReLU(6.0, name="Conv1_relu")(x)
    for block_id, (filters, stride, expansion) in enumerate(_BLOCKS):
        x = _inverted_res_block(x, filters=filters, alpha=alpha, stride=stride,
                                expansion=expansion, block_id=block_id)
    # No width multiplier below 1 on the last convolution (as in the paper).
    last_block_filters = _make_divisible(1280 * alpha, 8) if alpha > 1.0 else 1280
    x = layers.Conv2D(last_block_filters, kernel_size=1, use_bias=False, name="Conv_1")(x)
    x = _bn(x, "Conv_1_bn")
    x = layers.ReLU(6.0, name="out_relu")(x)

    if include_top:
        x = layers.GlobalAveragePooling2D()(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D()(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D()(x)

    model = Model(imagenet_utils.source_inputs(input_tensor, img_input), x, name=f"mobilenetv2_{alpha:0.2f}_{rows}")
    return apply_weights(model, weights, "mobilenet_v2", include_top, alpha=alpha, rows=rows)


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
