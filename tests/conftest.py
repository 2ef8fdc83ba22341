import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))


@pytest.fixture(autouse=True)
def _fresh_names():
    """Every test starts with fresh layer-name counters (dense, dense_1, ...)."""
    from openkeras import backend

    backend.clear_session()
    yield
