import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from numeric_utils import assert_close  # noqa: E402

from openkeras import optimizers
from openkeras.optimizers import schedules

FIXTURES = Path(__file__).parent / "fixtures" / "optimizers"
CASES = ["sgd", "sgd_momentum", "sgd_nesterov_decay", "rmsprop", "rmsprop_centered_momentum",
         "adagrad", "adadelta", "adam", "adam_amsgrad", "adamax", "nadam", "sgd_clipnorm",
         "adam_clipvalue"]


def _replay(data, optimizer):
    """20 full-batch steps of y = x @ kernel + bias with loss mse, as the fixture generator."""
    kernel = torch.nn.Parameter(torch.from_numpy(data["kernel_init"].copy()))
    bias = torch.nn.Parameter(torch.from_numpy(data["bias_init"].copy()))
    x, y = torch.from_numpy(data["x"]), torch.from_numpy(data["y"])
    optimizer.build([kernel, bias])
    step1, loss_values = None, []
    for step in range(20):
        optimizer.zero_grad()
        loss = torch.square(x @ kernel + bias - y).mean(dim=-1).mean()
        loss_values.append(loss.item())
        loss.backward()
        optimizer.step()
        if step == 0:
            step1 = (kernel.detach().clone(), bias.detach().clone())
    return step1, (kernel.detach(), bias.detach()), loss_values


@pytest.mark.parametrize("case", CASES)
def test_trajectory_matches_tf_keras_golden(case):
    data = np.load(FIXTURES / f"{case}.npz")
    config = json.loads(str(data["config"]))
    optimizer = optimizers.get({"class_name": config["name"], "config": config})
    (k1, b1), (kf, bf), loss_values = _replay(data, optimizer)
    assert_close(k1, data["kernel_step1"])
    assert_close(b1, data["bias_step1"])
    assert_close(kf, data["kernel_final"])
    assert_close(bf, data["bias_final"])
    assert_close(loss_values, data["losses"], rtol=1e-5, atol=1e-5)
    expected = [data[f"opt_weights_{i}"] for i in range(len(data["opt_weight_names"]))]
    weights = optimizer.get_weights()
    assert len(weights) == len(expected)
    assert weights[0].dtype == np.int64 and int(weights[0]) == 20
    for actual, wanted in zip(weights, expected, strict=True):
        assert actual.shape == wanted.shape
        assert_close(actual, wanted)
    mine = optimizer.get_config()
    assert set(mine) == set(config)
    for key, value in config.items():
        if isinstance(value, float):
            assert np.float32(mine[key]) == np.float32(value), key
        else:
            assert mine[key] == value, key


# -- hand-written float64 references of the Keras 2.2.4 update rules (keras/optimizers.py) ----
# (tf.keras 2 has the same rules; it changed defaults: Adagrad's accumulators start at 0.1.)

def _reference(name, hp, grads, w0):
    w = w0.astype(np.float64)
    z = np.zeros_like(w)
    s = {"m": z.copy(), "v": z.copy(), "vhat": z.copy(), "acc": z + hp.get("initial_accumulator_value", 0.0),
         "mg": z.copy(), "mom": z.copy(), "accu": z.copy(), "cache": 1.0}
    for i, g in enumerate(grads):
        t = i + 1
        lr = hp["lr"] * (1.0 / (1 + hp.get("decay", 0.0) * i))
        if name == "sgd":
            s["mom"] = hp["momentum"] * s["mom"] - lr * g
            w = w + (hp["momentum"] * s["mom"] - lr * g if hp["nesterov"] else s["mom"])
        elif name == "rmsprop":
            s["acc"] = hp["rho"] * s["acc"] + (1 - hp["rho"]) * g * g
            s["mg"] = hp["rho"] * s["mg"] + (1 - hp["rho"]) * g
            denom = s["acc"] - s["mg"] ** 2 if hp["centered"] else s["acc"]
            if hp["momentum"]:
                s["mom"] = hp["momentum"] * s["mom"] + lr * g / np.sqrt(denom + hp["eps"])
                w = w - s["mom"]
            else:
                w = w - lr * g / (np.sqrt(denom) + hp["eps"])
        elif name == "adagrad":
            s["acc"] = s["acc"] + g * g
            w = w - lr * g / (np.sqrt(s["acc"]) + hp["eps"])
        elif name == "adadelta":
            s["acc"] = hp["rho"] * s["acc"] + (1 - hp["rho"]) * g * g
            update = np.sqrt(s["accu"] + hp["eps"]) / np.sqrt(s["acc"] + hp["eps"]) * g
            w = w - lr * update
            s["accu"] = hp["rho"] * s["accu"] + (1 - hp["rho"]) * update**2
        elif name in ("adam", "adamax", "nadam"):
            b1, b2 = hp["beta_1"], hp["beta_2"]
            s["m"] = b1 * s["m"] + (1 - b1) * g
            if name == "adam":
                s["v"] = b2 * s["v"] + (1 - b2) * g * g
                s["vhat"] = np.maximum(s["vhat"], s["v"])
                v = s["vhat"] if hp["amsgrad"] else s["v"]
                alpha = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
                w = w - alpha * s["m"] / (np.sqrt(v) + hp["eps"])
            elif name == "adamax":
                s["v"] = np.maximum(b2 * s["v"], np.abs(g))
                w = w - lr / (1 - b1**t) * s["m"] / (s["v"] + hp["eps"])
            else:
                lr = hp["lr"]
                mu = b1 * (1 - 0.5 * 0.96 ** (0.004 * t))
                mu_next = b1 * (1 - 0.5 * 0.96 ** (0.004 * (t + 1)))
                s["cache"] *= mu
                s["v"] = b2 * s["v"] + (1 - b2) * g * g
                m_bar = (1 - mu) * g / (1 - s["cache"]) + mu_next * s["m"] / (
                    1 - s["cache"] * mu_next)
                v_hat = s["v"] / (1 - b2**t)
                w = w - lr * m_bar / (np.sqrt(v_hat) + hp["eps"])
    return w


REFERENCE_CASES = [
    ("sgd", dict(lr=0.1, momentum=0.0, nesterov=False),
     lambda: optimizers.SGD(0.1)),
    ("sgd", dict(lr=0.05, momentum=0.8, nesterov=True, decay=0.1),
     lambda: optimizers.SGD(0.05, momentum=0.8, nesterov=True, decay=0.1)),
    ("rmsprop", dict(lr=0.01, rho=0.8, momentum=0.0, centered=False, eps=1e-3),
     lambda: optimizers.RMSprop(0.01, rho=0.8, epsilon=1e-3)),
    ("rmsprop", dict(lr=0.01, rho=0.8, momentum=0.0, centered=True, eps=1e-3),
     lambda: optimizers.RMSprop(0.01, rho=0.8, epsilon=1e-3, centered=True)),
    ("rmsprop", dict(lr=0.01, rho=0.9, momentum=0.7, centered=False, eps=1e-3),
     lambda: optimizers.RMSprop(0.01, momentum=0.7, epsilon=1e-3)),
    ("adagrad", dict(lr=0.1, eps=1e-3), lambda: optimizers.Adagrad(0.1, epsilon=1e-3)),
    ("adagrad", dict(lr=0.1, eps=1e-3, initial_accumulator_value=0.1),
     lambda: optimizers.Adagrad(0.1, initial_accumulator_value=0.1, epsilon=1e-3)),
    ("adadelta", dict(lr=1.0, rho=0.9, eps=1e-3),
     lambda: optimizers.Adadelta(1.0, rho=0.9, epsilon=1e-3)),
    ("adam", dict(lr=0.01, beta_1=0.8, beta_2=0.99, eps=1e-3, amsgrad=False),
     lambda: optimizers.Adam(0.01, beta_1=0.8, beta_2=0.99, epsilon=1e-3)),
    ("adam", dict(lr=0.01, beta_1=0.8, beta_2=0.99, eps=1e-3, amsgrad=True),
     lambda: optimizers.Adam(0.01, beta_1=0.8, beta_2=0.99, epsilon=1e-3, amsgrad=True)),
    ("adamax", dict(lr=0.01, beta_1=0.8, beta_2=0.99, eps=1e-3),
     lambda: optimizers.Adamax(0.01, beta_1=0.8, beta_2=0.99, epsilon=1e-3)),
    ("nadam", dict(lr=0.01, beta_1=0.8, beta_2=0.99, eps=1e-3),
     lambda: optimizers.Nadam(0.01, beta_1=0.8, beta_2=0.99, epsilon=1e-3)),
]


@pytest.mark.parametrize("name,hp,make", REFERENCE_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(REFERENCE_CASES)])
def test_update_rules_match_hand_written_formulas(name, hp, make):
    rng = np.random.default_rng(1)
    w0 = rng.normal(size=(3, 4)).astype(np.float32)
    grads = [rng.normal(size=(3, 4)).astype(np.float32) for _ in range(6)]
    param = torch.nn.Parameter(torch.from_numpy(w0.copy()))
    optimizer = make()
    optimizer.build([param])
    for g in grads:
        param.grad = torch.from_numpy(g)
        optimizer.step()
    assert_close(param, _reference(name, hp, grads, w0), rtol=1e-5, atol=1e-6)


def test_adam_epsilon_is_added_before_bias_correction_unlike_torch():
    w0, g = torch.ones(4), torch.tensor([0.1, -0.2, 0.3, 0.05])
    ours = torch.nn.Parameter(w0.clone())
    theirs = torch.nn.Parameter(w0.clone())
    opt = optimizers.Adam(0.1, epsilon=0.01)
    opt.build([ours])
    ref = torch.optim.Adam([theirs], lr=0.1, eps=0.01)
    ours.grad, theirs.grad = g.clone(), g.clone()
    opt.step()
    ref.step()
    # step 1: m = 0.1 g, v = 0.001 g^2, alpha = 0.1 * sqrt(0.001) / 0.1
    alpha = 0.1 * np.sqrt(0.001) / 0.1
    expected = 1 - alpha * 0.1 * g.numpy() / (np.sqrt(0.001) * np.abs(g.numpy()) + 0.01)
    assert_close(ours, expected)
    assert (ours - theirs).abs().max() > 1e-3


def test_defaults_are_keras_2_and_configs_use_tf_keras_keys():
    # Defaults of Keras 2.2.4's keras/optimizers.py (tf.keras 2 changed Adagrad, Adadelta,
    # Adamax and Nadam); keys as tf.keras 2 writes them, so its loader reads our files.
    expected = {
        "sgd": {"name": "SGD", "learning_rate": 0.01, "decay": 0.0, "momentum": 0.0,
                "nesterov": False},
        "rmsprop": {"name": "RMSprop", "learning_rate": 0.001, "decay": 0.0, "rho": 0.9,
                    "momentum": 0.0, "epsilon": 1e-07, "centered": False},
        "adagrad": {"name": "Adagrad", "learning_rate": 0.01, "decay": 0.0,
                    "initial_accumulator_value": 0.0, "epsilon": 1e-07},
        "adadelta": {"name": "Adadelta", "learning_rate": 1.0, "decay": 0.0, "rho": 0.95,
                     "epsilon": 1e-07},
        "adam": {"name": "Adam", "learning_rate": 0.001, "decay": 0.0, "beta_1": 0.9,
                 "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": False},
        "adamax": {"name": "Adamax", "learning_rate": 0.002, "decay": 0.0, "beta_1": 0.9,
                   "beta_2": 0.999, "epsilon": 1e-07},
        "nadam": {"name": "Nadam", "learning_rate": 0.002, "decay": 0.004, "beta_1": 0.9,
                  "beta_2": 0.999, "epsilon": 1e-07},
    }
    for name, config in expected.items():
        optimizer = optimizers.get(name)
        assert optimizer.get_config() == config
        clone = optimizers.deserialize(optimizers.serialize(optimizer))
        assert type(clone) is type(optimizer) and clone.get_config() == config
    clipped = optimizers.Adam(clipnorm=1.0, clipvalue=0.5)
    assert clipped.get_config()["clipnorm"] == 1.0 and clipped.get_config()["clipvalue"] == 0.5


def test_get_is_case_insensitive_and_rejects_unknown_names():
    assert isinstance(optimizers.get("Adam"), optimizers.Adam)
    assert isinstance(optimizers.get("RMSProp"), optimizers.RMSprop)
    assert isinstance(optimizers.get({"class_name": "SGD", "config": {"momentum": 0.5}}),
                      optimizers.SGD)
    instance = optimizers.Nadam()
    assert optimizers.get(instance) is instance
    with pytest.raises(ValueError, match="Unknown optimizer: 'adamw'"):
        optimizers.get("adamw")
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier"):
        optimizers.get(42)


def test_from_config_accepts_keras_2_0_to_2_2_configs():
    adam = optimizers.Adam.from_config({"lr": 0.002, "beta_1": 0.9, "beta_2": 0.999,
                                        "decay": 0.0, "epsilon": 1e-08, "amsgrad": True})
    assert adam.get_config()["learning_rate"] == 0.002 and adam.epsilon == 1e-08
    assert adam.amsgrad and adam.get_config()["name"] == "Adam"
    sgd = optimizers.deserialize({"class_name": "SGD", "config": {
        "lr": 0.01, "momentum": 0.9, "decay": 1e-6, "nesterov": True}})
    assert sgd.get_config()["momentum"] == 0.9 and sgd.nesterov
    nadam = optimizers.deserialize({"class_name": "Nadam", "config": {
        "lr": 0.002, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-08,
        "schedule_decay": 0.004}})
    assert nadam.get_config()["decay"] == 0.004 and nadam.get_config()["learning_rate"] == 0.002
    rms = optimizers.deserialize({"class_name": "RMSprop", "config": {
        "lr": 0.001, "rho": 0.9, "decay": 0.0, "epsilon": None}})
    assert rms.epsilon == 1e-7


def test_lr_keyword_is_deprecated_but_works():
    with pytest.warns(DeprecationWarning, match="`lr` is deprecated"):
        opt = optimizers.SGD(lr=0.3)
    assert opt.get_config()["learning_rate"] == pytest.approx(0.3)


def test_hyperparameters_are_cpu_float32_tensors_shared_by_lr_and_learning_rate():
    opt = optimizers.SGD(0.5)
    assert opt.lr is opt.learning_rate
    assert opt.lr.dtype == torch.float32 and opt.lr.device.type == "cpu" and opt.lr.dim() == 0
    tensor = opt.lr
    opt.lr.fill_(0.25)  # what K.set_value does
    assert opt.learning_rate.numpy() == np.float32(0.25)
    opt.learning_rate = 0.125
    assert opt.lr is tensor and float(opt.lr) == 0.125
    param = torch.nn.Parameter(torch.zeros(2))
    opt.build([param])
    param.grad = torch.ones(2)
    opt.step()
    assert_close(param, [-0.125, -0.125])
    opt.momentum = 0.3
    assert float(opt.momentum) == pytest.approx(0.3)


def test_iterations_is_an_int64_cpu_counter_that_can_be_set():
    opt = optimizers.Adam(0.1)
    param = torch.nn.Parameter(torch.zeros(3))
    opt.build([param])
    assert opt.iterations.dtype == torch.int64 and int(opt.iterations) == 0
    param.grad = torch.ones(3)
    opt.step()
    opt.step()
    assert int(opt.iterations) == 2
    opt.iterations = 10
    fresh = optimizers.Adam(0.1)
    other = torch.nn.Parameter(torch.zeros(3))
    fresh.build([other])
    fresh.set_weights([np.int64(10)] + [w.detach().numpy() for w in opt.weights[1:]])
    before = param.detach().clone()
    other.data.copy_(before)
    opt.step()
    other.grad = torch.ones(3)
    fresh.step()
    assert_close(param, other)
    assert int(opt.iterations) == 11


def test_time_based_decay_and_schedules_as_learning_rate():
    param = torch.nn.Parameter(torch.zeros(1))
    opt = optimizers.SGD(1.0, decay=0.5)
    opt.build([param])
    for _ in range(3):
        param.grad = torch.ones(1)
        opt.step()
    assert_close(param, [-(1 + 1 / 1.5 + 1 / 2.0)])
    schedule = schedules.ExponentialDecay(1.0, decay_steps=1, decay_rate=0.5)
    param = torch.nn.Parameter(torch.zeros(1))
    opt = optimizers.SGD(learning_rate=schedule)
    opt.build([param])
    for _ in range(3):
        param.grad = torch.ones(1)
        opt.step()
    assert_close(param, [-(1 + 0.5 + 0.25)])
    config = opt.get_config()
    assert config["learning_rate"] == {"class_name": "ExponentialDecay",
                                       "config": schedule.get_config()}
    clone = optimizers.SGD.from_config(config)
    assert isinstance(clone.learning_rate, schedules.ExponentialDecay)
    with pytest.raises(ValueError, match="Nadam optimizer does not support"):
        optimizers.Nadam(learning_rate=schedule)


def test_schedules_against_formulas_and_config_round_trip():
    cases = [
        (schedules.ExponentialDecay(0.1, 10, 0.5), 15, 0.1 * 0.5**1.5),
        (schedules.ExponentialDecay(0.1, 10, 0.5, staircase=True), 15, 0.05),
        (schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1]), 10, 1.0),
        (schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1]), 11, 0.5),
        (schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1]), 21, 0.1),
        (schedules.PolynomialDecay(0.1, 10, 0.01, power=2.0), 5, 0.09 * 0.25 + 0.01),
        (schedules.PolynomialDecay(0.1, 10, 0.01), 50, 0.01),
        (schedules.PolynomialDecay(0.1, 10, 0.01, cycle=True), 15, 0.09 * 0.25 + 0.01),
        (schedules.InverseTimeDecay(0.1, 10, 0.5), 20, 0.1 / 2.0),
        (schedules.InverseTimeDecay(0.1, 10, 0.5, staircase=True), 19, 0.1 / 1.5),
        (schedules.CosineDecay(0.1, 100, alpha=0.1), 50, 0.1 * (0.9 * 0.5 + 0.1)),
        (schedules.CosineDecay(0.1, 100), 500, 0.0),
        (schedules.CosineDecay(0.0, 100, warmup_target=0.2, warmup_steps=10), 5, 0.1),
        (schedules.CosineDecay(0.0, 100, warmup_target=0.2, warmup_steps=10), 60, 0.1),
    ]
    for schedule, step, expected in cases:
        assert schedule(step) == pytest.approx(expected, abs=1e-12), (schedule, step)
        clone = schedules.deserialize(schedules.serialize(schedule))
        assert type(clone) is type(schedule) and clone.get_config() == schedule.get_config()
    with pytest.raises(ValueError, match="1 less than the length of values"):
        schedules.PiecewiseConstantDecay([1, 2], [1.0])


def test_clipping_rules():
    grads = [torch.tensor([3.0, 4.0]), torch.tensor([0.3, 0.4])]

    def one_step(**kwargs):
        params = [torch.nn.Parameter(torch.zeros(2)) for _ in grads]
        opt = optimizers.SGD(1.0, **kwargs)
        opt.build(params)
        for p, g in zip(params, grads, strict=True):
            p.grad = g.clone()
        opt.step()
        return [-p.detach() for p in params]

    clipped = one_step(clipnorm=1.0)  # per tensor: norms 5 and 0.5
    assert_close(clipped[0], [0.6, 0.8])
    assert_close(clipped[1], [0.3, 0.4])
    clipped = one_step(clipvalue=0.35)
    assert_close(clipped[0], [0.35, 0.35])
    assert_close(clipped[1], [0.3, 0.35])
    global_norm = np.sqrt(25 + 0.25)
    clipped = one_step(global_clipnorm=1.0)
    assert_close(clipped[0], np.array([3.0, 4.0]) / global_norm)
    assert_close(clipped[1], np.array([0.3, 0.4]) / global_norm)
    assert_close(one_step(global_clipnorm=100.0)[0], [3.0, 4.0])
    with pytest.raises(ValueError, match="Cannot accept both `clipnorm` and `global_clipnorm`"):
        optimizers.SGD(clipnorm=1.0, global_clipnorm=1.0)
    with pytest.raises(ValueError, match="clipnorm=-1"):
        optimizers.Adam(clipnorm=-1)
    with pytest.raises(TypeError, match="Unexpected keyword argument passed to optimizer"):
        optimizers.Adam(weight_decay=0.1)


def test_clipping_does_not_modify_param_grad():
    param = torch.nn.Parameter(torch.zeros(2))
    opt = optimizers.SGD(1.0, clipnorm=1.0, clipvalue=2.0)
    opt.build([param])
    param.grad = torch.tensor([3.0, 4.0])
    opt.step()
    assert_close(param.grad, [3.0, 4.0])


def test_params_without_grad_are_skipped_and_state_keeps_keras_order():
    a, b, c = (torch.nn.Parameter(torch.ones(2, 2)), torch.nn.Parameter(torch.ones(3)),
               torch.nn.Parameter(torch.ones(1)))
    opt = optimizers.Adam(0.1, amsgrad=True)
    opt.build([a, b, c])
    a.grad, c.grad = torch.ones(2, 2), torch.ones(1)
    opt.step()
    assert_close(b, np.ones(3))
    assert float(opt.get_slot(b, "m").abs().sum()) == 0.0
    assert float(opt.get_slot(a, "m").abs().sum()) > 0.0
    shapes = [w.shape for w in opt.get_weights()]
    assert shapes == [(), (2, 2), (3,), (1,), (2, 2), (3,), (1,), (2, 2), (3,), (1,)]
    assert opt.get_slot_names() == ["m", "v", "vhat"]
    assert int(opt.iterations) == 1


def test_build_again_keeps_state_and_extends_to_new_params():
    a, b = torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(3))
    opt = optimizers.SGD(0.1, momentum=0.9)
    opt.build([a])
    a.grad = torch.ones(2)
    opt.step()
    momentum = opt.get_slot(a, "momentum").clone()
    opt.build([a])
    assert_close(opt.get_slot(a, "momentum"), momentum)
    opt.build([a, b])
    assert_close(opt.get_slot(a, "momentum"), momentum)
    assert_close(opt.get_slot(b, "momentum"), np.zeros(3))
    assert len(opt.weights) == 3


def test_set_weights_before_build_is_deferred():
    source = optimizers.RMSprop(0.01, momentum=0.5, centered=True)
    params = [torch.nn.Parameter(torch.randn(3, 2)), torch.nn.Parameter(torch.randn(2))]
    source.build(params)
    for _ in range(3):
        for p in params:
            p.grad = torch.randn_like(p)
        source.step()
    saved = source.get_weights()
    target = optimizers.RMSprop.from_config(source.get_config())
    target.set_weights(saved)
    assert target.get_weights() == [target.iterations.numpy()]  # nothing built yet
    target.build([torch.nn.Parameter(p.detach().clone()) for p in params])
    for mine, theirs in zip(target.get_weights(), saved, strict=True):
        assert_close(mine, theirs, rtol=0, atol=0)
    with pytest.raises(ValueError, match="with a weight list of length 2, but the optimizer "
                                         "was expecting 7 weights"):
        target.set_weights(saved[:2])
    with pytest.raises(ValueError, match="Optimizer weight shape"):
        target.set_weights([saved[0]] + [np.zeros(5)] * 6)
    late = optimizers.RMSprop()
    late.set_weights(saved[:2])
    with pytest.warns(UserWarning, match="freshly initialized optimizer"):
        late.build(params)


def test_nadam_momentum_cache_is_the_second_weight():
    param = torch.nn.Parameter(torch.zeros(2))
    opt = optimizers.Nadam()
    opt.build([param])
    param.grad = torch.ones(2)
    opt.step()
    weights = opt.get_weights()
    assert len(weights) == 4 and weights[1].shape == ()
    assert_close(weights[1], 0.9 * (1 - 0.5 * 0.96**0.004))


def test_zero_grad_and_apply_gradients():
    param = torch.nn.Parameter(torch.zeros(2))
    opt = optimizers.SGD(0.5)
    opt.apply_gradients([(torch.ones(2), param)])
    assert_close(param, [-0.5, -0.5])
    param.grad = torch.ones(2)
    opt.zero_grad(set_to_none=False)
    assert_close(param.grad, [0.0, 0.0])
    opt.zero_grad()
    assert param.grad is None
    other = torch.nn.Parameter(torch.zeros(1))
    opt.apply_gradients(zip([torch.ones(1)], [other], strict=True))
    assert_close(other, [-0.5])
    with pytest.raises(RuntimeError, match="must be built"):
        optimizers.Adam().step()


def test_step_never_reads_device_values():
    # Meta tensors have no data: any host synchronization (.item(), bool()) would raise.
    for opt in [optimizers.SGD(momentum=0.9, nesterov=True, clipnorm=1.0),
                optimizers.RMSprop(momentum=0.5, centered=True, clipvalue=1.0),
                optimizers.RMSprop(centered=True), optimizers.Adagrad(), optimizers.Adadelta(),
                optimizers.Adam(amsgrad=True, global_clipnorm=1.0), optimizers.Adamax(),
                optimizers.Nadam()]:
        params = [torch.nn.Parameter(torch.empty(3, 2, device="meta")),
                  torch.nn.Parameter(torch.empty(2, device="meta"))]
        opt.build(params)
        for p in params:
            p.grad = torch.empty_like(p)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            opt.step()
            opt.step()
        assert int(opt.iterations) == 2
        assert all(w.device.type == "meta" for w in opt.weights[-2:])
