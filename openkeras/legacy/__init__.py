"""Keras 1 support modules of Keras 2 (``keras.legacy``): ``interfaces``, ``layers``, ``models``."""

from openkeras.legacy import interfaces  # noqa: F401
