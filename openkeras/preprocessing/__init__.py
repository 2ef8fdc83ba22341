"""Keras 2 data preprocessing: `image`, `sequence` and `text`."""

from openkeras.preprocessing import image, sequence, text

__all__ = ["image", "sequence", "text"]
