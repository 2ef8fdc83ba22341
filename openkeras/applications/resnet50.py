"""ResNet50 (``keras.applications.resnet50``), as tf.keras 2.x builds it (``resnet.py``).

Reference: [Deep Residual Learning for Image Recognition](https://arxiv.org/abs/1512.03385)
(CVPR 2015).
"""

from openkeras import config, layers
from openkeras.applications import imagenet_utils
from openkeras.applications.imagenet_utils import keras_modules_injection  # noqa: F401
from openkeras.applications.weights import apply_weights
from openkeras.engine.training import Model

_BN_EPSILON = 1.001e-5


def _bn_axis():
    return 3 if config.image_data_format() == "channels_last" else 1


def _block(x, filters, kernel_size=3, stride=1, conv_shortcut=True, name=None):
    """One bottleneck residual block (1x1, kxk, 1x1 convolutions; 4*filters outputs)."""
    bn_axis = _bn_axis()
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=name + "_0_conv")(x)
        shortcut = layers.BatchNormalization(axis=bn_axis, epsilon=_BN_EPSILON,
                                             name=name + "_0_bn")(shortcut)
    else:
        shortcut = x
    x = layers.Conv2D(filters, 1, strides=stride, name=name + "_1_conv")(x)
    x = layers.BatchNormalization(axis=bn_axis, epsilon=_BN_EPSILON, name=name + "_1_bn")(x)
    x = layers.Activation("relu", name=name + "_1_relu")(x)
    x = layers.Conv2D(filters, kernel_size, padding="SAME", name=name + "_2_conv")(x)
    x = layers.BatchNormalization(axis=bn_axis, epsilon=_BN_EPSILON, name=name + "_2_bn")(x)
    x = layers.Activation("relu", name=name + "_2_relu")(x)
    x = layers.Conv2D(4 * filters, 1, name=name + "_3_conv")(x)
    x = layers.BatchNormalization(axis=bn_axis, epsilon=_BN_EPSILON, name=name + "_3_bn")(x)
    x = layers.Add(name=name + "_add")([shortcut, x])
    return layers.Activation("relu", name=name + "_out")(x)


def _stack(x, filters, blocks, stride1=2, name=None):
    """`blocks` residual blocks; the first has a convolution shortcut and stride `stride1`."""
    x = _block(x, filters, stride=stride1, name=name + "_block1")
    for i in range(2, blocks + 1):
        x = _block(x, filters, conv_shortcut=False, name=f"{name}_block{i}")
    return x


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
    bn_axis = _bn_axis()

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


def ResNet50(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
             pooling=None, classes=1000, classifier_activation="softmax") -> Model:
    """Instantiate the ResNet50 model (25,636,712 parameters with the top).

    Args:
        include_top: whether to include the fully-connected layer at the top.
        weights: None (random initialization), 'imagenet' (downloads the published
            weights) or the path to a weights file to load.
        input_tensor: optional Keras tensor (output of `Input()`) to use as image input.
        input_shape: optional shape tuple, only with `include_top=False` (otherwise
            (224, 224, 3)); 3 channels, width and height at least 32.
        pooling: with `include_top=False`: None (4D output), 'avg' or 'max'.
        classes: number of classes, only with `include_top=True` and no 'imagenet' weights.
        classifier_activation: activation of the top layer (None for logits).

    Returns:
        A `Model`.
    """
    return build_resnet(_v1_stacks((3, 4, 6, 3)), False, "resnet50", include_top, weights,
                        input_tensor, input_shape, pooling, classes, classifier_activation)


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
