"""Image transforms of Keras 2's ImageDataGenerator: affine maps, flips, shifts.

Affine maps use `scipy.ndimage.affine_transform` when SciPy is installed (as
Keras does). Without SciPy a numpy implementation of the same mapping is used
for spline orders 0 and 1 (nearest and bilinear, Keras's default), with
SciPy's conventions for the fill modes.
"""

import numpy as np

try:
    from scipy import ndimage
except ImportError:
    ndimage = None

FILL_MODES = ("constant", "nearest", "reflect", "wrap")


def transform_matrix_offset_center(matrix, x, y) -> np.ndarray:
    """Conjugate a 3x3 transform so that it acts around the centre of an x-by-y image."""
    o_x = float(x) / 2 - 0.5
    o_y = float(y) / 2 - 0.5
    offset_matrix = np.array([[1, 0, o_x], [0, 1, o_y], [0, 0, 1]])
    reset_matrix = np.array([[1, 0, -o_x], [0, 1, -o_y], [0, 0, 1]])
    return offset_matrix @ matrix @ reset_matrix


def _map_index(idx, n, mode):
    """Integer indices outside [0, n) folded back in, SciPy style."""
    if mode == "reflect":  # d c b a | a b c d | d c b a
        idx = np.mod(idx, 2 * n)
        return np.where(idx >= n, 2 * n - 1 - idx, idx)
    return np.clip(idx, 0, n - 1)


def _wrap_coordinate(coord, n):
    """SciPy's 'wrap': first and last samples coincide (period n - 1); in-range stays."""
    if n == 1:
        return np.zeros_like(coord)
    period = n - 1
    coord = np.where(coord < 0, period - np.mod(-coord, period), coord)
    return np.where(coord > period, np.mod(coord, period), coord)


def _sample(images, rows, cols, order, mode, cval):
    """Values of `images` (c, h, w) at the float positions `rows`, `cols` (each (p,))."""
    h, w = images.shape[1:]
    if mode == "wrap":
        rows, cols = _wrap_coordinate(rows, h), _wrap_coordinate(cols, w)
    if order == 0:
        r = np.floor(rows + 0.5).astype(np.int64)
        c = np.floor(cols + 0.5).astype(np.int64)
        out = images[:, _map_index(r, h, mode), _map_index(c, w, mode)]
    else:
        r0 = np.floor(rows).astype(np.int64)
        c0 = np.floor(cols).astype(np.int64)
        fr = (rows - r0)[None]
        fc = (cols - c0)[None]
        r0m, r1m = _map_index(r0, h, mode), _map_index(r0 + 1, h, mode)
        c0m, c1m = _map_index(c0, w, mode), _map_index(c0 + 1, w, mode)
        top = images[:, r0m, c0m] * (1 - fc) + images[:, r0m, c1m] * fc
        bottom = images[:, r1m, c0m] * (1 - fc) + images[:, r1m, c1m] * fc
        out = top * (1 - fr) + bottom * fr
    if mode == "constant":  # no interpolation towards cval: outside the samples is cval
        tol = 1e-9
        outside = (rows < -tol) | (rows > h - 1 + tol) | (cols < -tol) | (cols > w - 1 + tol)
        out = np.where(outside[None], cval, out)
    return out


def _affine_numpy(images, matrix, offset, order=1, mode="nearest", cval=0.0):
    """`scipy.ndimage.affine_transform` for each channel of `images` (c, h, w)."""
    if order not in (0, 1):
        raise ImportError(
            f"Spline interpolation of order {order} requires SciPy (`pip install scipy`); "
            "without it only interpolation_order=0 or 1 is available."
        )
    h, w = images.shape[1:]
    ii, jj = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    coords = matrix @ np.stack([ii.ravel(), jj.ravel()]).astype(np.float64) + offset[:, None]
    out = _sample(images.astype(np.float64), coords[0], coords[1], order, mode, cval)
    return out.reshape(images.shape).astype(images.dtype)


def apply_affine_transform(x, theta=0, tx=0, ty=0, shear=0, zx=1, zy=1, row_axis=1, col_axis=2,
                           channel_axis=0, fill_mode="nearest", cval=0.0, order=1) -> np.ndarray:
    """Rotate, shift, shear and zoom one image (a 3-D array) around its centre.

    Args:
        x: 3-D array: a 2-D image with channels first or last.
        theta: Rotation angle in degrees.
        tx: Shift along the row axis (pixels).
        ty: Shift along the column axis (pixels).
        shear: Shear angle in degrees.
        zx: Zoom along the row axis (values > 1 zoom out).
        zy: Zoom along the column axis.
        row_axis: Axis of rows in `x`.
        col_axis: Axis of columns in `x`.
        channel_axis: Axis of channels in `x` (0 or 2).
        fill_mode: One of 'constant', 'nearest', 'reflect', 'wrap'.
        cval: Fill value for 'constant'.
        order: Spline interpolation order (0 or 1 without SciPy).

    Returns:
        The transformed image, same shape as `x`.
    """
    if len({row_axis, col_axis, channel_axis}) != 3:
        raise ValueError("'row_axis', 'col_axis', and 'channel_axis' must be distinct")
    if {row_axis, col_axis, channel_axis} != {0, 1, 2}:
        raise ValueError(f"Invalid axis' indices: {{{row_axis}, {col_axis}, {channel_axis}}}")
    if x.ndim != 3:
        raise ValueError(f"Input arrays must be multi-channel 2D images. Received: shape={x.shape}")
    if channel_axis not in (0, 2):
        raise ValueError("Channels are allowed and the first and last dimensions.")
    if fill_mode not in FILL_MODES:
        raise ValueError(f"`fill_mode` must be one of {FILL_MODES}. Received: {fill_mode!r}")
    matrix = None
    if theta != 0:
        t = np.deg2rad(theta)
        matrix = np.array([[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0], [0, 0, 1]])
    if tx != 0 or ty != 0:
        shift = np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]])
        matrix = shift if matrix is None else matrix @ shift
    if shear != 0:
        s = np.deg2rad(shear)
        shear_matrix = np.array([[1, -np.sin(s), 0], [0, np.cos(s), 0], [0, 0, 1]])
        matrix = shear_matrix if matrix is None else matrix @ shear_matrix
    if zx != 1 or zy != 1:
        zoom = np.array([[zx, 0, 0], [0, zy, 0], [0, 0, 1]])
        matrix = zoom if matrix is None else matrix @ zoom
    if matrix is None:
        return x
    h, w = x.shape[row_axis], x.shape[col_axis]
    matrix = transform_matrix_offset_center(matrix, h, w)
    channels = np.rollaxis(x, channel_axis, 0)
    # The matrix is built for (x, y) = (row, col); with the column axis after
    # the row axis in the channel-first view, swap both to index (row, col).
    if col_axis > row_axis:
        matrix[:, [0, 1]] = matrix[:, [1, 0]]
        matrix[[0, 1]] = matrix[[1, 0]]
    affine, offset = matrix[:2, :2], matrix[:2, 2]
    if ndimage is not None:
        out = np.stack([ndimage.affine_transform(c, affine, offset, order=order, mode=fill_mode,
                                                 cval=cval) for c in channels])
    else:
        out = _affine_numpy(channels, affine, offset, order=order, mode=fill_mode, cval=cval)
    return np.rollaxis(out, 0, channel_axis + 1)


def flip_axis(x, axis) -> np.ndarray:
    """`x` reversed along `axis`."""
    return np.flip(np.asarray(x), axis)


def apply_channel_shift(x, intensity, channel_axis=0) -> np.ndarray:
    """Add `intensity` to every channel, clipped to the image's original value range."""
    lo, hi = np.min(x), np.max(x)
    return np.clip(x + intensity, lo, hi)


def apply_brightness_shift(x, brightness, scale=True) -> np.ndarray:
    """Multiply brightness by `brightness` the way Pillow's ImageEnhance.Brightness does.

    The image goes through 8-bit values as in Keras (which round-trips through
    Pillow): rescaled to [0, 255] when `scale` is true or its values leave that
    range, truncated to integers, multiplied, truncated and clipped again.

    Args:
        x: 3-D image array.
        brightness: Brightness factor (1 keeps the image, 0 makes it black).
        scale: Rescale the image so its minimum and maximum are 0 and 255.
    """
    x = np.asarray(x, dtype=np.float64)
    x_min, x_max = np.min(x), np.max(x)
    local_scale = x_min < 0 or x_max > 255
    if local_scale or scale:
        x = x - x_min
        top = np.max(x)
        if top != 0:
            x = x / top
        x = x * 255
    pixels = x.astype(np.uint8).astype(np.float64)
    out = np.clip(np.trunc(pixels * brightness), 0, 255)
    if not scale and local_scale:
        out = out / 255 * (x_max - x_min) + x_min
    return out.astype(np.float32)
