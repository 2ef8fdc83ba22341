"""The Keras backend API (used as ``K``) on torch."""

from openkeras.backend.naming import get_uid, reset_uids  # noqa: F401
from openkeras.config import (  # noqa: F401
    epsilon,
    floatx,
    image_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)


def clear_session() -> None:
    """Reset layer-name counters, as Keras's clear_session does for names."""
    reset_uids()


def int_shape(x):
    """The shape of a tensor as a tuple of ints (None where unknown)."""
    shape = getattr(x, "shape", None)
    if shape is None:
        raise ValueError(f"int_shape expects a tensor. Received: {x!r}")
    return tuple(None if d is None else int(d) for d in shape)
