import numpy as np
import pytest

from openkeras.preprocessing.image import ImageDataGenerator, NumpyArrayIterator
from openkeras.utils.data_utils import Sequence


def _images(n=10, h=6, w=5, c=3, seed=0):
    return np.random.default_rng(seed).uniform(0, 255, (n, h, w, c)).astype("float32")


def test_flow_batches_labels_and_sequence_protocol():
    x, y = _images(), np.arange(10)
    it = ImageDataGenerator().flow(x, y, batch_size=4, shuffle=False)
    assert isinstance(it, Sequence) and len(it) == 3
    bx, by = it[0]
    np.testing.assert_array_equal(bx, x[:4])
    np.testing.assert_array_equal(by, [0, 1, 2, 3])
    assert it[2][0].shape == (2, 6, 5, 3)
    with pytest.raises(ValueError, match="Asked to retrieve element 3"):
        it[3]
    # endless iteration cycles through the data
    batches = [next(it)[1] for _ in range(4)]
    np.testing.assert_array_equal(batches[3], [0, 1, 2, 3])


def test_flow_shuffle_with_seed_is_reproducible_and_a_permutation():
    x, y = _images(), np.arange(10)
    a = ImageDataGenerator().flow(x, y, batch_size=10, seed=3)[0][1]
    b = ImageDataGenerator().flow(x, y, batch_size=10, seed=3)[0][1]
    np.testing.assert_array_equal(a, b)
    assert sorted(a.tolist()) == list(range(10))


def test_flow_sample_weight_extra_inputs_and_no_labels():
    x = _images(4)
    it = ImageDataGenerator().flow((x, np.arange(4) * 2), np.arange(4), sample_weight=np.ones(4),
                                   batch_size=4, shuffle=False)
    (bx, extra), by, sw = it[0]
    np.testing.assert_array_equal(extra, [0, 2, 4, 6])
    assert sw.shape == (4,)
    only_x = ImageDataGenerator().flow(x, batch_size=2, shuffle=False)[1]
    np.testing.assert_array_equal(only_x, x[2:])


def test_flow_validation_subsets():
    x = _images(10)
    y = np.array([0, 1] * 5)
    gen = ImageDataGenerator(validation_split=0.2)
    val = gen.flow(x, y, batch_size=10, shuffle=False, subset="validation")
    train = gen.flow(x, y, batch_size=10, shuffle=False, subset="training")
    np.testing.assert_array_equal(val[0][0], x[:2])
    np.testing.assert_array_equal(train[0][0], x[2:])
    with pytest.raises(ValueError, match="different number of classes"):
        gen.flow(x, np.sort(y), subset="training")
    with pytest.raises(ValueError, match="Invalid subset name"):
        gen.flow(x, y, subset="test")


def test_flow_input_checks():
    with pytest.raises(ValueError, match="should have rank 4"):
        NumpyArrayIterator(np.zeros((3, 4, 4)), None, ImageDataGenerator())
    with pytest.raises(ValueError, match="same length"):
        ImageDataGenerator().flow(_images(3), np.arange(2))
    with pytest.warns(UserWarning, match="channels"):
        ImageDataGenerator().flow(np.zeros((2, 4, 4, 5)))


def test_fit_featurewise_statistics_and_standardize():
    x = _images(8)
    gen = ImageDataGenerator(featurewise_center=True, featurewise_std_normalization=True)
    gen.fit(x)
    mean = x.mean(axis=(0, 1, 2))
    std = (x - mean).std(axis=(0, 1, 2))
    np.testing.assert_allclose(gen.mean.ravel(), mean, rtol=1e-5)
    np.testing.assert_allclose(gen.std.ravel(), std, rtol=1e-4)
    out = gen.standardize(x[0].copy())
    np.testing.assert_allclose(out, (x[0] - mean) / (std + 1e-6), rtol=1e-4, atol=1e-5)
    batch = gen.flow(x, batch_size=8, shuffle=False)[0]
    np.testing.assert_allclose(batch.mean(axis=(0, 1, 2)), 0, atol=1e-4)


def test_samplewise_rescale_and_preprocessing_function():
    x = _images(2)
    gen = ImageDataGenerator(rescale=1 / 255.0, samplewise_center=True,
                             samplewise_std_normalization=True,
                             preprocessing_function=lambda im: im + 1.0)
    out = gen.standardize(x[0].copy())
    ref = (x[0] + 1.0) / 255.0
    ref = (ref - ref.mean()) / (ref.std() + 1e-6)
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-5)


def test_zca_whitening_decorrelates():
    x = np.random.default_rng(2).normal(size=(50, 2, 2, 1)).astype("float64")
    x[..., 0, 0, 0] += 3 * x[..., 1, 1, 0]  # correlated pixels
    with pytest.warns(UserWarning, match="overrides setting of `featurewise_center`"):
        gen = ImageDataGenerator(zca_whitening=True, zca_epsilon=1e-9, dtype="float64")
    gen.fit(x)
    white = gen.standardize(x.copy()).reshape(50, -1)
    np.testing.assert_allclose(white.T @ white / 50, np.eye(4), atol=1e-5)


def test_unfitted_featurewise_warns():
    gen = ImageDataGenerator(featurewise_center=True)
    with pytest.warns(UserWarning, match="hasn't been fit"):
        gen.standardize(np.ones((2, 2, 1)))


def test_random_transform_parameters():
    gen = ImageDataGenerator(width_shift_range=2, height_shift_range=0.5, rotation_range=10,
                             zoom_range=0.1, horizontal_flip=True)
    for seed in range(20):
        p = gen.get_random_transform((8, 10, 3), seed=seed)
        assert p["ty"] in (-1, 0, 1)
        assert -4 <= p["tx"] <= 4  # 0.5 of 8 rows
        assert -10 <= p["theta"] <= 10 and 0.9 <= p["zx"] <= 1.1
    listed = ImageDataGenerator(width_shift_range=[-3, 3])
    assert abs(listed.get_random_transform((8, 10, 3), seed=1)["ty"]) == 3


def test_apply_transform_flips_and_random_transform_seed():
    x = _images(1)[0]
    gen = ImageDataGenerator(data_format="channels_last")
    np.testing.assert_array_equal(gen.apply_transform(x, {"flip_horizontal": True}), x[:, ::-1])
    np.testing.assert_array_equal(gen.apply_transform(x, {"flip_vertical": True}), x[::-1])
    cf = ImageDataGenerator(data_format="channels_first")
    xt = np.moveaxis(x, 2, 0)
    np.testing.assert_array_equal(cf.apply_transform(xt, {"flip_horizontal": True}),
                                  xt[:, :, ::-1])
    aug = ImageDataGenerator(rotation_range=30, channel_shift_range=5)
    np.testing.assert_allclose(aug.random_transform(x, seed=4), aug.random_transform(x, seed=4))


@pytest.mark.parametrize("kwargs, message", [
    ({"zoom_range": [1, 2, 3]}, "zoom_range"),
    ({"data_format": "channels_middle"}, "data_format"),
    ({"validation_split": 1.5}, "validation_split"),
    ({"brightness_range": 0.5}, "brightness_range"),
    ({"fill_mode": "mirror"}, "fill_mode"),
])
def test_constructor_validation(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ImageDataGenerator(**kwargs)


def test_fit_requires_rank_4():
    with pytest.raises(ValueError, match="should have rank 4"):
        ImageDataGenerator(featurewise_center=True).fit(np.zeros((3, 4, 4)))
