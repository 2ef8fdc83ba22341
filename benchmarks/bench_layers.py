"""Layer-heavy workloads (issue: layer library) against the same networks in torch.nn.

- lstm: the LSTM(100) regression model of the seed tutorial 004 (LSTM(100), Dropout(0.25),
  Dense(1), relu; mse, adam, batch 100) on 4,000 random sequences of 20 steps.
- conv: a Conv2D stack (3 x Conv2D(32, 3, same, relu) + MaxPool + GlobalAveragePooling2D +
  Dense(10)) on 2,048 random 32x32x3 images, batch 64, mse against random targets.

One epoch of ``fit`` and one epoch of the hand-written torch loop alternate in the same
process; the median ratio (openkeras / torch) is printed.

    .venv/bin/python benchmarks/bench_layers.py [--reps 5] [--threads 1] [--only lstm,conv]
"""

import argparse
import os
import statistics
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))

from bench_fit import timed  # noqa: E402

import openkeras  # noqa: E402
from openkeras import layers  # noqa: E402


def lstm_workload():
    rng = np.random.default_rng(0)
    x = rng.random((4000, 20, 1), dtype=np.float32)
    y = x.mean(axis=1)

    def keras_model(**compile_kwargs):
        m = openkeras.Sequential([layers.LSTM(100, input_shape=(20, 1)), layers.Dropout(0.25),
                                  layers.Dense(1), layers.Activation("relu")])
        m.compile(loss="mean_squared_error", optimizer="adam", metrics=["mae"],
                  **compile_kwargs)
        return m

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = torch.nn.LSTM(1, 100, batch_first=True)
            self.drop = torch.nn.Dropout(0.25)
            self.out = torch.nn.Linear(100, 1)

        def forward(self, x):
            h = self.lstm(x)[0][:, -1]
            return torch.relu(self.out(self.drop(h)))

    return x, y, keras_model, Net, 100


def conv_workload():
    rng = np.random.default_rng(0)
    x = rng.random((2048, 32, 32, 3), dtype=np.float32)
    y = rng.random((2048, 10), dtype=np.float32)

    def keras_model():
        m = openkeras.Sequential([
            layers.Conv2D(32, 3, padding="same", activation="relu", input_shape=(32, 32, 3)),
            layers.Conv2D(32, 3, padding="same", activation="relu"), layers.MaxPooling2D(),
            layers.Conv2D(32, 3, padding="same", activation="relu"), layers.GlobalAveragePooling2D(),
            layers.Dense(10)])
        m.compile(loss="mse", optimizer="adam")
        return m

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.c1 = torch.nn.Conv2d(3, 32, 3, padding=1)
            self.c2 = torch.nn.Conv2d(32, 32, 3, padding=1)
            self.c3 = torch.nn.Conv2d(32, 32, 3, padding=1)
            self.out = torch.nn.Linear(32, 10)

        def forward(self, x):  # NHWC in, as the Keras user's data
            x = x.permute(0, 3, 1, 2)
            x = F.max_pool2d(torch.relu(self.c2(torch.relu(self.c1(x)))), 2)
            return self.out(torch.relu(self.c3(x)).mean(dim=(2, 3)))

    return x, y, keras_model, Net, 64


def torch_epoch(net, opt, x_np, y_np, batch_size, device="cpu"):
    x, y = torch.from_numpy(x_np).to(device), torch.from_numpy(y_np).to(device)
    net.train()
    total = torch.zeros((), device=device)
    perm = torch.randperm(len(x), device=device)
    for start in range(0, len(x), batch_size):
        idx = perm[start:start + batch_size]
        xb, yb = x.index_select(0, idx), y.index_select(0, idx)
        loss = F.mse_loss(net(xb), yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        with torch.no_grad():
            total += loss.detach() * len(idx)
    return float(total) / len(x)


WORKLOADS = {"lstm": lstm_workload, "conv": conv_workload}


def run(name, reps):
    x, y, keras_model, net_cls, batch_size = WORKLOADS[name]()
    model = keras_model()
    net = net_cls()
    opt = torch.optim.Adam(net.parameters(), lr=0.001, eps=1e-7)
    model.fit(x[:batch_size * 3], y[:batch_size * 3], batch_size=batch_size, verbose=0)
    torch_epoch(net, opt, x[:batch_size * 3], y[:batch_size * 3], batch_size)
    ratios = []
    for rep in range(reps):
        def ok_run():
            model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)

        def pt_run():
            torch_epoch(net, opt, x, y, batch_size)

        if rep % 2 == 0:
            a, b = timed(ok_run), timed(pt_run)
        else:
            b, a = timed(pt_run), timed(ok_run)
        ratios.append(a / b)
    print(f"{name:5s} batch={batch_size:3d} ratio median {statistics.median(ratios):.3f} "
          f"(min {min(ratios):.3f}, max {max(ratios):.3f}) over {reps} repetitions")
    return statistics.median(ratios)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--only", default="lstm,conv")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    openkeras.utils.set_random_seed(0)
    print(f"torch {torch.__version__}, threads={torch.get_num_threads()}, device={openkeras.config.device()}")
    for name in args.only.split(","):
        run(name, args.reps)


if __name__ == "__main__":
    main()
