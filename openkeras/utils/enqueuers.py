"""Keras 2's enqueuers, importable from utils; they live in ``openkeras.engine.enqueuers``.

They read through ``engine.prefetch`` (as ``fit`` does), which sits above utils, so the names
resolve on first access (see openkeras/engine/lazy_exports.py).
"""

from openkeras.engine.lazy_exports import lazy_exports

NAMES = ("GeneratorEnqueuer", "OrderedEnqueuer", "SequenceEnqueuer", "get_index", "init_pool",
         "init_pool_generator", "next_sample")

__getattr__ = lazy_exports(__name__, {name: f"openkeras.engine.enqueuers:{name}"
                                      for name in NAMES})
