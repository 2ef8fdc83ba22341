"""Numpy arrays as torch tensors, whatever their memory layout.

torch cannot wrap arrays with negative strides (``x[..., ::-1]``, what ``preprocess_input``
returns); Keras took them, as it took Fortran-ordered and strided arrays.
"""

import numpy as np
import torch


def torch_compatible(value):
    """``value`` itself, or a C-ordered copy of an array torch cannot wrap safely (negative
    strides, or read-only memory a tensor sharing it could write to)."""
    if isinstance(value, np.ndarray) and (not value.flags.writeable
                                          or any(s < 0 for s in value.strides)):
        return np.array(value, order="C")
    return value


def as_tensor(value, dtype=None, device=None) -> torch.Tensor:
    """``torch.as_tensor`` that also takes arrays of any memory layout.

    Args:
        value: a tensor, numpy array (any strides), number or nested list.
        dtype: the torch dtype, or None to keep the value's.
        device: the torch device, or None.
    """
    return torch.as_tensor(torch_compatible(value), dtype=dtype, device=device)


def from_numpy(arr: np.ndarray) -> torch.Tensor:
    """A tensor sharing ``arr``'s memory when it is C-contiguous and writable, else a C copy."""
    if not (arr.flags.c_contiguous and arr.flags.writeable):
        arr = np.array(arr, order="C")  # one copy, into the layout torch's kernels are fast on
    return torch.from_numpy(arr)
