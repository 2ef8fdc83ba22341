"""Weights as grayscale images for TensorBoard's image dashboard (``write_images=True``)."""

import numpy as np


def weight_images(weight: np.ndarray, max_images: int = 3) -> list:
    """The grayscale images Keras 2 shows for a weight, as 2-D float arrays in [0, 1].

    A bias is a column, a 2-D kernel an image (transposed when taller than wide), a 3-D kernel
    (channels last) one image per channel. Weights with 4 or more dimensions after squeezing
    (e.g. most Conv2D kernels) give no image, as in Keras 2. Each image is scaled from its own
    min..max to 0..1 (tf.keras 2 clips to 0..1 instead, which shows most weights as black).

    Args:
        weight: the weight in Keras layout.
        max_images: the most images returned (tf.summary.image's ``max_outputs``).
    """
    w = np.squeeze(np.asarray(weight, dtype=np.float64))
    if w.ndim == 1:
        images = [w[:, None]]
    elif w.ndim == 2:
        images = [w.T if w.shape[0] > w.shape[1] else w]
    elif w.ndim == 3:
        images = list(np.transpose(w, (2, 0, 1)))
    else:
        return []
    return [_scaled(img) for img in images[:max_images]]


def _scaled(img):
    img = np.nan_to_num(img)
    lo, hi = img.min(), img.max()
    return (img - lo) / (hi - lo) if hi > lo else np.zeros_like(img)
