import numpy as np
import pytest

from openkeras.preprocessing.image import (
    affine,
    apply_affine_transform,
    apply_brightness_shift,
    apply_channel_shift,
    flip_axis,
)

LAST = {"row_axis": 0, "col_axis": 1, "channel_axis": 2}


@pytest.fixture(params=["scipy", "numpy"])
def engine(request, monkeypatch):
    """Run a test through SciPy (when installed) and through the numpy fallback."""
    if request.param == "scipy":
        pytest.importorskip("scipy")
    else:
        monkeypatch.setattr(affine, "ndimage", None)
    return request.param


def test_rotation_by_90_degrees_is_rot90(engine):
    x = np.arange(32.0).reshape(4, 4, 2)
    out = apply_affine_transform(x, theta=90, **LAST)
    np.testing.assert_allclose(out, np.rot90(x, 1, axes=(0, 1)), atol=1e-9)
    first = apply_affine_transform(np.moveaxis(x, 2, 0), theta=90, row_axis=1, col_axis=2,
                                   channel_axis=0)
    np.testing.assert_allclose(np.moveaxis(first, 0, 2), out, atol=1e-9)


def test_integer_shifts_with_constant_fill(engine):
    x = np.arange(16.0).reshape(4, 4, 1)
    out = apply_affine_transform(x, tx=1, fill_mode="constant", cval=-1, **LAST)[..., 0]
    expected = np.full((4, 4), -1.0)
    expected[:, :3] = x[:, 1:, 0]  # like Keras, tx moves along the column axis
    np.testing.assert_allclose(out, expected, atol=1e-12)
    out = apply_affine_transform(x, ty=-1, fill_mode="nearest", **LAST)[..., 0]
    np.testing.assert_allclose(out, np.vstack([x[:1, :, 0], x[:3, :, 0]]), atol=1e-12)


def test_zoom_half_samples_the_centre(engine):
    x = np.arange(16.0).reshape(4, 4, 1)
    out = apply_affine_transform(x, zx=0.5, zy=0.5, **LAST)[..., 0]
    # output pixel (i, j) reads input position 0.5 * (i, j) + 0.75 (bilinear)
    rows = 0.5 * np.arange(4) + 0.75
    np.testing.assert_allclose(out, 4 * rows[:, None] + rows[None, :], atol=1e-12)


def test_no_transform_returns_input_unchanged():
    x = np.random.rand(3, 5, 2)
    assert apply_affine_transform(x, **LAST) is x


@pytest.mark.parametrize("mode", ["constant", "nearest", "reflect", "wrap"])
@pytest.mark.parametrize("order", [0, 1])
def test_numpy_fallback_matches_scipy(mode, order):
    ndimage = pytest.importorskip("scipy.ndimage")
    rng = np.random.default_rng(1)
    images = rng.random((2, 7, 9))
    for _ in range(20):
        t = rng.uniform(-3, 3)
        matrix = np.array([[np.cos(t) * rng.uniform(0.5, 1.5), -np.sin(t)],
                           [np.sin(t), np.cos(t)]])
        offset = rng.uniform(-12, 12, 2)
        expected = np.stack([ndimage.affine_transform(c, matrix, offset, order=order, mode=mode,
                                                      cval=-0.5) for c in images])
        out = affine._affine_numpy(images, matrix, offset, order=order, mode=mode, cval=-0.5)
        np.testing.assert_allclose(out, expected, atol=1e-9)


def test_numpy_fallback_needs_scipy_for_higher_orders(monkeypatch):
    monkeypatch.setattr(affine, "ndimage", None)
    with pytest.raises(ImportError, match="SciPy"):
        apply_affine_transform(np.zeros((3, 3, 1)), theta=10, order=3, **LAST)


def test_argument_checks():
    with pytest.raises(ValueError, match="must be distinct"):
        apply_affine_transform(np.zeros((3, 3, 1)), theta=1, row_axis=0, col_axis=0)
    with pytest.raises(ValueError, match="multi-channel 2D"):
        apply_affine_transform(np.zeros((3, 3)), theta=1)
    with pytest.raises(ValueError, match="fill_mode"):
        apply_affine_transform(np.zeros((3, 3, 1)), theta=1, fill_mode="mirror", **LAST)


def test_flip_and_channel_shift():
    x = np.arange(12.0).reshape(2, 3, 2)
    np.testing.assert_array_equal(flip_axis(x, 1), x[:, ::-1])
    shifted = apply_channel_shift(x, 5.0, channel_axis=2)
    np.testing.assert_array_equal(shifted, np.clip(x + 5.0, 0.0, 11.0))


def test_brightness_matches_pillow():
    Image = pytest.importorskip("PIL.Image")
    ImageEnhance = pytest.importorskip("PIL.ImageEnhance")
    x = np.random.default_rng(0).uniform(0, 255, (6, 5, 3))
    for factor in (0.3, 1.0, 1.7):
        ours = apply_brightness_shift(x, factor, scale=False)
        pil = ImageEnhance.Brightness(Image.fromarray(x.astype("uint8"), "RGB")).enhance(factor)
        np.testing.assert_allclose(ours, np.asarray(pil, dtype="float32"), atol=1.0)
    wide = x * 4 - 300  # outside [0, 255]: rescaled around the 8-bit round trip
    back = apply_brightness_shift(wide, 1.0, scale=False)
    assert back.min() == pytest.approx(wide.min()) and back.max() <= wide.max() + 1e-6
