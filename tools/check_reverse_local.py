"""Reverse direction for LocallyConnected layers: .h5 files written by openkeras load in tf_keras.

Phase 1 (openkeras) saves the golden tests/fixtures/h5/locally_connected.h5 back, and builds
one model per implementation mode and data format with seeded weights, saving each as .h5
with its input and prediction. Phase 2 (tf_keras 2.21; Keras 3 has no LocallyConnected)
loads every file, compiled, and compares its prediction (atol 1e-5).

    tools/.tfenv/bin/python tools/check_reverse_local.py            # both phases
    .venv/bin/python tools/check_reverse_local.py --write DIR       # phase 1 only
    tools/.tfenv/bin/python tools/check_reverse_local.py --check DIR   # phase 2 only
"""

import os
import pathlib
import sys

import numpy as np
from check_reverse import run_phases  # tools/ is on sys.path when a tool runs

ROOT = pathlib.Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "fixtures" / "h5" / "locally_connected"
ATOL = 1e-5


def _models(layers, Sequential):
    """(name, model, input shape) for each mode and data format."""
    out = []
    for mode in (1, 2, 3):
        pad = "valid" if mode == 1 else "same"
        for fmt, shape2, shape1 in (("channels_last", (6, 5, 2), (7, 3)),
                                    ("channels_first", (2, 6, 5), (3, 7))):
            out.append((f"lc2d_m{mode}_{fmt}", Sequential([
                layers.LocallyConnected2D(3, (3, 2), strides=(2, 1), padding=pad,
                                          data_format=fmt, implementation=mode,
                                          input_shape=shape2)]), shape2))
            out.append((f"lc1d_m{mode}_{fmt}", Sequential([
                layers.LocallyConnected1D(2, 3, strides=2, padding=pad, data_format=fmt,
                                          implementation=mode, activation="tanh",
                                          input_shape=shape1)]), shape1))
    return out


def write(out_dir: pathlib.Path) -> None:
    """Phase 1 (openkeras): save the models and their predictions."""
    sys.path.insert(0, str(ROOT))
    from openkeras import layers
    from openkeras.models import Sequential, load_model

    out_dir.mkdir(parents=True, exist_ok=True)
    model = load_model(f"{GOLDEN}.h5")
    model.save(out_dir / "golden.h5")
    np.savez(out_dir / "golden.npz", **np.load(f"{GOLDEN}.npz"))
    rng = np.random.default_rng(0)
    for name, model, shape in _models(layers, Sequential):
        model.set_weights([rng.uniform(-0.5, 0.5, w.shape).astype(np.float32)
                           for w in model.get_weights()])
        model.compile(optimizer="adam", loss="mse")
        x = rng.normal(size=(2, *shape)).astype(np.float32)
        model.save(out_dir / f"{name}.h5")
        np.savez(out_dir / f"{name}.npz", x0=x, y0=model.predict(x, verbose=0))
    print(f"wrote {out_dir}")


def check(out_dir: pathlib.Path) -> list:
    """Phase 2 (tf_keras 2.21): load each file and compare its prediction; the failures."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tf_keras

    failed = []
    for path in sorted(out_dir.glob("*.h5")):
        ref = np.load(path.with_suffix(".npz"))
        try:
            model = tf_keras.models.load_model(path)
            err = float(np.max(np.abs(model.predict(ref["x0"], verbose=0) - ref["y0"])))
            print(f"{path.stem}: max abs err {err:.2e}")
            if not err <= ATOL:
                failed.append(path.stem)
        except Exception as e:  # noqa: BLE001 - report every failure, keep checking the rest
            print(f"{path.stem}: {type(e).__name__}: {e}"[:300])
            failed.append(path.stem)
    return failed


def _failures(out_dir):
    return check(out_dir), len(list(out_dir.glob("*.h5")))


def main() -> int:
    return run_phases(__doc__, write, _failures, __file__, "openkeras_reverse_local_", "files")


if __name__ == "__main__":
    sys.exit(main())
