"""Keras 2's ``keras.engine.training_utils``: the batching helpers, and the loop internals.

The small helpers add-on code reuses (``make_batches``, ``batch_shuffle``, ``is_sequence``,
``should_run_validation`` ...) work as in Keras 2. Helpers tied to Keras 2's TensorFlow loop
(``standardize_input_data``, ``prepare_loss_functions`` ...) raise a clear error
(``openkeras.engine.internal``).
"""

import inspect

import numpy as np

from openkeras import losses
from openkeras.engine.internal import keras_internal
from openkeras.engine.lazy_exports import lazy_exports
from openkeras.utils import generic_utils  # noqa: F401
from openkeras.utils.data_utils import Sequence
from openkeras.utils.generic_utils import to_list  # noqa: F401


def make_batches(size, batch_size):
    """``[(start, end), ...]`` covering ``range(size)`` in batches of ``batch_size``."""
    count = int(np.ceil(size / float(batch_size)))
    return [(i * batch_size, min(size, (i + 1) * batch_size)) for i in range(count)]


def batch_shuffle(index_array, batch_size):
    """Shuffle ``index_array`` by whole batches (the tail batch stays last), as Keras 2's
    ``shuffle='batch'`` did for HDF5 data."""
    index_array = np.asarray(index_array)
    batch_count = len(index_array) // batch_size
    tail = index_array[batch_count * batch_size:]
    head = index_array[:batch_count * batch_size].reshape((batch_count, batch_size))
    np.random.shuffle(head)
    return np.append(head.flatten(), tail)


def check_num_samples(ins, batch_size=None, steps=None, steps_name="steps"):
    """The number of samples in ``ins``, or None when ``steps`` drives the loop.

    Args:
        ins: a list of arrays.
        batch_size: given together with ``steps`` is an error.
        steps: the number of steps, if any.
        steps_name: the argument's name, for the error.
    """
    if steps is not None and batch_size is not None:
        raise ValueError(f"If {steps_name} is set, the `batch_size` must be None.")
    if steps is None and (not ins or any(x is None for x in to_list(ins))):
        raise ValueError(f"If your data is in the form of symbolic tensors, you should specify "
                         f"the `{steps_name}` argument (instead of the `batch_size` argument).")
    if steps is not None:
        return None
    first = to_list(ins)[0]
    return int(first.shape[0]) if hasattr(first, "shape") else len(first)


def check_array_length_consistency(inputs, targets, weights=None):
    """Refuse inputs, targets and sample weights with different numbers of samples."""
    def sizes(arrays):
        return {int(x.shape[0]) for x in to_list(arrays or []) if x is not None}

    for what, arrays in (("input", inputs), ("target", targets), ("sample_weight", weights)):
        if len(sizes(arrays)) > 1:
            raise ValueError(f"All {what} arrays (x) should have the same number of samples. "
                             f"Got array shapes: {[tuple(x.shape) for x in to_list(arrays)]}")
    x, y, w = sizes(inputs), sizes(targets), sizes(weights)
    if x and y and x != y:
        raise ValueError(f"Input arrays should have the same number of samples as target "
                         f"arrays. Found {x.pop()} input samples and {y.pop()} target samples.")
    if y and w and y != w:
        raise ValueError(f"Sample weight arrays should have the same number of samples as "
                         f"target arrays. Got {y.pop()} target samples and {w.pop()} sample "
                         "weights.")


def check_generator_arguments(y=None, sample_weight=None, validation_split=None):
    """Refuse ``y``, ``sample_weight`` or ``validation_split`` together with a generator."""
    if y is not None:
        raise ValueError("`y` argument is not supported when data is a generator or Sequence "
                         "instance. Instead pass targets as the second element of the "
                         "generator.")
    if sample_weight is not None:
        raise ValueError("`sample_weight` argument is not supported when data is a generator "
                         "or Sequence instance. Instead pass sample weights as the third "
                         "element of the generator.")
    if validation_split:
        raise ValueError("If your data is in the form of a Python generator, you cannot use "
                         "`validation_split`.")


def should_run_validation(validation_freq, epoch):
    """Whether to validate after ``epoch`` (0-based): every ``validation_freq`` epochs, or at
    the 1-based epochs listed in it."""
    one_based = epoch + 1
    if isinstance(validation_freq, int):
        if validation_freq < 1:
            raise ValueError("`validation_freq` can not be less than 1.")
        return one_based % validation_freq == 0
    if not hasattr(validation_freq, "__contains__"):
        raise ValueError("`validation_freq` must be an Integer or `collections.Container` (e.g. "
                         f"list, tuple, etc.). Received: {validation_freq!r}")
    return one_based in validation_freq


def is_sequence(seq):
    """Whether ``seq`` is a ``keras.utils.Sequence``."""
    return isinstance(seq, Sequence) or (
        type(seq).__name__ == "Sequence" and hasattr(seq, "__getitem__")
        and hasattr(seq, "__len__"))


def is_generator_or_sequence(x):
    """Whether ``x`` is a generator (or iterator) or a Sequence."""
    return inspect.isgenerator(x) or is_sequence(x) or (
        hasattr(x, "__next__") and not isinstance(x, (list, tuple, dict, np.ndarray)))


def iter_sequence_infinite(seq):
    """Yield the batches of a Sequence forever, in order."""
    while True:
        for item in seq:
            yield item


def standardize_single_array(x):
    """A 1-D array becomes a column (``(n,) -> (n, 1)``); None stays None."""
    if x is None:
        return None
    if hasattr(x, "ndim") and x.ndim == 1:
        return x.reshape((-1, 1)) if hasattr(x, "reshape") else np.expand_dims(x, 1)
    return x


def get_static_batch_size(layer):
    """The fixed batch size of a model's first layer, or None."""
    shape = getattr(layer, "_batch_input_shape", None) or getattr(layer, "batch_input_shape",
                                                                  None)
    return shape[0] if shape else None


def get_input_shape_and_dtype(layer):
    """``(batch_input_shape, dtype)`` of a model's first layer (None, None when unknown)."""
    layers = getattr(layer, "layers", None)
    first = layers[0] if layers else layer
    shape = getattr(first, "_batch_input_shape", None) or getattr(first, "batch_input_shape",
                                                                  None)
    return (tuple(shape), getattr(first, "dtype", None)) if shape else (None, None)


def get_loss_function(loss):
    """The loss function (or Loss instance) for a name, function or Loss."""
    return losses.get(loss)


def get_metric_name(metric, weighted=False):
    """The Keras 2 log name of a metric: ``'acc'``/``'accuracy'`` kept, functions by name."""
    if isinstance(metric, str):
        name = metric
    else:
        name = getattr(metric, "name", None) or getattr(metric, "__name__", str(metric))
    return "weighted_" + name if weighted else name


def collect_metrics(metrics, output_names):
    """Per-output metric lists from ``compile(metrics=...)`` (a list, or a dict by output)."""
    if not metrics:
        return [[] for _ in output_names]
    if isinstance(metrics, list):
        return [list(metrics) for _ in output_names]
    if isinstance(metrics, dict):
        unknown = set(metrics) - set(output_names)
        if unknown:
            raise ValueError(f"Unknown entries in metrics dictionary: {sorted(unknown)}. Only "
                             f"expected the following keys: {list(output_names)}")
        return [to_list(metrics.get(name, [])) for name in output_names]
    raise TypeError("Type of `metrics` argument not understood. Expected a list or "
                    f"dictionary, found: {metrics!r}")


_LOOP = "Pass your data to model.fit / evaluate / predict (or train_on_batch) instead."
for _name in ("call_metric_function", "check_loss_and_target_compatibility",
              "collect_per_output_metric_info", "get_metric_function",
              "get_output_sample_weight_and_mode", "prepare_loss_functions",
              "prepare_loss_weights", "prepare_sample_weights", "standardize_class_weights",
              "standardize_input_data", "standardize_sample_or_class_weights",
              "standardize_sample_weights", "standardize_weights", "weighted_masked_objective"):
    globals()[_name] = keras_internal(f"keras.engine.training_utils.{_name}", _LOOP)
del _name

__getattr__ = lazy_exports(__name__, {
    "metrics_module": "openkeras.metrics",
    "losses_utils": "openkeras.utils.losses_utils"})
