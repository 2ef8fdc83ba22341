"""Reading and writing image files with Pillow (imported only when needed)."""

import io
import os
import warnings

import numpy as np

from openkeras import config

_INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")


def _pil_image():
    try:
        from PIL import Image  # optional dependency (Pillow)
    except ImportError as e:
        raise ImportError(
            "Reading and writing images requires Pillow. Install it with `pip install Pillow`."
        ) from e
    return Image


def load_img(path, grayscale=False, color_mode="rgb", target_size=None, interpolation="nearest",
             keep_aspect_ratio=False):
    """Load an image file into a PIL Image.

    Args:
        path: Path to the file, or an `io.BytesIO`.
        grayscale: Deprecated; use `color_mode="grayscale"`.
        color_mode: 'grayscale', 'rgb' or 'rgba'.
        target_size: None, or `(height, width)` to resize to.
        interpolation: Resampling filter for resizing: 'nearest', 'bilinear',
            'bicubic', 'hamming', 'box' or 'lanczos'.
        keep_aspect_ratio: Crop the image centre to the target aspect ratio
            before resizing.

    Returns:
        A PIL Image.
    """
    if grayscale:
        warnings.warn('grayscale is deprecated. Please use color_mode = "grayscale"',
                      DeprecationWarning, stacklevel=2)
        color_mode = "grayscale"
    Image = _pil_image()
    if isinstance(path, io.BytesIO):
        img = Image.open(path)
    elif isinstance(path, (str, bytes, os.PathLike)):
        with open(path, "rb") as f:
            img = Image.open(io.BytesIO(f.read()))
    else:
        raise TypeError(f"path should be path-like or io.BytesIO, not {type(path)}")
    if color_mode == "grayscale":
        # 16- and 32-bit grayscale images keep their depth
        if img.mode not in ("L", "I;16", "I"):
            img = img.convert("L")
    elif color_mode == "rgba":
        if img.mode != "RGBA":
            img = img.convert("RGBA")
    elif color_mode == "rgb":
        if img.mode != "RGB":
            img = img.convert("RGB")
    else:
        raise ValueError(
            f'color_mode must be "grayscale", "rgb", or "rgba". Received: color_mode={color_mode!r}'
        )
    if target_size is None:
        return img
    width_height = (target_size[1], target_size[0])
    if img.size == width_height:
        return img
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(
            f"Invalid interpolation method {interpolation} specified. Supported methods are "
            + ", ".join(_INTERPOLATIONS)
        )
    resample = getattr(getattr(Image, "Resampling", Image), interpolation.upper())
    if not keep_aspect_ratio:
        return img.resize(width_height, resample)
    width, height = img.size
    crop_height = min(height, (width * width_height[1]) // width_height[0])
    crop_width = min(width, (height * width_height[0]) // width_height[1])
    top = (height - crop_height) // 2
    left = (width - crop_width) // 2
    return img.resize(width_height, resample,
                      box=(left, top, left + crop_width, top + crop_height))


def img_to_array(img, data_format=None, dtype=None) -> np.ndarray:
    """A PIL Image (or array-like) as a 3-D numpy array.

    Args:
        img: PIL Image.
        data_format: 'channels_last' or 'channels_first'; default the global setting.
        dtype: Output dtype; default `floatx()`.
    """
    data_format = config.normalize_data_format(data_format)
    x = np.asarray(img, dtype=dtype or config.floatx())
    if x.ndim == 3:
        if data_format == "channels_first":
            x = x.transpose(2, 0, 1)
    elif x.ndim == 2:
        x = x[None] if data_format == "channels_first" else x[..., None]
    else:
        raise ValueError(f"Unsupported image shape: {x.shape}")
    return x


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A 3-D numpy array as a PIL Image.

    Args:
        x: Array of shape (h, w, c) or (c, h, w) with 1, 3 or 4 channels.
        data_format: 'channels_last' or 'channels_first'; default the global setting.
        scale: Rescale values to [0, 255] (min to 0, max to 255).
        dtype: Dtype used for the intermediate array; default `floatx()`.
    """
    Image = _pil_image()
    data_format = config.normalize_data_format(data_format)
    x = np.array(x, dtype=dtype or config.floatx())
    if x.ndim != 3:
        raise ValueError(
            f"Expected image array to have rank 3 (single image). Got array with shape: {x.shape}"
        )
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        x_max = np.max(x)
        if x_max != 0:
            x /= x_max
        x *= 255
    channels = x.shape[2]
    if channels == 4:
        return Image.fromarray(x.astype("uint8"), "RGBA")
    if channels == 3:
        return Image.fromarray(x.astype("uint8"), "RGB")
    if channels == 1:
        if np.max(x) > 255:  # 32-bit signed integer grayscale
            return Image.fromarray(x[:, :, 0].astype("int32"), "I")
        return Image.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"Unsupported channel number: {channels}")


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Save a 3-D numpy array as an image file.

    Args:
        path: Path or file object.
        x: Image array.
        data_format: 'channels_last' or 'channels_first'; default the global setting.
        file_format: Format for Pillow; inferred from the file name when None.
        scale: Rescale values to [0, 255].
        **kwargs: Passed to `PIL.Image.save`.
    """
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format in ("jpg", "jpeg"):
        warnings.warn("The JPG format does not support RGBA images, converting to RGB.",
                      stacklevel=2)
        img = img.convert("RGB")
    if file_format == "jpg":
        file_format = "jpeg"  # Pillow knows the format as JPEG only
    img.save(path, format=file_format, **kwargs)
