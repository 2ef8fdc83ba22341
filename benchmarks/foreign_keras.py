"""One measurement of a workload under another Keras (``tf_keras``, or ``keras`` 2 or 3).

``run_all.py`` writes each workload's model (openkeras's ``to_json()``, the Keras 2 format),
compile arguments and data into a folder, and runs this script in a fresh interpreter that
has the other Keras installed. It imports neither torch nor openkeras. The timing is that of
``measure.py``: a first epoch, then ``--epochs`` more, each a ``fit`` epoch or a predict pass.

    python benchmarks/foreign_keras.py MODULE SPEC_DIR [--epochs 3] [--threads N]
"""

import argparse
import importlib
import json
import os
import statistics
import sys
import time

import numpy as np

PREDICT_BATCH = 256
# Keras 2 LSTM/GRU arguments that Keras 3 no longer accepts.
DROPPED_IN_KERAS3 = ("time_major",)


def build(keras, model_json):
    """The Sequential model of ``model_json`` in ``keras``'s own classes."""
    if keras.__version__.startswith("2"):
        return keras.models.model_from_json(model_json)
    config = json.loads(model_json)["config"]
    for layer in config["layers"]:
        for key in DROPPED_IN_KERAS3:
            layer["config"].pop(key, None)
    return keras.Sequential.from_config(config)


def set_threads(threads):
    try:
        import tensorflow as tf
    except ImportError:
        print("--threads: only the TensorFlow backend's threads can be set", file=sys.stderr)
        return
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)


def measure(module, spec_dir, epochs, threads):
    """Time the first epoch and ``epochs`` more; a JSON-ready dict."""
    if threads:
        set_threads(threads)
    keras = importlib.import_module(module)
    with open(os.path.join(spec_dir, "meta.json")) as f:
        meta = json.load(f)
    with open(os.path.join(spec_dir, "model.json")) as f:
        model = build(keras, f.read())
    with np.load(os.path.join(spec_dir, "data.npz")) as f:
        x, y = f["x"], f["y"]
    if hasattr(keras.utils, "set_random_seed"):
        keras.utils.set_random_seed(0)
    model.compile(loss=meta["loss"], optimizer=meta["optimizer"], metrics=meta["metrics"])
    kind, batch_size = meta["kind"], meta["batch_size"]

    def epoch():
        if kind == "fit":
            return model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0).history["loss"][-1]
        if kind == "predict":
            return float(model.predict(x, batch_size=PREDICT_BATCH, verbose=0).sum())
        total = 0.0
        for i in range(len(x)):
            one = (model.predict_on_batch(x[i:i + 1]) if kind == "predict_on_batch"
                   else model.predict(x[i:i + 1], verbose=0))
            total += float(np.asarray(one)[0, 0])
        return total

    seconds = []
    for _ in range(epochs + 1):
        start = time.perf_counter()
        result = epoch()
        seconds.append(time.perf_counter() - start)
    backend = getattr(getattr(keras, "backend", None), "backend", lambda: "tensorflow")()
    return {"variant": module, "first_s": seconds[0], "steady_s": statistics.median(seconds[1:]),
            "epoch_s": seconds[1:], "units": meta["units"], "unit": meta["unit"],
            "result": float(result), "version": f"{module} {keras.__version__} ({backend})"}


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("module", choices=("tf_keras", "keras"))
    parser.add_argument("spec_dir")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0, help="0: the library's default")
    args = parser.parse_args()
    print(json.dumps(measure(args.module, args.spec_dir, args.epochs, args.threads)))


if __name__ == "__main__":
    main()
