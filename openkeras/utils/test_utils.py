"""Keras 2's test helpers for layers (``keras.utils.test_utils``), used by add-on libraries.

``layer_test(MyLayer, kwargs={...}, input_shape=(2, 3))`` builds the layer, checks
get/set_weights, ``compute_output_shape`` against real outputs, the config and JSON round
trips, the functional and Sequential APIs, and a training step when ``call`` takes
``training``, as Keras 2.2.4's did (plus Keras 2.1's Sequential and JSON checks).
"""

import functools

import numpy as np
from numpy.testing import assert_allclose

from openkeras import backend as K
from openkeras.engine.input_layer import Input
from openkeras.engine.sequential import Sequential
from openkeras.engine.training import Model
from openkeras.models import model_from_json
from openkeras.utils.generic_utils import CustomObjectScope, has_arg


def get_test_data(num_train=1000, num_test=500, input_shape=(10,), output_shape=(2,),
                  classification=True, num_classes=2):
    """``((x_train, y_train), (x_test, y_test))`` of normal samples around their label.

    Args:
        num_train, num_test: sample counts.
        input_shape: shape of one input sample.
        output_shape: shape of one target (regression only).
        classification: integer labels in ``[0, num_classes)`` (else float targets).
        num_classes: the number of classes.
    """
    samples = num_train + num_test
    if classification:
        y = np.random.randint(0, num_classes, size=(samples,))
        x = np.zeros((samples,) + tuple(input_shape), dtype=np.float32)
        for i in range(samples):
            x[i] = np.random.normal(loc=y[i], scale=0.7, size=input_shape)
    else:
        centers = np.random.random((samples,))
        x = np.zeros((samples,) + tuple(input_shape), dtype=np.float32)
        y = np.zeros((samples,) + tuple(output_shape), dtype=np.float32)
        for i in range(samples):
            x[i] = np.random.normal(loc=centers[i], scale=0.7, size=input_shape)
            y[i] = np.random.normal(loc=centers[i], scale=0.7, size=output_shape)
    return (x[:num_train], y[:num_train]), (x[num_train:], y[num_train:])


def _check_shape(expected, actual, what):
    if len(expected) != len(actual) or any(
            e is not None and a is not None and e != a
            for e, a in zip(expected, actual, strict=False)):
        raise AssertionError(f"layer_test: {what} has shape {tuple(actual)}, but the layer's "
                             f"compute_output_shape said {tuple(expected)}")


def layer_test(layer_cls, kwargs=None, input_shape=None, input_dtype=None, input_data=None,
               expected_output=None, expected_output_dtype=None, fixed_batch_size=False):
    """Test a single-input, single-output layer the way Keras 2 tested its own; returns the
    output of the functional model on the input data.

    Args:
        layer_cls: the layer class.
        kwargs: its constructor arguments.
        input_shape: the input shape including the batch axis (None entries get a random
            size in 1..3); not needed with ``input_data``.
        input_dtype: the input dtype (default floatx, or ``input_data``'s).
        input_data: the input array (default: random values in [0, 10)).
        expected_output: compared with the output (rtol 1e-3) when given.
        expected_output_dtype: the symbolic output's dtype (default: the input dtype).
        fixed_batch_size: build the Input with the batch size fixed.
    """
    # The layer class resolves by name in the config round trips (add-on layers included).
    with CustomObjectScope({layer_cls.__name__: layer_cls}):
        return _layer_test(layer_cls, dict(kwargs or {}), input_shape, input_dtype, input_data,
                           expected_output, expected_output_dtype, fixed_batch_size)


def _layer_test(layer_cls, kwargs, input_shape, input_dtype, input_data, expected_output,
                expected_output_dtype, fixed_batch_size):
    if input_data is None:
        if not input_shape:
            raise ValueError("layer_test: pass `input_shape` or `input_data`.")
        input_dtype = input_dtype or K.floatx()
        data_shape = [np.random.randint(1, 4) if e is None else e for e in input_shape]
        input_data = (10 * np.random.random(data_shape)).astype(input_dtype)
    else:
        input_shape = tuple(input_data.shape) if input_shape is None else input_shape
        input_dtype = input_dtype or str(input_data.dtype)
    expected_output_dtype = expected_output_dtype or input_dtype
    input_shape = tuple(input_shape)

    layer = layer_cls(**kwargs)
    weights = layer.get_weights()
    layer.set_weights(weights)
    if has_arg(layer_cls.__init__, "weights") and len(weights):
        kwargs["weights"] = weights
        layer = layer_cls(**kwargs)
    expected_output_shape = layer.compute_output_shape(input_shape)

    def check_model(model):
        output = model.predict(input_data, verbose=0)
        _check_shape(expected_output_shape, output.shape, "the model's output")
        if expected_output is not None:
            assert_allclose(output, expected_output, rtol=1e-3)
        recovered = model.__class__.from_config(model.get_config())
        if model.weights:
            recovered.set_weights(model.get_weights())
            assert_allclose(recovered.predict(input_data, verbose=0), output, rtol=1e-3)
        if has_arg(layer.call, "training"):
            model.compile("rmsprop", "mse")
            model.train_on_batch(input_data, output)
        return output

    if fixed_batch_size:
        x = Input(batch_shape=input_shape, dtype=input_dtype)
    else:
        x = Input(shape=input_shape[1:], dtype=input_dtype)
    y = layer(x)
    if K.dtype(y) != expected_output_dtype:
        raise AssertionError(f"layer_test: the output dtype is {K.dtype(y)}, expected "
                             f"{expected_output_dtype}")
    _check_shape(expected_output_shape, K.int_shape(y), "the symbolic output")
    model = Model(x, y)
    actual_output = check_model(model)

    # The JSON round trip.
    model_from_json(model.to_json())

    # The Sequential API with a fresh layer built from the same arguments.
    layer_config = layer.get_config()
    layer_config["batch_input_shape"] = input_shape
    layer = layer.__class__.from_config(layer_config)
    sequential = Sequential()
    sequential.add(layer)
    output = sequential.predict(input_data, verbose=0)
    _check_shape(expected_output_shape, output.shape, "the Sequential model's output")
    recovered = Sequential.from_config(sequential.get_config())
    if sequential.weights:
        recovered.set_weights(sequential.get_weights())
        assert_allclose(recovered.predict(input_data, verbose=0), output, rtol=1e-3)
    return actual_output


def keras_test(func):
    """Decorator for tests (Keras 2.0-2.1): clears the backend session after the test."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        finally:
            K.clear_session()

    return wrapper


class tf_file_io_proxy:  # noqa: N801 (Keras 2.3's name)
    """Keras 2.3's mock of TensorFlow's ``file_io`` for Google Cloud Storage tests; not
    available: openkeras does not read or write ``gs://`` paths."""

    _openkeras_unsupported = "tf_file_io_proxy mocks TensorFlow's GCS file_io"

    def __init__(self, file_io_module=None, bucket_name=None):
        raise NotImplementedError("keras.utils.test_utils.tf_file_io_proxy mocks TensorFlow's "
                                  "file_io for Google Cloud Storage tests; openkeras does not "
                                  "support gs:// paths.")
