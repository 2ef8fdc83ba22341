"""fit / evaluate / predict under a 2-process ``torchrun`` launch (CPU, gloo, loopback only).

One launch runs everything in ``ddp_worker.py``; the same function run in this process is the
single-process reference. batch_size is the global batch (7: parts of 4 and 3, and a final
1-sample batch that leaves rank 1 a zero-weighted stand-in).
"""

import importlib.util
import json
import os
import socket
import subprocess
import sys
import warnings

import numpy as np
import pytest

from openkeras.engine import distributed
from openkeras.engine import distributed_data as dd
from openkeras.engine.training import Model
from openkeras.models import load_model

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
_spec = importlib.util.spec_from_file_location("ddp_worker", os.path.join(HERE, "ddp_worker.py"))
worker = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(worker)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _results(folder, rank):
    return (dict(np.load(os.path.join(folder, f"rank{rank}.npz"))),
            json.loads(open(os.path.join(folder, f"rank{rank}.json")).read()))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("ddp")
    single_dir, ddp_dir = base / "single", base / "ddp"
    single_dir.mkdir()
    ddp_dir.mkdir()
    data = worker.make_data()
    source = worker.make_model()  # weights written by one process, loaded under DDP
    source.fit(data["x"], data["y"], batch_size=11, epochs=1, verbose=0)
    source.save_weights(str(base / "single_weights.h5"))
    env = {**os.environ, "PYTHONPATH": ROOT, "OMP_NUM_THREADS": "1",
           "GLOO_SOCKET_IFNAME": "lo", "CUDA_VISIBLE_DEVICES": ""}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nnodes=1", "--nproc_per_node=2",
           "--master_addr=127.0.0.1", f"--master_port={_free_port()}",
           os.path.join(HERE, "ddp_worker.py"), str(ddp_dir)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    with warnings.catch_warnings():  # the reference runs while the launch works
        warnings.simplefilter("ignore")
        worker.run(str(single_dir))
    _, stderr = proc.communicate(timeout=180)
    assert proc.returncode == 0, stderr[-4000:]
    return {"base": base, "single": _results(single_dir, 0),
            "ranks": [_results(ddp_dir, r) for r in range(2)],
            "stdout": [(ddp_dir / f"stdout_{r}.txt").read_text() for r in range(2)],
            "source_pred": source.predict(data["xe"]), "ddp_dir": ddp_dir,
            "single_dir": single_dir}


def test_single_process_is_not_distributed():
    assert not distributed.active()
    assert distributed.session(Model.__new__(Model)) is None
    assert distributed.rank() == 0


def test_global_batch_split_as_evenly_as_possible():
    assert [dd.share(10, r, 3) for r in range(3)] == [(0, 4), (4, 3), (7, 3)]
    assert [dd.share(1, r, 2) for r in range(2)] == [(0, 1), (1, 0)]
    with pytest.raises(ValueError, match=r"batch_size=2 is smaller than the number of "
                                         r"processes \(3\)"):
        dd.check_batch_size(2, 3)


def test_distributed_batch_sampler_covers_each_sample_once():
    parts = [list(dd.DistributedBatchSampler(10, 4, True, False, r, 3, seed=7))
             for r in range(3)]
    assert [len(p) for p in parts] == [3, 3, 2]  # the last global batch (2) leaves rank 2 none
    assert [len(b) for b in parts[0]] == [2, 2, 1] and [len(b) for b in parts[2]] == [1, 1]
    seen = sorted(i for p in parts for b in p for i in b)
    assert seen == list(range(10))
    again = list(dd.DistributedBatchSampler(10, 4, True, False, 0, 3, seed=7))
    assert again == parts[0]  # the same order on every process for the same pass


def _weights(arrays, name):
    return [arrays[k] for k in sorted(k for k in arrays if k.startswith(name + "."))]


@pytest.mark.parametrize("name", ["plain", "shuffled", "weighted", "callbacks", "seq",
                                  "seq_shuffled", "gen", "loader", "dataset", "stream"])
def test_global_batch_training_equals_one_process(runs, name):
    single, _ = runs["single"]
    (r0, _), (r1, _) = runs["ranks"]
    assert len(_weights(r0, name)) == 4
    for a, b, ref in zip(_weights(r0, name), _weights(r1, name), _weights(single, name),
                         strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(a, ref, rtol=0, atol=1e-6)


def test_logs_and_callback_decisions_are_global(runs):
    _, single = runs["single"]
    for _, logs in runs["ranks"]:
        for key in ("plain", "shuffled", "weighted", "callbacks", "gen"):
            assert logs[key].keys() == single[key].keys()
            for metric, values in single[key].items():
                np.testing.assert_allclose(logs[key][metric], values, rtol=1e-6, atol=1e-6)
        # EarlyStopping stopped after 3 of 8 epochs; ReduceLROnPlateau halved the rate once.
        assert logs["callbacks"]["lr"] == [0.1, 0.1, 0.05]
    assert runs["ranks"][0][1]["callbacks"] == runs["ranks"][1][1]["callbacks"]


def test_evaluate_is_global(runs):
    data = worker.make_data()
    single_arrays, single = runs["single"]
    model = worker.make_model()
    model.set_weights(_weights(single_arrays, "plain"))
    err = model.predict(data["xe"]) - data["ye"]
    for _, logs in runs["ranks"]:
        np.testing.assert_allclose(logs["evaluate"]["loss"], np.mean(err ** 2), rtol=1e-5)
        np.testing.assert_allclose(logs["evaluate"]["mae"], np.mean(np.abs(err)), rtol=1e-5)
        np.testing.assert_allclose(logs["evaluate_one"]["loss"], err[0, 0] ** 2, rtol=1e-5)
        # steps=2 at batch 4: the first 8 samples (global batches), not 2 per process
        np.testing.assert_allclose(logs["evaluate_steps"]["loss"], np.mean(err[:8] ** 2),
                                   rtol=1e-5)


@pytest.mark.parametrize("key", ["pred", "pred_seq", "pred_gen", "pred_loader"])
def test_predict_is_whole_and_in_order(runs, key):
    single, _ = runs["single"]
    for arrays, _ in runs["ranks"]:
        assert arrays[key].shape == (22, 1)
        np.testing.assert_allclose(arrays[key], single["pred"], rtol=0, atol=1e-6)
        np.testing.assert_allclose(arrays["pred_one"], single["pred"][:1], rtol=0, atol=1e-6)


def test_each_source_is_read_once_per_epoch_in_total(runs):
    _, single = runs["single"]
    assert single["reads"] == {"seq": 12, "gen": 12, "gen_val": 9, "loader": 66,
                               "loader_shuffled": 44, "dataset": 66}
    (_, r0), (_, r1) = runs["ranks"]
    for source, total in single["reads"].items():
        assert r0["reads"][source] + r1["reads"][source] == total, source
    # a generator is read on rank 0; a Sequence's 4 batches 2 by each process (batch i by
    # process i % 2); a DataLoader's samples split 4:3 per global batch
    assert r1["reads"]["gen"] == r1["reads"]["gen_val"] == 0
    assert r0["reads"]["seq"] == r1["reads"]["seq"] == 6
    assert r0["reads"]["loader"] == 3 * (4 * 3 + 1)


def test_shuffled_loader_own_sampler_autocast_and_lossless_head_stay_in_sync(runs):
    (r0, logs), (r1, _) = runs["ranks"]
    for name, count in (("loader_shuffled", 4), ("own_sampler", 4), ("autocast", 4), ("two", 6)):
        pairs = list(zip(_weights(r0, name), _weights(r1, name), strict=True))
        assert len(pairs) == count
        for a, b in pairs:
            np.testing.assert_array_equal(a, b)
            assert np.all(np.isfinite(a))
    initial = worker.make_model().get_weights()
    assert not np.allclose(_weights(r0, "autocast")[0], initial[0])  # autocast fit trained
    # The head without a loss gets no gradient: its bias keeps its zeros; the other one moves.
    assert np.all(r0["two.w5"] == 0.0) and not np.all(r0["two.w3"] == 0.0)
    assert any("has its own sampler (DistributedSampler" in m for m in logs["sampler_note"])


def test_batch_smaller_than_world_is_an_error(runs):
    for _, logs in runs["ranks"]:
        assert "batch_size=1 is smaller than the number of processes (2)" in logs["batch_error"]


def test_checkpoints_cross_between_ddp_and_one_process(runs):
    ddp_dir, single_dir = runs["ddp_dir"], runs["single_dir"]
    assert (ddp_dir / "best_rank0.h5").exists() and (ddp_dir / "log_rank0.csv").exists()
    assert not (ddp_dir / "best_rank1.h5").exists() and not (ddp_dir / "log_rank1.csv").exists()
    written = load_model(str(ddp_dir / "best_rank0.h5")).get_weights()
    reference = load_model(str(single_dir / "best_rank0.h5")).get_weights()
    for a, b in zip(written, reference, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
    for arrays, _ in runs["ranks"]:  # weights from one process, loaded under DDP
        np.testing.assert_allclose(arrays["loaded_pred"], runs["source_pred"], rtol=0, atol=1e-6)


def test_only_rank_0_prints(runs):
    stdout = runs["stdout"]
    assert "Epoch 1/3" in stdout[0] and "loss:" in stdout[0]
    assert stdout[1] == ""


def test_loader_is_rebuilt_with_its_arguments_or_kept_with_a_note():
    import torch

    data = worker.CountingDataset(*[a[:10] for a in (worker.make_data()["x"],
                                                     worker.make_data()["y"])])

    def collate(items):
        return torch.utils.data.default_collate(items)

    loader = torch.utils.data.DataLoader(data, batch_size=4, shuffle=True, collate_fn=collate,
                                         drop_last=True)
    sharded, note = dd.shard_loader(loader, 1, 3, "predict", seed=3)
    assert note is None and sharded.loader.collate_fn is collate
    assert sharded.loader.pin_memory == torch.cuda.is_available()
    sampler = sharded.sampler
    assert (sampler.batch_size, sampler.shuffle, sampler.drop_last) == (4, True, True)
    assert [len(x) for x, _ in sharded] == [1, 1]  # two global batches of 4 (the 2 left dropped)
    assert sharded.spans == [(2, 1), (6, 1)]
    own = torch.utils.data.DataLoader(data, batch_size=2,
                                      sampler=torch.utils.data.SubsetRandomSampler(range(5)))
    kept, note = dd.shard_loader(own, 0, 2, "train", seed=0)
    assert kept is own and "SubsetRandomSampler" in note
    with pytest.raises(ValueError, match="batch_size=2 is smaller"):
        dd.shard_loader(torch.utils.data.DataLoader(data, batch_size=2), 0, 3, "train", seed=0)


def _fake_nccl(monkeypatch, gpus):
    import torch

    chosen = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: gpus)
    monkeypatch.setattr(torch.cuda, "set_device", chosen.append)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: chosen[-1] if chosen else 0)
    monkeypatch.setattr(distributed.dist, "get_backend", lambda: "nccl")
    return chosen


def test_nccl_process_takes_the_gpu_of_its_local_rank(monkeypatch):
    import torch

    from openkeras import config

    chosen = _fake_nccl(monkeypatch, gpus=4)
    monkeypatch.setenv("LOCAL_RANK", "3")
    monkeypatch.setattr(config, "_DEVICE", None)
    distributed._choose_device()
    assert chosen == [3] and config.device() == torch.device("cuda:3")
    assert dd.comm_device() == torch.device("cuda:3")  # collectives run on that GPU
    config.set_device("cpu")  # a device forced by the user is kept
    distributed._choose_device()
    assert config.device() == torch.device("cpu")
    monkeypatch.setenv("LOCAL_RANK", "4")
    with pytest.raises(RuntimeError, match=r"LOCAL_RANK=4 but this machine shows 4 GPU"):
        distributed._choose_device()


def test_rebuilt_loader_pins_memory_for_the_gpu(monkeypatch):
    import torch

    _fake_nccl(monkeypatch, gpus=2)
    data = torch.utils.data.TensorDataset(torch.zeros(8, 2))
    loader = torch.utils.data.DataLoader(data, batch_size=4)
    sharded, _ = dd.shard_loader(loader, 0, 2, "train", seed=0)
    assert sharded.loader.pin_memory
