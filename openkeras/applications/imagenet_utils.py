"""ImageNet helpers shared by the applications: preprocessing, decoding, argument checks."""

import functools
import json
import os
import warnings

import numpy as np
import torch

from openkeras import activations, backend, config, layers, models, utils
from openkeras.backend.variables import is_keras_tensor
from openkeras.engine.input_layer import Input
from openkeras.utils.data_utils import get_file
from openkeras.utils.generic_utils import is_int

CLASS_INDEX = None
CLASS_INDEX_PATH = (
    "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json"
)
CLASS_INDEX_HASH = "c2c37ea517e94d9795004a39431a14cb"

_CAFFE_MEAN = (103.939, 116.779, 123.68)  # BGR order
_TORCH_MEAN = (0.485, 0.456, 0.406)
_TORCH_STD = (0.229, 0.224, 0.225)


def preprocess_input(x, data_format=None, mode="caffe"):
    """Preprocess a batch (or one image) of RGB pixels in [0, 255] for an ImageNet model.

    A float numpy array is modified in place (as in Keras); a torch tensor is not.

    Args:
        x: numpy array or torch tensor, 3D or 4D, with 3 color channels.
        data_format: 'channels_last' or 'channels_first'; default `image_data_format()`.
        mode: 'caffe' (RGB->BGR, subtract the ImageNet mean per channel), 'tf' (scale to
            [-1, 1]) or 'torch' (scale to [0, 1], then normalize with the ImageNet mean/std).

    Returns:
        The preprocessed array or tensor (float).
    """
    if mode not in {"caffe", "tf", "torch"}:
        raise ValueError(
            f"Expected mode to be one of `caffe`, `tf` or `torch`. Received: mode={mode}"
        )
    if data_format is None:
        data_format = config.image_data_format()
    elif data_format not in {"channels_first", "channels_last"}:
        raise ValueError(
            "Expected data_format to be one of `channels_first` or `channels_last`. "
            f"Received: data_format={data_format}"
        )
    if isinstance(x, torch.Tensor):
        return _preprocess_tensor(x, data_format, mode)
    if not isinstance(x, np.ndarray):
        x = np.asarray(x)
    if not issubclass(x.dtype.type, np.floating):
        x = x.astype(config.floatx(), copy=False)
    return _preprocess_numpy(x, data_format, mode)


def _channel_view(x, data_format, index):
    """The slice of channel `index` (works for 3D and 4D arrays and tensors)."""
    if data_format == "channels_last":
        return x[..., index]
    return x[index] if x.ndim == 3 else x[:, index]


def _flip_channels(x, data_format):
    axis = -1 if data_format == "channels_last" else (0 if x.ndim == 3 else 1)
    if isinstance(x, torch.Tensor):
        return torch.flip(x, dims=(axis,))
    return np.flip(x, axis=axis)


def _mean_std(mode):
    if mode == "torch":
        return _TORCH_MEAN, _TORCH_STD
    return _CAFFE_MEAN, None


def _preprocess_numpy(x, data_format, mode):
    if mode == "tf":
        x /= 127.5
        x -= 1.0
        return x
    if mode == "torch":
        x /= 255.0
    else:
        x = _flip_channels(x, data_format)
    mean, std = _mean_std(mode)
    for i in range(3):
        channel = _channel_view(x, data_format, i)
        channel -= mean[i]
        if std is not None:
            channel /= std[i]
    return x


def _preprocess_tensor(x, data_format, mode):
    if not x.is_floating_point():
        x = x.to(config.torch_dtype())
    if mode == "tf":
        return x / 127.5 - 1.0
    if mode == "torch":
        x = x / 255.0
    else:
        x = _flip_channels(x, data_format)
    mean, std = _mean_std(mode)
    shape = [1] * x.ndim
    shape[-1 if data_format == "channels_last" else (0 if x.ndim == 3 else 1)] = 3
    x = x - torch.tensor(mean, dtype=x.dtype, device=x.device).reshape(shape)
    if std is not None:
        x = x / torch.tensor(std, dtype=x.dtype, device=x.device).reshape(shape)
    return x


def decode_predictions(preds, top=5):
    """Decode the predictions of an ImageNet model into (class_name, description, score).

    Downloads `imagenet_class_index.json` into the `models` cache folder on first use.

    Args:
        preds: array of shape (samples, 1000).
        top: how many top guesses to return per sample.

    Returns:
        A list (one per sample) of lists of `(class_name, class_description, score)` tuples,
        best first.
    """
    global CLASS_INDEX
    if isinstance(preds, torch.Tensor):
        preds = preds.detach().cpu().numpy()
    preds = np.asarray(preds)
    if len(preds.shape) != 2 or preds.shape[1] != 1000:
        raise ValueError(
            "`decode_predictions` expects a batch of predictions (i.e. a 2D array of shape "
            f"(samples, 1000)). Found array with shape: {preds.shape}"
        )
    if CLASS_INDEX is None:
        fpath = get_file("imagenet_class_index.json", CLASS_INDEX_PATH,
                         cache_subdir="models", file_hash=CLASS_INDEX_HASH)
        with open(fpath) as f:
            CLASS_INDEX = json.load(f)
    results = []
    for pred in preds:
        top_indices = pred.argsort()[-top:][::-1]
        result = [tuple(CLASS_INDEX[str(i)]) + (pred[i],) for i in top_indices]
        result.sort(key=lambda item: item[2], reverse=True)
        results.append(result)
    return results


def obtain_input_shape(input_shape, default_size, min_size, data_format, require_flatten,
                       weights=None):
    """Compute and validate a model's input shape (without the batch dimension).

    Args:
        input_shape: None (the default shape) or a user-given shape to check.
        default_size: default input width/height.
        min_size: minimum input width/height.
        data_format: 'channels_last' or 'channels_first'.
        require_flatten: whether the model ends in a classifier needing a static shape.
        weights: None, 'imagenet' or a path; 'imagenet' requires 3 input channels.

    Returns:
        The shape tuple (may hold None entries).
    """
    channels_first = data_format == "channels_first"
    if weights != "imagenet" and input_shape and len(input_shape) == 3:
        channels = input_shape[0] if channels_first else input_shape[-1]
        if channels not in {1, 3}:
            warnings.warn("This model usually expects 1 or 3 input channels. However, it was "
                          f"passed an input_shape with {channels} input channels.", stacklevel=3)
        spatial = (default_size, default_size)
        default_shape = (channels, *spatial) if channels_first else (*spatial, channels)
    else:
        default_shape = ((3, default_size, default_size) if channels_first
                         else (default_size, default_size, 3))
    if weights == "imagenet" and require_flatten:
        if input_shape is not None and tuple(input_shape) != default_shape:
            raise ValueError(
                "When setting `include_top=True` and loading `imagenet` weights, "
                f"`input_shape` should be {default_shape}.  Received: input_shape={input_shape}"
            )
        return default_shape
    if input_shape:
        input_shape = tuple(input_shape)
        if len(input_shape) != 3:
            raise ValueError("`input_shape` must be a tuple of three integers.")
        channels = input_shape[0] if channels_first else input_shape[-1]
        rows, cols = input_shape[1:] if channels_first else input_shape[:2]
        if channels != 3 and weights == "imagenet":
            raise ValueError(
                f"The input must have 3 channels; Received `input_shape={input_shape}`")
        if (rows is not None and rows < min_size) or (cols is not None and cols < min_size):
            raise ValueError(f"Input size must be at least {min_size}x{min_size}; Received: "
                             f"input_shape={input_shape}")
    elif require_flatten:
        input_shape = default_shape
    else:
        input_shape = (3, None, None) if channels_first else (None, None, 3)
    if require_flatten and None in input_shape:
        raise ValueError("If `include_top` is True, you should specify a static `input_shape`. "
                         f"Received: input_shape={input_shape}")
    return input_shape


def correct_pad(inputs, kernel_size):
    """The ((top, bottom), (left, right)) zero padding before a strided 'valid' convolution.

    Args:
        inputs: the (symbolic) input tensor.
        kernel_size: an int or a pair of ints.
    """
    img_dim = 2 if config.image_data_format() == "channels_first" else 1
    input_size = tuple(inputs.shape)[img_dim:img_dim + 2]
    if is_int(kernel_size):
        kernel_size = (int(kernel_size), int(kernel_size))
    if input_size[0] is None:
        adjust = (1, 1)
    else:
        adjust = (1 - input_size[0] % 2, 1 - input_size[1] % 2)
    correct = (kernel_size[0] // 2, kernel_size[1] // 2)
    return ((correct[0] - adjust[0], correct[0]), (correct[1] - adjust[1], correct[1]))


def validate_activation(classifier_activation, weights):
    """Refuse a classifier activation other than None/'softmax' with pretrained weights.

    Args:
        classifier_activation: a name or callable.
        weights: None, 'imagenet' or a path.
    """
    if weights is None:
        return
    resolved = activations.get(classifier_activation)
    if resolved not in {activations.get("softmax"), activations.get(None)}:
        raise ValueError(
            "Only `None` and `softmax` activations are allowed for the `classifier_activation` "
            "argument when using pretrained weights, with `include_top=True`; Received: "
            f"classifier_activation={classifier_activation}"
        )


def named_top(x, include_top, pooling, classes, classifier_activation, weights):
    """The ResNet/DenseNet head: 'avg_pool' + 'predictions', or the named global pooling.

    Args:
        x: the last feature map.
        include_top, pooling, classes, classifier_activation, weights: the application's
            arguments.
    """
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        validate_activation(classifier_activation, weights)
        return layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name="max_pool")(x)
    return x


def validate_weights_and_classes(weights, include_top, classes):
    """Keras's checks of `weights` (None, 'imagenet' or an existing file) and `classes`.

    Args:
        weights: the `weights` argument of an application.
        include_top: the `include_top` argument.
        classes: the `classes` argument.
    """
    if not (weights in {"imagenet", None} or os.path.exists(os.fspath(weights))):
        raise ValueError(
            "The `weights` argument should be either `None` (random initialization), "
            "`imagenet` (pre-training on ImageNet), or the path to the weights file to be "
            f"loaded.  Received: weights={weights}"
        )
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError('If using `weights` as `"imagenet"` with `include_top` as true, '
                         f"`classes` should be 1000.  Received `classes={classes}`")


def image_input(input_tensor, input_shape):
    """The model's image input: a new `Input(shape=input_shape)` or the given Keras tensor.

    Args:
        input_tensor: None or a Keras tensor (`Input()` or a layer output).
        input_shape: the shape used when `input_tensor` is None.
    """
    if input_tensor is None:
        return Input(shape=input_shape)
    if not is_keras_tensor(input_tensor):
        raise ValueError(
            "`input_tensor` must be a Keras tensor (the output of `Input()` or of a layer). "
            f"Received: input_tensor={input_tensor!r}"
        )
    return input_tensor


def source_inputs(input_tensor, img_input):
    """The model inputs: `img_input`, or the `Input`s that `input_tensor` was computed from.

    Args:
        input_tensor: None or the Keras tensor given to the application.
        img_input: the tensor returned by `image_input`.
    """
    if input_tensor is None:
        return img_input
    found, seen, stack = [], set(), [input_tensor]
    while stack:
        tensor = stack.pop()
        layer, node_index, _ = tensor._keras_history
        node = layer._inbound_nodes[node_index]
        if node.is_input:
            if id(tensor) not in seen:
                seen.add(id(tensor))
                found.append(tensor)
        else:
            stack.extend(reversed(node.keras_inputs))
    return found[0] if len(found) == 1 else found


def keras_modules_injection(base_fun):
    """Keras 2.2-2.3's decorator passing ``backend``, ``layers``, ``models`` and ``utils`` to
    ``base_fun`` as keyword arguments (how keras_applications received the Keras modules)."""

    @functools.wraps(base_fun)
    def wrapper(*args, **kwargs):
        for name, module in (("backend", backend), ("layers", layers), ("models", models),
                             ("utils", utils)):
            kwargs.setdefault(name, module)
        return base_fun(*args, **kwargs)

    return wrapper
