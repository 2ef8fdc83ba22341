"""Atomic file writes: write a temporary file next to the target, fsync it, rename it."""

import contextlib
import os
import tempfile


@contextlib.contextmanager
def atomic_path(filepath):
    """Yield a temporary path next to ``filepath``; on success it replaces ``filepath``.

    The temporary file is fsync'ed before ``os.replace`` (atomic on POSIX and Windows), and
    the directory is fsync'ed after it, so a crash or a kill during a save leaves either the
    previous file or the new one, never a half-written file. On error the temporary file is
    removed and the previous file is untouched.

    Args:
        filepath: the final path of the file.
    """
    filepath = os.fspath(filepath)
    directory = os.path.dirname(os.path.abspath(filepath))
    if not os.path.isdir(directory):
        raise FileNotFoundError(
            f"Cannot save to {filepath!r}: the directory {directory!r} does not exist."
        )
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(filepath)}.", suffix=".tmp",
                               dir=directory)
    os.close(fd)
    try:
        yield tmp
        _fsync_file(tmp)
        os.chmod(tmp, _final_mode(filepath))
        os.replace(tmp, filepath)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    _fsync_dir(directory)


@contextlib.contextmanager
def atomic_open(filepath, mode="wb"):
    """Open a temporary file for writing that atomically replaces ``filepath`` when closed.

    Args:
        filepath: the final path of the file.
        mode: ``'wb'`` or ``'w'``.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open only writes files. Received: mode={mode!r}")
    with atomic_path(filepath) as tmp:
        encoding = None if "b" in mode else "utf-8"
        with open(tmp, mode, encoding=encoding) as f:
            yield f
            f.flush()


def _fsync_file(path):
    with open(path, "rb") as f:
        os.fsync(f.fileno())


def _fsync_dir(directory):
    if not hasattr(os, "O_DIRECTORY"):  # Windows cannot open a directory
        return
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        with contextlib.suppress(OSError):  # some filesystems refuse fsync on directories
            os.fsync(fd)
    finally:
        os.close(fd)


def _final_mode(filepath):
    """The replaced file's mode, or what a plain open() would give (mkstemp makes 0600)."""
    try:
        return os.stat(filepath).st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
