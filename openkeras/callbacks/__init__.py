"""Callbacks: objects called by ``fit`` / ``evaluate`` / ``predict`` at set points of the loop."""

from openkeras.callbacks.base import (
    BaseLogger,
    Callback,
    CallbackList,
    History,
    ProgbarLogger,
)

__all__ = ["Callback", "CallbackList", "History", "BaseLogger", "ProgbarLogger"]
