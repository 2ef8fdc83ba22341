"""NASNet-A Mobile and Large (Zoph et al., 2018), built as ``keras.applications.nasnet``.

Reference: "Learning Transferable Architectures for Scalable Image Recognition",
https://arxiv.org/abs/1707.07012. Channels-last only; smallest input 32x32.
"""

import warnings

from openkeras import config, layers
from openkeras.applications import imagenet_utils
from openkeras.applications.imagenet_utils import keras_modules_injection  # noqa: F401
from openkeras.applications.weights import apply_weights
from openkeras.engine.functional import Functional

_BN = {"momentum": 0.9997, "epsilon": 1e-3}


def NASNet(input_shape=None, penultimate_filters: int = 4032, num_blocks: int = 6,
           stem_block_filters: int = 96, skip_reduction: bool = True, filter_multiplier: int = 2,
           include_top: bool = True, weights="imagenet", input_tensor=None, pooling=None,
           classes: int = 1000, default_size=None, classifier_activation="softmax"):
    """Instantiates a NASNet-A model ("NASNet (N @ P)": N blocks, P penultimate filters).

    Args:
        input_shape: optional shape tuple (channels last); default
            ``(default_size, default_size, 3)``; width and height no smaller than 32.
        penultimate_filters: filters of the penultimate layer (P), a multiple of
            ``24 * filter_multiplier ** 2``.
        num_blocks: number of repeated normal cells per stage (N).
        stem_block_filters: filters of the stem convolution.
        skip_reduction: whether the cells after a reduction cell skip its output as their
            previous-path input.
        filter_multiplier: width growth between stages.
        include_top: whether to include the classifier (global pooling + ``Dense``).
        weights: None (random initialization), 'imagenet', or the path of a weights file.
        input_tensor: optional Keras tensor (output of ``Input()``) to use as image input.
        pooling: feature pooling when ``include_top`` is False: None, 'avg' or 'max'.
        classes: number of classes, only with ``include_top=True`` and no 'imagenet' weights.
        default_size: default input size; 224 selects NASNetMobile's ImageNet weights, 331
            NASNetLarge's (default 331).
        classifier_activation: activation of the top layer (None returns logits).

    Returns:
        A ``Model`` named 'NASNet'.
    """
    imagenet_utils.validate_weights_and_classes(weights, include_top, classes)
    if isinstance(input_shape, tuple) and None in input_shape and weights == "imagenet":
        raise ValueError("When specifying the input shape of a NASNet and loading `ImageNet` "
                         "weights, the input_shape argument must be static (no None entries). "
                         f"Got: `input_shape={input_shape}`.")
    if weights == "imagenet" and default_size not in (224, 331, None):
        raise ValueError("ImageNet weights can only be loaded with NASNetLarge or NASNetMobile")
    if penultimate_filters % (24 * (filter_multiplier ** 2)) != 0:
        raise ValueError("For NASNet-A models, the `penultimate_filters` must be a multiple of "
                         f"24 * (`filter_multiplier` ** 2). Current value: {penultimate_filters}")
    default_size = 331 if default_size is None else default_size
    if input_shape is None and input_tensor is None:
        # the cells' wiring depends on the spatial size, so the default input is static
        input_shape = (default_size, default_size, 3)

    old_data_format = config.image_data_format()
    if old_data_format != "channels_last":
        warnings.warn(
            'The NASNet family of models is only available for the input data format '
            '"channels_last" (width, height, channels). However your settings specify the '
            'default data format "channels_first" (channels, width, height). You should set '
            '`image_data_format="channels_last"` in your Keras config. The model being returned '
            'right now will expect inputs to follow the "channels_last" data format.',
            stacklevel=2)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=default_size, min_size=32, data_format="channels_last",
        require_flatten=include_top, weights=weights)
    config.set_image_data_format("channels_last")
    try:
        model = _build(input_shape, penultimate_filters, num_blocks, stem_block_filters,
                       skip_reduction, filter_multiplier, include_top, weights, input_tensor,
                       pooling, classes, classifier_activation)
    finally:
        config.set_image_data_format(old_data_format)

    name = "nasnet_mobile" if default_size == 224 else "nasnet_large"
    return apply_weights(model, weights, name, include_top)


def _build(input_shape, penultimate_filters, num_blocks, stem_block_filters, skip_reduction,
           filter_multiplier, include_top, weights, input_tensor, pooling, classes,
           classifier_activation):
    img_input = imagenet_utils.image_input(input_tensor, input_shape)
    filters = penultimate_filters // 24

    x = layers.Conv2D(stem_block_filters, (3, 3), strides=(2, 2), padding="valid",
                      use_bias=False, name="stem_conv1", kernel_initializer="he_normal")(img_input)
    x = layers.BatchNormalization(axis=-1, name="stem_bn1", **_BN)(x)

    p = None
    x, p = _reduction_a_cell(x, p, filters // (filter_multiplier ** 2), block_id="stem_1")
    x, p = _reduction_a_cell(x, p, filters // filter_multiplier, block_id="stem_2")
    for stage in range(3):
        stage_filters = filters * filter_multiplier ** stage
        if stage:
            x, p0 = _reduction_a_cell(x, p, stage_filters, block_id=f"reduce_{stage * num_blocks}")
            p = p if skip_reduction else p0
        for i in range(num_blocks):
            block_id = str(i) if stage == 0 else str(stage * num_blocks + i + 1)
            x, p = _normal_a_cell(x, p, stage_filters, block_id=block_id)

    x = layers.Activation("relu")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D()(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D()(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D()(x)
    return Functional(imagenet_utils.source_inputs(input_tensor, img_input), x, name="NASNet")


def NASNetMobile(input_shape=None, include_top: bool = True, weights="imagenet",
                 input_tensor=None, pooling=None, classes: int = 1000,
                 classifier_activation="softmax"):
    """Instantiates NASNet-A (4 @ 1056), ImageNet input 224x224; arguments as in ``NASNet``."""
    return NASNet(input_shape, penultimate_filters=1056, num_blocks=4, stem_block_filters=32,
                  skip_reduction=False, filter_multiplier=2, include_top=include_top,
                  weights=weights, input_tensor=input_tensor, pooling=pooling, classes=classes,
                  default_size=224, classifier_activation=classifier_activation)


def NASNetLarge(input_shape=None, include_top: bool = True, weights="imagenet",
                input_tensor=None, pooling=None, classes: int = 1000,
                classifier_activation="softmax"):
    """Instantiates NASNet-A (6 @ 4032), ImageNet input 331x331; arguments as in ``NASNet``."""
    return NASNet(input_shape, penultimate_filters=4032, num_blocks=6, stem_block_filters=96,
                  skip_reduction=True, filter_multiplier=2, include_top=include_top,
                  weights=weights, input_tensor=input_tensor, pooling=pooling, classes=classes,
                  default_size=331, classifier_activation=classifier_activation)


def _separable_conv_block(ip, filters, kernel_size=(3, 3), strides=(1, 1), block_id=None):
    """Two [ReLU, separable convolution, batch normalization] blocks (the first may stride)."""
    x = layers.Activation("relu")(ip)
    if strides == (2, 2):
        x = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(x, kernel_size),
                                 name=f"separable_conv_1_pad_{block_id}")(x)
        conv_pad = "valid"
    else:
        conv_pad = "same"
    x = layers.SeparableConv2D(filters, kernel_size, strides=strides, padding=conv_pad,
                               use_bias=False, name=f"separable_conv_1_{block_id}")(x)
    x = layers.BatchNormalization(axis=-1, name=f"separable_conv_1_bn_{block_id}", **_BN)(x)
    x = layers.Activation("relu")(x)
    x = layers.SeparableConv2D(filters, kernel_size, padding="same", use_bias=False,
                               name=f"separable_conv_2_{block_id}")(x)
    return layers.BatchNormalization(axis=-1, name=f"separable_conv_2_bn_{block_id}", **_BN)(x)


def _adjust_block(p, ip, filters, block_id=None):
    """Brings the previous path ``p`` to the spatial size and filters of ``ip``."""
    if p is None:
        return ip
    if p.shape[-2] != ip.shape[-2]:
        p = layers.Activation("relu", name=f"adjust_relu_1_{block_id}")(p)
        p1 = layers.AveragePooling2D((1, 1), strides=(2, 2), padding="valid",
                                     name=f"adjust_avg_pool_1_{block_id}")(p)
        p1 = layers.Conv2D(filters // 2, (1, 1), padding="same", use_bias=False,
                           name=f"adjust_conv_1_{block_id}", kernel_initializer="he_normal")(p1)
        p2 = layers.ZeroPadding2D(padding=((0, 1), (0, 1)))(p)
        p2 = layers.Cropping2D(cropping=((1, 0), (1, 0)))(p2)
        p2 = layers.AveragePooling2D((1, 1), strides=(2, 2), padding="valid",
                                     name=f"adjust_avg_pool_2_{block_id}")(p2)
        p2 = layers.Conv2D(filters // 2, (1, 1), padding="same", use_bias=False,
                           name=f"adjust_conv_2_{block_id}", kernel_initializer="he_normal")(p2)
        p = layers.concatenate([p1, p2], axis=-1)
        return layers.BatchNormalization(axis=-1, name=f"adjust_bn_{block_id}", **_BN)(p)
    if p.shape[-1] != filters:
        p = layers.Activation("relu")(p)
        p = layers.Conv2D(filters, (1, 1), strides=(1, 1), padding="same",
                          name=f"adjust_conv_projection_{block_id}", use_bias=False,
                          kernel_initializer="he_normal")(p)
        return layers.BatchNormalization(axis=-1, name=f"adjust_bn_{block_id}", **_BN)(p)
    return p


def _squeeze(ip, filters, prefix, block_id):
    """ReLU, 1x1 convolution to ``filters``, batch normalization (a cell's input ``h``)."""
    h = layers.Activation("relu")(ip)
    h = layers.Conv2D(filters, (1, 1), strides=(1, 1), padding="same", use_bias=False,
                      name=f"{prefix}_conv_1_{block_id}", kernel_initializer="he_normal")(h)
    return layers.BatchNormalization(axis=-1, name=f"{prefix}_bn_1_{block_id}", **_BN)(h)


def _normal_a_cell(ip, p, filters, block_id=None):
    """A NASNet-A normal cell (Fig. 4 of the paper); returns (output, ``ip``)."""
    p = _adjust_block(p, ip, filters, block_id)
    h = _squeeze(ip, filters, "normal", block_id)
    sep, avg = _separable_conv_block, layers.AveragePooling2D

    x1_1 = sep(h, filters, kernel_size=(5, 5), block_id=f"normal_left1_{block_id}")
    x1_2 = sep(p, filters, block_id=f"normal_right1_{block_id}")
    x1 = layers.add([x1_1, x1_2], name=f"normal_add_1_{block_id}")

    x2_1 = sep(p, filters, (5, 5), block_id=f"normal_left2_{block_id}")
    x2_2 = sep(p, filters, (3, 3), block_id=f"normal_right2_{block_id}")
    x2 = layers.add([x2_1, x2_2], name=f"normal_add_2_{block_id}")

    x3 = avg((3, 3), strides=(1, 1), padding="same", name=f"normal_left3_{block_id}")(h)
    x3 = layers.add([x3, p], name=f"normal_add_3_{block_id}")

    x4_1 = avg((3, 3), strides=(1, 1), padding="same", name=f"normal_left4_{block_id}")(p)
    x4_2 = avg((3, 3), strides=(1, 1), padding="same", name=f"normal_right4_{block_id}")(p)
    x4 = layers.add([x4_1, x4_2], name=f"normal_add_4_{block_id}")

    x5 = sep(h, filters, block_id=f"normal_left5_{block_id}")
    x5 = layers.add([x5, h], name=f"normal_add_5_{block_id}")

    x = layers.concatenate([p, x1, x2, x3, x4, x5], axis=-1, name=f"normal_concat_{block_id}")
    return x, ip


def _reduction_a_cell(ip, p, filters, block_id=None):
    """A NASNet-A reduction cell (Fig. 4 of the paper); returns (output, ``ip``)."""
    p = _adjust_block(p, ip, filters, block_id)
    h = _squeeze(ip, filters, "reduction", block_id)
    h3 = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(h, 3),
                              name=f"reduction_pad_1_{block_id}")(h)
    sep = _separable_conv_block

    x1_1 = sep(h, filters, (5, 5), strides=(2, 2), block_id=f"reduction_left1_{block_id}")
    x1_2 = sep(p, filters, (7, 7), strides=(2, 2), block_id=f"reduction_right1_{block_id}")
    x1 = layers.add([x1_1, x1_2], name=f"reduction_add_1_{block_id}")

    x2_1 = layers.MaxPooling2D((3, 3), strides=(2, 2), padding="valid",
                               name=f"reduction_left2_{block_id}")(h3)
    x2_2 = sep(p, filters, (7, 7), strides=(2, 2), block_id=f"reduction_right2_{block_id}")
    x2 = layers.add([x2_1, x2_2], name=f"reduction_add_2_{block_id}")

    x3_1 = layers.AveragePooling2D((3, 3), strides=(2, 2), padding="valid",
                                   name=f"reduction_left3_{block_id}")(h3)
    x3_2 = sep(p, filters, (5, 5), strides=(2, 2), block_id=f"reduction_right3_{block_id}")
    x3 = layers.add([x3_1, x3_2], name=f"reduction_add3_{block_id}")

    x4 = layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same",
                                 name=f"reduction_left4_{block_id}")(x1)
    x4 = layers.add([x2, x4])

    x5_1 = sep(x1, filters, (3, 3), block_id=f"reduction_left4_{block_id}")
    x5_2 = layers.MaxPooling2D((3, 3), strides=(2, 2), padding="valid",
                               name=f"reduction_right5_{block_id}")(h3)
    x5 = layers.add([x5_1, x5_2], name=f"reduction_add4_{block_id}")

    x = layers.concatenate([x2, x3, x4, x5], axis=-1, name=f"reduction_concat_{block_id}")
    return x, ip


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
