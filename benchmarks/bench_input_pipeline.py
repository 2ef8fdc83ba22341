"""Input pipeline: does training wait on a generator as slow as the train step?

    .venv/bin/python benchmarks/bench_input_pipeline.py [--reps 5] [--steps 40] [--threads 1]

The generator costs ``produce`` ms per batch (``time.sleep``, or numpy work with
``--work numpy``), calibrated to the measured train step. Each repetition times one epoch of
every variant, interleaved, in one process:

- openkeras ``fit(generator, workers=0)``: read in the training thread (step + produce);
- openkeras ``fit(generator)``: Keras 2's default ``workers=1``, one reader thread;
- torch, plain loop over the same generator (step + produce);
- torch, ``DataLoader(IterableDataset, num_workers=1, persistent_workers=True)``.

It prints the median epoch time of each and its ratio to ``steps * max(step, produce)``
(1.0: the step never waits) and to ``steps * (step + produce)`` (1.0: no overlap at all).
"""

import argparse
import statistics
import time

import numpy as np
import torch

import openkeras
from openkeras.layers import Dense

FEATURES, HIDDEN, CLASSES, BATCH = 256, 512, 10, 64


def batches(produce_s, work, rng_seed=0):
    """An endless generator of (x, y) batches costing about ``produce_s`` seconds each."""
    rng = np.random.RandomState(rng_seed)
    x = rng.rand(BATCH, FEATURES).astype("float32")
    y = np.eye(CLASSES, dtype="float32")[rng.randint(0, CLASSES, BATCH)]
    while True:
        if work == "numpy":
            end = time.perf_counter() + produce_s
            while time.perf_counter() < end:
                np.tanh(x @ x.T[:, :16])
        elif produce_s:
            time.sleep(produce_s)
        yield x, y


class Stream(torch.utils.data.IterableDataset):
    """The same generator as an IterableDataset of whole batches."""

    def __init__(self, produce_s, work):
        self.produce_s, self.work = produce_s, work

    def __iter__(self):
        for x, y in batches(self.produce_s, self.work):
            yield torch.from_numpy(x), torch.from_numpy(y).argmax(1)


def keras_model():
    model = openkeras.Sequential([Dense(HIDDEN, activation="relu", input_shape=(FEATURES,)),
                                  Dense(HIDDEN, activation="relu"),
                                  Dense(CLASSES, activation="softmax")])
    model.compile("sgd", "categorical_crossentropy")
    return model


def torch_model():
    net = torch.nn.Sequential(torch.nn.Linear(FEATURES, HIDDEN), torch.nn.ReLU(),
                              torch.nn.Linear(HIDDEN, HIDDEN), torch.nn.ReLU(),
                              torch.nn.Linear(HIDDEN, CLASSES))
    return net, torch.optim.SGD(net.parameters(), lr=0.01)


def torch_epoch(net, opt, source, steps):
    """A hand-written loop; ``source`` yields numpy (x, one-hot y) or tensor (x, labels)."""
    t0 = time.perf_counter()
    for i, (x, y) in enumerate(source):
        if i == steps:
            break
        if isinstance(x, np.ndarray):
            x, y = torch.from_numpy(x), torch.from_numpy(y).argmax(1)
        opt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
    return time.perf_counter() - t0


def produce_time(produce_s, work, steps):
    """The measured seconds per batch of the generator alone (median of 3 epochs)."""
    def one():
        gen = batches(produce_s, work)
        t0 = time.perf_counter()
        for _ in range(steps):
            next(gen)
        return (time.perf_counter() - t0) / steps
    return statistics.median(one() for _ in range(3))


def keras_epoch(model, produce_s, work, steps, workers):
    t0 = time.perf_counter()
    model.fit(batches(produce_s, work), steps_per_epoch=steps, epochs=1, verbose=0,
              workers=workers)
    return time.perf_counter() - t0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--work", choices=["sleep", "numpy"], default="sleep")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    steps = args.steps

    model, (net, opt) = keras_model(), torch_model()
    keras_epoch(model, 0.0, "sleep", 5, 0)  # warm-up and build
    step_s = statistics.median(keras_epoch(model, 0.0, "sleep", steps, 0) / steps
                               for _ in range(3))
    torch_epoch(net, opt, batches(0.0, "sleep"), 5)
    torch_step_s = statistics.median(torch_epoch(net, opt, batches(0.0, "sleep"), steps) / steps
                                     for _ in range(3))
    produce_s = step_s  # a generator as fast as the step (what it is asked to cost)
    made = produce_time(produce_s, args.work, steps)  # what it costs (sleep overshoots)
    loader = torch.utils.data.DataLoader(Stream(produce_s, args.work), batch_size=None,
                                         num_workers=1, persistent_workers=True)
    loader_iter = iter(loader)  # one worker process for the whole run (steady state)
    torch_epoch(net, opt, loader_iter, 3)
    variants = {
        "openkeras workers=0": lambda: keras_epoch(model, produce_s, args.work, steps, 0),
        "openkeras default (workers=1)": lambda: keras_epoch(model, produce_s, args.work,
                                                             steps, 1),
        "torch plain loop": lambda: torch_epoch(net, opt, batches(produce_s, args.work), steps),
        "torch DataLoader num_workers=1": lambda: torch_epoch(net, opt, loader_iter, steps),
    }
    times = {name: [] for name in variants}
    for rep in range(args.reps):
        names = list(variants) if rep % 2 == 0 else list(reversed(variants))
        for name in names:
            times[name].append(variants[name]())

    print(f"step {step_s * 1e3:.2f} ms openkeras, {torch_step_s * 1e3:.2f} ms torch (on a "
          f"free generator); produce {made * 1e3:.2f} ms ({args.work}, asked "
          f"{produce_s * 1e3:.2f}); {steps} steps, "
          f"{args.reps} reps, torch threads {args.threads}")
    print(f"{'variant':34s} {'epoch ms':>9s} {'min-max':>15s} {'/max(step,produce)':>19s} "
          f"{'/(step+produce)':>16s}")
    for name, ts in times.items():
        step = step_s if name.startswith("openkeras") else torch_step_s
        ideal, serial = steps * max(step, made), steps * (step + made)
        med = statistics.median(ts)
        print(f"{name:34s} {med * 1e3:9.1f} {min(ts) * 1e3:7.1f}-{max(ts) * 1e3:<7.1f} "
              f"{med / ideal:19.2f} {med / serial:16.2f}")


if __name__ == "__main__":
    main()
