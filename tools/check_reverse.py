"""Reverse direction: files written by openkeras load in real Keras and predict the same.

For every golden model in tests/fixtures/h5 (made by tf_keras), openkeras loads it and writes
it back (``model.save`` to .h5, ``save_weights``, and a Keras 3 ``.keras`` archive); then
tf_keras 2.21 loads the .h5 (compiled, with the optimizer state) and the weights file, and
Keras 3 loads the archive, and each prediction is compared with the golden ``y`` (atol 1e-5).
It also checks that the files carry openkeras's checksums (fletcher32 on every non-scalar
weight dataset, ``openkeras_digest`` attributes), so the check covers checksummed files.

    tools/.tfenv/bin/python tools/check_reverse.py            # both phases
    .venv/bin/python tools/check_reverse.py --write DIR       # phase 1 only (openkeras)
    tools/.tfenv/bin/python tools/check_reverse.py --check DIR   # phase 2 only (real Keras)
"""

import argparse
import gzip
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "h5"
ATOL = 1e-5


def _golden():
    with open(FIXTURES / "index.json") as f:
        return json.load(f)


def _arrays(name):
    ref = np.load(FIXTURES / f"{name}.npz")
    xs = [ref[f"x{i}"] for i in range(8) if f"x{i}" in ref]
    ys = [ref[f"y{i}"] for i in range(8) if f"y{i}" in ref]
    return xs, ys


def write(out_dir: pathlib.Path) -> None:
    """Phase 1 (openkeras): load each golden file and save it back in every format."""
    sys.path.insert(0, str(ROOT))
    from openkeras import saving

    out_dir.mkdir(parents=True, exist_ok=True)
    for name, info in _golden().items():
        src = FIXTURES / info["file"]
        if src.suffix == ".gz":
            with gzip.open(src) as fin, open(out_dir / f"{name}.golden.h5", "wb") as fout:
                shutil.copyfileobj(fin, fout)
            src = out_dir / f"{name}.golden.h5"
        model = saving.load_model(src)
        saving.save_model(model, out_dir / f"{name}.h5")
        saving.save_weights(model, out_dir / f"{name}_weights.h5")
        saving.save_model(model, out_dir / f"{name}.keras")
        print(f"wrote {name}")


def _predict(model, xs):
    out = model(xs[0] if len(xs) == 1 else xs, training=False)
    out = out if isinstance(out, (list, tuple)) else [out]
    return [np.asarray(o) for o in out]


def _max_err(outs, ys):
    return max(float(np.max(np.abs(o - y))) for o, y in zip(outs, ys, strict=True))


def _checksummed(path) -> bool:
    """Whether a file openkeras wrote has fletcher32 weight datasets and digest attributes."""
    import h5py

    with h5py.File(path, "r") as f:
        datasets = []
        f.visititems(lambda n, o: datasets.append(o) if isinstance(o, h5py.Dataset) else None)
        weights = [d for d in datasets if d.shape and d.size]
        return "openkeras_digest" in f.attrs and bool(weights) and all(d.fletcher32
                                                                       for d in weights)


def check(out_dir: pathlib.Path) -> dict:
    """Phase 2 (tf_keras 2.21 and Keras 3): load what phase 1 wrote and compare predictions."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras
    import tf_keras

    results = {}
    for name, info in _golden().items():
        xs, ys = _arrays(name)
        row = {}
        try:
            model = tf_keras.models.load_model(out_dir / f"{name}.h5")
            row["h5_max_abs_err"] = _max_err(_predict(model, xs), ys)
            expected = np.load(FIXTURES / f"{name}.npz")
            opt = [expected[k] for k in (f"opt_weights_{i}" for i in range(64)) if k in expected]
            got = model.optimizer.get_weights()
            row["optimizer_state_restored"] = len(got) == len(opt) and all(
                np.allclose(a, b, atol=1e-6) for a, b in zip(got, opt, strict=True))
        except Exception as e:  # noqa: BLE001 - report every failure, keep checking the rest
            row["h5_error"] = f"{type(e).__name__}: {e}"[:300]
        try:
            golden = out_dir / f"{name}.golden.h5" if info["file"].endswith(".gz") \
                else FIXTURES / info["file"]
            model = tf_keras.models.load_model(golden, compile=False)
            model.load_weights(out_dir / f"{name}_weights.h5")
            row["weights_max_abs_err"] = _max_err(_predict(model, xs), ys)
        except Exception as e:  # noqa: BLE001
            row["weights_error"] = f"{type(e).__name__}: {e}"[:300]
        try:
            model = keras.saving.load_model(out_dir / f"{name}.keras")
            row["keras3_max_abs_err"] = _max_err(_predict(model, xs), ys)
        except Exception as e:  # noqa: BLE001
            row["keras3_error"] = f"{type(e).__name__}: {e}"[:300]
        row["checksummed"] = _checksummed(out_dir / f"{name}.h5") and \
            _checksummed(out_dir / f"{name}_weights.h5")
        row["ok"] = row["checksummed"] and all(row.get(k, 1) <= ATOL for k in
                        ("h5_max_abs_err", "weights_max_abs_err", "keras3_max_abs_err")) \
            and not any(k.endswith("_error") for k in row)
        results[name] = row
        print(name, json.dumps(row))
    return results


def run_phases(doc, write, check, script, prefix, noun):
    """The command line of a two-phase check (phase 1 here or in ``--python``, phase 2 here).

    Args:
        doc: the script's docstring (its first line is the help text).
        write: phase 1, ``write(out_dir)``.
        check: phase 2, ``check(out_dir) -> (names that failed, how many were checked)``.
        script: the script's ``__file__``, run with ``--write`` for phase 1.
        prefix: the prefix of the temporary directory.
        noun: what the summary line counts ("models", "files").
    """
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--write", type=pathlib.Path, help="phase 1 only, into this directory")
    parser.add_argument("--check", type=pathlib.Path, help="phase 2 only, from this directory")
    parser.add_argument("--python", default=str(ROOT / ".venv" / "bin" / "python"),
                        help="interpreter with openkeras's dependencies, for phase 1")
    args = parser.parse_args()
    if args.write:
        write(args.write)
        return 0
    out_dir = args.check
    if out_dir is None:
        out_dir = pathlib.Path(tempfile.mkdtemp(prefix=prefix))
        subprocess.run([args.python, script, "--write", str(out_dir)], check=True)
    failed, total = check(out_dir)
    print(f"{total - len(failed)}/{total} {noun} OK" + (f"; failed: {failed}" if failed else ""))
    return 1 if failed else 0


def _failures(out_dir):
    results = check(out_dir)
    return [name for name, row in results.items() if not row["ok"]], len(results)


def main() -> int:
    return run_phases(__doc__, write, _failures, __file__, "openkeras_reverse_", "models")


if __name__ == "__main__":
    sys.exit(main())
