"""Keras 2's ``H5Dict``: an HDF5 file or group (or a plain dict) used as a nested dict."""

import io
import os

import h5py
import numpy as np

# Bytes an HDF5 object header can hold; larger attributes are split (Keras 2's constant).
HDF5_OBJECT_HEADER_LIMIT = 64512


class H5Dict:
    """A dict-like view of an HDF5 file/group, or of a Python dict (the same code saves both).

    Arrays become datasets, strings and numbers become attributes, and ``h5dict['group']``
    opens (or in write mode creates) a sub-group as another ``H5Dict``.

    Args:
        path: a file path, an open ``h5py.File``/``h5py.Group``, or a dict.
        mode: ``'a'`` (read/write, the default), ``'r'`` (read-only) or ``'w'`` (truncate).
    """

    def __init__(self, path, mode="a"):
        if mode not in ("a", "r", "w"):
            raise ValueError(f"H5Dict: `mode` must be 'a', 'r' or 'w'. Received: mode={mode!r}")
        self.read_only = mode == "r"
        self._is_file = False
        if isinstance(path, h5py.Group):
            self.data, self._is_dict = path, False
        elif isinstance(path, dict):
            self.data, self._is_dict = path, True
        elif isinstance(path, (str, os.PathLike)):
            self.data, self._is_dict = h5py.File(path, mode), False
            self._is_file = True
        else:
            raise TypeError("H5Dict: `path` must be a file path, an h5py File/Group or a dict. "
                            f"Received: {type(path).__name__}")

    @staticmethod
    def is_supported_type(path):
        """Whether ``path`` can back an H5Dict."""
        return isinstance(path, (str, os.PathLike, dict, h5py.Group))

    def _check_writable(self):
        if self.read_only:
            raise ValueError("H5Dict: cannot write to a read-only H5Dict (opened with mode='r').")

    def __setitem__(self, key, value):
        self._check_writable()
        if self._is_dict:
            self.data[key] = value
            return
        if key in self.data.attrs or key in self.data:
            raise KeyError(f"H5Dict: cannot set attribute {key!r}: it already exists.")
        if isinstance(value, np.ndarray):
            dataset = self.data.create_dataset(key, value.shape, dtype=value.dtype)
            if value.shape:
                dataset[...] = value
            else:
                dataset[()] = value
        elif isinstance(value, (list, tuple)) and value and isinstance(value[0], str):
            self.data.attrs[key] = np.array([v.encode("utf8") for v in value])
        else:
            if isinstance(value, str) and len(value.encode("utf8")) > HDF5_OBJECT_HEADER_LIMIT:
                raise ValueError(f"H5Dict: the value of {key!r} is larger than the "
                                 f"{HDF5_OBJECT_HEADER_LIMIT} bytes an HDF5 attribute can hold.")
            self.data.attrs[key] = value

    def __getitem__(self, key):
        if self._is_dict:
            if key not in self.data:
                if self.read_only:
                    raise KeyError(f"H5Dict: no key {key!r}.")
                self.data[key] = {}
            value = self.data[key]
            return H5Dict(value, "r" if self.read_only else "a") if isinstance(value,
                                                                               dict) else value
        if key in self.data.attrs:
            value = self.data.attrs[key]
            if isinstance(value, bytes):
                return value.decode("utf8")
            if isinstance(value, np.ndarray) and value.dtype.kind == "S":
                return [v.decode("utf8") for v in value]
            return value
        if key in self.data:
            value = self.data[key]
            if isinstance(value, h5py.Group):
                return H5Dict(value, "r" if self.read_only else "a")
            return value[()]
        if self.read_only:
            raise KeyError(f"H5Dict: no key {key!r} in {self.data.name!r}.")
        return H5Dict(self.data.create_group(key))

    def __contains__(self, key):
        return key in self.data or (not self._is_dict and key in self.data.attrs)

    def __len__(self):
        return len(self.data) + (0 if self._is_dict else len(self.data.attrs))

    def __iter__(self):
        yield from self.data
        if not self._is_dict:
            yield from self.data.attrs

    def keys(self):
        return list(iter(self))

    def get(self, key, default=None):
        return self[key] if key in self else default

    def update(self, *args, **kwargs):
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def iter(self):
        return iter(self)

    def close(self):
        """Close the file if this H5Dict opened it (groups and dicts stay open)."""
        if self._is_file and self.data.id.valid:
            self.data.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown: h5py may already be gone
            pass


h5dict = H5Dict


def save_to_binary_h5py(save_function, stream):
    """Run ``save_function(h5file)`` on an in-memory HDF5 file and write its bytes to ``stream``."""
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        save_function(f)
    stream.write(buffer.getvalue())


def load_from_binary_h5py(load_function, stream):
    """Open the HDF5 bytes read from ``stream`` and return ``load_function(h5file)``."""
    with h5py.File(io.BytesIO(stream.read()), "r") as f:
        return load_function(f)


def ask_to_proceed_with_overwrite(filepath):
    """Ask on the terminal whether to overwrite ``filepath``; True for yes."""
    answer = input(f"[WARNING] {filepath} already exists - overwrite? [y/n]").strip().lower()
    while answer not in ("y", "n"):
        answer = input('Enter "y" (overwrite) or "n" (cancel).').strip().lower()
    if answer == "n":
        return False
    print("[TIP] Next time specify overwrite=True!")
    return True
