"""Keras 2.2.4's optimizer defaults (keras/optimizers.py), which tf.keras 2 changed: the
trajectories below are computed in numpy from 2.2.4's update rules with 2.2.4's defaults."""

import json
import warnings

import h5py
import numpy as np
import pytest
import torch
from numeric_utils import assert_close

import openkeras as ok
from openkeras import backend as K
from openkeras import config, optimizers
from openkeras.models import load_model


def _keras_2_2_4(name, grads, w0):
    """Keras 2.2.4's get_updates with its default hyper-parameters, in float64."""
    eps, w = 1e-7, w0.astype(np.float64)
    a, d, m, v, cache = (np.zeros_like(w), np.zeros_like(w), np.zeros_like(w),
                         np.zeros_like(w), 1.0)
    for i, g in enumerate(grads):
        t = i + 1
        if name == "sgd":
            w = w - 0.01 * g
        elif name == "rmsprop":
            a = 0.9 * a + 0.1 * g * g
            w = w - 0.001 * g / (np.sqrt(a) + eps)
        elif name == "adagrad":  # accumulators start at 0 (tf.keras: 0.1), lr 0.01
            a = a + g * g
            w = w - 0.01 * g / (np.sqrt(a) + eps)
        elif name == "adadelta":  # lr 1.0 (tf.keras: 0.001)
            a = 0.95 * a + 0.05 * g * g
            update = g * np.sqrt(d + eps) / np.sqrt(a + eps)
            w = w - 1.0 * update
            d = 0.95 * d + 0.05 * update**2
        elif name == "adam":
            m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g * g
            w = w - 0.001 * np.sqrt(1 - 0.999**t) / (1 - 0.9**t) * m / (np.sqrt(v) + eps)
        elif name == "adamax":  # lr 0.002
            m, v = 0.9 * m + 0.1 * g, np.maximum(0.999 * v, np.abs(g))
            w = w - 0.002 / (1 - 0.9**t) * m / (v + eps)
        elif name == "nadam":  # lr 0.002, schedule_decay 0.004
            mu = 0.9 * (1 - 0.5 * 0.96 ** (t * 0.004))
            mu_next = 0.9 * (1 - 0.5 * 0.96 ** ((t + 1) * 0.004))
            cache, cache_next = cache * mu, cache * mu * mu_next
            m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g * g
            m_bar = (1 - mu) * g / (1 - cache) + mu_next * m / (1 - cache_next)
            w = w - 0.002 * m_bar / (np.sqrt(v / (1 - 0.999**t)) + eps)
    return w


@pytest.mark.parametrize("name", ["sgd", "rmsprop", "adagrad", "adadelta", "adam", "adamax",
                                  "nadam"])
def test_default_trajectories_follow_keras_2_2_4(name):
    rng = np.random.default_rng(3)
    w0 = rng.normal(size=(4, 3)).astype(np.float32)
    grads = [rng.normal(scale=0.5, size=(4, 3)).astype(np.float32) for _ in range(8)]
    param = torch.nn.Parameter(torch.from_numpy(w0.copy()))
    opt = optimizers.get(name)
    opt.build([param])
    for g in grads:
        param.grad = torch.from_numpy(g)
        opt.step()
    assert_close(param, _keras_2_2_4(name, grads, w0), rtol=1e-5, atol=1e-6)


def test_adadelta_default_moves_like_keras_2_not_tf_keras():
    param = torch.nn.Parameter(torch.zeros(1))
    opt = optimizers.Adadelta()
    opt.build([param])
    param.grad = torch.ones(1)
    opt.step()
    # one step: sqrt(eps) / sqrt(0.05 + eps) * lr; lr 1.0 gives ~1.4e-3, tf.keras's 0.001 ~1.4e-6
    assert_close(param, [-np.sqrt(1e-7) / np.sqrt(0.05 + 1e-7)], rtol=1e-5, atol=0)


def test_epsilon_none_reads_k_epsilon_when_the_optimizer_is_made():
    old = config.epsilon()
    try:
        K.set_epsilon(1e-4)
        for cls in (optimizers.RMSprop, optimizers.Adagrad, optimizers.Adadelta,
                    optimizers.Adam, optimizers.Adamax, optimizers.Nadam):
            assert cls().epsilon == 1e-4 and cls(epsilon=1e-3).epsilon == 1e-3
            assert cls().get_config()["epsilon"] == 1e-4
    finally:
        K.set_epsilon(old)
    assert optimizers.Adam().epsilon == old


def _linear_model(optimizer):
    model = ok.Sequential([ok.layers.Dense(1, use_bias=False, kernel_initializer="zeros",
                                           input_shape=(2,))])
    model.compile(optimizer=optimizer, loss="mse")
    return model


def test_string_optimizers_take_keras_2_defaults():
    for name, lr in [("adadelta", 1.0), ("adagrad", 0.01), ("adamax", 0.002), ("nadam", 0.002),
                     ("sgd", 0.01), ("rmsprop", 0.001), ("adam", 0.001)]:
        model = _linear_model(name)
        assert K.get_value(model.optimizer.lr) == pytest.approx(lr)
        assert K.get_value(model.optimizer.learning_rate) == pytest.approx(lr)


def test_k_set_value_on_lr_changes_the_step_fit_takes():
    x, y = np.array([[1.0, 2.0]], "float32"), np.array([[1.0]], "float32")
    model = _linear_model(optimizers.SGD())
    assert K.get_value(model.optimizer.lr) == pytest.approx(0.01)
    K.set_value(model.optimizer.lr, 0.1)
    model.fit(x, y, epochs=1, verbose=0)
    # d/dw (x.w - y)^2 at w = 0 is -2 y x = [-2, -4]: one SGD step of lr 0.1
    assert_close(model.get_weights()[0], [[0.2], [0.4]])
    model.optimizer.learning_rate = 0.0
    model.fit(x, y, epochs=1, verbose=0)
    assert_close(model.get_weights()[0], [[0.2], [0.4]])
    assert model.optimizer.get_config()["learning_rate"] == 0.0


def test_lr_and_learning_rate_spellings_round_trip():
    with pytest.warns(DeprecationWarning, match="`lr` is deprecated"):
        opt = optimizers.Adadelta(lr=0.5)
    assert opt.lr is opt.learning_rate and float(opt.lr) == 0.5
    clone = optimizers.Adadelta.from_config(opt.get_config())
    assert float(clone.learning_rate) == 0.5
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a Keras 2.2.4 config in a file does not warn
        old = optimizers.Adadelta.from_config({"lr": 0.25, "rho": 0.95, "decay": 0.0,
                                               "epsilon": 1e-7})
    assert float(old.lr) == 0.25


@pytest.mark.parametrize("stored", [{"lr": 0.001}, {"learning_rate": 0.001}, {}])
def test_learning_rate_in_a_file_is_kept_as_stored(tmp_path, stored):
    model = _linear_model(optimizers.Adadelta())
    path = tmp_path / "m.h5"
    model.save(path)
    with h5py.File(path, "r+") as f:
        training = json.loads(f.attrs["training_config"])
        training["optimizer_config"] = {"class_name": "Adadelta",
                                        "config": {"rho": 0.95, **stored}}
        f.attrs["training_config"] = json.dumps(training)
        del f.attrs["openkeras_digest"]  # as in a file tf.keras wrote (no openkeras checksum)
    loaded = load_model(path).optimizer
    # a tf.keras file's 0.001 stays 0.001; a config without one takes Keras 2's default
    assert K.get_value(loaded.lr) == pytest.approx(0.001 if stored else 1.0)


def test_nadam_schedule_decay_spellings():
    assert float(optimizers.Nadam().schedule_decay) == pytest.approx(0.004)
    nadam = optimizers.Nadam(schedule_decay=0.01)
    assert K.get_value(nadam.schedule_decay) == pytest.approx(0.01)
    assert nadam.get_config()["decay"] == pytest.approx(0.01)
    assert float(optimizers.Nadam(decay=0.02).schedule_decay) == pytest.approx(0.02)
