import sys

import numpy as np
import pytest

from openkeras.preprocessing.image import (
    ImageDataGenerator,
    array_to_img,
    img_to_array,
    load_img,
    save_img,
)

Image = pytest.importorskip("PIL.Image")


@pytest.fixture
def image_dir(tmp_path):
    """tmp/cats/{0,1,2}.png, tmp/dogs/{0,1,2}.png (+ a non-image file), 8x6 RGB."""
    for label, name in enumerate(["cats", "dogs"]):
        folder = tmp_path / name
        folder.mkdir()
        for i in range(3):
            pixels = np.full((6, 8, 3), 40 * i + 100 * label, dtype="uint8")
            Image.fromarray(pixels, "RGB").save(folder / f"{i}.png")
        (folder / "notes.txt").write_text("not an image")
    return tmp_path


def test_round_trip_save_load(tmp_path):
    x = np.random.default_rng(0).integers(0, 256, (5, 7, 3)).astype("float32")
    path = tmp_path / "img.png"
    save_img(str(path), x, scale=False)
    img = load_img(str(path))
    assert img.size == (7, 5) and img.mode == "RGB"
    np.testing.assert_array_equal(img_to_array(img), x)
    first = img_to_array(img, data_format="channels_first")
    assert first.shape == (3, 5, 7)
    gray = img_to_array(load_img(path, color_mode="grayscale"))
    assert gray.shape == (5, 7, 1)
    assert load_img(path, color_mode="rgba").mode == "RGBA"
    assert load_img(path, target_size=(2, 3), interpolation="bilinear").size == (3, 2)
    with pytest.raises(ValueError, match="Invalid interpolation method cubic"):
        load_img(path, target_size=(2, 3), interpolation="cubic")
    with pytest.raises(ValueError, match="color_mode"):
        load_img(path, color_mode="cmyk")


def test_keep_aspect_ratio_crops_centre(tmp_path):
    x = np.zeros((4, 8, 3), dtype="uint8")
    x[:, 2:6] = 255  # white centre square
    Image.fromarray(x).save(tmp_path / "wide.png")
    out = img_to_array(load_img(tmp_path / "wide.png", target_size=(4, 4), keep_aspect_ratio=True))
    np.testing.assert_array_equal(out, np.full((4, 4, 3), 255.0))


def test_array_to_img_scaling_and_modes():
    x = np.linspace(-1, 1, 12, dtype="float32").reshape(2, 2, 3)
    img = array_to_img(x)
    arr = np.asarray(img)
    assert arr.min() == 0 and arr.max() == 255
    assert array_to_img(np.zeros((2, 2, 1))).mode == "L"
    assert array_to_img(np.full((2, 2, 1), 1000.0), scale=False).mode == "I"
    assert array_to_img(np.zeros((4, 2, 2)), data_format="channels_first").mode == "RGBA"
    with pytest.raises(ValueError, match="Unsupported channel number: 2"):
        array_to_img(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="rank 3"):
        array_to_img(np.zeros((2, 2)))


def test_missing_pillow_gives_clear_error(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match="Pillow"):
        load_img(tmp_path / "x.png")


def test_flow_from_directory_classes_and_batches(image_dir, capsys):
    it = ImageDataGenerator(rescale=1 / 255.0).flow_from_directory(
        str(image_dir), target_size=(6, 8), batch_size=4, shuffle=False)
    assert "Found 6 images belonging to 2 classes." in capsys.readouterr().out
    assert it.class_indices == {"cats": 0, "dogs": 1}
    np.testing.assert_array_equal(it.classes, [0, 0, 0, 1, 1, 1])
    assert it.filenames[0].replace("\\", "/") == "cats/0.png"
    assert len(it) == 2
    bx, by = it[0]
    assert bx.shape == (4, 6, 8, 3)
    np.testing.assert_allclose(bx[:, 0, 0, 0], np.array([0, 40, 80, 100]) / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(by, [[1, 0], [1, 0], [1, 0], [0, 1]])


@pytest.mark.parametrize("mode", ["binary", "sparse", "input", None])
def test_flow_from_directory_class_modes(image_dir, mode):
    it = ImageDataGenerator().flow_from_directory(str(image_dir), target_size=(3, 4),
                                                  class_mode=mode, batch_size=6, shuffle=False,
                                                  color_mode="grayscale")
    batch = it[0]
    if mode is None:
        assert batch.shape == (6, 3, 4, 1)
    elif mode == "input":
        np.testing.assert_array_equal(batch[0], batch[1])
    else:
        np.testing.assert_array_equal(batch[1], [0, 0, 0, 1, 1, 1])


def test_flow_from_directory_subsets_and_channels_first(image_dir):
    gen = ImageDataGenerator(validation_split=0.34, data_format="channels_first")
    val = gen.flow_from_directory(str(image_dir), target_size=(6, 8), subset="validation")
    train = gen.flow_from_directory(str(image_dir), target_size=(6, 8), subset="training",
                                    classes=["dogs", "cats"])
    assert val.samples == 2 and train.samples == 4
    assert train.class_indices == {"dogs": 0, "cats": 1}
    assert val.image_shape == (3, 6, 8) and val[0][0].shape == (2, 3, 6, 8)
    with pytest.raises(ValueError, match="Invalid class_mode"):
        gen.flow_from_directory(str(image_dir), class_mode="other")


def test_save_to_dir(image_dir, tmp_path):
    out = tmp_path / "augmented"
    out.mkdir()
    ImageDataGenerator().flow(np.random.rand(3, 4, 4, 3) * 255, batch_size=3,
                              save_to_dir=str(out), save_prefix="aug")[0]
    names = sorted(p.name for p in out.iterdir())
    assert len(names) == 3 and all(n.startswith("aug_") and n.endswith(".png") for n in names)
