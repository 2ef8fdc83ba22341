"""Run every benchmark in this folder (make bench)."""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

for script in ("bench_fit.py", "bench_layers.py", "ddp_throughput.py"):
    print(f"== {script}", flush=True)
    subprocess.run([sys.executable, os.path.join(HERE, script)], check=True)
