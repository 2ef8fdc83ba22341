"""Mixed precision on CPU: openkeras ``fit`` under a dtype policy against float32.

Each measurement is one process: it builds the workload of ``bench_fit.py`` under the policy,
runs a short untimed warm-up fit and times one epoch. The driver runs the processes
interleaved (the policy order alternates each repetition) and prints medians and ratios.

    .venv/bin/python benchmarks/bench_precision.py [--reps 5] [--threads 1]
        [--only mlp,cnn] [--policies float32,mixed_bfloat16]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def measure(workload, policy, threads):
    """Seconds for one epoch of ``workload`` under ``policy`` (after a warm-up fit)."""
    sys.path.insert(0, os.path.join(HERE, ".."))
    sys.path.insert(0, HERE)
    import bench_fit
    import torch

    import openkeras
    from openkeras import mixed_precision

    torch.set_num_threads(threads)
    openkeras.utils.set_random_seed(0)
    mixed_precision.set_global_policy(policy)
    make, n = bench_fit.WORKLOADS[workload]
    x, y, keras_model, _, batch_size = make(n)
    y_hot = bench_fit.one_hot(y)
    model = keras_model()
    model.fit(x[:batch_size * 4], y_hot[:batch_size * 4], batch_size=batch_size, verbose=0)
    start = time.perf_counter()
    history = model.fit(x, y_hot, batch_size=batch_size, epochs=1, verbose=0)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "steps": -(-len(x) // batch_size),
            "loss": history.history["loss"][-1]}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--only", default="mlp,cnn")
    parser.add_argument("--policies", default="float32,mixed_bfloat16")
    parser.add_argument("--one", nargs=2, metavar=("WORKLOAD", "POLICY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one[0], args.one[1], args.threads)))
        return
    policies = args.policies.split(",")
    times = {(w, p): [] for w in args.only.split(",") for p in policies}
    losses = {}
    for rep in range(args.reps):
        order = policies if rep % 2 == 0 else policies[::-1]
        for workload in args.only.split(","):
            for policy in order:
                out = subprocess.run(
                    [sys.executable, __file__, "--threads", str(args.threads), "--one",
                     workload, policy], capture_output=True, text=True, check=True)
                result = json.loads(out.stdout.strip().splitlines()[-1])
                times[workload, policy].append(result["seconds"] / result["steps"])
                losses[workload, policy] = result["loss"]
    base = policies[0]
    print(f"threads={args.threads}, reps={args.reps}; ms/step median (min-max), "
          f"ratio to {base}, loss after the timed epoch")
    for (workload, policy), values in times.items():
        ratios = [a / b for a, b in zip(values, times[workload, base], strict=True)]
        print(f"{workload:5s} {policy:15s} {statistics.median(values) * 1e3:8.3f} ms/step "
              f"({min(values) * 1e3:.3f}-{max(values) * 1e3:.3f})  ratio "
              f"{statistics.median(ratios):.3f} ({min(ratios):.3f}-{max(ratios):.3f})  "
              f"loss {losses[workload, policy]:.4f}")


if __name__ == "__main__":
    main()
