"""Weights as grayscale images for TensorBoard's image dashboard (``write_images=True``)."""

import struct
import zlib

import numpy as np


def png_gray(pixels: np.ndarray) -> bytes:
    """Encode a 2-D uint8 array as an 8-bit grayscale PNG."""
    height, width = pixels.shape
    rows = b"".join(b"\x00" + row.tobytes() for row in np.ascontiguousarray(pixels, np.uint8))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


def weight_images(weight: np.ndarray, max_images: int = 3) -> list:
    """The grayscale images tf.keras 2 shows for a weight, as 2-D uint8 arrays.

    A bias is a column, a 2-D kernel an image (transposed when taller than wide), a 3-D kernel
    (channels last) one image per channel. Weights with 4 or more dimensions after squeezing
    (e.g. most Conv2D kernels) give no image. Each image is scaled from its own min..max to
    0..255 (tf.keras clips to 0..1 instead, which shows most weights as black).

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
    return [_to_uint8(img) for img in images[:max_images]]


def _to_uint8(img):
    img = np.nan_to_num(img)
    lo, hi = img.min(), img.max()
    scaled = (img - lo) / (hi - lo) if hi > lo else np.zeros_like(img)
    return np.round(scaled * 255).astype(np.uint8)
