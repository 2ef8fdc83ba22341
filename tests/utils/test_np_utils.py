import numpy as np
import pytest
import torch

from openkeras.utils.np_utils import normalize, to_categorical


def test_to_categorical_matches_identity_rows():
    y = np.array([2, 0, 1, 2])
    out = to_categorical(y)
    np.testing.assert_array_equal(out, np.eye(3, dtype="float32")[y])
    assert out.dtype == np.float32


@pytest.mark.parametrize(
    "shape, expected",
    [((6,), (6, 4)), ((6, 1), (6, 4)), ((3, 2), (3, 2, 4)), ((3, 2, 1), (3, 2, 4)), ((1,), (1, 4))],
)
def test_to_categorical_shapes_drop_trailing_one(shape, expected):
    y = np.arange(int(np.prod(shape))).reshape(shape) % 4
    out = to_categorical(y, num_classes=4)
    assert out.shape == expected
    np.testing.assert_array_equal(out.argmax(-1), y.reshape(expected[:-1]))


def test_to_categorical_num_classes_dtype_and_torch_input():
    out = to_categorical(torch.tensor([1, 0]), num_classes=5, dtype="int64")
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out, [[0, 1, 0, 0, 0], [1, 0, 0, 0, 0]])


def test_normalize_l2_and_l1_and_zero_rows():
    x = np.array([[3.0, 4.0], [0.0, 0.0], [1.0, -1.0]])
    np.testing.assert_allclose(normalize(x), [[0.6, 0.8], [0, 0], [2**-0.5, -(2**-0.5)]],
                               rtol=1e-12)
    np.testing.assert_allclose(normalize(x, order=1), [[3 / 7, 4 / 7], [0, 0], [0.5, -0.5]])
    col = normalize(x, axis=0)
    np.testing.assert_allclose(col, x / np.sqrt((x**2).sum(0, keepdims=True)), rtol=1e-12)
