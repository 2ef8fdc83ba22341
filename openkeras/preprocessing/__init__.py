"""Keras 2 data preprocessing: `image`, `sequence` and `text`."""

from openkeras.preprocessing import image, sequence, text

__all__ = ["image", "sequence", "text"]


# Names Keras 2 code imports from this module, resolved on first access (so this module
# imports nothing more at load time).
from openkeras.engine.lazy_exports import lazy_exports  # noqa: E402

__getattr__ = lazy_exports(__name__, {
    "backend": "openkeras.backend",
    "utils": "openkeras.utils",
})
