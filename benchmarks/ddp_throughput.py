"""``fit`` throughput in one process and under ``torchrun``, and the single-vs-DDP weight check.

With N GPUs (N >= 2) it launches ``torchrun --nproc_per_node=N`` (nccl, one GPU per process);
without a GPU, 2 CPU processes (gloo, 127.0.0.1). Both runs train the same MLP (784-512-512-10,
SGD, fixed initial weights, no shuffling) on the same synthetic data with the same global
batch, so their final weights must agree to float tolerance; the script prints one Markdown
table row with samples/s of each, the speed-up, and the largest weight difference.

    .venv/bin/python benchmarks/ddp_throughput.py [--batch 256] [--samples 16384]
        [--epochs 2] [--threads 1] [--nproc N] [--float64]
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

from openkeras import layers, optimizers  # noqa: E402
from openkeras.engine.sequential import Sequential  # noqa: E402


def build():
    """The MLP with fixed initial weights (the same in every process and run)."""
    model = Sequential([layers.Dense(512, activation="relu", input_shape=(784,)),
                        layers.Dense(512, activation="relu"),
                        layers.Dense(10, activation="softmax")])
    rng = np.random.default_rng(0)
    model.set_weights([(rng.normal(size=w.shape) * 0.05).astype("float32")
                       for w in model.get_weights()])
    model.compile(optimizers.SGD(learning_rate=0.01), "categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def make_data(n):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(n, 784)).astype("float32")
    y = np.eye(10, dtype="float32")[rng.integers(0, 10, n)]
    return x, y


def _sync():
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def worker(args):
    """Train: one warm-up epoch, then ``epochs`` timed ones; rank 0 saves weights and time."""
    torch.set_num_threads(args.threads)
    if args.float64:  # separates rounding from a real difference in the weight check
        from openkeras import config

        config.set_floatx("float64")
    x, y = make_data(args.samples)
    model = build()
    model.fit(x, y, batch_size=args.batch, epochs=1, shuffle=False, verbose=0)
    _sync()
    start = time.perf_counter()
    model.fit(x, y, batch_size=args.batch, epochs=args.epochs, shuffle=False, verbose=0)
    _sync()
    seconds = time.perf_counter() - start
    if int(os.environ.get("RANK", 0)) == 0:
        np.savez(args.worker, seconds=seconds,
                 **{f"w{i}": w for i, w in enumerate(model.get_weights())})


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch", type=int, default=256, help="global batch")
    parser.add_argument("--samples", type=int, default=16384)
    parser.add_argument("--epochs", type=int, default=2, help="timed epochs")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per process")
    parser.add_argument("--nproc", type=int, default=None,
                        help="processes (default: the GPUs present, or 2 CPU processes)")
    parser.add_argument("--float64", action="store_true",
                        help="train in float64 (the weight check then shows only rounding)")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    gpus = torch.cuda.device_count()
    nproc = args.nproc or (gpus if gpus else 2)
    if gpus and nproc < 2:
        sys.exit(f"{gpus} GPU present: DDP needs at least 2 processes, one per GPU.")
    common = [f"--batch={args.batch}", f"--samples={args.samples}", f"--epochs={args.epochs}",
              f"--threads={args.threads}"] + (["--float64"] if args.float64 else [])
    env = {k: v for k, v in os.environ.items()
           if k not in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR")}
    env.update(PYTHONPATH=ROOT, OMP_NUM_THREADS=str(args.threads))
    if not gpus:
        env.update(GLOO_SOCKET_IFNAME="lo", CUDA_VISIBLE_DEVICES="")
    with tempfile.TemporaryDirectory() as tmp:
        single, ddp = os.path.join(tmp, "single.npz"), os.path.join(tmp, "ddp.npz")
        subprocess.run([sys.executable, __file__, f"--worker={single}", *common], env=env,
                       check=True)
        subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nnodes=1",
                        f"--nproc_per_node={nproc}", "--master_addr=127.0.0.1",
                        f"--master_port={_free_port()}", __file__, f"--worker={ddp}", *common],
                       env=env, check=True)
        one, many = dict(np.load(single)), dict(np.load(ddp))
    rate_one = args.samples * args.epochs / float(one["seconds"])
    rate_many = args.samples * args.epochs / float(many["seconds"])
    diff = max(float(np.abs(one[k] - many[k]).max()) for k in one if k.startswith("w"))
    steps = (args.epochs + 1) * -(-args.samples // args.batch)
    device = (f"{gpus} x {torch.cuda.get_device_name(0)} (nccl)" if gpus
              else f"CPU, {args.threads} thread(s) per process (gloo)")
    device += ", float64" if args.float64 else ""
    print("| device | processes | global batch | steps | 1 process samples/s "
          "| DDP samples/s | speed-up | max abs weight diff |")
    print("|---|---|---|---|---|---|---|---|")
    print(f"| {device} | {nproc} | {args.batch} | {steps} | {rate_one:,.0f} | {rate_many:,.0f} "
          f"| {rate_many / rate_one:.2f} | {diff:.1e} |")


if __name__ == "__main__":
    main()
