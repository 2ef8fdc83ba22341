"""``K.get_uid`` / ``K.reset_uids``: the engine's layer naming (openkeras.engine.naming)."""

from openkeras.engine.naming import get_uid, reset_uids, unique_object_name  # noqa: F401
