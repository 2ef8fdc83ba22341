"""fit / evaluate / predict under a 2-process ``torchrun`` launch (CPU, gloo, loopback only)."""

import inspect
import json
import os
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from openkeras import layers, optimizers
from openkeras.engine import distributed
from openkeras.engine.training import Model

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# The worker builds the same model as `_model` below (its source is pasted in) (fixed weights), trains it with a
# per-rank batch of 4 (global batch 8), and saves what each rank ended with.
WORKER = textwrap.dedent("""
    import json, os, sys

    import numpy as np
    import torch.distributed as dist

    from openkeras import layers, optimizers
    from openkeras.engine.training import Model

    out = sys.argv[1]
    rank = int(os.environ["RANK"])
    sys.stdout = open(os.path.join(out, f"stdout_{rank}.txt"), "w")
    MODEL_SRC
    data = np.load(os.path.join(out, "data.npz"))
    model = _model()
    hist = model.fit(data["x"], data["y"], batch_size=4, epochs=3, shuffle=False, verbose=2)
    assert dist.is_initialized() and dist.get_backend() == "gloo"
    ev = model.evaluate(data["xe"], data["ye"], batch_size=4, verbose=1, return_dict=True)
    pred = model.predict(data["x"], batch_size=5, verbose=1)
    shuffled = _model()
    shuffled.fit(data["x"], data["y"], batch_size=3, epochs=2, shuffle=True, verbose=0)
    inp = layers.Input((4,))
    hidden = layers.Dense(3)(inp)
    two = Model(inp, [layers.Dense(1, name="main")(hidden), layers.Dense(2, name="aux")(hidden)])
    two.compile(optimizers.SGD(0.1), loss={"main": "mse"})
    two.fit(data["x"], data["y"], batch_size=4, epochs=1, verbose=0)
    np.savez(os.path.join(out, f"rank{rank}.npz"), pred=pred,
             **{f"w{i}": w for i, w in enumerate(model.get_weights())},
             **{f"s{i}": w for i, w in enumerate(shuffled.get_weights())},
             **{f"t{i}": w for i, w in enumerate(two.get_weights())})
    with open(os.path.join(out, f"logs{rank}.json"), "w") as f:
        json.dump({"history": hist.history, "evaluate": ev}, f)
    sys.stdout.close()
""")

def _model():
    """The model both launches train: fixed weights, SGD, mse and mae."""
    rng = np.random.default_rng(0)
    inp = layers.Input((4,))
    out = layers.Dense(1)(layers.Dense(3, activation="tanh")(inp))
    model = Model(inp, out)
    model.set_weights([rng.normal(size=w.shape).astype("float32") for w in model.get_weights()])
    model.compile(optimizers.SGD(learning_rate=0.1), loss="mse", metrics=["mae"])
    return model


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def launched(tmp_path_factory):
    out = tmp_path_factory.mktemp("ddp")
    rng = np.random.default_rng(1)
    data = {"x": rng.normal(size=(16, 4)), "y": rng.normal(size=(16, 1)),
            "xe": rng.normal(size=(11, 4)), "ye": rng.normal(size=(11, 1))}
    np.savez(out / "data.npz", **{k: v.astype("float32") for k, v in data.items()})
    script = out / "worker.py"
    script.write_text(WORKER.replace("MODEL_SRC", inspect.getsource(_model)))
    env = {**os.environ, "PYTHONPATH": ROOT, "OMP_NUM_THREADS": "1",
           "GLOO_SOCKET_IFNAME": "lo", "CUDA_VISIBLE_DEVICES": ""}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nnodes=1", "--nproc_per_node=2",
           "--master_addr=127.0.0.1", f"--master_port={_free_port()}", str(script), str(out)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-4000:]
    ranks = [dict(np.load(out / f"rank{r}.npz")) for r in range(2)]
    logs = [json.loads((out / f"logs{r}.json").read_text()) for r in range(2)]
    stdout = [(out / f"stdout_{r}.txt").read_text() for r in range(2)]
    return {k: v.astype("float32") for k, v in data.items()}, ranks, logs, stdout


def test_single_process_is_not_distributed():
    assert not distributed.active()
    assert distributed.session(Model.__new__(Model)) is None
    assert distributed.quiet(2) == 2


def test_weights_match_ranks_and_global_batch_training(launched):
    data, ranks, logs, _ = launched
    reference = _model()
    hist = reference.fit(data["x"], data["y"], batch_size=8, epochs=3, shuffle=False, verbose=0)
    for i, w in enumerate(reference.get_weights()):
        np.testing.assert_array_equal(ranks[0][f"w{i}"], ranks[1][f"w{i}"])
        np.testing.assert_allclose(ranks[0][f"w{i}"], w, rtol=0, atol=1e-6)
    for r in range(2):
        for key in ("loss", "mae"):
            np.testing.assert_allclose(logs[r]["history"][key], hist.history[key],
                                       rtol=1e-6, atol=1e-6)


def test_evaluate_reports_global_metrics_and_predict_is_full(launched):
    data, ranks, logs, _ = launched
    reference = _model()
    reference.fit(data["x"], data["y"], batch_size=8, epochs=3, shuffle=False, verbose=0)
    pred = reference.predict(data["xe"])
    err = pred - data["ye"]
    for r in range(2):
        np.testing.assert_allclose(logs[r]["evaluate"]["loss"], np.mean(err ** 2), rtol=1e-5)
        np.testing.assert_allclose(logs[r]["evaluate"]["mae"], np.mean(np.abs(err)), rtol=1e-5)
        np.testing.assert_allclose(ranks[r]["pred"], reference.predict(data["x"]), atol=1e-6)
        assert ranks[r]["pred"].shape == (16, 1)


def test_shuffled_and_unused_weights_stay_in_sync(launched):
    _, ranks, _, _ = launched
    for prefix, count in (("s", 4), ("t", 6)):
        for i in range(count):
            np.testing.assert_array_equal(ranks[0][f"{prefix}{i}"], ranks[1][f"{prefix}{i}"])
    # The head without a loss gets no gradient: its bias keeps its zeros; the other one moves.
    assert np.all(ranks[0]["t5"] == 0.0) and not np.all(ranks[0]["t3"] == 0.0)


def test_only_rank_0_prints(launched):
    *_, stdout = launched
    assert "Epoch 1/3" in stdout[0] and "loss:" in stdout[0]
    assert stdout[1] == ""
