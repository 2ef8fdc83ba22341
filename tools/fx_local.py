"""Family ``local``: LocallyConnected1D / LocallyConnected2D in all three implementation modes.

Writes ``tests/fixtures/layers/local.{npz,json}`` (layer cases: config, Keras-layout weights,
input, output) and ``tests/fixtures/h5/locally_connected.{h5,npz}``: a compiled model with
one LocallyConnected layer per mode, saved by tf_keras, with a seeded input and its output.
"""

import numpy as np
from fixture_utils import FIXTURES, keras, reset, seeded_weights, write_npz
from fx_layers import case, write_family

L = keras.layers


def local_cases(rng):
    """LocallyConnected1D/2D: modes 1-3, both data formats, strides, 'same' (modes 2-3)."""
    x1 = rng.normal(size=(2, 7, 3)).astype(np.float32)
    x1_cf = rng.normal(size=(2, 3, 7)).astype(np.float32)
    x2 = rng.normal(size=(2, 5, 6, 3)).astype(np.float32)
    x2_cf = rng.normal(size=(2, 3, 5, 6)).astype(np.float32)
    cases = []
    for mode in (1, 2, 3):
        cases += [
            case(f"lc1d_m{mode}", L.LocallyConnected1D(4, 3, implementation=mode), x1),
            case(f"lc1d_m{mode}_strided_relu", L.LocallyConnected1D(
                2, 2, strides=2, activation="relu", implementation=mode), x1),
            case(f"lc1d_m{mode}_cf", L.LocallyConnected1D(
                4, 3, data_format="channels_first", implementation=mode), x1_cf),
            case(f"lc2d_m{mode}", L.LocallyConnected2D(4, (2, 3), implementation=mode), x2),
            case(f"lc2d_m{mode}_strided_nobias", L.LocallyConnected2D(
                3, 2, strides=(2, 1), use_bias=False, implementation=mode), x2),
            case(f"lc2d_m{mode}_cf", L.LocallyConnected2D(
                2, (3, 2), strides=(1, 2), data_format="channels_first", implementation=mode),
                x2_cf),
        ]
    for mode in (2, 3):
        cases += [
            case(f"lc1d_m{mode}_same", L.LocallyConnected1D(
                3, 3, strides=2, padding="same", implementation=mode), x1),
            case(f"lc2d_m{mode}_same", L.LocallyConnected2D(
                2, (3, 2), strides=(2, 2), padding="same", implementation=mode), x2),
            case(f"lc2d_m{mode}_same_cf", L.LocallyConnected2D(
                2, 3, padding="same", data_format="channels_first", implementation=mode),
                x2_cf),
        ]
    return cases


def locally_connected_model(rng):
    """A compiled model with one LocallyConnected layer per implementation mode."""
    model = keras.Sequential([
        L.LocallyConnected2D(3, 3, activation="relu", input_shape=(6, 6, 2), implementation=1),
        L.LocallyConnected2D(2, 2, padding="same", implementation=2),
        L.Reshape((16, 2)),
        L.LocallyConnected1D(2, 3, strides=2, implementation=3),
        L.Flatten(),
        L.Dense(3, activation="softmax"),
    ], name="locally_connected")
    seeded_weights(model, rng)
    model.compile(optimizer=keras.optimizers.legacy.Adam(0.01), loss="categorical_crossentropy")
    x = rng.normal(size=(4, 6, 6, 2)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 4)]
    model.train_on_batch(x, y)
    out = FIXTURES / "h5"
    model.save(out / "locally_connected.h5")
    write_npz(out / "locally_connected.npz", {"x0": x, "y0": model.predict(x, verbose=0)})


def make() -> None:
    """Write the layer cases and the model file."""
    write_family("local", local_cases, 2000)
    locally_connected_model(reset(2100))
