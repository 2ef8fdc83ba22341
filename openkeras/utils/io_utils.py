"""HDF5 data as arrays (``HDF5Matrix``) for ``fit`` / ``evaluate`` / ``predict``."""

import os

import h5py
import numpy as np


class HDF5Matrix:
    """A read-only view of rows ``start:end`` of an HDF5 dataset, used like a numpy array.

    Rows are read from the file only when indexed, so a model can be trained on data larger
    than memory: ``model.fit(HDF5Matrix(path, 'x'), HDF5Matrix(path, 'y'), shuffle='batch')``.
    Files are opened read-only once per path and shared by all matrices on that path.

    Args:
        datapath: path of the HDF5 file.
        dataset: name of the dataset in the file (e.g. 'data' or 'group/x').
        start: first row of the view.
        end: row after the last one of the view (default: the end of the dataset).
        normalizer: function applied to every block of rows read (e.g. ``lambda x: x / 255``).
    """

    refs = {}

    def __init__(self, datapath, dataset, start=0, end=None, normalizer=None):
        key = os.path.abspath(os.fspath(datapath))
        f = self.refs.get(key)
        if f is None or not f.id.valid:
            f = h5py.File(key, "r")
            self.refs[key] = f
        if dataset not in f:
            raise KeyError(f"HDF5Matrix: no dataset {dataset!r} in {datapath}. Datasets at the "
                           f"top level: {sorted(f.keys())}")
        self.data = f[dataset]
        rows = self.data.shape[0]
        end = rows if end is None else int(end)
        start = int(start)
        if not 0 <= start <= end <= rows:
            raise ValueError(f"HDF5Matrix: need 0 <= start <= end <= {rows} (the rows of "
                             f"{dataset!r}). Received: start={start}, end={end}")
        self.start = start
        self.end = end
        self.normalizer = normalizer
        first = self._read(slice(start, min(start + 1, end)))
        self._base_shape = tuple(first.shape[1:])
        self._base_dtype = first.dtype

    def _read(self, idx):
        values = self.data[idx]
        return values if self.normalizer is None else self.normalizer(values)

    def __len__(self) -> int:
        return self.end - self.start

    def __getitem__(self, key):
        """Rows by int, slice, or a list / array of indices (any order, negatives allowed)."""
        n = len(self)
        if isinstance(key, slice):
            start, stop, step = key.indices(n)
            if step > 0:
                return self._read(slice(self.start + start, self.start + max(stop, start), step))
            return self[np.arange(start, stop, step)]
        if isinstance(key, (int, np.integer)):
            index = int(key) + n if key < 0 else int(key)
            if not 0 <= index < n:
                raise IndexError(f"HDF5Matrix index {int(key)} is out of bounds for {n} rows.")
            return self._read(self.start + index)
        if isinstance(key, (list, tuple, np.ndarray)):
            return self._take(np.asarray(key))
        raise TypeError("HDF5Matrix indices must be integers, slices, or lists / arrays of "
                        f"integers. Received: {type(key).__name__}")

    def _take(self, indices):
        n = len(self)
        if indices.dtype == bool:
            if indices.shape != (n,):
                raise IndexError(f"HDF5Matrix: a boolean index needs {n} entries. Received "
                                 f"shape {indices.shape}")
            indices = np.flatnonzero(indices)
        if indices.size == 0:
            return self._read(slice(self.start, self.start))
        if indices.dtype.kind not in "iu" or indices.ndim != 1:
            raise IndexError("HDF5Matrix: index lists must be 1-D integers. Received: "
                             f"dtype={indices.dtype}, shape={indices.shape}")
        indices = np.where(indices < 0, indices + n, indices)
        if indices.min() < 0 or indices.max() >= n:
            raise IndexError(f"HDF5Matrix: indices out of bounds for {n} rows. Received: "
                             f"min={int(indices.min())}, max={int(indices.max())}")
        # h5py reads rows in increasing order only: read the sorted unique rows, then reorder.
        rows, inverse = np.unique(indices, return_inverse=True)
        if rows[-1] - rows[0] + 1 == rows.size:
            block = self._read(slice(self.start + int(rows[0]), self.start + int(rows[-1]) + 1))
        else:
            block = self._read((rows + self.start).tolist())
        if rows.size == indices.size and np.array_equal(rows, indices):
            return block
        return block[inverse.reshape(-1)]

    def __array__(self, dtype=None, copy=None):
        values = np.asarray(self[:])
        return values if dtype is None else values.astype(dtype, copy=False)

    @property
    def shape(self) -> tuple:
        """(rows of the view,) + the shape of one (normalized) row."""
        return (len(self),) + self._base_shape

    @property
    def dtype(self):
        """The dtype of the (normalized) rows."""
        return self._base_dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    def __repr__(self):
        return (f"HDF5Matrix({self.data.file.filename!r}, {self.data.name!r}, start={self.start}, "
                f"end={self.end}, shape={self.shape}, dtype={self.dtype})")


from openkeras.utils.h5dict import (  # noqa: E402,F401  (Keras 2 exported them from io_utils)
    HDF5_OBJECT_HEADER_LIMIT,
    H5Dict,
    ask_to_proceed_with_overwrite,
    h5dict,
    load_from_binary_h5py,
    save_to_binary_h5py,
)
