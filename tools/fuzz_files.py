"""Long fuzzing run over real model files: thousands of seeded mutations (see
tests/reliability/fuzz_lib.py), each loaded in a worker process that is killed and restarted
if a case hangs or the process dies, so every case gets an outcome.

    .venv/bin/python tools/fuzz_files.py --cases 5000 --seed 0
    .venv/bin/python tools/fuzz_files.py --cases 200 --seed 3 --json out.json

Prints the counts by outcome and every failure (crash, hang, blowup, silent_different, and
worker deaths); exits 1 if there is any.
"""

import argparse
import collections
import json
import os
import pathlib
import select
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
HARD_TIMEOUT_S = 30.0  # the worker's own limit per case is fuzz_lib.TIME_LIMIT_S (5 s)


def worker(seed: int) -> None:
    """Read case numbers on stdin, answer one JSON outcome per line on stdout."""
    import warnings

    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "tests" / "reliability"))
    warnings.simplefilter("ignore")
    import fuzz_lib

    out = sys.stdout
    sys.stdout = sys.stderr  # keep the answer channel clean of prints
    with tempfile.TemporaryDirectory(prefix="openkeras_fuzz_") as workdir:
        sources = fuzz_lib.build_sources(workdir)
        out.write(json.dumps({"ready": len(sources)}) + "\n")
        out.flush()
        for line in sys.stdin:
            outcome = fuzz_lib.run_case(sources, seed, int(line), workdir)
            out.write(json.dumps(outcome.__dict__) + "\n")
            out.flush()


class Worker:
    def __init__(self, seed, python):
        self.proc = subprocess.Popen(
            [python, __file__, "--worker", "--seed", str(seed)], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)})
        ready = self.read(300)
        if ready is None or "ready" not in ready:
            raise RuntimeError("the fuzz worker did not start")

    def read(self, timeout):
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            return None
        line = self.proc.stdout.readline()
        return json.loads(line) if line else None

    def run(self, case):
        self.proc.stdin.write(f"{case}\n")
        self.proc.stdin.flush()
        return self.read(HARD_TIMEOUT_S)

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--start", type=int, default=0, help="first case number")
    parser.add_argument("--json", type=pathlib.Path, help="write every outcome here")
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.seed)
        return 0
    start = time.time()
    outcomes, restarts = [], 0
    pool = Worker(args.seed, args.python)
    for case in range(args.start, args.start + args.cases):
        t0 = time.time()
        outcome = pool.run(case)
        if outcome is None:  # no answer: a hang past the hard limit, or the worker died
            died = pool.proc.poll() is not None
            outcome = {"case": case, "source": "?", "mutation": "?",
                       "result": "worker_died" if died else "hang",
                       "seconds": time.time() - t0, "detail": f"exit {pool.proc.poll()}"}
            pool.stop()
            pool = Worker(args.seed, args.python)
            restarts += 1
        outcomes.append(outcome)
        if (case - args.start + 1) % 500 == 0:
            print(f"{case - args.start + 1} cases, {time.time() - start:.0f} s", flush=True)
    pool.stop()
    counts = collections.Counter(o["result"] for o in outcomes)
    bad = [o for o in outcomes if o["result"] in
           ("crash", "hang", "blowup", "silent_different", "worker_died")]
    by_mutation = collections.Counter(o["mutation"].split("/")[0] for o in outcomes)
    slowest = max(outcomes, key=lambda o: o["seconds"])
    print(f"seed {args.seed}, cases {args.start}..{args.start + args.cases - 1}: "
          f"{dict(sorted(counts.items()))}")
    print(f"mutations: {dict(sorted(by_mutation.items()))}")
    print(f"slowest case: {slowest['seconds']:.2f} s ({slowest['source']}, "
          f"{slowest['mutation']}); worker restarts: {restarts}; wall {time.time() - start:.0f} s")
    for o in bad:
        print("FAILURE", json.dumps(o))
    if args.json:
        args.json.write_text(json.dumps(outcomes, indent=1))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
