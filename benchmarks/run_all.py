"""Every workload for openkeras eager, openkeras compiled, hand-written torch and other Keras.

Each measurement is a fresh interpreter (``measure.py``, or ``foreign_keras.py`` for another
Keras): it times a first epoch, then ``--epochs`` more; their median is the steady state. The
variants of a workload run one after another in an order that rotates every repetition, and
the repetitions go round all workloads, so a load change on the machine hits every variant.
The table gives per cell the median ms per step (per predict batch, per single-sample call)
with [min, max] over repetitions, and the median ratio to the torch loop of the same repetition
next to issue 15's target; the compiled variant also gets its compile time (first epoch minus
steady epoch) and a check that it is never slower than eager after the first epoch.

    .venv/bin/python benchmarks/run_all.py [--reps 3] [--threads N] [--only tiny,mlp]
        [--variants torch,eager,compiled,tf_keras,keras] [--quick] [--keras-python PATH]
        [--json FILE]

``tf_keras`` and ``keras`` run when the interpreter of ``--keras-python`` (default: this one)
can import them; otherwise their rows say "not installed".
"""

import argparse
import datetime
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WORKLOADS = ("tiny", "mlp", "cnn", "lstm", "predict", "predict1", "predict1_predict")
VARIANTS = ("torch", "eager", "compiled", "tf_keras", "keras")
FOREIGN = ("tf_keras", "keras")
LABELS = {"torch": "torch eager", "eager": "openkeras eager", "compiled": "openkeras compiled",
          "tf_keras": "tf_keras", "keras": "keras"}
DESCRIPTIONS = {
    "tiny": "tiny MLP 100-32-10, batch 32",
    "mlp": "MNIST MLP 784-512-512-10 + Dropout, batch 128",
    "cnn": "seed MNIST CNN, batch 32",
    "lstm": "seed LSTM(100) regression, 20 steps, batch 100",
    "predict": "MNIST MLP predict, batch 256",
    "predict1": "MNIST MLP predict_on_batch(x[i:i+1])",
    "predict1_predict": "MNIST MLP predict(x[i:i+1])",
}
# Issue 15, point 2: median ratio to the hand-written eager torch loop.
TARGETS = {
    ("compiled", "tiny"): 0.5, ("compiled", "mlp"): 0.6, ("compiled", "cnn"): 0.75,
    ("compiled", "lstm"): 0.9, ("compiled", "predict"): 0.7,
    ("eager", "tiny"): 1.25, ("eager", "mlp"): 1.05, ("eager", "cnn"): 1.05,
    ("eager", "lstm"): 1.05, ("eager", "predict1"): 1.2,
}
COMPILE_LIMIT_S = 30.0


# ----------------------------------------------------------------------- measurements
def clean_env(with_root, home):
    """The environment of a child: no user keras.json (``home``); this checkout first if asked."""
    env = dict(os.environ, OPENKERAS_HOME=home)
    env.pop("PYTHONPATH", None)
    if with_root:
        env["PYTHONPATH"] = ROOT
    return env


def installed_keras(python, home):
    """Which of tf_keras / keras the interpreter ``python`` can import."""
    code = ("import importlib.util as u, json; "
            f"print(json.dumps([m for m in {FOREIGN!r} if u.find_spec(m)]))")
    # Run outside the checkout so that nothing in it shadows an installed package.
    out = subprocess.run([python, "-c", code], cwd=tempfile.gettempdir(), capture_output=True,
                         text=True, env=clean_env(False, home))
    return json.loads(out.stdout) if out.returncode == 0 else []


def write_spec(workload, quick, folder):
    """Model (Keras 2 JSON), compile arguments and data of ``workload`` for another Keras."""
    sys.path.insert(0, HERE)
    import measure
    import numpy as np
    x, y_keras, _, keras_model, _, batch_size, kind = measure.data(workload, quick)
    model = keras_model()
    count, unit = measure.units(kind, len(x), batch_size)
    meta = {"kind": kind, "batch_size": batch_size, "loss": model.loss,
            "optimizer": type(model.optimizer).__name__.lower(),
            "metrics": model._compile_args["metrics"], "units": count, "unit": unit}
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "meta.json"), "w") as f:
        json.dump(meta, f)
    with open(os.path.join(folder, "model.json"), "w") as f:
        f.write(model.to_json())
    np.savez(os.path.join(folder, "data.npz"), x=x, y=y_keras)


def busy_cpu_seconds():
    """CPU seconds all processes of the machine have run so far (from /proc/stat)."""
    with open("/proc/stat") as f:
        ticks = [int(v) for v in f.readline().split()[1:9]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # less idle, iowait


def children_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_child(variant, workload, args, folder):
    """One measurement in a fresh process: the child's JSON, or ``{"error": ...}``."""
    common = ["--epochs", str(args.epochs), "--threads", str(args.threads)]
    if variant in FOREIGN:
        command = [args.keras_python, os.path.join(HERE, "foreign_keras.py"), variant,
                   os.path.join(folder, workload)] + common
        cwd, env = tempfile.gettempdir(), clean_env(False, folder)
    else:
        command = [sys.executable, os.path.join(HERE, "measure.py"), variant, workload] + common
        command += ["--quick"] if args.quick else []
        cwd, env = ROOT, clean_env(True, folder)
    busy, own, start = busy_cpu_seconds(), children_cpu_seconds(), time.perf_counter()
    out = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    # Cores other processes kept busy meanwhile: the machine's CPU time less the child's.
    others = ((busy_cpu_seconds() - busy) - (children_cpu_seconds() - own)) / (
        time.perf_counter() - start)
    if out.returncode != 0:
        lines = out.stderr.strip().splitlines() or ["no output"]
        return {"error": lines[-1][:160]}
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["others_busy"] = round(max(others, 0.0), 2)
    if variant not in FOREIGN:  # TensorFlow's logging fills stderr; ours should be empty
        result["warnings"] = sorted({line.strip() for line in out.stderr.splitlines()
                                     if "Warning" in line})
    return result


def run_all(args, workloads, variants, folder):
    """``{(workload, variant): [one result per repetition]}``, runs interleaved."""
    results = {(w, v): [] for w in workloads for v in variants}
    for rep in range(args.reps):
        shift = rep % len(variants)
        for workload in workloads:
            for variant in variants[shift:] + variants[:shift]:
                result = run_child(variant, workload, args, folder)
                results[workload, variant].append(result)
                shown = (f"{result['steady_s'] * 1e3 / result['units']:.3f} ms/{result['unit']}"
                         if "error" not in result else result["error"])
                print(f"  rep {rep + 1} {workload} {LABELS[variant]}: {shown}",
                      file=sys.stderr, flush=True)
    return results


# --------------------------------------------------------------------------- report
def per_unit_ms(results):
    return [r["steady_s"] * 1e3 / r["units"] for r in results if "error" not in r]


def ratios(results, reference):
    """Per-repetition ratios of ``results`` to ``reference`` (same repetition)."""
    return [a["steady_s"] / b["steady_s"] for a, b in zip(results, reference, strict=True)
            if "error" not in a and "error" not in b]


def spread(values, digits):
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return (f"{statistics.median(values):.{digits}f} "
            f"[{min(values):.{digits}f}, {max(values):.{digits}f}]")


def verdict(ratio, target):
    if target is None:
        return ""
    if ratio <= target:
        return f"<= {target:.2f} met"
    return f"<= {target:.2f} NOT met (+{(ratio / target - 1) * 100:.0f}%)"


def cell_row(workload, variant, results, torch_results, absent, first_row):
    """One markdown table row; the workload is named on its first row only."""
    name = f"{workload} ({DESCRIPTIONS[workload]})" if first_row else ""
    if variant in absent:
        return f"| {name} | {LABELS[variant]} | not installed | | | |"
    errors = [r["error"] for r in results if "error" in r]
    ms = per_unit_ms(results)
    if not ms:
        return f"| {name} | {LABELS[variant]} | failed: {errors[0]} | | | |"
    unit = next(r["unit"] for r in results if "error" not in r)
    label = next((r["version"] for r in results if "version" in r), LABELS[variant])
    ratio_text, target_text = ("1", "reference") if variant == "torch" else ("", "")
    if variant != "torch" and torch_results:
        values = ratios(results, torch_results)
        if values:
            ratio_text = spread(values, 3)
            target_text = verdict(statistics.median(values),
                                  TARGETS.get((variant, workload)))
    first = [r["first_s"] - r["steady_s"] for r in results if "error" not in r]
    failed = f"; {len(errors)} failed: {errors[0]}" if errors else ""
    return (f"| {name} | {label} | {spread(ms, 3)} ms/{unit}{failed} | {ratio_text} | "
            f"{target_text} | {spread(first, 2)} |")


def compiled_checks(results, workloads):
    """Lines on compiled mode: never slower than eager after the first epoch, compile time."""
    lines = []
    for workload in workloads:
        compiled, eager = results.get((workload, "compiled")), results.get((workload, "eager"))
        if not compiled or not eager:
            continue
        values = ratios(compiled, eager)
        compile_s = [r["first_s"] - r["steady_s"] for r in compiled if "error" not in r]
        if not values or not compile_s:
            lines.append(f"- {workload}: compiled or eager failed")
            continue
        ratio = statistics.median(values)
        seconds = statistics.median(compile_s)
        lines.append(
            f"- {workload}: compiled / eager after the first epoch {spread(values, 3)}: "
            f"{'not slower' if ratio <= 1.0 else 'SLOWER'}; compile time "
            f"{seconds:.2f} s ({'under' if seconds < COMPILE_LIMIT_S else 'NOT under'} "
            f"{COMPILE_LIMIT_S:.0f} s)")
    return lines


def machine():
    with open("/proc/cpuinfo") as f:
        models = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
    return f"{models[0] if models else platform.processor()}, {os.cpu_count()} cores"


def report(args, results, workloads, variants, absent, started, load_start):
    any_result = next((r for rs in results.values() for r in rs if "torch" in r), {})
    with open("/proc/loadavg") as f:
        load_end = " ".join(f.read().split()[:3])
    threads = f"--threads {args.threads}" if args.threads else "libraries' defaults"
    print(f"\nstarted {started:%Y-%m-%d %H:%M} UTC; {machine()}; "
          f"Python {platform.python_version()}, torch {any_result.get('torch', '?')} on "
          f"{any_result.get('device', '?')}; threads: {threads}; load average {load_start} at "
          f"start, {load_end} at end; {args.reps} repetition(s) x {args.epochs} timed "
          f"epoch(s){', --quick data' if args.quick else ''}")
    others = [r["others_busy"] for rs in results.values() for r in rs if "others_busy" in r]
    if others:
        print(f"Cores kept busy by other processes during the measurements: median "
              f"{statistics.median(others):.2f}, max {max(others):.2f}")
    if others and max(others) > 0.25 and not args.threads:
        print("Note: other processes were running. torch's default OpenMP team (one thread per "
              "core) spin-waits for a core another process holds, which slows the torch loop "
              "and so changes every ratio (issue 15, point 3); compare a run with --threads 1.")
    print()
    print("| workload | variant | median [min, max] | ratio to torch eager | target "
          "| first epoch - steady (s) |")
    print("|---|---|---|---|---|---|")
    for workload in workloads:
        torch_results = results.get((workload, "torch"))
        for i, variant in enumerate(variants):
            print(cell_row(workload, variant, results[workload, variant], torch_results, absent,
                           first_row=i == 0))
    checks = compiled_checks(results, workloads)
    if checks:
        print("\nCompiled mode (issue 15: never slower than eager after the first epoch; "
              f"compile time under {COMPILE_LIMIT_S:.0f} s):")
        print("\n".join(checks))
    notes = sorted({(w, v, line) for (w, v), rs in results.items() for r in rs
                    for line in r.get("warnings", ())})
    if notes:
        print("\nWarnings printed by the measurements:")
        for workload, variant, line in notes:
            print(f"- {workload}, {LABELS[variant]}: {line[:200]}")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=None, help="repetitions (default 3; 1 quick)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="timed epochs after the first (default 3; 1 with --quick)")
    parser.add_argument("--threads", type=int, default=0, help="0: each library's default")
    parser.add_argument("--only", default=",".join(WORKLOADS))
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--quick", action="store_true", help="small data, 1 repetition")
    parser.add_argument("--keras-python", default=sys.executable,
                        help="the interpreter that runs tf_keras / keras")
    parser.add_argument("--json", help="also write every measurement to this file")
    args = parser.parse_args()
    # the measurements run in other folders: a relative interpreter path must not move
    python = args.keras_python
    args.keras_python = (os.path.abspath(python) if os.sep in python
                         else shutil.which(python) or python)
    args.reps = args.reps or (1 if args.quick else 3)
    args.epochs = args.epochs or (1 if args.quick else 3)
    workloads, variants = args.only.split(","), args.variants.split(",")
    unknown = sorted(set(workloads) - set(WORKLOADS)) + sorted(set(variants) - set(VARIANTS))
    if unknown:
        parser.error(f"unknown workload(s) or variant(s): {unknown}. Workloads: "
                     f"{', '.join(WORKLOADS)}; variants: {', '.join(VARIANTS)}")
    started = datetime.datetime.now(datetime.timezone.utc)
    with open("/proc/loadavg") as f:
        load_start = " ".join(f.read().split()[:3])
    # One folder for the run: the children's OPENKERAS_HOME and the other Keras' workloads.
    with tempfile.TemporaryDirectory(prefix="openkeras-bench-") as folder:
        wanted_foreign = [v for v in variants if v in FOREIGN]
        found = installed_keras(args.keras_python, folder) if wanted_foreign else []
        absent = {v for v in wanted_foreign if v not in found}
        run_variants = [v for v in variants if v not in absent]
        if found:
            for workload in workloads:
                write_spec(workload, args.quick, os.path.join(folder, workload))
        results = run_all(args, workloads, run_variants, folder)
    for variant in absent:
        for workload in workloads:
            results[workload, variant] = []
    report(args, results, workloads, variants, absent, started, load_start)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({f"{w} {v}": rs for (w, v), rs in results.items()}, f, indent=1)


if __name__ == "__main__":
    main()
