"""benchmarks/run_all.py runs from the checkout and prints a table with ratios to torch."""

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_run_all_quick_prints_ratios_and_targets(tmp_path):
    # tiny needs no dataset; one thread keeps the two processes fast on a busy machine.
    out_json = tmp_path / "results.json"
    # tf_keras's row says "not installed" where it is (the project's environment has none)
    absent = importlib.util.find_spec("tf_keras") is None
    command = [sys.executable, str(ROOT / "benchmarks" / "run_all.py"), "--quick", "--only",
               "tiny", "--variants", "torch,eager" + (",tf_keras" if absent else ""), "--threads", "1",
               "--keras-python", sys.executable, "--json", str(out_json)]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = {line.split("|")[2].strip(): line for line in done.stdout.splitlines()
            if line.startswith("|") and "---" not in line}
    eager = [cell.strip() for cell in rows["openkeras eager"].split("|")]
    # | workload | variant | ms/step | ratio | target | first epoch - steady |
    assert re.fullmatch(r"\d+\.\d{3} ms/step", eager[3]), eager
    ratio = float(eager[4])
    assert 0 < ratio < 100
    assert re.fullmatch(r"<= 1\.25 (met|NOT met \(\+\d+%\))", eager[5]), eager
    assert rows["torch eager"].split("|")[4].strip() == "1"
    if absent:
        assert "not installed" in rows["tf_keras"]
    assert "threads: --threads 1" in done.stdout

    results = json.loads(out_json.read_text())
    (torch_run,), (eager_run,) = results["tiny torch"], results["tiny eager"]
    assert eager_run["unit"] == "step" and eager_run["units"] == torch_run["units"] == 63
    assert eager_run["threads"] == torch_run["threads"] == 1
    # the printed ratio is the ratio of the two steady-state epochs
    assert abs(eager_run["steady_s"] / torch_run["steady_s"] - ratio) < 1e-3
