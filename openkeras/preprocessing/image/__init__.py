"""Image preprocessing: ImageDataGenerator, its iterators, transforms and image files."""

from openkeras.preprocessing.image.affine import (
    apply_affine_transform,
    apply_brightness_shift,
    apply_channel_shift,
    flip_axis,
    transform_matrix_offset_center,
)
from openkeras.preprocessing.image.generator import ImageDataGenerator
from openkeras.preprocessing.image.iterators import (
    DirectoryIterator,
    Iterator,
    NumpyArrayIterator,
)
from openkeras.preprocessing.image.pil_io import array_to_img, img_to_array, load_img, save_img

__all__ = [
    "DirectoryIterator",
    "ImageDataGenerator",
    "Iterator",
    "NumpyArrayIterator",
    "apply_affine_transform",
    "apply_brightness_shift",
    "apply_channel_shift",
    "array_to_img",
    "flip_axis",
    "img_to_array",
    "load_img",
    "save_img",
    "transform_matrix_offset_center",
]
