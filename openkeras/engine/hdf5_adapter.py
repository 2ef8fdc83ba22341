"""HDF5 data (h5py datasets, ``HDF5Matrix``) read batch by batch for fit / evaluate / predict.

Arrays in memory become one tensor per ``fit``; HDF5 data may not fit in memory, so it is read
as contiguous blocks of ``batch_size`` rows, one block per step. ``HDF5Batches`` is a
``Sequence`` of those blocks: the model's iterator adapter fetches them (in threads when
``workers > 1``) and, with ``shuffle='batch'``, visits them in a new random order every epoch,
which is Keras 2's batch shuffling.
"""

import math
import sys

from openkeras.utils.data_utils import Sequence
from openkeras.utils.io_utils import HDF5Matrix


def is_hdf5(value) -> bool:
    """Whether ``value`` is an ``HDF5Matrix`` or an h5py dataset."""
    if isinstance(value, HDF5Matrix):
        return True
    h5py = sys.modules.get("h5py")  # a value can only be an h5py dataset once h5py is loaded
    return h5py is not None and isinstance(value, h5py.Dataset)


def _leaves(data):
    if isinstance(data, dict):
        return list(data.values())
    if isinstance(data, (list, tuple)):
        return list(data)
    return [data]


def contains_hdf5(*data) -> bool:
    """Whether any of ``data`` (arrays, lists or dicts of arrays) holds HDF5 data."""
    return any(is_hdf5(leaf) for d in data for leaf in _leaves(d))


def _rows(data, sl):
    if data is None:
        return None
    if isinstance(data, dict):
        return {k: None if v is None else v[sl] for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [None if v is None else v[sl] for v in data]
    return data[sl]


class HDF5Batches(Sequence):
    """Contiguous batches of rows read from HDF5 data (and any arrays passed with it).

    Args:
        x: inputs: an h5py dataset, an ``HDF5Matrix`` or an array, or a list / dict of those.
        y: targets, structured like ``fit``'s ``y`` (None for predict).
        sample_weight: per-sample weights (or a list / dict of them), or None.
        batch_size: rows per batch (default 32).
        shuffle: for training, 'batch' (batch order shuffled every epoch) or False; True is
            refused because it would need reads of single rows in random order.
        mode: 'train', 'test' or 'predict' (predict batches hold only ``x``).
    """

    def __init__(self, x, y=None, sample_weight=None, batch_size=None, shuffle=False,
                 mode="train"):
        if mode == "train" and shuffle and shuffle != "batch":
            raise ValueError(
                "fit: shuffle=True reads samples in random order, which HDF5 data can only do "
                "one row at a time. If using HDF5 input data, pass shuffle=\"batch\" (shuffle "
                f"must be 'batch' or False for HDF5 data). Received: shuffle={shuffle!r}")
        self.x, self.y, self.sample_weight = x, y, sample_weight
        self.batch_size = int(batch_size or 32)
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer. Received: "
                             f"batch_size={batch_size}")
        self.mode = mode
        self.n = self._common_length()

    def _common_length(self):
        x_lens = {len(v) for v in _leaves(self.x) if v is not None}
        y_lens = {len(v) for v in _leaves(self.y) if v is not None}
        if len(x_lens) > 1:
            raise ValueError("All input arrays (x) should have the same number of samples. Got "
                             f"lengths: {sorted(x_lens)}")
        if len(y_lens) > 1:
            raise ValueError("All target arrays (y) should have the same number of samples. Got "
                             f"lengths: {sorted(y_lens)}")
        n = x_lens.pop() if x_lens else 0
        if y_lens and y_lens != {n}:
            raise ValueError("Input arrays should have the same number of samples as target "
                             f"arrays. Found {n} input samples and {y_lens.pop()} target "
                             "samples.")
        if n == 0:
            raise ValueError("The data is empty: x has 0 samples. Provide at least one sample.")
        return n

    def __len__(self) -> int:
        return math.ceil(self.n / self.batch_size)

    def __getitem__(self, index):
        if not 0 <= index < len(self):
            raise IndexError(f"HDF5Batches has {len(self)} batches. Received: index={index}")
        sl = slice(index * self.batch_size, min((index + 1) * self.batch_size, self.n))
        x = _rows(self.x, sl)
        if self.mode == "predict":
            return x
        y = _rows(self.y, sl)
        if self.sample_weight is None:
            return x, y
        return x, y, _rows(self.sample_weight, sl)
