"""Thread settings: openkeras chooses them only when the user chose none, and the user's win."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from openkeras import callbacks, config
from openkeras.engine import threads
from openkeras.engine.sequential import Sequential
from openkeras.layers import LSTM, Conv2D, Dense, Flatten, Lambda

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _run(code, **env):
    """Run ``code`` in a new interpreter whose environment is only ``env`` (plus the paths)."""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin", "PYTHONPATH": ROOT,
                              "KERAS_HOME": os.environ["KERAS_HOME"], **env})
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


# What a tiny model's fit runs on, in a fresh interpreter.
_PROBE = """
import json
import numpy as np, openkeras, torch
from openkeras.engine import threads
m = openkeras.Sequential([openkeras.layers.Dense(10, input_shape=(100,))])
m.compile("sgd", "mse")
inside = []
cb = openkeras.callbacks.LambdaCallback(on_batch_end=lambda b, l: inside.append(torch.get_num_threads()))
m.fit(np.zeros((64, 100), "float32"), np.zeros((64, 10), "float32"), verbose=0, callbacks=[cb])
print(json.dumps({"baseline": threads.BASELINE, "user": threads._USER_COUNT, "cores": threads.allowed_cores(),
                  "inside_fit": sorted(set(inside)), "after_fit": torch.get_num_threads()}))
"""


def test_a_fresh_process_trains_a_tiny_model_on_one_thread_and_gives_the_count_back():
    out = _run(_PROBE)
    assert out["user"] is False and out["baseline"] == out["cores"]
    if out["cores"] > 1:
        assert out["inside_fit"] == [1]
        assert out["after_fit"] == out["baseline"]


def test_omp_num_threads_of_the_user_wins():
    out = _run(_PROBE, OMP_NUM_THREADS="2")
    assert out["user"] is True
    assert out["inside_fit"] == [2] and out["after_fit"] == 2


def test_keras_json_threads_at_import_is_not_taken_for_torchs_default(tmp_path):
    (tmp_path / "keras.json").write_text(json.dumps({"threads": 1}))
    code = ("import json, openkeras, torch; from openkeras.engine import threads; "
            "print(json.dumps([openkeras.config.threads(), torch.get_num_threads(), "
            "threads.BASELINE, threads.allowed_cores()]))")
    fixed, now, baseline, cores = _run(code, KERAS_HOME=str(tmp_path))
    assert (fixed, now) == (1, 1)
    assert baseline == cores  # torch's default count, so 'auto' later sizes again


# ----------------------------------------------------------------- per-call thread count
@pytest.fixture
def managed(monkeypatch):
    """This process as openkeras manages it: 2 threads by default and nothing set by the user."""
    before = torch.get_num_threads()
    monkeypatch.setattr(threads, "BASELINE", 2)
    monkeypatch.setattr(threads, "_USER_COUNT", False)
    monkeypatch.setattr(threads, "free_cores", lambda limit: limit)
    torch.set_num_threads(2)
    yield
    config.set_threads(None)
    torch.set_num_threads(before)


def _tiny():
    model = Sequential([Dense(32, activation="relu", input_shape=(100,)), Dense(10)])
    model.compile("rmsprop", "mse")
    return model


def _fit_threads(model, extra=()):
    """torch's thread count at each batch of one epoch of ``fit``, and after it."""
    inside = []
    cb = callbacks.LambdaCallback(on_batch_end=lambda b, logs: inside.append(torch.get_num_threads()))
    model.fit(np.zeros((64, 100), "float32"), np.zeros((64, 10), "float32"), batch_size=32,
              verbose=0, callbacks=[cb, *extra])
    return sorted(set(inside)), torch.get_num_threads()


def test_small_model_runs_on_one_thread_and_the_count_comes_back(managed):
    model = _tiny()
    assert _fit_threads(model) == ([1], 2)
    seen = []
    model.predict(np.zeros((8, 100), "float32"), callbacks=[callbacks.LambdaCallback(
        on_predict_batch_end=lambda b, logs: seen.append(torch.get_num_threads()))])
    assert seen == [1] and torch.get_num_threads() == 2


def test_on_batch_methods_run_small_models_on_one_thread_too(managed):
    seen = []

    def record(x):
        seen.append(torch.get_num_threads())
        return x

    model = Sequential([Dense(32, input_shape=(100,)), Lambda(record), Dense(10)])
    model.compile("sgd", "mse")
    x, y = np.zeros((4, 100), "float32"), np.zeros((4, 10), "float32")
    seen.clear()
    model.train_on_batch(x, y)
    model.test_on_batch(x, y)
    model.predict_on_batch(x)
    assert seen == [1, 1, 1] and torch.get_num_threads() == 2


def test_large_work_runs_on_the_free_cores(managed, monkeypatch):
    big = Sequential([Conv2D(32, 3, input_shape=(28, 28, 1)), Flatten(), Dense(10)])
    assert threads.choose(big, 32) == 2
    monkeypatch.setattr(threads, "free_cores", lambda limit: 1)  # another process holds a core
    assert threads.choose(big, 32) == 1
    assert threads.choose(big, None) == 1
    assert threads.choose(_tiny(), 32) == 1


def test_torch_set_num_threads_of_the_user_wins(managed):
    torch.set_num_threads(3)
    assert _fit_threads(_tiny()) == ([3], 3)


def test_a_count_set_during_the_call_is_kept(managed):
    cb = callbacks.LambdaCallback(on_train_begin=lambda logs: torch.set_num_threads(3))
    assert _fit_threads(_tiny(), [cb]) == ([3], 3)


def test_config_set_threads_fixes_the_count_and_auto_gives_it_back(managed):
    config.set_threads(3)
    assert config.threads() == 3 and torch.get_num_threads() == 3
    assert _fit_threads(_tiny()) == ([3], 3)
    config.set_threads("auto")
    assert config.threads() is None and torch.get_num_threads() == 2
    assert _fit_threads(_tiny()) == ([1], 2)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "many"])
def test_set_threads_rejects_what_is_not_a_positive_count(bad):
    with pytest.raises(ValueError, match=f"positive integer or 'auto'. Received: {bad!r}"):
        config.set_threads(bad)
    assert config.threads() is None


def test_keras_json_threads_key(tmp_path, monkeypatch, managed):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (tmp_path / "keras.json").write_text(json.dumps({"threads": 1}))
    config._load()
    assert config.threads() == 1 and torch.get_num_threads() == 1
    (tmp_path / "keras.json").write_text(json.dumps({"threads": "auto"}))
    config._load()
    assert config.threads() is None and torch.get_num_threads() == 2
    (tmp_path / "keras.json").write_text(json.dumps({"threads": 0}))
    with pytest.raises(ValueError, match=r"keras\.json.*threads.*Received: 0"):
        config._load()


# --------------------------------------------------------------------------- estimates
def test_work_per_sample_counts_weights_times_positions():
    assert threads.work_per_sample(_tiny()) == 100 * 32 + 32 + 32 * 10 + 10
    conv = Sequential([Conv2D(8, 3, input_shape=(10, 10, 1)), Flatten(), Dense(4)])
    # conv weights at each input pixel (10x10 >= 8x8 outputs), the Dense once
    assert threads.work_per_sample(conv) == (9 * 8 + 8) * 100 + (8 * 8 * 8 * 4 + 4)
    assert threads.work_per_sample(Sequential([LSTM(4, input_shape=(None, 3))])) is None
    assert threads.work_per_sample(Sequential([LSTM(4, input_shape=(7, 3))])) == 7 * (
        3 * 16 + 4 * 16 + 16)


def test_busy_elsewhere_reads_the_running_count():
    text = "0.50 0.40 0.30 3/200 12345\n"
    assert threads.busy_elsewhere(text, own_running=1, cores=2, online=2) == 2
    assert threads.busy_elsewhere(text, own_running=3, cores=2, online=2) == 0
    assert threads.busy_elsewhere("1 1 1 9/300 1", own_running=1, cores=2, online=8) == 2
    assert 1 <= threads.free_cores(2, max_age=0) <= 2
