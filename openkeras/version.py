"""openkeras's version (written into saved models as ``keras_version``)."""

__version__ = "0.1.0"
