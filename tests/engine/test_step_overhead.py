"""The Python work per batch of fit and predict stays small (counted, so load cannot blur it).

Bounds: openkeras function calls per training step of a 100-32-10 MLP (54 when written, 72
before) and per batch of ``predict(batch_size=1)`` (31; 38 before), with some room. Per-layer or
per-call machinery creeping onto the hot path (adapters, callback lists, shape checks, thread
sizing per batch) breaks them.
"""

import collections
import os
import sys

import numpy as np

import openkeras

PACKAGE = os.path.dirname(openkeras.__file__)
FIT_STEP_LIMIT = 64
PREDICT_BATCH_LIMIT = 35


def _calls(fn):
    """Counter of openkeras functions called while ``fn`` runs."""
    calls = collections.Counter()

    def profiler(frame, event, arg):
        code = frame.f_code
        if event == "call" and code.co_filename.startswith(PACKAGE):
            calls[f"{os.path.relpath(code.co_filename, PACKAGE)}:{code.co_name}"] += 1

    sys.setprofile(profiler)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return calls


def _per_batch(run, small, large):
    """Calls per batch: the difference between runs of ``large`` and ``small`` batches."""
    few, many = _calls(lambda: run(small)), _calls(lambda: run(large))
    extra = many - few
    return sum(extra.values()) / (large - small), extra


def _model():
    openkeras.utils.set_random_seed(0)
    model = openkeras.Sequential([openkeras.layers.Dense(32, activation="relu", input_shape=(100,)),
                                  openkeras.layers.Dense(10, activation="softmax")])
    model.compile(loss="categorical_crossentropy", optimizer="rmsprop", metrics=["accuracy"])
    return model


def test_fit_step_python_calls():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((640, 100)).astype("float32")
    y = np.eye(10, dtype="float32")[rng.integers(0, 10, 640)]
    model = _model()
    model.fit(x[:64], y[:64], batch_size=32, verbose=0)
    per_step, extra = _per_batch(
        lambda steps: model.fit(x[:steps * 32], y[:steps * 32], batch_size=32, verbose=0), 5, 20)
    assert per_step <= FIT_STEP_LIMIT, f"{per_step} calls per step: {extra.most_common(15)}"


def test_predict_batch_python_calls():
    x = np.random.default_rng(1).standard_normal((40, 100)).astype("float32")
    model = _model()
    model.predict(x[:2], batch_size=1)
    per_batch, extra = _per_batch(lambda n: model.predict(x[:n], batch_size=1), 10, 40)
    assert per_batch <= PREDICT_BATCH_LIMIT, f"{per_batch} calls per batch: {extra.most_common(15)}"
