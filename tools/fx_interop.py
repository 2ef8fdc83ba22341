"""Family ``interop``: training continued from files of tf.keras >= 2.11 and Keras 3.

Each case builds Dense + BatchNormalization + Dense with seeded weights, trains it 3 steps
with a *non-legacy* optimizer (tf_keras 2.21's ``keras.optimizers.*``, or Keras 3's; one
legacy case for comparison), saves it as ``.h5`` (tf.keras's ``Custom>Adam`` / Keras 3's
optimizer weight names), then trains 3 more steps and records every model weight
(BatchNormalization's moving statistics included) after each one; for tf_keras, a copy loaded
from the file takes the same 3 steps too. The test loads the file in openkeras and must take
the same 3 steps.
"""

import numpy as np
from fixture_utils import FIXTURES, keras, reset, seeded_weights, write_npz

OUT = FIXTURES / "interop"
BATCHES = 6  # 3 before saving, 3 after


def _tf_keras_model():
    return keras.Sequential([
        keras.layers.Dense(6, activation="tanh", input_shape=(5,)),
        keras.layers.BatchNormalization(),
        keras.layers.Dense(3),
    ])


def _keras3_model():
    import keras as keras3

    return keras3.Sequential([
        keras3.Input((5,)),
        keras3.layers.Dense(6, activation="tanh"),
        keras3.layers.BatchNormalization(),
        keras3.layers.Dense(3),
    ])


def _tf_keras_cases():
    opt = keras.optimizers
    return {
        "tfk_legacy_adam": opt.legacy.Adam(0.01),  # the format openkeras writes
        "tfk_adam": opt.Adam(0.01),
        "tfk_adam_amsgrad": opt.Adam(0.01, amsgrad=True),
        "tfk_sgd_nesterov": opt.SGD(0.05, momentum=0.9, nesterov=True),
        "tfk_rmsprop_centered": opt.RMSprop(0.01, momentum=0.5, centered=True),
        "tfk_adadelta": opt.Adadelta(1.0),
        "tfk_adagrad": opt.Adagrad(0.05),
        "tfk_adamax": opt.Adamax(0.01),
    }


def _keras3_cases():
    import keras as keras3

    opt = keras3.optimizers
    return {"k3_adam": opt.Adam(0.01), "k3_sgd_momentum": opt.SGD(0.05, momentum=0.9),
            "k3_rmsprop_momentum": opt.RMSprop(0.01, momentum=0.5)}


def _run(name, make_model, optimizer, seed, seed_weights, load=None):
    rng = reset(seed)
    model = make_model()
    seed_weights(model, rng)
    x = rng.normal(size=(BATCHES, 8, 5)).astype(np.float32)
    y = rng.normal(size=(BATCHES, 8, 3)).astype(np.float32)
    model.compile(optimizer=optimizer, loss="mse")
    for i in range(3):
        model.train_on_batch(x[i], y[i])
    OUT.mkdir(parents=True, exist_ok=True)
    model.save(OUT / f"{name}.h5")
    arrays = {"x": x, "y": y}
    for i in range(3, BATCHES):
        arrays[f"loss_{i}"] = np.float32(model.train_on_batch(x[i], y[i]))
        for j, w in enumerate(model.get_weights()):
            arrays[f"step{i}_w{j}"] = w
    if load is not None:  # the same 3 steps taken by a copy the reference loaded from the file
        loaded = load(OUT / f"{name}.h5")
        for i in range(3, BATCHES):
            loaded.train_on_batch(x[i], y[i])
            for j, w in enumerate(loaded.get_weights()):
                arrays[f"loaded_step{i}_w{j}"] = w
    write_npz(OUT / f"{name}.npz", arrays)


def _seed_keras3(model, rng):
    values = []
    for w in model.weights:
        shape = tuple(w.shape)
        if "variance" in w.path or "gamma" in w.path:
            values.append(rng.uniform(0.5, 1.5, shape).astype(np.float32))
        else:
            values.append(rng.uniform(-0.5, 0.5, shape).astype(np.float32))
    model.set_weights(values)


def make() -> None:
    """Write ``tests/fixtures/interop/*.h5`` and ``.npz``."""
    for i, (name, optimizer) in enumerate(_tf_keras_cases().items()):
        _run(name, _tf_keras_model, optimizer, 100 + i, seeded_weights, keras.models.load_model)
    for i, (name, optimizer) in enumerate(_keras3_cases().items()):
        import keras as keras3

        keras3.utils.set_random_seed(200 + i)
        _run(name, _keras3_model, optimizer, 200 + i, _seed_keras3)
