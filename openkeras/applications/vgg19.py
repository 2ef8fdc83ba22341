"""VGG19 (``keras.applications.vgg19``), built layer for layer as Keras 2 builds it.

Reference: [Very Deep Convolutional Networks for Large-Scale Image Recognition](
https://arxiv.org/abs/1409.1556) (ICLR 2015).
"""

from openkeras.applications import imagenet_utils
from openkeras.applications.imagenet_utils import keras_modules_injection  # noqa: F401
from openkeras.applications.vgg16 import build_vgg
from openkeras.engine.training import Model


def VGG19(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
          pooling=None, classes=1000, classifier_activation="softmax") -> Model:
    """Instantiate the VGG19 model (143,667,240 parameters with the top).

    Args:
        include_top: whether to include the 3 fully-connected layers at the top.
        weights: None (random initialization), 'imagenet' (downloads the published
            weights) or the path to a weights file to load.
        input_tensor: optional Keras tensor (output of `Input()`) to use as image input.
        input_shape: optional shape tuple, only with `include_top=False` (otherwise
            (224, 224, 3)); 3 channels, width and height at least 32.
        pooling: with `include_top=False`: None, 'avg' or 'max'.
        classes: number of classes, only with `include_top=True` and no 'imagenet' weights.
        classifier_activation: activation of the top layer (None for logits).

    Returns:
        A `Model`.
    """
    return build_vgg((2, 2, 4, 4, 4), "vgg19", include_top, weights, input_tensor,
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
