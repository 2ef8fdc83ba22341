"""Thread settings on a shared machine: each workload idle and with other processes busy.

Every measurement runs in a fresh process (OpenMP reads its environment when torch loads it):
one untimed warm-up epoch, then ``--epochs`` timed epochs of ``--steps`` steps; the median
epoch gives ms/step. "loaded" runs ``--busy`` processes spinning ``while True: pass`` beside it.
Repetitions interleave every (variant, load) pair, in an order that rotates each repetition.

Variants:
- ``openkeras``: ``model.fit`` with the thread settings openkeras chooses (engine/threads.py);
- ``untuned``: the same fit with torch's defaults, as before openkeras chose
  (``config.set_threads`` pinned to torch's default count);
- ``torch``: the hand-written PyTorch loop of bench_fit.py with torch's defaults.

    .venv/bin/python benchmarks/bench_threads.py [--reps 5] [--only tiny,mlp,cnn] [--busy 1]
    .venv/bin/python benchmarks/bench_threads.py --only mlp,cnn --variants openkeras,untuned --busy 0
"""

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
VARIANTS = ("openkeras", "untuned", "torch")
STEPS = {"tiny": 300, "mlp": 40, "cnn": 40}


# --------------------------------------------------------------------- one measurement
def child(variant, workload, steps, epochs):
    """Time ``epochs`` epochs of ``steps`` steps in this process; print JSON."""
    sys.path[:0] = [ROOT, HERE]
    import torch

    import openkeras
    if variant == "untuned":
        openkeras.config.set_threads(torch.get_num_threads())  # torch's count, never sized
    import bench_fit

    make, _ = bench_fit.WORKLOADS[workload]
    batch = {"tiny": 32, "mlp": 128, "cnn": 32}[workload]
    x, y, keras_model, torch_model, batch = make(steps * batch)
    openkeras.utils.set_random_seed(0)
    if variant == "torch":
        net, opt = torch_model()

        def epoch(data_x, data_y):
            bench_fit.torch_epoch(net, opt, data_x, data_y, batch)
    else:
        model = keras_model()
        y = bench_fit.one_hot(y)

        def epoch(data_x, data_y):
            model.fit(data_x, data_y, batch_size=batch, epochs=1, verbose=0)
    epoch(x[:batch * 4], y[:batch * 4])
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        epoch(x, y)
        times.append((time.perf_counter() - start) * 1e3 / steps)
    print(json.dumps({"ms": statistics.median(times)}))


def measure(variant, workload, steps, epochs, busy):
    """ms/step of one fresh process, with ``busy`` spinning processes beside it."""
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(busy)]
    try:
        with tempfile.TemporaryDirectory() as home:  # no user keras.json in the way
            env = {k: v for k, v in os.environ.items()
                   if not k.startswith(("OMP_", "GOMP_", "KMP_", "MKL_"))}
            env.update(OPENKERAS_HOME=home, PYTHONPATH=ROOT)
            out = subprocess.run([sys.executable, __file__, "--child", variant, workload,
                                  str(steps), str(epochs)], env=env, capture_output=True,
                                 text=True, check=True).stdout
        return json.loads(out.strip().splitlines()[-1])["ms"]
    finally:
        for proc in spinners:
            proc.kill()
            proc.wait()


# -------------------------------------------------------------------------- report
def spread(values):
    return f"{statistics.median(values):8.3f} ({min(values):.3f}-{max(values):.3f})"


def ratio_spread(a, b):
    ratios = [x / y for x, y in zip(a, b, strict=True)]
    return f"{statistics.median(ratios):6.2f} ({min(ratios):.2f}-{max(ratios):.2f})"


def run(workload, args):
    steps = args.steps or STEPS[workload]
    loads = (0, args.busy) if args.busy else (0,)
    pairs = [(v, load) for v in args.variants.split(",") for load in loads]
    times = {pair: [] for pair in pairs}
    for rep in range(args.reps):
        shift = rep % len(pairs)
        for variant, load in pairs[shift:] + pairs[:shift]:
            times[variant, load].append(measure(variant, workload, steps, args.epochs, load))
            print(f"  {workload} {variant} busy={load}: {times[variant, load][-1]:.3f} ms/step",
                  file=sys.stderr, flush=True)
    print(f"\n{workload}: ms/step, median (min-max) over {args.reps} processes; "
          f"loaded = {args.busy} spinning process(es)")
    print(f"{'variant':10s} {'idle':>24s} {'loaded':>24s} {'loaded/idle':>18s}")
    for variant in args.variants.split(","):
        idle, loaded = times[variant, 0], times.get((variant, args.busy))
        print(f"{variant:10s} {spread(idle):>24s} "
              + (f"{spread(loaded):>24s} {ratio_spread(loaded, idle):>18s}" if args.busy else ""))
    names = args.variants.split(",")
    for a, b in itertools.combinations(names, 2):
        for load, label in zip(loads, ("idle", "loaded"), strict=False):
            print(f"{a}/{b} {label}: {ratio_spread(times[a, load], times[b, load])}")
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--only", default="tiny")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--busy", type=int, default=1,
                        help="spinning processes when loaded (0: idle runs only)")
    parser.add_argument("--steps", type=int, default=0, help="steps per epoch (default per workload)")
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per process")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        variant, workload, steps, epochs = args.child
        return child(variant, workload, int(steps), int(epochs))
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    print(f"{os.cpu_count()} cores, load average {' '.join(load)} at start")
    for workload in args.only.split(","):
        run(workload, args)
    with open("/proc/loadavg") as f:
        print(f"\nload average {' '.join(f.read().split()[:3])} at end")


if __name__ == "__main__":
    main()
