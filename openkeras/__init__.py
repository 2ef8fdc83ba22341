"""openkeras: the Keras 2 API on PyTorch."""

from openkeras import (  # noqa: F401
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
from openkeras.compat import install_keras_alias, uninstall_keras_alias
from openkeras.engine.functional import Functional
from openkeras.engine.input_layer import Input
from openkeras.engine.sequential import Sequential
from openkeras.engine.training import Model
from openkeras.version import __version__

__all__ = [
    "Input", "Model", "Sequential", "Functional", "activations", "applications", "backend", "callbacks", "config",
    "constraints", "datasets", "initializers", "layers", "losses", "metrics", "models", "optimizers",
    "preprocessing", "regularizers", "utils", "wrappers", "engine", "legacy", "install_keras_alias",
    "uninstall_keras_alias",
    "__version__",
]
