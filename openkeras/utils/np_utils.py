"""Numpy helpers of Keras 2: one-hot encoding and normalization."""

import numpy as np


def _as_numpy(x):
    if hasattr(x, "detach"):  # a torch tensor, possibly on an accelerator
        return x.detach().cpu().numpy()
    return x


def to_categorical(y, num_classes=None, dtype="float32") -> np.ndarray:
    """Convert a class vector (integers) to a one-hot class matrix.

    A trailing axis of size 1 is dropped first, so labels of shape `(n, 1)`
    give `(n, num_classes)`, as in Keras.

    Args:
        y: Array-like of class indices from 0 to `num_classes - 1`.
        num_classes: Total number of classes; `max(y) + 1` when None.
        dtype: The output dtype.

    Returns:
        A one-hot array of shape `y.shape + (num_classes,)`.
    """
    labels = np.asarray(_as_numpy(y))
    if labels.dtype.kind not in "biuf" or (labels.dtype.kind == "f" and labels.size and (
            not np.all(np.isfinite(labels)) or np.any(labels != np.round(labels)))):
        raise ValueError("to_categorical: `y` must hold integer class indices. Received values "
                         f"of dtype {labels.dtype}: {labels.ravel()[:5].tolist()}")
    y = labels.astype("int")
    if num_classes is not None and (not isinstance(num_classes, (int, np.integer))
                                    or isinstance(num_classes, bool) or num_classes < 1):
        raise ValueError("to_categorical: `num_classes` must be a positive integer or None. "
                         f"Received: num_classes={num_classes!r}")
    if y.size and (y.min() < 0 or (num_classes and y.max() >= num_classes)):
        bad = y[(y < 0) | (y >= (num_classes or np.inf))].ravel()[:5].tolist()
        expected = f"0 to {num_classes - 1}" if num_classes else "0 or more"
        raise ValueError(f"to_categorical: class indices in `y` must be from {expected} "
                         f"(num_classes={num_classes}). Received: {bad}")
    input_shape = y.shape
    if input_shape and input_shape[-1] == 1 and len(input_shape) > 1:
        input_shape = tuple(input_shape[:-1])
    y = y.ravel()
    if not num_classes:
        num_classes = int(np.max(y)) + 1
    n = y.shape[0]
    categorical = np.zeros((n, num_classes), dtype=dtype)
    categorical[np.arange(n), y] = 1
    return np.reshape(categorical, input_shape + (num_classes,))


def normalize(x, axis=-1, order=2) -> np.ndarray:
    """Scale `x` to unit norm along `axis`; all-zero slices are left at zero.

    Args:
        x: Array to normalize.
        axis: Axis along which to normalize.
        order: Norm order (2 for the L2 norm), as for `np.linalg.norm`.
    """
    x = np.asarray(_as_numpy(x))
    norm = np.atleast_1d(np.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    return x / np.expand_dims(norm, axis)
