"""Keras 2's ``keras.engine.training_arrays`` (its array training loop; openkeras has its own)."""

from openkeras.engine.internal import keras_internal
from openkeras.engine.lazy_exports import lazy_exports
from openkeras.engine.training_utils import (  # noqa: F401
    batch_shuffle,
    check_num_samples,
    make_batches,
    should_run_validation,
)
from openkeras.utils.generic_utils import slice_arrays, to_list, unpack_singleton  # noqa: F401
from openkeras.utils.progbar import Progbar  # noqa: F401

_ADVICE = "Call model.fit / model.evaluate / model.predict instead."
fit_loop = keras_internal("keras.engine.training_arrays.fit_loop", _ADVICE)
test_loop = keras_internal("keras.engine.training_arrays.test_loop", _ADVICE)
predict_loop = keras_internal("keras.engine.training_arrays.predict_loop", _ADVICE)

# ``cbks`` (Keras 2 imported the callbacks module under that name) resolves on first access:
# the callbacks sit above the training loop in the package's layering.
__getattr__ = lazy_exports(__name__, {"cbks": "openkeras.callbacks"})
