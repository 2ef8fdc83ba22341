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
from openkeras.preprocessing.image.random_transforms import (
    DataFrameIterator,
    random_brightness,
    random_channel_shift,
    random_rotation,
    random_shear,
    random_shift,
    random_zoom,
)

__all__ = [
    "DataFrameIterator",
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
    "random_brightness",
    "random_channel_shift",
    "random_rotation",
    "random_shear",
    "random_shift",
    "random_zoom",
]

# Keras 2.2's image module also exposed the Keras modules it handed to keras_preprocessing.
from openkeras.engine.lazy_exports import lazy_exports  # noqa: E402

__getattr__ = lazy_exports(__name__, {
    "backend": "openkeras.backend",
    "generic_utils": "openkeras.utils.generic_utils",
    "utils": "openkeras.utils",
})
