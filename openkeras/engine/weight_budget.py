"""A bound on the weights a model rebuilt from a file may allocate.

A config is a few bytes, but ``Dense(10**6)`` in it asks for gigabytes of weights before any
check of the weights can run. While a file is loaded, ``Layer.add_weight`` charges each new
weight here and is refused once the model would hold far more than the file could fill.
"""

import contextlib

_LIMITS = []  # [limit in bytes, bytes used, what the limit comes from]


@contextlib.contextmanager
def limit(nbytes, source):
    """Refuse new weights beyond ``nbytes`` in all inside the block.

    Args:
        nbytes: the most weight bytes the model may have.
        source: what sets the limit, for messages (e.g. "file 'm.h5' stores 1234 bytes").
    """
    _LIMITS.append([int(nbytes), 0, source])
    try:
        yield
    finally:
        _LIMITS.pop()


def charge(layer_name, weight_name, shape, itemsize):
    """Count a new weight against the current limit (nothing when no file is being loaded)."""
    if not _LIMITS:
        return
    entry = _LIMITS[-1]
    size = itemsize
    for d in shape:
        size *= max(int(d), 0)
    entry[1] += size
    if entry[1] > entry[0]:
        raise ValueError(
            f"Layer {layer_name!r}: weight {weight_name!r} of shape {tuple(shape)} brings the "
            f"model to {entry[1]} bytes of weights, more than openkeras allocates for this "
            f"load ({entry[0]} bytes: {entry[2]}). The config asks for far larger weights than "
            "the file holds.")
