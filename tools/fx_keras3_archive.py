"""Golden Keras 3 ``.keras`` archives for openkeras's reader (tests/fixtures/keras3/).

Run with ``tools/.tfenv/bin/python tools/fx_keras3_archive.py`` (Keras 3 from that virtualenv).
Writes ``<name>.keras`` and ``<name>.npz`` (``x0..``, ``y0`` = ``model.predict``).
"""

import os
import pathlib

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "keras3"
L = keras.layers


def functional():
    """Bidirectional LSTM, GRU, a nested Sequential, BatchNormalization, two Dense."""
    inner = keras.Sequential([keras.Input((3,)), L.Dense(4, activation="tanh", name="d1")],
                             name="inner")
    a = keras.Input((5, 3), name="seq")
    x = L.Bidirectional(L.LSTM(2, return_sequences=True), name="bi")(a)
    x = L.GRU(2, name="gru")(x)
    y = L.BatchNormalization(name="bn")(inner(L.Dense(3, name="proj")(x)))
    return keras.Model(a, y, name="k3_functional")


def sequential():
    """Dense + Dropout + Dense, the common Keras 3 Sequential."""
    return keras.Sequential([keras.Input((6,)), L.Dense(5, activation="relu"), L.Dropout(0.2),
                             L.Dense(2, activation="softmax")], name="k3_sequential")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(400)
    for build in (functional, sequential):
        model = build()
        model.set_weights([rng.uniform(0.5, 1.5, w.shape).astype("float32")
                           if "variance" in w.path else
                           rng.uniform(-0.5, 0.5, w.shape).astype("float32")
                           for w in model.weights])
        x = rng.uniform(-1, 1, (3,) + tuple(model.inputs[0].shape[1:])).astype("float32")
        y = model.predict(x, verbose=0)
        model.save(OUT / f"{build.__name__}.keras")
        np.savez_compressed(OUT / f"{build.__name__}.npz", x0=x, y0=y)
        print(f"keras3/{build.__name__}: {model.count_params()} params")


if __name__ == "__main__":
    main()
