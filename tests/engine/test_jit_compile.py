"""compile(jit_compile=True): the compiled train and predict steps give eager's results.

Each model is trained twice from the same seed, eagerly and compiled, on the same batches
(shuffle=False, a partial last batch), and the weights, moving statistics, logged losses and
metrics and predictions are compared with explicit tolerances.
"""

import copy
import warnings

import numpy as np
import pytest
import torch

import openkeras as keras
from openkeras import config
from openkeras import layers as L
from openkeras.engine import compiled_graphs
from openkeras.mixed_precision import LossScaleOptimizer
from openkeras.utils import set_random_seed


@pytest.fixture(autouse=True)
def _no_race(monkeypatch):
    """The equivalence tests run every full batch compiled: no timing race with eager steps
    (it would keep eager for a model measured slower compiled on a busy machine)."""
    monkeypatch.setattr(compiled_graphs, "RACE_STEPS", 0)


def _train_both(build, x, y, optimizer, epochs=2, batch_size=16):
    """(eager model, its history, compiled model, its history), from the same seed."""
    out = []
    for jit in (False, True):
        set_random_seed(7)
        model = build()
        model.compile(optimizer() if callable(optimizer) else optimizer,
                      "categorical_crossentropy", metrics=["accuracy"], jit_compile=jit)
        set_random_seed(8)  # the same dropout masks
        history = model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0,
                            shuffle=False)
        out += [model, history.history]
    return out


def _eager_and_warned(build, x, y, match):
    """(eager model, compiled model) trained with SGD from the same seed; the compiled fit
    must warn ``match``."""
    set_random_seed(7)
    eager = build()
    eager.compile("sgd", "categorical_crossentropy")
    eager.fit(x, y, batch_size=16, epochs=2, verbose=0, shuffle=False)
    set_random_seed(7)
    compiled = build()
    compiled.compile("sgd", "categorical_crossentropy", jit_compile=True)
    with pytest.warns(RuntimeWarning, match=match):
        compiled.fit(x, y, batch_size=16, epochs=2, verbose=0, shuffle=False)
    return eager, compiled


def _assert_same(eager, h_eager, compiled, h_compiled, atol):
    runner = compiled._runner
    assert runner.compiled.failed is None
    assert len(runner.compiled.graphs) == 1  # the partial last batch ran eagerly, no recompile
    assert runner.compiled.compile_seconds > 0
    for key in h_eager:
        np.testing.assert_allclose(h_compiled[key], h_eager[key], rtol=1e-5, atol=1e-6)
    for a, b in zip(eager.get_weights(), compiled.get_weights(), strict=True):
        np.testing.assert_allclose(b, a, atol=atol, rtol=0)
    assert int(compiled.optimizer.iterations) == int(eager.optimizer.iterations)


def test_mlp_train_and_predict_match_eager():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((70, 12)).astype("float32")
    y = np.eye(4, dtype="float32")[rng.integers(0, 4, 70)]

    def build():
        return keras.Sequential([L.Dense(16, activation="relu", input_shape=(12,)),
                                 L.Dense(4, activation="softmax")])

    eager, h_eager, compiled, h_compiled = _train_both(build, x, y, "adam")
    _assert_same(eager, h_eager, compiled, h_compiled, atol=1e-6)
    np.testing.assert_allclose(compiled.predict(x, batch_size=16), eager.predict(x, batch_size=16),
                               atol=1e-6)
    assert compiled._compiled_predict.failed is None
    # the predict graph reads the weights by reference: training again changes what it returns
    for model in (eager, compiled):
        model.fit(x, y, batch_size=16, epochs=1, verbose=0, shuffle=False)
    np.testing.assert_allclose(compiled.predict(x, batch_size=16), eager.predict(x, batch_size=16),
                               atol=1e-5)
    assert len(compiled._compiled_predict.graphs) == 1
    # a larger batch than the first compiles a graph of its own; a smaller one runs eagerly
    np.testing.assert_allclose(compiled.predict(x, batch_size=32), eager.predict(x, batch_size=32),
                               atol=1e-5)
    assert len(compiled._compiled_predict.graphs) == 2
    # a copy compiles graphs of its own, on its own weights
    copied = copy.deepcopy(compiled)
    before = [w.copy() for w in compiled.get_weights()]
    np.testing.assert_allclose(copied.predict(x, batch_size=16),
                               compiled.predict(x, batch_size=16), atol=1e-6)
    copied.fit(x, y, batch_size=16, epochs=1, verbose=0, shuffle=False)
    assert copied._runner.compiled.failed is None and len(copied._runner.compiled.graphs) == 1
    for a, b in zip(before, compiled.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_cnn_with_batchnorm_and_dropout_matches_eager():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((40, 8, 8, 1)).astype("float32")
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, 40)]

    def build():
        return keras.Sequential([
            L.Conv2D(4, 3, input_shape=(8, 8, 1)), L.BatchNormalization(),
            L.Activation("relu"), L.MaxPooling2D(), L.Dropout(0.3), L.Flatten(),
            L.Dense(3, activation="softmax")])

    # the compiled graph draws dropout masks from torch's generator as eager does
    eager, h_eager, compiled, h_compiled = _train_both(
        build, x, y, lambda: keras.optimizers.SGD(0.05, momentum=0.9))
    # get_weights includes BatchNormalization's moving mean and variance
    _assert_same(eager, h_eager, compiled, h_compiled, atol=1e-5)


def test_lstm_with_masking_matches_eager():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((40, 5, 3)).astype("float32")
    x[:, 3:] = 0.0
    x[::3, 1:] = 0.0  # samples of different lengths
    y = np.eye(2, dtype="float32")[rng.integers(0, 2, 40)]

    def build():
        return keras.Sequential([L.Masking(0.0, input_shape=(5, 3)), L.LSTM(6),
                                 L.Dense(2, activation="softmax")])

    eager, h_eager, compiled, h_compiled = _train_both(build, x, y, "rmsprop")
    _assert_same(eager, h_eager, compiled, h_compiled, atol=1e-5)


def test_a_step_that_cannot_be_traced_falls_back_to_eager_with_a_warning():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((32, 6)).astype("float32")
    y = np.eye(2, dtype="float32")[rng.integers(0, 2, 32)]

    def build():  # float() of a tensor reads its value on the host: no graph can hold that
        return keras.Sequential([L.Dense(5, input_shape=(6,)),
                                 L.Lambda(lambda t: t * float(t.abs().mean() > 0)),
                                 L.Dense(2, activation="softmax")])

    eager, compiled = _eager_and_warned(build, x, y, "train step of model .* runs eagerly")
    assert compiled._runner.compiled.failed
    # the failed trace's own step was undone: the results are exactly eager's
    for a, b in zip(eager.get_weights(), compiled.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert int(compiled.optimizer.iterations) == 4


def test_unsupported_optimizer_names_the_reason():
    model = keras.Sequential([L.Dense(2, input_shape=(3,))])
    with pytest.warns(RuntimeWarning, match="LossScaleOptimizer"):
        model.compile(LossScaleOptimizer(keras.optimizers.SGD()), "mse", jit_compile=True)
    model.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0)  # eagerly


def test_config_default_and_bad_values(monkeypatch):
    monkeypatch.setattr(config, "_JIT_COMPILE", False)
    model = keras.Sequential([L.Dense(2, input_shape=(3,))])
    model.compile("sgd", "mse")
    assert model._runner.compiled is None
    config.set_jit_compile(True)
    assert config.jit_compile() is True
    model.compile("sgd", "mse")
    assert model._runner.compiled is not None
    model.compile("sgd", "mse", jit_compile=False)  # the argument wins over the default
    assert model._runner.compiled is None
    with pytest.raises(ValueError, match="jit_compile"):
        config.set_jit_compile("yes")
    with pytest.raises(ValueError, match="jit_compile` must be True, False, None or 'auto'"):
        model.compile("sgd", "mse", jit_compile="yes")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.compile("sgd", "mse", jit_compile="auto")  # tf.keras's default spelling
    assert model._runner.compiled is not None
    assert torch.is_tensor(model.optimizer.iterations)


def test_the_race_keeps_eager_when_compiled_measured_slower(monkeypatch):
    monkeypatch.setattr(compiled_graphs, "RACE_STEPS", 2)
    monkeypatch.setattr(compiled_graphs._Race, "medians_ms", lambda self: (2.0, 1.0))
    rng = np.random.default_rng(4)
    x = rng.standard_normal((160, 6)).astype("float32")
    y = np.eye(2, dtype="float32")[rng.integers(0, 2, 160)]

    def build():
        return keras.Sequential([L.Dense(5, activation="relu", input_shape=(6,)),
                                 L.Dense(2, activation="softmax")])

    eager, raced = _eager_and_warned(build, x, y,
                                     r"measured slower than eager \(2 ms against 1 ms")
    compiled = raced._runner.compiled
    assert compiled.race is None and "slower" in compiled.failed
    for a, b in zip(eager.get_weights(), raced.get_weights(), strict=True):
        np.testing.assert_allclose(b, a, atol=1e-6)


def test_the_race_keeps_compiled_when_it_is_faster(monkeypatch):
    monkeypatch.setattr(compiled_graphs, "RACE_STEPS", 2)
    monkeypatch.setattr(compiled_graphs._Race, "medians_ms", lambda self: (1.0, 2.0))
    model = keras.Sequential([L.Dense(2, input_shape=(3,))])
    model.compile("sgd", "mse", jit_compile=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        model.fit(np.ones((160, 3)), np.ones((160, 2)), batch_size=16, epochs=1, verbose=0)
    compiled = model._runner.compiled
    assert compiled.failed is None and compiled.race is None


def test_two_outputs_sample_weights_regularizers_constraints_match_eager():
    rng = np.random.default_rng(5)
    x1 = rng.standard_normal((60, 8)).astype("float32")
    x2 = rng.standard_normal((60, 3)).astype("float32")
    y1 = np.eye(3, dtype="float32")[rng.integers(0, 3, 60)]
    y2 = rng.standard_normal((60, 1)).astype("float32")
    sw = rng.random(60).astype("float32")

    def build():
        a, b = L.Input((8,)), L.Input((3,))
        h = L.Dense(6, activation="tanh", kernel_regularizer=keras.regularizers.l2(0.01),
                    kernel_constraint=keras.constraints.max_norm(1.0))(a)
        h = L.BatchNormalization()(L.concatenate([h, b]))
        out1 = L.Dense(3, activation="softmax", name="cls",
                       activity_regularizer=keras.regularizers.l1(0.001))(h)
        return keras.Model([a, b], [out1, L.Dense(1, name="reg")(h)])

    results = []
    for jit in (False, True):
        set_random_seed(3)
        model = build()
        model.compile(keras.optimizers.Adam(clipnorm=1.0),
                      {"cls": "categorical_crossentropy", "reg": "mse"}, loss_weights=[1.0, 0.5],
                      metrics={"cls": ["accuracy"], "reg": ["mae"]}, jit_compile=jit)
        history = model.fit([x1, x2], [y1, y2], sample_weight=[sw, sw], batch_size=16, epochs=2,
                            verbose=0, shuffle=False)
        results += [model, history.history]
    _assert_same(*results, atol=1e-6)
    assert set(results[1]) == {"loss", "cls_loss", "reg_loss", "cls_accuracy", "reg_mae"}


@pytest.mark.parametrize("make_optimizer", [
    lambda: keras.optimizers.Adadelta(), lambda: keras.optimizers.Adagrad(),
    lambda: keras.optimizers.Nadam(), lambda: keras.optimizers.Adamax(),
    lambda: keras.optimizers.Adam(amsgrad=True), lambda: keras.optimizers.RMSprop(centered=True),
    lambda: keras.optimizers.SGD(0.05, momentum=0.9, nesterov=True, decay=0.01)],
    ids=["adadelta", "adagrad", "nadam", "adamax", "amsgrad", "rmsprop_centered", "nesterov"])
def test_every_optimizer_takes_tensor_coefficients(make_optimizer):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((48, 5)).astype("float32")
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, 48)]

    def build():
        return keras.Sequential([L.Dense(4, activation="tanh", input_shape=(5,)),
                                 L.Dense(3, activation="softmax")])

    eager, h_eager, compiled, h_compiled = _train_both(build, x, y, make_optimizer)
    _assert_same(eager, h_eager, compiled, h_compiled, atol=1e-6)
    # the optimizer state (slots, Nadam's momentum cache, iterations) follows eager's too
    for a, b in zip(eager.optimizer.get_weights(), compiled.optimizer.get_weights(), strict=True):
        np.testing.assert_allclose(b, a, atol=1e-6)
