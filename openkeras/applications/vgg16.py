"""VGG16 (``keras.applications.vgg16``), built layer for layer as Keras 2 builds it.

Reference: [Very Deep Convolutional Networks for Large-Scale Image Recognition](
https://arxiv.org/abs/1409.1556) (ICLR 2015).
"""

from openkeras import config, layers
from openkeras.applications import imagenet_utils
from openkeras.applications.imagenet_utils import keras_modules_injection  # noqa: F401
from openkeras.applications.weights import apply_weights
from openkeras.engine.training import Model

_BLOCK_FILTERS = (64, 128, 256, 512, 512)


def build_vgg(convs_per_block, name, include_top, weights, input_tensor, input_shape, pooling,
              classes, classifier_activation):
    """The VGG network with `convs_per_block[i]` 3x3 convolutions in block i+1.

    Args:
        convs_per_block: five ints, (2, 2, 3, 3, 3) for VGG16 and (2, 2, 4, 4, 4) for VGG19.
        name: model name, also the ImageNet weights family ('vgg16' or 'vgg19').
        include_top, weights, input_tensor, input_shape, pooling, classes,
            classifier_activation: as in `VGG16`.
    """
    imagenet_utils.validate_weights_and_classes(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=224, min_size=32, data_format=config.image_data_format(),
        require_flatten=include_top, weights=weights)
    img_input = imagenet_utils.image_input(input_tensor, input_shape)
    x = img_input
    blocks = zip(_BLOCK_FILTERS, convs_per_block, strict=True)
    for block, (filters, convs) in enumerate(blocks, start=1):
        for conv in range(1, convs + 1):
            x = layers.Conv2D(filters, (3, 3), activation="relu", padding="same",
                              name=f"block{block}_conv{conv}")(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)

    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D()(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D()(x)

    model = Model(imagenet_utils.source_inputs(input_tensor, img_input), x, name=name)
    return apply_weights(model, weights, name, include_top)


def VGG16(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
          pooling=None, classes=1000, classifier_activation="softmax") -> Model:
    """Instantiate the VGG16 model (138,357,544 parameters with the top).

    Args:
        include_top: whether to include the 3 fully-connected layers at the top.
        weights: None (random initialization), 'imagenet' (downloads the published
            weights) or the path to a weights file to load.
        input_tensor: optional Keras tensor (output of `Input()`) to use as image input.
        input_shape: optional shape tuple, only with `include_top=False` (otherwise
            (224, 224, 3)); 3 channels, width and height at least 32.
        pooling: with `include_top=False`: None (4D output of the last block), 'avg' or
            'max' (global pooling, 2D output).
        classes: number of classes, only with `include_top=True` and no 'imagenet' weights.
        classifier_activation: activation of the top layer (None for logits); only None or
            'softmax' with pretrained weights.

    Returns:
        A `Model`.
    """
    return build_vgg((2, 2, 3, 3, 3), "vgg16", include_top, weights, input_tensor,
                     input_shape, pooling, classes, classifier_activation)


def preprocess_input(x, data_format=None):
    """Convert RGB [0, 255] images to BGR and subtract the ImageNet mean ('caffe' mode).

    Args:
        x: numpy array or torch tensor, 3D or 4D.
        data_format: 'channels_last' or 'channels_first'; default `image_data_format()`.
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


def decode_predictions(preds, top=5):
    """Decode ImageNet predictions: see `imagenet_utils.decode_predictions`.

    Args:
        preds: array of shape (samples, 1000).
        top: how many top guesses to return per sample.
    """
    return imagenet_utils.decode_predictions(preds, top=top)
