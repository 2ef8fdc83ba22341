"""Shared helpers of the misuse suite: a wrong usage must fail with a clear error.

A clear error has the expected type (never a bare KeyError / IndexError / AttributeError from
deep inside) and a message that names the argument or layer, what was expected and what was
received; ``must_mention`` lists the fragments that show it.
"""

import warnings

import pytest

# Exception types that only say "something broke inside": a misuse must never end in them
# unless the public API documents them (Keras raises KeyError for a missing checkpoint key).
_OPAQUE = (IndexError, AttributeError, RecursionError, ZeroDivisionError, UnboundLocalError)


def assert_clear_error(fn, exc_type, must_mention=()):
    """Call ``fn()``; it must raise ``exc_type`` whose message holds every ``must_mention``.

    Args:
        fn: the wrong usage, as a function of no arguments.
        exc_type: the exception type expected (a subclass also passes).
        must_mention: strings the message must contain (argument or layer name, the
            expectation, the value received).

    Returns:
        the exception, for further checks.
    """
    with pytest.raises(exc_type) as info:
        fn()
    error = info.value
    assert not isinstance(error, _OPAQUE) or issubclass(exc_type, _OPAQUE), (
        f"opaque {type(error).__name__}: {error}")
    message = str(error)
    missing = [m for m in must_mention if m not in message]
    assert not missing, f"the message does not mention {missing}: {message!r}"
    assert len(must_mention) >= 2, "a case must check the name and the value (at least)"
    return error


def assert_clear_warning(fn, category, must_mention=()):
    """Call ``fn()``; it must warn with ``category`` and a message holding every fragment."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn()
    messages = [str(w.message) for w in caught if issubclass(w.category, category)]
    assert messages, f"no {category.__name__} was issued (got {[str(w.message) for w in caught]})"
    best = max(messages, key=lambda m: sum(f in m for f in must_mention))
    missing = [m for m in must_mention if m not in best]
    assert not missing, f"the warning does not mention {missing}: {best!r}"
    assert len(must_mention) >= 2
    return best


def case(case_id, fn, exc_type, *must_mention):
    """A pytest.param for a parametrized misuse test: (fn, exc_type, must_mention)."""
    return pytest.param(fn, exc_type, list(must_mention), id=case_id)
