"""The Keras 2 Optimizer contract, exercised with examples/radam_optimizer.py's RAdam (written
as keras-radam writes it: ``super().__init__(**kwargs)``, ``K.name_scope``, ``K.variable``
iterations, ``get_updates`` with ``K.zeros`` moments, ``K.switch`` and ``K.update``)."""

import ast
from pathlib import Path

import numpy as np
import pytest

import openkeras as keras
from openkeras import backend as K

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "radam_optimizer.py"


def _example_class(name):
    """The class ``name`` of the example script, run without the script's training code."""
    tree = ast.parse(EXAMPLE.read_text(encoding="utf-8"))
    node = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == name)
    namespace = {"keras": keras, "K": K}
    exec(compile(ast.Module(body=[node], type_ignores=[]), str(EXAMPLE), "exec"), namespace)
    return namespace[name]


RAdam = _example_class("RAdam")


def _numpy_radam(params, grad_fn, steps, lr, beta_1, beta_2, epsilon, decay, threshold):
    """RAdam (Liu et al., 2019) in float64 numpy, with Keras 2's time-based lr decay."""
    ms = [np.zeros_like(p) for p in params]
    vs = [np.zeros_like(p) for p in params]
    sma_inf = 2.0 / (1.0 - beta_2) - 1.0
    for it in range(steps):
        grads = grad_fn(params)
        lr_t = lr / (1.0 + decay * it)
        t = it + 1.0
        sma_t = sma_inf - 2.0 * t * beta_2 ** t / (1.0 - beta_2 ** t)
        for p, g, m, v in zip(params, grads, ms, vs, strict=True):
            m[...] = beta_1 * m + (1 - beta_1) * g
            v[...] = beta_2 * v + (1 - beta_2) * g * g
            m_corr = m / (1 - beta_1 ** t)
            if sma_t >= threshold:
                r_t = np.sqrt((sma_t - 4) / (sma_inf - 4) * (sma_t - 2) / (sma_inf - 2)
                              * sma_inf / sma_t)
                p -= lr_t * r_t * m_corr / (np.sqrt(v / (1 - beta_2 ** t)) + epsilon)
            else:
                p -= lr_t * m_corr
    return params


def test_radam_subclass_matches_numpy_with_train_on_batch():
    rng = np.random.RandomState(3)
    x = rng.normal(size=(8, 4)).astype("float32")
    y = rng.normal(size=(8, 3)).astype("float32")
    model = keras.models.Sequential([keras.layers.Dense(3, input_shape=(4,))])
    start = [w.astype("float64") for w in model.get_weights()]
    opt = RAdam(lr=0.05, beta_2=0.99, decay=0.01)
    model.compile(optimizer=opt, loss="mse")
    # sma_t reaches the threshold at step 6: both K.switch branches are taken
    steps = 7
    for _ in range(steps):
        model.train_on_batch(x, y)

    def grads(params):
        kernel, bias = params
        d = 2.0 * (x.astype("float64") @ kernel + bias - y) / y.size
        return [x.T.astype("float64") @ d, d.sum(axis=0)]

    ref = _numpy_radam(start, grads, steps, 0.05, 0.9, 0.99, K.epsilon(), 0.01, 5.0)
    for got, want in zip(model.get_weights(), ref, strict=True):
        np.testing.assert_allclose(got, want, atol=1e-5)
    assert int(K.get_value(opt.iterations)) == steps
    assert len(opt.weights) == 1 + 2 * 2  # iterations, then the m and v of kernel and bias


def test_radam_config_keeps_its_keras2_arguments():
    opt = RAdam(lr=0.02, beta_1=0.8, epsilon=1e-6, clipnorm=1.0)
    config = opt.get_config()
    assert config["lr"] == pytest.approx(0.02) and config["clipnorm"] == 1.0
    again = RAdam.from_config(config)  # lr stays lr: RAdam.__init__ declares it
    assert float(K.get_value(again.lr)) == pytest.approx(0.02)
    assert float(K.get_value(again.beta_1)) == pytest.approx(0.8)
    assert again.epsilon == 1e-6 and again.clipnorm == 1.0


def test_radam_state_is_saved_and_reloaded_with_custom_objects(tmp_path):
    rng = np.random.RandomState(4)
    x = rng.normal(size=(16, 4)).astype("float32")
    y = rng.normal(size=(16, 1)).astype("float32")
    model = keras.models.Sequential([keras.layers.Dense(5, activation="tanh", input_shape=(4,)),
                                     keras.layers.Dense(1)])
    model.compile(optimizer=RAdam(lr=0.01), loss="mse")
    model.fit(x, y, batch_size=4, epochs=2, verbose=0)
    path = str(tmp_path / "radam.h5")
    model.save(path)
    reloaded = keras.models.load_model(path, custom_objects={"RAdam": RAdam})
    assert type(reloaded.optimizer) is RAdam
    saved, loaded = model.optimizer.get_weights(), reloaded.optimizer.get_weights()
    assert len(loaded) == len(saved) == 1 + 2 * 4 and int(loaded[0]) == 8
    for a, b in zip(saved, loaded, strict=True):
        np.testing.assert_array_equal(a, b)
    model.train_on_batch(x, y)
    reloaded.train_on_batch(x, y)
    for a, b in zip(model.get_weights(), reloaded.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)
