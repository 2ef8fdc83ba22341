import pytest


@pytest.fixture(autouse=True)
def _float32_policy_after():
    """Each test leaves the global dtype policy as it found it (the default)."""
    from openkeras import mixed_precision

    yield
    mixed_precision.set_global_policy(None)
