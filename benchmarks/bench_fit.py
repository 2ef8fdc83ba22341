"""openkeras ``fit`` against a hand-written PyTorch loop: same model, data and process.

Each repetition times one epoch of openkeras ``fit`` and one epoch of the torch loop back to
back (alternating which goes first); the median of the per-repetition ratios is printed.

    .venv/bin/python benchmarks/bench_fit.py [--reps 5] [--threads 1] [--only mlp,cnn,tiny]
"""

import argparse
import os
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import openkeras  # noqa: E402
from openkeras.engine.sequential import Sequential  # noqa: E402
from openkeras.layers.core import Dense, Dropout, Flatten  # noqa: E402

MNIST = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "datasets", "mnist.npz")


def load_mnist(n):
    with np.load(MNIST) as f:
        x, y = f["x_train"][:n], f["y_train"][:n]
    return (x.astype("float32") / 255.0), y.astype("int64")


def one_hot(y, classes=10):
    out = np.zeros((len(y), classes), dtype="float32")
    out[np.arange(len(y)), y] = 1.0
    return out


# --------------------------------------------------------------------------- workloads
def mlp_workload(n):
    x, y = load_mnist(n)
    x = x.reshape(len(x), 784)

    def keras_model(**compile_kwargs):
        m = Sequential([Dense(512, activation="relu", input_shape=(784,)), Dropout(0.2),
                        Dense(512, activation="relu"), Dropout(0.2),
                        Dense(10, activation="softmax")])
        m.compile(loss="categorical_crossentropy", optimizer="rmsprop", metrics=["accuracy"],
                  **compile_kwargs)
        return m

    def torch_model():
        net = torch.nn.Sequential(torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Dropout(0.2),
                                  torch.nn.Linear(512, 512), torch.nn.ReLU(), torch.nn.Dropout(0.2),
                                  torch.nn.Linear(512, 10))
        return net, torch.optim.RMSprop(net.parameters(), lr=0.001, alpha=0.9, eps=1e-7)

    return x, y, keras_model, torch_model, 128


def cnn_workload(n):
    x, y = load_mnist(n)
    x = x.reshape(len(x), 28, 28, 1)
    from openkeras.layers.convolutional import Conv2D
    from openkeras.layers.pooling import MaxPool2D

    def keras_model(**compile_kwargs):
        m = Sequential([Conv2D(32, kernel_size=(3, 3), activation="relu", input_shape=(28, 28, 1)),
                        Conv2D(32, kernel_size=(3, 3), activation="relu"),
                        MaxPool2D(pool_size=(2, 2)), Dropout(0.25), Flatten(),
                        Dense(128, activation="relu"), Dropout(0.5),
                        Dense(10, activation="softmax")])
        m.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"],
                  **compile_kwargs)
        return m

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.c1 = torch.nn.Conv2d(1, 32, 3)
            self.c2 = torch.nn.Conv2d(32, 32, 3)
            self.d1 = torch.nn.Linear(12 * 12 * 32, 128)
            self.d2 = torch.nn.Linear(128, 10)

        def forward(self, x):  # x: (n, 28, 28, 1) as the Keras model receives it
            x = x.permute(0, 3, 1, 2)
            x = F.max_pool2d(F.relu(self.c2(F.relu(self.c1(x)))), 2)
            x = F.dropout(x, 0.25, self.training)
            x = torch.flatten(x.permute(0, 2, 3, 1), 1)
            x = F.dropout(F.relu(self.d1(x)), 0.5, self.training)
            return self.d2(x)

    def torch_model():
        net = Net()
        return net, torch.optim.Adam(net.parameters(), lr=0.001, eps=1e-7)

    return x, y, keras_model, torch_model, 32


def tiny_workload(n):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 100)).astype("float32")
    y = rng.integers(0, 10, n).astype("int64")

    def keras_model(**compile_kwargs):
        m = Sequential([Dense(32, activation="relu", input_shape=(100,)),
                        Dense(10, activation="softmax")])
        m.compile(loss="categorical_crossentropy", optimizer="rmsprop", metrics=["accuracy"],
                  **compile_kwargs)
        return m

    def torch_model():
        net = torch.nn.Sequential(torch.nn.Linear(100, 32), torch.nn.ReLU(),
                                  torch.nn.Linear(32, 10))
        return net, torch.optim.RMSprop(net.parameters(), lr=0.001, alpha=0.9, eps=1e-7)

    return x, y, keras_model, torch_model, 32


WORKLOADS = {"mlp": (mlp_workload, 20000), "cnn": (cnn_workload, 3200),
             "tiny": (tiny_workload, 16000)}


# ---------------------------------------------------------------------------- timing
def torch_epoch(net, opt, x_np, y_np, batch_size, device="cpu"):
    """The loop a PyTorch user writes: tensors once, shuffle, step, loss/accuracy on device."""
    x, y = torch.from_numpy(x_np).to(device), torch.from_numpy(y_np).to(device)
    net.train()
    n = len(x)
    total_loss = torch.zeros((), device=device)
    correct = torch.zeros((), dtype=torch.int64, device=device)
    perm = torch.randperm(n, device=device)
    for start in range(0, n, batch_size):
        idx = perm[start:start + batch_size]
        xb, yb = x.index_select(0, idx), y.index_select(0, idx)
        logits = net(xb)
        loss = F.cross_entropy(logits, yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        with torch.no_grad():
            total_loss += loss.detach() * len(idx)
            correct += (logits.argmax(1) == yb).sum()
    return float(total_loss) / n, float(correct) / n


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def interleaved(ok_fn, pt_fn, reps, measure):
    """``(openkeras measurements, torch measurements)``: ``measure(fn)`` of each, ``reps``
    times, alternating which goes first."""
    ok, pt = [], []
    for rep in range(reps):
        if rep % 2 == 0:
            a, b = measure(ok_fn), measure(pt_fn)
        else:
            b, a = measure(pt_fn), measure(ok_fn)
        ok.append(a)
        pt.append(b)
    return ok, pt


def run(name, reps):
    make, n = WORKLOADS[name]
    x, y, keras_model, torch_model, batch_size = make(n)
    y_hot = one_hot(y)
    model = keras_model()
    net, opt = torch_model()
    # Warm-up: first epoch of each (allocations, lazy init) is not timed.
    model.fit(x[:batch_size * 4], y_hot[:batch_size * 4], batch_size=batch_size, verbose=0)
    torch_epoch(net, opt, x[:batch_size * 4], y[:batch_size * 4], batch_size)
    t_ok, t_pt = interleaved(
        lambda: model.fit(x, y_hot, batch_size=batch_size, epochs=1, verbose=0),
        lambda: torch_epoch(net, opt, x, y, batch_size), reps, timed)
    ratios = [a / b for a, b in zip(t_ok, t_pt, strict=True)]
    steps = -(-len(x) // batch_size)
    print(f"{name:5s} steps/epoch={steps:4d} batch={batch_size:3d} "
          f"openkeras median {statistics.median(t_ok) * 1e3 / steps:7.3f} ms/step  "
          f"torch median {statistics.median(t_pt) * 1e3 / steps:7.3f} ms/step  "
          f"ratio median {statistics.median(ratios):.3f} "
          f"(min {min(ratios):.3f}, max {max(ratios):.3f})")
    return statistics.median(ratios)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--only", default="mlp,cnn,tiny")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    openkeras.utils.set_random_seed(0)
    print(f"torch {torch.__version__}, threads={torch.get_num_threads()}, "
          f"device={openkeras.config.device()}")
    for name in args.only.split(","):
        run(name, args.reps)


if __name__ == "__main__":
    main()
