"""Atomic file writes: write a temporary file next to the target, fsync it, rename it.

The temporary file is ``.<name>.<pid>.<random>.tmp`` in the target's directory: hidden, with
another extension, so it is never taken for the file itself. A process killed during a save
leaves it behind; the next save to the same place removes such leftovers once the process
that wrote them is gone (or, for leftovers of another machine or an older openkeras, once
they are a day old).
"""

import contextlib
import os
import re
import tempfile
import time

# Leftovers whose writer cannot be checked (another machine, no pid in the name) are removed
# after this many seconds without a change.
STALE_AFTER_S = 24 * 3600
_ACTIVE = set()  # temporary files this process is writing right now


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
    remove_leftovers(filepath)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(filepath)}.{os.getpid()}.",
                               suffix=".tmp", dir=directory)
    os.close(fd)
    _ACTIVE.add(tmp)
    try:
        yield tmp
        _fsync_file(tmp)
        os.chmod(tmp, _final_mode(filepath))
        os.replace(tmp, filepath)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    finally:
        _ACTIVE.discard(tmp)
    _fsync_dir(directory)


def remove_leftovers(filepath):
    """Remove the temporary files of interrupted saves to ``filepath``; return their paths.

    A leftover is removed when the process that wrote it no longer runs (its pid is in the
    name), or when it has not changed for ``STALE_AFTER_S`` seconds; the temporary files of
    saves still running, in this process or another, are left alone.

    Args:
        filepath: the final path of a file saved with ``atomic_path``.
    """
    filepath = os.fspath(filepath)
    directory = os.path.dirname(os.path.abspath(filepath))
    pattern = re.compile(r"\." + re.escape(os.path.basename(filepath)) +
                         r"\.(?:(\d+)\.)?[A-Za-z0-9_]+\.tmp")
    removed = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    for name in names:
        match = pattern.fullmatch(name)
        path = os.path.join(directory, name)
        if match is None or path in _ACTIVE or not _is_stale(path, match.group(1)):
            continue
        with contextlib.suppress(OSError):
            os.remove(path)
            removed.append(path)
    return removed


def _is_stale(path, pid):
    try:
        age = time.time() - os.stat(path).st_mtime
    except OSError:
        return False
    if age > STALE_AFTER_S:
        return True
    if pid is None:
        return False
    pid = int(pid)
    if pid == os.getpid():  # ours, but not a save in progress (that is in _ACTIVE)
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OSError, OverflowError):
        return False  # alive under another user, or unknowable
    return False


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
