"""K.set_learning_phase fixes the phase fit / evaluate / predict run layers in (Keras 2)."""

import numpy as np
import pytest

from openkeras import backend as K
from openkeras import optimizers
from openkeras.engine.sequential import Sequential
from openkeras.layers import BatchNormalization, Dense, Dropout


def _dropout_model():
    model = Sequential([Dense(8, input_shape=(4,), kernel_initializer="ones",
                              bias_initializer="ones"), Dropout(0.5)])
    model.compile(optimizers.SGD(0.0), "mse")
    return model


def _x(n=64):
    return np.abs(np.random.default_rng(0).standard_normal((n, 4))).astype("float32")


def test_set_learning_phase_1_keeps_dropout_active_in_predict():
    x = _x()
    dense = x.sum(axis=1, keepdims=True) + np.ones((1, 8), "float32")  # all positive
    K.set_learning_phase(1)  # Keras 2 Monte-Carlo dropout scripts
    model = _dropout_model()
    first, second = model.predict(x), model.predict(x)
    for out in (first, second):
        dropped = out == 0
        assert 0.3 < dropped.mean() < 0.7
        np.testing.assert_allclose(out[~dropped], 2 * np.broadcast_to(dense, out.shape)[~dropped],
                                   rtol=1e-5)
    assert not np.array_equal(first, second)
    assert (model.predict_on_batch(x) == 0).any()
    K.clear_session()  # back to the default: predict in inference mode
    np.testing.assert_allclose(model.predict(x), np.broadcast_to(dense, (64, 8)), rtol=1e-5)


def test_set_learning_phase_0_turns_dropout_off_in_fit():
    x = _x(32)
    y = np.zeros((32, 8), "float32")
    model = _dropout_model()
    dense = x.sum(axis=1, keepdims=True) + 1.0
    expected = np.mean(np.broadcast_to(dense, (32, 8)) ** 2)
    K.set_learning_phase(0)
    loss = model.fit(x, y, batch_size=32, epochs=1, verbose=0).history["loss"][0]
    np.testing.assert_allclose(loss, expected, rtol=1e-5)
    K.clear_session()  # dynamic again: fit applies dropout, so the loss differs
    loss = model.fit(x, y, batch_size=32, epochs=1, verbose=0).history["loss"][0]
    assert abs(loss - expected) > 1e-3 * expected


def test_learning_phase_scope_applies_inside_the_block_only():
    x = _x()
    model = _dropout_model()
    with K.learning_phase_scope(1):
        assert (model.predict(x) == 0).any()
    assert not (model.predict(x) == 0).any()


def test_batch_normalization_in_phase_1_uses_batch_statistics_and_keeps_moving_ones():
    rng = np.random.default_rng(1)
    x = (3.0 + 2.0 * rng.standard_normal((32, 3))).astype("float32")
    model = Sequential([BatchNormalization(input_shape=(3,), epsilon=1e-3)])
    model.compile("sgd", "mse")
    moving = [w.copy() for w in model.get_weights()]
    K.set_learning_phase(1)
    out = model.predict(x, batch_size=32)
    want = (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-3)
    np.testing.assert_allclose(out, want, rtol=1e-4, atol=1e-4)
    loss = model.evaluate(x, np.zeros_like(x), batch_size=32, verbose=0)
    assert loss == pytest.approx(np.mean(want ** 2), rel=1e-4)
    # Keras 2's predict and test functions run no updates: the moving averages are kept
    for got, before in zip(model.get_weights(), moving, strict=True):
        np.testing.assert_array_equal(got, before)
    # fit (phase 1 as well) does update them
    model.fit(x, np.zeros_like(x), batch_size=32, epochs=1, verbose=0)
    assert not np.array_equal(model.get_weights()[2], moving[2])


def test_in_train_phase_in_a_lambda_takes_its_training_branch_in_fit_only():
    from openkeras.layers import Lambda

    x = _x(16)
    y = np.zeros((16, 4), "float32")
    model = Sequential([Lambda(lambda t: K.in_train_phase(t * 0.0, t), output_shape=(4,),
                               input_shape=(4,))])
    model.compile(optimizers.SGD(0.0), "mse")
    # Keras 2 feeds learning phase 1 to the train function: the loss is that of zeros
    assert model.fit(x, y, batch_size=16, verbose=0).history["loss"] == [0.0]
    np.testing.assert_array_equal(model.predict(x), x)
    assert model.evaluate(x, y, verbose=0) == pytest.approx(np.mean(x ** 2), rel=1e-6)
    assert int(K.learning_phase()) == 0  # restored after fit
