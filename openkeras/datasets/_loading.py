"""What the dataset loaders share: fetching with hash checks and safe file reading.

Hash checks. Every loader checks the published hash of the file it reads. A
copy with the same data but other bytes (e.g. a re-zipped `mnist.npz`) fails
that check; load it anyway with `verify=False` or by setting the environment
variable `OPENKERAS_VERIFY_DATASETS=0` (which also covers unchanged Keras
scripts that call `load_data()` without arguments).

No arbitrary unpickling. CIFAR batches are pickles and `imdb.npz` /
`reuters.npz` hold object arrays, which `np.load(allow_pickle=True)` would read
with the full pickle machinery. Here they go through `RestrictedUnpickler`,
which builds only plain data: dicts, lists, tuples, strings, bytes, numbers
and numpy arrays.
"""

import codecs
import os
import pickle
import zipfile

import numpy as np

from openkeras.saving.errors import FileFormatError, UnsafeFileError, reading
from openkeras.utils.data_utils import DownloadError, get_file

ORIGIN_FOLDER = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
VERIFY_ENV = "OPENKERAS_VERIFY_DATASETS"
# An .npz member may expand at most this many times (the published files compress ~4x).
MAX_RATIO = 200


def verify_enabled(verify=None) -> bool:
    """`verify` if given, else whether $OPENKERAS_VERIFY_DATASETS allows hash checks."""
    if verify is not None:
        return bool(verify)
    return os.environ.get(VERIFY_ENV, "1").strip().lower() not in ("0", "false", "no", "off")


def fetch(fname, origin, file_hash, verify=None, **kwargs) -> str:
    """`get_file` with the published hash, unless hash checks are turned off.

    Args:
        fname: File name in the cache (see `get_file`).
        origin: Published URL.
        file_hash: Published sha256 or md5 hash.
        verify: Check the hash; None reads $OPENKERAS_VERIFY_DATASETS (default on).
        **kwargs: Passed on to `get_file` (`cache_subdir`, `untar`).
    """
    check = verify_enabled(verify)
    try:
        return get_file(fname, origin=origin, file_hash=file_hash if check else None, **kwargs)
    except DownloadError as e:
        if not check:
            raise
        raise DownloadError(
            f"{e} To use a local copy whose bytes differ from the published file, pass "
            f"verify=False or set the environment variable {VERIFY_ENV}=0."
        ) from e


def _reconstruct(cls, shape, dtype):
    if cls is not np.ndarray:
        raise pickle.UnpicklingError(f"Refusing to rebuild an array of class {cls!r}.")
    return np.ndarray(shape, np.dtype(dtype))


def _scalar(dtype, data=None):
    if dtype.hasobject:
        raise pickle.UnpicklingError("Refusing to rebuild an object scalar.")
    if isinstance(data, str):
        data = data.encode("latin1")
    return np.frombuffer(data, dtype)[0]


def _encode(text, encoding="utf-8"):
    # Python 3 writes bytes into protocol-2 pickles as _codecs.encode(str, 'latin1').
    if codecs.lookup(encoding).name not in ("latin-1", "iso8859-1", "utf-8"):
        raise pickle.UnpicklingError(f"Refusing codec {encoding!r}.")
    return codecs.encode(text, encoding)


_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy.core.multiarray", "scalar"): _scalar,
    ("numpy._core.multiarray", "scalar"): _scalar,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("_codecs", "encode"): _encode,
}


class RefusedObjectError(UnsafeFileError, pickle.UnpicklingError):
    """A dataset pickle names something other than plain data."""


class RestrictedUnpickler(pickle.Unpickler):
    """An Unpickler that builds plain data and numpy arrays, and refuses everything else."""

    def find_class(self, module, name):
        found = _ALLOWED.get((module, name))
        if found is None:
            raise RefusedObjectError(
                f"Refusing to load {module}.{name}: dataset files may only hold plain data "
                "(dicts, lists, strings, bytes, numbers and numpy arrays)."
            )
        return found


def restricted_load(fileobj, encoding="bytes"):
    """Read one pickle from `fileobj` with `RestrictedUnpickler`."""
    return RestrictedUnpickler(fileobj, encoding=encoding).load()


def load_npz(path) -> dict:
    """All arrays of an `.npz` file; object arrays are read with `RestrictedUnpickler`.

    A damaged or hostile file gives a `FileFormatError` naming the file and the member: each
    member's declared shape is checked against its stored size before it is read.
    """
    arrays = {}
    with reading(path, "the archive"):
        archive = zipfile.ZipFile(path)
    with archive:
        for info in archive.infolist():
            member = info.filename
            if not member.endswith(".npy"):
                continue
            with reading(path, f"member {member}"):
                arrays[member[: -len(".npy")]] = _read_member(archive, info)
    return arrays


def _read_member(archive, info):
    fmt = np.lib.format
    if info.file_size > MAX_RATIO * max(info.compress_size, 1) + 2**20:
        raise FileFormatError(f"it declares {info.file_size} bytes from {info.compress_size} "
                              f"compressed (more than {MAX_RATIO} times).")
    with archive.open(info) as f:
        version = fmt.read_magic(f)
        read_header = fmt.read_array_header_1_0 if version == (1, 0) else (
            fmt.read_array_header_2_0)
        shape, fortran_order, dtype = read_header(f)
        if dtype.hasobject:
            array = restricted_load(f, encoding="latin1")
            if not isinstance(array, np.ndarray):
                raise FileFormatError("it is not an array.")
            return array
        count = int(np.prod(shape, dtype=object))
        if count * dtype.itemsize > info.file_size:
            raise FileFormatError(f"it declares shape {shape} of {dtype} ({count * dtype.itemsize}"
                                  f" bytes) but stores {info.file_size} bytes.")
        data = f.read(count * dtype.itemsize)
        if len(data) != count * dtype.itemsize:
            raise FileFormatError(f"it is truncated ({len(data)} of {count * dtype.itemsize} "
                                  "bytes).")
        order = "F" if fortran_order else "C"
        return np.frombuffer(data, dtype, count).reshape(shape, order=order).copy()


def remove_long_seq(maxlen, seq, label):
    """Keep the sequences shorter than `maxlen` and their labels."""
    kept = [(x, y) for x, y in zip(seq, label, strict=True) if len(x) < maxlen]
    return [x for x, _ in kept], [y for _, y in kept]


def index_words(xs, start_char, index_from):
    """Shift word ids by `index_from` and prepend `start_char` (the imdb/reuters layout)."""
    if start_char is not None:
        return [[start_char] + [w + index_from for w in x] for x in xs]
    if index_from:
        return [[w + index_from for w in x] for x in xs]
    return [list(x) for x in xs]


def limit_vocabulary(xs, num_words, skip_top, oov_char):
    """Replace (or drop, when `oov_char` is None) ids outside `[skip_top, num_words)`."""
    if not num_words:
        num_words = max(max(x) for x in xs if len(x)) if xs else 0
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    return [[w for w in x if skip_top <= w < num_words] for x in xs]


def object_array(seqs) -> np.ndarray:
    """A 1-D object array of lists (what Keras returns for word sequences)."""
    out = np.empty(len(seqs), dtype=object)
    for i, s in enumerate(seqs):
        out[i] = s
    return out
