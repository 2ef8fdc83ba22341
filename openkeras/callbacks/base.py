"""``Callback``, ``CallbackList``, ``History``, ``BaseLogger``, ``ProgbarLogger`` and ``LazyLogs``.

They are defined in ``openkeras.engine.training_callbacks``, next to the training loop that runs
them (below the models in the package's layering); this module keeps their callbacks path.
"""

from openkeras.engine.training_callbacks import (  # noqa: F401
    BaseLogger,
    Callback,
    CallbackList,
    History,
    LazyLogs,
    ProgbarLogger,
)
