"""Training continues exactly from files whose optimizer state tf.keras >= 2.11 or Keras 3
wrote (``Custom>Adam``, ``Adam/m/dense/kernel``, ``adam/<path>_momentum``), and from Keras
2.2.4's optimizer weight lists; BatchNormalization's moving statistics follow step for step.

Golden files: tools/fx_interop.py (tf_keras 2.21 and Keras 3 train 3 steps, save, train 3
more steps and record every weight after each; tf_keras also loads the file and trains a copy
the same 3 steps)."""

import json
import warnings
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch
from numeric_utils import assert_close

from openkeras import optimizers
from openkeras.models import load_model
from openkeras.saving.optimizer_state import convert_optimizer_weights

FIXTURES = Path(__file__).parent.parent / "fixtures" / "interop"
# Same update rules as Keras 2 (and as ours): the next steps must match to float32 rounding.
EXACT = ["tfk_legacy_adam", "tfk_adam", "tfk_adam_amsgrad", "tfk_sgd_nesterov", "tfk_rmsprop_centered",
         "tfk_adadelta", "tfk_adamax", "k3_adam", "k3_sgd_momentum", "k3_rmsprop_momentum"]


def _continue(case):
    data = np.load(FIXTURES / f"{case}.npz")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = load_model(FIXTURES / f"{case}.h5")
    assert not [str(w.message) for w in caught if "optimizer" in str(w.message)]
    assert int(model.optimizer.iterations) == 3
    steps = []
    for i in range(3, 6):
        loss = model.train_on_batch(data["x"][i], data["y"][i])
        steps.append((loss, model.get_weights()))
    return data, model, steps


@pytest.mark.parametrize("case", EXACT)
def test_training_continues_step_for_step_from_newer_keras_files(case):
    data, model, steps = _continue(case)
    for i, (loss, weights) in zip(range(3, 6), steps, strict=True):
        assert float(np.asarray(loss).reshape(-1)[0]) == pytest.approx(
            float(data[f"loss_{i}"]), rel=1e-5)
        assert len(weights) == 8  # kernels, biases, gamma, beta, moving mean and variance
        for prefix in ("step", "loaded_step"):  # uninterrupted, and loaded by tf_keras
            if f"{prefix}{i}_w0" not in data:
                continue  # Keras 3 cases: uninterrupted only
            for j, actual in enumerate(weights):
                assert_close(actual, data[f"{prefix}{i}_w{j}"], rtol=1e-5, atol=1e-6)


def test_adagrad_from_tf_keras_2_11_continues_with_keras_2_rule():
    # tf.keras >= 2.11 divides by sqrt(acc + eps), Keras 2.2.4 (and openkeras) by
    # sqrt(acc) + eps: the accumulated state maps exactly, the steps agree to ~1e-6.
    data, model, steps = _continue("tfk_adagrad")
    assert model.optimizer.get_config()["initial_accumulator_value"] == pytest.approx(0.1)
    for i, (_, weights) in zip(range(3, 6), steps, strict=True):
        for j, actual in enumerate(weights):
            assert_close(actual, data[f"step{i}_w{j}"], rtol=1e-4, atol=1e-5)


def test_learning_rate_and_names_from_files_are_kept():
    with h5py.File(FIXTURES / "tfk_adam.h5") as f:
        config = json.loads(f.attrs["training_config"])["optimizer_config"]
        names = [n.decode() if isinstance(n, bytes) else n
                 for n in f["optimizer_weights"].attrs["weight_names"]]
    assert config["class_name"] == "Custom>Adam" and names[:2] == ["iteration:0",
                                                                   "Adam/m/dense/kernel:0"]
    model = load_model(FIXTURES / "tfk_adam.h5")
    assert isinstance(model.optimizer, optimizers.Adam)
    assert model.optimizer.get_config()["learning_rate"] == pytest.approx(0.01)
    adadelta = load_model(FIXTURES / "tfk_adadelta.h5").optimizer
    assert adadelta.get_config()["learning_rate"] == 1.0  # as stored, not a default


def _built(optimizer, shapes):
    params = [torch.nn.Parameter(torch.zeros(s)) for s in shapes]
    optimizer.build(params)
    return optimizer


def test_keras3_names_map_slot_by_slot():
    opt = _built(optimizers.RMSprop(momentum=0.5, centered=True), [(2, 3), (3,)])
    names = ["rm_sprop/iteration", "rm_sprop/learning_rate",
             "rm_sprop/d_kernel_velocity", "rm_sprop/d_bias_velocity",
             "rm_sprop/d_kernel_momentum", "rm_sprop/d_bias_momentum",
             "rm_sprop/d_kernel_average_gradient", "rm_sprop/d_bias_average_gradient"]
    values = [np.int64(7), np.float32(0.25)] + [np.full(s, k, np.float32) for k, s in
                                                  enumerate([(2, 3), (3,)] * 3)]
    out = convert_optimizer_weights(opt, names, values)
    opt.set_weights(out)
    assert int(opt.iterations) == 7 and float(opt.lr) == 0.25
    assert opt.get_slot_names() == ["rms", "momentum", "mg"]
    assert [float(w.reshape(-1)[0]) for w in opt.get_weights()[1:]] == [0, 1, 2, 3, 4, 5]


def test_nadam_momentum_cache_is_recomputed_from_the_step():
    opt = _built(optimizers.Nadam(), [(2,)])
    names = ["iteration:0", "Nadam/m/d/kernel:0", "Nadam/v/d/kernel:0"]
    out = convert_optimizer_weights(opt, names, [np.int64(2), np.ones(2), np.ones(2)])
    mu = [0.9 * (1 - 0.5 * 0.96 ** (0.004 * t)) for t in (1, 2)]
    assert_close(out[1], mu[0] * mu[1])
    reference = _built(optimizers.Nadam(), [(2,)])
    for _ in range(2):
        reference._params[0].grad = torch.ones(2)
        reference.step()
    assert_close(out[1], reference.get_weights()[1], rtol=0, atol=0)


@pytest.mark.parametrize("make,stored,expected", [
    # Keras 2.2.4: RMSprop/Adagrad/Adadelta lists have no iterations (0 is put first)
    (optimizers.RMSprop, [(2,), (3,)], ["iter0", 0, 1]),
    (optimizers.Adadelta, [(2,), (3,), (2,), (3,)], ["iter0", 0, 1, 2, 3]),
    # SGD moments exist without momentum (unused: dropped); Adam's (1,) vhats without amsgrad
    (optimizers.SGD, [(), (2,), (3,)], [0]),
    (optimizers.Adam, [(), (2,), (3,), (2,), (3,), (1,), (1,)], [0, 1, 2, 3, 4]),
    # no Nadam momentum cache: recomputed from the step count
    (optimizers.Nadam, [(), (2,), (3,), (2,), (3,)], [0, "cache", 1, 2, 3, 4]),
])
def test_keras_2_2_4_optimizer_lists(make, stored, expected):
    opt = _built(make(), [(2,), (3,)])
    values = [np.full(s, 2, np.int64) if s == () else np.full(s, k, np.float32)
              for k, s in enumerate(stored)]
    out = convert_optimizer_weights(opt, ["training/x/Variable:0"] * len(values), values)
    assert len(out) == len(expected)
    for got, want in zip(out, expected, strict=True):
        if want == "iter0":
            assert int(got) == 0
        elif want == "cache":
            assert_close(got, opt.momentum_cache_after(2))
        else:
            assert got is values[want]
    opt.set_weights(out)


def test_unknown_slot_names_refuse_with_a_clear_error():
    opt = _built(optimizers.Adam(), [(2,)])
    with pytest.raises(ValueError, match="'Adam/zeta/d/kernel:0' has no counterpart"):
        convert_optimizer_weights(opt, ["iteration:0", "Adam/zeta/d/kernel:0"],
                                  [np.int64(1), np.ones(2)])
