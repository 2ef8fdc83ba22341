"""Per-step overhead of eager openkeras against hand-written torch: the tiny MLP's fit and predict.

Three workloads on the 100-32-10 MLP of ``bench_fit.py`` (16,000 random vectors):

- ``fit``: one epoch of ``fit(batch_size=32, verbose=0)`` (rmsprop, categorical crossentropy,
  ``metrics=['accuracy']``) against ``bench_fit.torch_epoch``;
- ``predict_b1``: ``predict(x[:2000], batch_size=1)`` against a ``torch.no_grad()`` loop over
  2,000 one-sample slices, outputs concatenated and turned into numpy;
- ``predict_one``: 200 calls of ``predict(x[i:i + 1])`` against 200 ``net(x).numpy()`` calls.

The torch network used for prediction ends in a softmax, so both sides compute the same
outputs (``--logits`` leaves it out, as ``bench_fit``'s training loop does).

Each repetition runs both sides back to back in this process (alternating which goes first)
and records wall time (``time.perf_counter``) and this process's CPU time
(``time.process_time``, all threads); the medians of the per-repetition ratios are printed with
their min and max, with the load average before and after. ``--count`` prints instead the
Python function calls per step (``sys.setprofile``), which do not depend on the machine's load.
``--cpu-split mlp`` (or ``tiny``) splits each epoch's CPU time into the main thread and the
others (torch's OpenMP workers), with openkeras held to the torch loop's thread count.

    .venv/bin/python benchmarks/bench_overhead.py [--reps 15] [--threads 2] [--only fit] [--count]
    .venv/bin/python benchmarks/bench_overhead.py --cpu-split mlp --threads 2 [--reps 5]
"""

import argparse
import collections
import os
import statistics
import sys
import threading
import time

import torch

sys.path.insert(0, os.path.dirname(__file__))

import bench_fit  # noqa: E402

import openkeras  # noqa: E402

PREDICT_SAMPLES = 2000
ONE_CALLS = 200


def make_sides(logits):
    """``{workload: (openkeras fn, torch fn, steps)}`` after one untimed warm-up of each."""
    x, y, keras_model, torch_model, batch_size = bench_fit.tiny_workload(16000)
    y_hot = bench_fit.one_hot(y)
    model = keras_model()
    net, opt = torch_model()
    model.fit(x[:batch_size * 4], y_hot[:batch_size * 4], batch_size=batch_size, verbose=0)
    bench_fit.torch_epoch(net, opt, x[:batch_size * 4], y[:batch_size * 4], batch_size)
    infer = net if logits else torch.nn.Sequential(*net, torch.nn.Softmax(dim=-1))
    x_pred = x[:PREDICT_SAMPLES]

    def torch_predict():
        infer.eval()
        xt = torch.from_numpy(x_pred)
        with torch.no_grad():
            outs = [infer(xt[i:i + 1]) for i in range(len(xt))]
        return torch.cat(outs).numpy()

    def torch_one():
        infer.eval()
        for i in range(ONE_CALLS):
            with torch.no_grad():
                infer(torch.from_numpy(x[i:i + 1])).numpy()

    def keras_one():
        for i in range(ONE_CALLS):
            model.predict(x[i:i + 1])

    return {
        "fit": (lambda: model.fit(x, y_hot, batch_size=batch_size, epochs=1, verbose=0),
                lambda: bench_fit.torch_epoch(net, opt, x, y, batch_size),
                -(-len(x) // batch_size)),
        "predict_b1": (lambda: model.predict(x_pred, batch_size=1), torch_predict,
                       PREDICT_SAMPLES),
        "predict_one": (keras_one, torch_one, ONE_CALLS),
    }


def measure(fn):
    """(wall seconds, process CPU seconds) of one call."""
    cpu, wall = time.process_time(), time.perf_counter()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def summary(values):
    return f"{statistics.median(values):.3f} ({min(values):.3f}-{max(values):.3f})"


def timing(name, ok_fn, pt_fn, steps, reps):
    load_before = os.getloadavg()[0]
    ok, pt = bench_fit.interleaved(ok_fn, pt_fn, reps, measure)
    wall = [a[0] / b[0] for a, b in zip(ok, pt, strict=True)]
    cpu = [a[1] / b[1] for a, b in zip(ok, pt, strict=True)]
    us = 1e6 / steps
    print(f"{name:11s} openkeras {statistics.median(a[0] for a in ok) * us:7.1f} us/step "
          f"(cpu {statistics.median(a[1] for a in ok) * us:7.1f})  torch "
          f"{statistics.median(b[0] for b in pt) * us:7.1f} us/step "
          f"(cpu {statistics.median(b[1] for b in pt) * us:7.1f})  wall ratio {summary(wall)}  "
          f"cpu ratio {summary(cpu)}  load {load_before:.2f}->{os.getloadavg()[0]:.2f}",
          flush=True)


def call_counts(fn, steps, top):
    """Python function calls (and C calls) per step while ``fn`` runs."""
    calls = collections.Counter()

    def profiler(frame, event, arg):
        if event == "call":
            code = frame.f_code
            calls[f"{os.path.basename(code.co_filename)}:{code.co_firstlineno} {code.co_name}"] += 1
        elif event == "c_call":
            calls["(C) " + getattr(arg, "__qualname__", repr(arg))] += 1

    sys.setprofile(profiler)
    try:
        fn()
    finally:
        sys.setprofile(None)
    python = sum(v for k, v in calls.items() if not k.startswith("(C)"))
    builtin = sum(v for k, v in calls.items() if k.startswith("(C)"))
    lines = [f"{v / steps:8.2f}  {k}" for k, v in calls.most_common(top)]
    return python / steps, builtin / steps, lines


def thread_cpu():
    """{thread id: CPU seconds} of this process's threads, from /proc (Linux)."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:  # the thread ended
            continue
        out[tid] = (int(fields[11]) + int(fields[12])) / tick
    return out


def cpu_split(workload, reps):
    """Wall time and CPU time of one epoch, split into the main thread and the others (the
    OpenMP workers), for openkeras fit and the torch loop at the same thread count."""
    make = bench_fit.mlp_workload if workload == "mlp" else bench_fit.tiny_workload
    x, y, keras_model, torch_model, batch_size = make(10000 if workload == "mlp" else 16000)
    y_hot = bench_fit.one_hot(y)
    model = keras_model()
    net, opt = torch_model()
    model.fit(x[:batch_size * 4], y_hot[:batch_size * 4], batch_size=batch_size, verbose=0)
    bench_fit.torch_epoch(net, opt, x[:batch_size * 4], y[:batch_size * 4], batch_size)
    main = str(threading.get_native_id())
    sides = {"openkeras": lambda: model.fit(x, y_hot, batch_size=batch_size, verbose=0),
             "torch": lambda: bench_fit.torch_epoch(net, opt, x, y, batch_size)}
    rows = {name: [] for name in sides}
    for rep in range(reps):
        for name in (("openkeras", "torch") if rep % 2 == 0 else ("torch", "openkeras")):
            before, wall = thread_cpu(), time.perf_counter()
            sides[name]()
            wall, after = time.perf_counter() - wall, thread_cpu()
            spent = {t: after[t] - before.get(t, 0.0) for t in after}
            rows[name].append((wall, sum(spent.values()), spent.get(main, 0.0)))
    med = statistics.median
    for name, values in rows.items():
        wall, cpu, on_main = (med(v[i] for v in values) for i in range(3))
        print(f"{workload:4s} {name:9s} threads={torch.get_num_threads()} wall {wall:.3f}s  "
              f"cpu {cpu:.2f}s (main thread {on_main:.2f}s, others {cpu - on_main:.2f}s)  "
              f"cpu/wall {cpu / wall:.2f}", flush=True)
    ratio = [a[1] / b[1] for a, b in zip(rows["openkeras"], rows["torch"], strict=True)]
    wall_ratio = [a[0] / b[0] for a, b in zip(rows["openkeras"], rows["torch"], strict=True)]
    print(f"{workload:4s} openkeras/torch: wall {summary(wall_ratio)}  cpu {summary(ratio)}  "
          f"load {os.getloadavg()[0]:.2f}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("--threads", type=int, default=0, help="0: torch's default")
    parser.add_argument("--only", default="fit,predict_b1,predict_one")
    parser.add_argument("--logits", action="store_true",
                        help="the torch prediction network has no final softmax")
    parser.add_argument("--count", action="store_true", help="count Python calls per step")
    parser.add_argument("--top", type=int, default=0, help="with --count: list the top calls")
    parser.add_argument("--cpu-split", default=None, metavar="mlp|tiny",
                        help="per-thread CPU time of fit and the torch loop, with openkeras "
                             "held to --threads (config.set_threads) like the torch loop")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.cpu_split:
        openkeras.config.set_threads(torch.get_num_threads())
        openkeras.utils.set_random_seed(0)
        cpu_split(args.cpu_split, args.reps)
        return
    openkeras.utils.set_random_seed(0)
    print(f"torch {torch.__version__}, threads={torch.get_num_threads()}, cores="
          f"{os.cpu_count()}, reps={args.reps}", flush=True)
    sides = make_sides(args.logits)
    for name in args.only.split(","):
        ok_fn, pt_fn, steps = sides[name]
        if not args.count:
            timing(name, ok_fn, pt_fn, steps, args.reps)
            continue
        for side, fn in (("openkeras", ok_fn), ("torch", pt_fn)):
            python, builtin, lines = call_counts(fn, steps, args.top)
            print(f"{name:11s} {side:9s} python calls/step {python:7.1f}  builtin {builtin:7.1f}")
            for line in lines:
                print("   ", line)


if __name__ == "__main__":
    main()
