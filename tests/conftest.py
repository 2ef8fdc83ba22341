import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))


@pytest.fixture(autouse=True)
def _fresh_state():
    """Every test starts with fresh layer-name counters (dense, dense_1, ...) and seeded RNGs."""
    from openkeras import backend
    from openkeras.utils import set_random_seed

    backend.clear_session(free_memory=False)
    set_random_seed(1234)
    yield
