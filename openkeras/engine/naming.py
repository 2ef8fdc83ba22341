"""Unique object names (dense, dense_1, ...) as Keras hands them out."""

import collections

_UIDS = collections.defaultdict(int)


def get_uid(prefix: str = "") -> int:
    """1 on the first call for a prefix, then 2, 3, ..."""
    _UIDS[prefix] += 1
    return _UIDS[prefix]


def unique_object_name(prefix: str) -> str:
    """'dense' the first time, then 'dense_1', 'dense_2', ... (tf.keras naming)."""
    n = get_uid(prefix)
    return prefix if n == 1 else f"{prefix}_{n - 1}"


def reset_uids() -> None:
    """Forget every prefix: the next names are dense, conv2d, ... again."""
    _UIDS.clear()
