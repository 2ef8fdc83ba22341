"""Keras 2 optimizers (Keras 2.2.4 defaults and formulas, tf.keras 2 config keys) on torch."""

from openkeras.engine import registry
from openkeras.legacy import interfaces  # noqa: F401  (Keras 2 exposed it here)
from openkeras.optimizers import schedules
from openkeras.optimizers.adadelta_optimizer import Adadelta
from openkeras.optimizers.adagrad_optimizer import Adagrad
from openkeras.optimizers.adam_optimizer import Adam, Adamax
from openkeras.optimizers.nadam_optimizer import Nadam
from openkeras.optimizers.optimizer import Optimizer
from openkeras.optimizers.rmsprop_optimizer import RMSprop
from openkeras.optimizers.sgd_optimizer import SGD
from openkeras.optimizers.tf_optimizer import TFOptimizer, clip_norm  # noqa: F401
from openkeras.utils.generic_utils import (  # noqa: F401  (Keras 2 exported them here)
    deserialize_keras_object,
    serialize_keras_object,
)

__all__ = ["Optimizer", "SGD", "RMSprop", "Adagrad", "Adadelta", "Adam", "Adamax", "Nadam",
           "schedules", "get", "serialize", "deserialize", "sgd", "rmsprop", "adagrad",
           "adadelta", "adam", "adamax", "nadam"]

# Keras 2's lowercase aliases: `keras.optimizers.rmsprop(lr=0.001)` builds an RMSprop. The
# classes live in `*_optimizer` modules so these names are not shadowed by submodules.
sgd = SGD
rmsprop = RMSprop
adagrad = Adagrad
adadelta = Adadelta
adam = Adam
adamax = Adamax
nadam = Nadam

# The built-in optimizers are also found by their name in lower case ('Adam', 'adam', 'ADAM').
_LOWER_NAMES = ("sgd", "rmsprop", "adagrad", "adadelta", "adam", "adamax", "nadam")
registry.register_names("optimizer", globals(), _LOWER_NAMES)


def serialize(optimizer) -> dict:
    """{'class_name': 'Adam', 'config': {...}} of an optimizer."""
    return registry.serialize(optimizer)


def deserialize(config, custom_objects=None):
    """The optimizer described by a {'class_name', 'config'} dict (built-in names any case).

    Args:
        config: The serialized optimizer.
        custom_objects: Optional dict of user optimizers.
    """
    config = dict(config)
    if str(config.get("class_name", "")).lower() in _LOWER_NAMES:
        config["class_name"] = config["class_name"].lower()
    return registry.deserialize("optimizer", config, custom_objects)


@registry.register_getter("optimizer")
def get(identifier):
    """An optimizer from an instance, a name ('adam', 'SGD') or a config dict."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return deserialize({"class_name": identifier, "config": {}})
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}")
