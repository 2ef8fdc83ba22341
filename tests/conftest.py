import os
import shutil
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.dirname(__file__))

# openkeras reads (and writes) $KERAS_HOME/keras.json at import and caches downloads there:
# the tests use a folder of their own, never the user's ~/.keras.
os.environ.pop("OPENKERAS_HOME", None)
os.environ["KERAS_HOME"] = _KERAS_HOME = tempfile.mkdtemp(prefix="openkeras-tests-home-")


def pytest_unconfigure(config):
    shutil.rmtree(_KERAS_HOME, ignore_errors=True)


@pytest.fixture(autouse=True)
def _fresh_state():
    """Every test starts with fresh layer-name counters (dense, dense_1, ...) and seeded RNGs."""
    from openkeras import backend
    from openkeras.utils import set_random_seed

    backend.clear_session(free_memory=False)
    set_random_seed(1234)
    yield
