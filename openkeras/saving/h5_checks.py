"""Reading HDF5 files that may be damaged or hostile, and the checksums openkeras writes.

- ``open_h5`` refuses files with external links (links into other files), so no file can
  make another file's bytes become weights.
- ``read_dataset`` refuses datasets stored outside the file (external storage, virtual
  datasets), datasets that are not plain numbers, and datasets whose declared size does not
  fit what the file stores, before reading a byte.
- ``weights_digest`` / ``attrs_digest`` are the sha256 checksums stored in the
  ``openkeras_digest`` attribute of the files openkeras writes (next to HDF5's fletcher32
  filter on each weight dataset) and verified when they are read.
"""

import collections
import hashlib
import os
import select
import signal
import time

import h5py
import numpy as np

from openkeras.saving.errors import FileFormatError, FileIntegrityError, UnsafeFileError, describe

DIGEST_ATTR = "openkeras_digest"
_DIGEST_PREFIX = "sha256:"
# Files with more HDF5 links than this are refused (a Keras file has a few per weight).
MAX_LINKS = 1_000_000
# A compressed dataset may not declare more than this many times its stored size.
MAX_COMPRESSION_RATIO = 1100
# How long the child process of ``probe`` may take to read a file's metadata.
PROBE_TIMEOUT_S = 4.0
# Files a probe passed, by ``_identity`` (most recent last), and how many are remembered.
_PROBED = collections.OrderedDict()
_PROBED_MAX = 256


def open_h5(filepath, mode="r"):
    """Open an HDF5 file (refusing external links when reading) or raise a clear error."""
    filepath = os.fspath(filepath)
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"No file or directory found at {filepath}")
    try:
        f = h5py.File(filepath, mode)
    except OSError as e:
        raise FileFormatError(f"Cannot read {filepath!r} as a Keras HDF5 file: {e}") from e
    if mode == "r":
        try:
            check_structure(f, filepath)
        except BaseException:
            f.close()
            raise
    return f


def check_structure(group, filepath):
    """The checks of an open file or group before anything is parsed: ``probe``, ``check_links``."""
    probe(group.file, filepath)
    check_links(group, filepath)


def _read_everything_small(f):
    """Walk the file and read every attribute (what a load reads before the weights)."""
    def visit(name, obj):
        for key in obj.attrs:
            obj.attrs[key]  # noqa: B018 - reading it is the point

    for key in f.attrs:
        f.attrs[key]  # noqa: B018
    f.visititems(visit)
    f.visititems_links(lambda name, link: None)


def probe(f, filepath, timeout=None):
    """Read the file's structure and attributes in a child process first.

    A few kinds of damage (a corrupted global heap under a string attribute, a looping
    B-tree) make the HDF5 library itself loop forever, where Python cannot interrupt it.
    The child meets them instead, and is killed after ``timeout`` seconds; the parent then
    reads the same (now known to be readable) places itself. A file opened read-only whose
    bytes are unchanged since a probe passed (same device, inode, size, modification and
    change times) is not probed again: reading the same bytes cannot loop where the probe
    did not. Where ``fork`` does not exist the probe is skipped.
    """
    if not hasattr(os, "fork"):
        return
    identity = _identity(f)
    if identity is not None and identity in _PROBED:
        _PROBED.move_to_end(identity)
        return
    timeout = PROBE_TIMEOUT_S if timeout is None else timeout
    pid = os.fork()
    if pid == 0:  # the child: read, report by exit status, never return into the caller
        code = 0
        try:
            _read_everything_small(f)
        except BaseException:  # noqa: BLE001 - errors are for the parent to find and report
            code = 1
        os._exit(code)
    status = _wait(pid, timeout)
    if status is None:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        raise FileFormatError(
            f"{describe(filepath)} is damaged: reading its structure and attributes did not "
            f"finish in {timeout} s (the HDF5 library loops on damaged metadata).")
    if os.WIFSIGNALED(status):
        raise FileFormatError(f"{describe(filepath)} is damaged: reading its structure crashed "
                              f"the HDF5 library (signal {os.WTERMSIG(status)}).")
    if identity is not None:
        _PROBED[identity] = True
        while len(_PROBED) > _PROBED_MAX:
            _PROBED.popitem(last=False)


def _identity(f):
    """What identifies the bytes of the file ``f`` has open read-only (device, inode, size,
    modification and change times), or None when that cannot be known (a file in memory or
    open for writing)."""
    if f.mode != "r":
        return None
    try:
        fd = f.id.get_vfd_handle()
    except (RuntimeError, OSError, ValueError, TypeError):  # drivers without a descriptor
        return None
    if not isinstance(fd, int):
        return None
    st = os.fstat(fd)
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _wait(pid, timeout):
    """The exit status of child ``pid``, or None if it runs longer than ``timeout`` seconds."""
    if hasattr(os, "pidfd_open"):  # woken when the child exits, instead of polling
        fd = os.pidfd_open(pid)
        try:
            poller = select.poll()
            poller.register(fd, select.POLLIN)
            if not poller.poll(timeout * 1000):
                return None
        finally:
            os.close(fd)
        return os.waitpid(pid, 0)[1]
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        if time.monotonic() > deadline:
            return None
        time.sleep(0.002)


def check_links(group, filepath=None):
    """Raise UnsafeFileError if anything under ``group`` is an external link."""
    count = 0

    def visit(name, link):  # a non-None return stops the walk (raising inside h5py cannot)
        nonlocal count
        count += 1
        if count > MAX_LINKS or isinstance(link, h5py.ExternalLink):
            return name, link
        return None

    try:
        found = group.visititems_links(visit)
    except (RuntimeError, OSError, SystemError) as e:
        raise FileFormatError(f"Cannot list the contents of {describe(filepath)}: {e}") from e
    if found is None:
        return
    name, link = found
    if not isinstance(link, h5py.ExternalLink):
        raise FileFormatError(f"{describe(filepath)} has more than {MAX_LINKS} HDF5 links.")
    raise UnsafeFileError(
        f"{describe(filepath)}: {name!r} is an HDF5 external link to {link.filename!r}:"
        f"{link.path!r}. openkeras does not follow links into other files (they could make any "
        "readable file's bytes become weights).")


def dataset_shape(obj, where):
    """The declared shape of a weight dataset, after checking it is one (nothing is read)."""
    if not isinstance(obj, h5py.Dataset):
        raise FileFormatError(f"{where} is a {type(obj).__name__}, expected a weight dataset.")
    if obj.dtype.kind not in "biuf":
        raise FileFormatError(f"{where} holds {obj.dtype} data; weights are numbers.")
    return tuple(obj.shape) if obj.shape is not None else ()


def read_dataset(obj, where):
    """The array in dataset ``obj`` after the checks above; ``where`` names it in errors."""
    shape = dataset_shape(obj, where)
    plist = obj.id.get_create_plist()
    if obj.is_virtual or plist.get_external_count():
        raise UnsafeFileError(f"{where} keeps its data outside the file (external storage or a "
                              "virtual dataset); openkeras reads only data stored in the file.")
    declared = int(np.prod(shape, dtype=object)) * obj.dtype.itemsize
    stored = obj.id.get_storage_size()
    compressed = plist.get_nfilters() and any(
        plist.get_filter(i)[0] != h5py.h5z.FILTER_FLETCHER32 for i in range(plist.get_nfilters()))
    limit = stored * MAX_COMPRESSION_RATIO + 2**20 if compressed else stored
    if declared > limit and not (stored == 0 and declared <= 2**20):  # small unwritten: fill
        raise FileFormatError(f"{where} declares shape {shape} ({declared} bytes) but the file "
                              f"stores only {stored} bytes for it.")
    try:
        return np.asarray(obj[()])
    except OSError as e:
        kind = FileIntegrityError if "checksum" in str(e) or "filter" in str(e) else FileFormatError
        raise kind(f"{where} cannot be read, the file is damaged ({e}).") from e


# ----------------------------------------------------------------------------- checksums
def _attr_bytes(value):
    if isinstance(value, str):
        return b"s" + value.encode("utf-8")
    if isinstance(value, bytes):
        return b"b" + value
    array = np.asarray(value)
    if array.dtype.kind in "OSU":
        items = [v.item() if isinstance(v, np.generic) else v for v in array.ravel()]
        return b"l" + repr(array.shape).encode() + b"\0".join(_attr_bytes(v) for v in items)
    return array.dtype.str.encode() + repr(array.shape).encode() + array.tobytes()


def _update_attrs(hasher, attrs, label, only=None):
    for key in sorted(attrs):
        if key == DIGEST_ATTR or (only is not None and not only(key)):
            continue
        hasher.update(f"{label}@{key}=".encode())
        hasher.update(_attr_bytes(attrs[key]))


def attrs_digest(*groups, only=None):
    """Checksum over the attributes (but not the contents) of ``groups``.

    Args:
        only: a predicate on attribute names; when given, other attributes (a user's own
            notes on the file) are left out.
    """
    hasher = hashlib.sha256()
    for i, group in enumerate(groups):
        _update_attrs(hasher, group.attrs, str(i), only)
    return _DIGEST_PREFIX + hasher.hexdigest()


def weights_digest(group, names, arrays):
    """Checksum over a weights group's attributes and its arrays (as written or as read)."""
    hasher = hashlib.sha256()
    _update_attrs(hasher, group.attrs, "")
    for name, array in zip(names, arrays, strict=True):
        array = np.ascontiguousarray(array)
        hasher.update(f"{name}|{array.dtype.str}|{array.shape}|".encode())
        hasher.update(array.tobytes())
    return _DIGEST_PREFIX + hasher.hexdigest()


def bytes_digest(data):
    """Checksum of raw bytes (the members of a ``.keras`` archive), in the same spelling."""
    return _DIGEST_PREFIX + hashlib.sha256(data).hexdigest()


def verify(group, digest, where):
    """Compare ``digest`` with the one stored on ``group`` (files without one pass)."""
    stored = group.attrs.get(DIGEST_ATTR)
    if stored is None:
        return
    stored = stored.decode("utf-8", "replace") if isinstance(stored, (bytes, np.bytes_)) \
        else str(stored)
    if stored != digest:
        raise FileIntegrityError(f"{where} is damaged: its checksum does not match what "
                                 "openkeras wrote.")
