"""Keras 2's ``keras.engine.training_generator``: the generator loops as functions of a model."""

from openkeras.engine.lazy_exports import lazy_exports
from openkeras.engine.training_utils import (  # noqa: F401
    is_sequence,
    iter_sequence_infinite,
    should_run_validation,
)
from openkeras.utils.data_utils import (  # noqa: F401
    GeneratorEnqueuer,
    OrderedEnqueuer,
    Sequence,
)
from openkeras.utils.generic_utils import to_list, unpack_singleton  # noqa: F401
from openkeras.utils.progbar import Progbar  # noqa: F401


def fit_generator(model, generator, *args, **kwargs):
    """``model.fit_generator(generator, ...)`` (Keras 2 called it as a function of the model)."""
    return model.fit_generator(generator, *args, **kwargs)


def evaluate_generator(model, generator, *args, **kwargs):
    """``model.evaluate_generator(generator, ...)``."""
    return model.evaluate_generator(generator, *args, **kwargs)


def predict_generator(model, generator, *args, **kwargs):
    """``model.predict_generator(generator, ...)``."""
    return model.predict_generator(generator, *args, **kwargs)

# ``cbks`` (Keras 2 imported the callbacks module under that name) resolves on first access:
# the callbacks sit above the training loop in the package's layering.
__getattr__ = lazy_exports(__name__, {"cbks": "openkeras.callbacks"})
