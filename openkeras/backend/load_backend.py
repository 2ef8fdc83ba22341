"""``keras.backend.load_backend``: Keras 2.3's loader module; openkeras has one backend, torch."""

from openkeras.backend import *  # noqa: F403
from openkeras.backend import __getattr__  # noqa: F401  (the lazily resolved Keras 2 names)
from openkeras.backend.session import get_session, set_session  # noqa: F401
