"""openkeras: the Keras 2 API on PyTorch."""

__version__ = "0.1.0"

from openkeras import (  # noqa: E402  # noqa: E402,F401
    activations,
    applications,
    backend,
    callbacks,
    config,
    constraints,
    datasets,
    engine,
    initializers,
    layers,
    legacy,
    losses,
    metrics,
    models,
    optimizers,
    preprocessing,
    regularizers,
    utils,
    wrappers,
)
from openkeras.compat import install_keras_alias, uninstall_keras_alias  # noqa: E402
from openkeras.engine.functional import Functional  # noqa: E402
from openkeras.engine.input_layer import Input  # noqa: E402
from openkeras.engine.sequential import Sequential  # noqa: E402
from openkeras.engine.training import Model  # noqa: E402

__all__ = [
    "Input", "Model", "Sequential", "Functional", "activations", "applications", "backend", "callbacks", "config",
    "constraints", "datasets", "initializers", "layers", "losses", "metrics", "models", "optimizers",
    "preprocessing", "regularizers", "utils", "wrappers", "engine", "legacy", "install_keras_alias",
    "uninstall_keras_alias",
    "__version__",
]
