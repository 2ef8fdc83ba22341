"""Whether a compiled step is being traced (engine/compiled_step.py sets it).

Code that reads tensor values on the host to choose a path (an RNN finding its mask's
lengths) takes the value-independent path while tracing: the graph must be right for every
batch, not only the traced one.
"""

import contextlib

_ACTIVE = [False]


class Unsupported(RuntimeError):
    """Raised while tracing by code that has no traceable form; the message says why (the
    compiled step then runs eagerly)."""


def active() -> bool:
    """True while a train or predict step is being traced for compilation."""
    return _ACTIVE[0]


@contextlib.contextmanager
def tracing():
    """Inside: ``active()`` is True."""
    previous, _ACTIVE[0] = _ACTIVE[0], True
    try:
        yield
    finally:
        _ACTIVE[0] = previous
