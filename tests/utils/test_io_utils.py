import h5py
import numpy as np
import pytest

from openkeras.utils.io_utils import HDF5Matrix


@pytest.fixture
def h5file(tmp_path):
    path = tmp_path / "data.h5"
    data = np.arange(20 * 3, dtype="float32").reshape(20, 3)
    with h5py.File(path, "w") as f:
        f["x"] = data
        f.create_group("g")["y"] = np.arange(20, dtype="int64")
    return str(path), data


def test_shape_dtype_len_and_start_end(h5file):
    path, data = h5file
    m = HDF5Matrix(path, "x", start=5, end=15)
    assert len(m) == 10
    assert m.shape == (10, 3) and m.ndim == 2 and m.size == 30
    assert m.dtype == np.float32
    np.testing.assert_array_equal(m[0], data[5])
    np.testing.assert_array_equal(m[:], data[5:15])
    np.testing.assert_array_equal(np.asarray(m), data[5:15])
    y = HDF5Matrix(path, "g/y")
    assert y.shape == (20,) and y.dtype == np.int64
    np.testing.assert_array_equal(y[-1], 19)


def test_int_slice_and_list_indexing(h5file):
    path, data = h5file
    m = HDF5Matrix(path, "x", start=2, end=12)
    view = data[2:12]
    np.testing.assert_array_equal(m[3], view[3])
    np.testing.assert_array_equal(m[-2], view[-2])
    np.testing.assert_array_equal(m[2:6], view[2:6])
    np.testing.assert_array_equal(m[::3], view[::3])
    np.testing.assert_array_equal(m[8:100], view[8:])  # slices clip like numpy's
    np.testing.assert_array_equal(m[[1, 4, 7]], view[[1, 4, 7]])
    np.testing.assert_array_equal(m[np.array([2, 3, 4])], view[2:5])
    # h5py reads increasing rows only; any order and repeats are handled here.
    np.testing.assert_array_equal(m[[7, 1, 7, -1]], view[[7, 1, 7, -1]])
    np.testing.assert_array_equal(m[::-1], view[::-1])
    mask = np.zeros(10, dtype=bool)
    mask[[0, 9]] = True
    np.testing.assert_array_equal(m[mask], view[mask])
    assert m[[]].shape == (0, 3)


def test_out_of_range_and_bad_keys(h5file):
    path, _ = h5file
    m = HDF5Matrix(path, "x", end=10)
    with pytest.raises(IndexError, match="out of bounds"):
        m[10]
    with pytest.raises(IndexError, match="out of bounds"):
        m[[0, 10]]
    with pytest.raises(TypeError, match="Received: str"):
        m["a"]
    with pytest.raises(ValueError, match="start=5, end=30"):
        HDF5Matrix(path, "x", start=5, end=30)
    with pytest.raises(KeyError, match="no dataset 'nope'"):
        HDF5Matrix(path, "nope")


def test_normalizer_applies_to_every_read(h5file):
    path, data = h5file
    m = HDF5Matrix(path, "x", normalizer=lambda a: a.astype("float64") / 10.0)
    assert m.dtype == np.float64
    np.testing.assert_allclose(m[1:3], data[1:3].astype("float64") / 10.0, rtol=1e-12)
    np.testing.assert_allclose(m[4], data[4].astype("float64") / 10.0, rtol=1e-12)
    expanded = HDF5Matrix(path, "x", normalizer=lambda a: a[..., None])
    assert expanded.shape == (20, 3, 1) and expanded.ndim == 3


def test_matrices_on_one_file_share_the_open_file(h5file):
    path, _ = h5file
    a, b = HDF5Matrix(path, "x"), HDF5Matrix(path, "g/y")
    assert a.data.file.id == b.data.file.id
    assert a.data.file.mode == "r"
