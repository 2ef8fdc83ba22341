"""Generate openkeras's golden files with real Keras 2 (tf_keras).

Run inside the separate TF virtualenv, never from the test suite::

    tools/.tfenv/bin/python tools/make_fixtures.py                 # every family
    tools/.tfenv/bin/python tools/make_fixtures.py configs optimizers

Families: configs, optimizers, losses_metrics, layers, h5, interop, local. Each lives in
``tools/fx_<family>.py`` and exposes ``make()``; output goes to ``tests/fixtures``.
"""

import importlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

FAMILIES = ("configs", "optimizers", "losses_metrics", "layers", "h5", "interop", "local")


def main(argv: list) -> int:
    """Run the named families (all when none are named).

    Args:
        argv: Family names from the command line.
    """
    unknown = [name for name in argv if name not in FAMILIES]
    if unknown:
        print(f"Unknown family: {unknown}. Expected some of {list(FAMILIES)}", file=sys.stderr)
        return 2
    for name in argv or FAMILIES:
        importlib.import_module(f"fx_{name}").make()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
