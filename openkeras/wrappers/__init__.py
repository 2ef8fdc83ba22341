"""Wrappers making Keras models usable by other libraries (``keras.wrappers``)."""

from openkeras.wrappers import scikit_learn  # noqa: F401
