"""Downloading and caching files (`get_file`) and the `Sequence` base class."""

import hashlib
import os
import tarfile
import tempfile
import urllib.error
import urllib.request
import warnings
import zipfile
from urllib.parse import urlsplit

from openkeras import config
from openkeras.engine.lazy_exports import lazy_exports
from openkeras.utils import enqueuers
from openkeras.utils.progbar import Progbar

_CHUNK_SIZE = 65535


class DownloadError(OSError):
    """A file could not be fetched and no valid cached copy exists."""


def _resolve_hasher(algorithm, file_hash):
    if algorithm not in ("auto", "sha256", "md5"):
        raise ValueError(
            f"Unknown hash algorithm. Expected 'md5', 'sha256' or 'auto'. Received: "
            f"hash_algorithm={algorithm!r}"
        )
    if algorithm == "auto":
        return "sha256" if len(file_hash) == 64 else "md5"
    return algorithm


def _hash_file(fpath, algorithm="sha256", chunk_size=_CHUNK_SIZE) -> str:
    """The hex digest of a file.

    Args:
        fpath: Path to the file.
        algorithm: 'sha256', 'md5' or 'auto' (sha256).
        chunk_size: Bytes read at a time.
    """
    hasher = hashlib.sha256() if algorithm in ("sha256", "auto") else hashlib.md5()
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath, file_hash, algorithm="auto", chunk_size=_CHUNK_SIZE) -> bool:
    """Whether a file's sha256 or md5 hash equals `file_hash`.

    Args:
        fpath: Path to the file.
        file_hash: Expected hex digest.
        algorithm: 'sha256', 'md5' or 'auto' (sha256 for a 64-character hash).
        chunk_size: Bytes read at a time.
    """
    hasher = _resolve_hasher(algorithm, str(file_hash))
    return _hash_file(fpath, hasher, chunk_size) == str(file_hash)


def _check_tar_members(archive, path):
    """Refuse members that would land outside `path` (for Pythons without tar filters)."""
    root = os.path.realpath(path)
    for member in archive.getmembers():
        target = os.path.realpath(os.path.join(root, member.name))
        if os.path.commonpath([root, target]) != root or member.issym() or member.islnk():
            raise ValueError(f"Refusing to extract unsafe archive member: {member.name!r}")


def _extract_archive(file_path, path=".", archive_format="auto") -> bool:
    """Extract a tar or zip archive into `path`; True if the file was an archive.

    Args:
        file_path: Path to the archive.
        path: Folder to extract into.
        archive_format: 'auto' (tar then zip), 'tar', 'zip', a list of those, or None.
    """
    if archive_format is None:
        return False
    if archive_format == "auto":
        archive_format = ["tar", "zip"]
    if isinstance(archive_format, str):
        archive_format = [archive_format]
    for kind in archive_format:
        if kind == "tar":
            is_archive, opener = tarfile.is_tarfile, tarfile.open
        elif kind == "zip":
            is_archive, opener = zipfile.is_zipfile, zipfile.ZipFile
        else:
            raise ValueError(
                "Unknown archive format. Expected 'tar' or 'zip'. "
                f"Received: archive_format={kind!r}"
            )
        if not is_archive(file_path):
            continue
        with opener(file_path) as archive:
            if kind == "tar" and hasattr(tarfile, "data_filter"):
                archive.extractall(path, filter="data")
            else:
                if kind == "tar":
                    _check_tar_members(archive, path)
                archive.extractall(path)  # zipfile already drops '..' and absolute parts
        return True
    return False


def _cache_folder(cache_dir, cache_subdir):
    datadir = os.path.join(os.path.expanduser(cache_dir), cache_subdir)
    try:
        os.makedirs(datadir, exist_ok=True)
    except PermissionError:  # as Keras: an unwritable cache folder falls back to /tmp/.keras
        datadir = os.path.join(tempfile.gettempdir(), ".keras", cache_subdir)
        os.makedirs(datadir, exist_ok=True)
    return datadir


def _download(origin, fpath, file_hash, hasher):
    """Fetch `origin` into a temporary file next to `fpath`, check it, then rename."""
    print("Downloading data from", origin)
    folder, name = os.path.split(fpath)
    fd, tmp_path = tempfile.mkstemp(dir=folder, prefix=name + ".", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(origin) as response:
            total = response.headers.get("Content-Length")
            progbar = Progbar(int(total) if total else None)
            seen = 0
            for chunk in iter(lambda: response.read(8192 * 16), b""):
                out.write(chunk)
                seen += len(chunk)
                progbar.update(seen)
            if progbar.target is None:
                progbar.target = seen
                progbar.update(seen, finalize=True)
            out.flush()
            os.fsync(out.fileno())
        if file_hash is not None and not validate_file(tmp_path, file_hash, hasher):
            raise ValueError(
                f"Incomplete or corrupted file detected. The {hasher} file hash of the file "
                f"downloaded from {origin} ({_hash_file(tmp_path, hasher)}) does not match the "
                f"provided value of {file_hash}."
            )
        os.replace(tmp_path, fpath)
    finally:
        if os.path.exists(tmp_path):
            os.remove(tmp_path)


def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None,
             cache_subdir="datasets", hash_algorithm="auto", extract=False,
             archive_format="auto", cache_dir=None) -> str:
    """Download a file from a URL unless a valid copy is already in the cache.

    The file is stored at `<cache_dir>/<cache_subdir>/<fname>`, where `cache_dir`
    defaults to `openkeras.config.config_dir()` (`$KERAS_HOME`, else `~/.keras`, as
    Keras), so files a Keras installation already downloaded are found. A cached copy
    whose hash does not match `file_hash` causes a warning and a fresh download; if that
    download fails (offline), the error names the file, the place to put it and the
    expected hash.

    Args:
        fname: Name of the file (or of the extracted folder with `untar=True`);
            defaults to the last part of `origin`.
        origin: Original URL of the file.
        untar: Deprecated in favour of `extract`; extract the `.tar.gz` file and
            return the folder it unpacked (an already extracted folder is used
            even when the archive itself is gone).
        md5_hash: Deprecated in favour of `file_hash`; md5 hash for verification.
        file_hash: Expected sha256 or md5 hash of the file; None skips the check.
        cache_subdir: Subfolder of the cache folder; an absolute path is used as is.
        hash_algorithm: 'md5', 'sha256' or 'auto' (guessed from the hash length).
        extract: Whether to extract an archive after fetching it.
        archive_format: 'auto', 'tar', 'zip', or None, for `extract`.
        cache_dir: Cache folder; default `openkeras.config.config_dir()`.

    Returns:
        Path to the file (or to the extracted folder with `untar=True`).
    """
    if origin is None:
        raise ValueError('Please specify the "origin" argument (URL of the file to download).')
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    hasher = _resolve_hasher(hash_algorithm, file_hash) if file_hash is not None else None
    datadir = _cache_folder(_cache_root(cache_dir), cache_subdir)
    fname = os.fspath(fname) if fname else os.path.basename(urlsplit(origin).path)
    if not fname:
        raise ValueError(f"Can't parse the file name from the origin provided: '{origin}'. "
                         "Please specify the `fname` argument.")
    untar_fpath = None
    if untar:
        if fname.endswith(".tar.gz"):
            fname = fname[: -len(".tar.gz")]
        untar_fpath = os.path.join(datadir, fname)
        fpath = untar_fpath + ".tar.gz"
        if os.path.isdir(untar_fpath) and not os.path.exists(fpath):
            return untar_fpath  # already extracted; the archive itself is not needed
    else:
        fpath = os.path.join(datadir, fname)

    stale = None
    if os.path.exists(fpath) and file_hash is not None:
        if not validate_file(fpath, file_hash, hasher):
            stale = _hash_file(fpath, hasher)
            warnings.warn(
                f"A local file was found at {fpath}, but its {hasher} hash ({stale}) does not "
                f"match the expected value of {file_hash}, so it will be downloaded again.",
                stacklevel=2,
            )
    if not os.path.exists(fpath) or stale is not None:
        try:
            _download(origin, fpath, file_hash, hasher)
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", None) or e
            where = f"If this machine is offline, download {origin} elsewhere and put it at {fpath}"
            if file_hash is not None:
                where += f" (expected {hasher} hash: {file_hash})"
            if stale is not None:
                where = (f"The cached file {fpath} has {hasher} hash {stale}, not the expected "
                         f"{file_hash}. " + where)
            raise DownloadError(f"URL fetch failure on {origin}: {reason}. {where}.") from e
    if untar:
        if not os.path.exists(untar_fpath):
            _extract_archive(fpath, datadir, archive_format="tar")
        return untar_fpath
    if extract:
        _extract_archive(fpath, datadir, archive_format)
    return fpath


def _cache_root(cache_dir):
    """`cache_dir`, or the Keras folder (read now, so a changed $KERAS_HOME applies)."""
    return cache_dir if cache_dir is not None else config.config_dir()


class Sequence:
    """Base class for a dataset indexed by batch: implement `__getitem__` and `__len__`.

    `model.fit` calls `on_epoch_end` after each epoch (e.g. to reshuffle), and
    iterating a Sequence yields its batches once, in order.
    """

    def __getitem__(self, index):
        """The batch at position `index`."""
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__.")

    def __len__(self):
        """The number of batches in the Sequence."""
        raise NotImplementedError(f"{type(self).__name__} must implement __len__.")

    def on_epoch_end(self):
        """Called at the end of every epoch."""

    def __iter__(self):
        for index in range(len(self)):
            yield self[index]


# Keras 2 exported its enqueuers from data_utils; they read through engine.prefetch, above
# utils, so they resolve on first access.
__getattr__ = lazy_exports(__name__, {name: f"openkeras.engine.enqueuers:{name}"
                                      for name in enqueuers.NAMES})
