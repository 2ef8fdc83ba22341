"""Family ``optimizers``: 20 full-batch steps of a linear Dense(3) under each legacy optimizer."""

import json

import numpy as np
from fixture_utils import FIXTURES, keras, reset, to_jsonable, write_npz

OPT = keras.optimizers.legacy
OUT = FIXTURES / "optimizers"
STEPS = 20

CASES = {
    "sgd": lambda: OPT.SGD(learning_rate=0.1),
    "sgd_momentum": lambda: OPT.SGD(learning_rate=0.05, momentum=0.9),
    "sgd_nesterov_decay": lambda: OPT.SGD(learning_rate=0.05, momentum=0.9, nesterov=True,
                                        decay=0.01),
    "rmsprop": lambda: OPT.RMSprop(learning_rate=0.01),
    "rmsprop_centered_momentum": lambda: OPT.RMSprop(learning_rate=0.01, momentum=0.5,
                                                   centered=True),
    "adagrad": lambda: OPT.Adagrad(learning_rate=0.1),
    "adadelta": lambda: OPT.Adadelta(learning_rate=1.0),
    "adam": lambda: OPT.Adam(learning_rate=0.01),
    "adam_amsgrad": lambda: OPT.Adam(learning_rate=0.01, amsgrad=True),
    "adamax": lambda: OPT.Adamax(learning_rate=0.01),
    "nadam": lambda: OPT.Nadam(learning_rate=0.01),
    "sgd_clipnorm": lambda: OPT.SGD(learning_rate=0.1, clipnorm=0.5),
    "adam_clipvalue": lambda: OPT.Adam(learning_rate=0.01, clipvalue=0.01),
}


def run_case(name: str, make_optimizer) -> dict:
    """Train the linear model for STEPS full-batch steps and collect the arrays.

    Args:
        name: Case name (used only for the seed offset).
        make_optimizer: Zero-argument factory of a legacy optimizer.
    """
    rng = reset(7)  # the same data and initial weights for every case
    x = rng.normal(size=(8, 4)).astype(np.float32)
    y = rng.normal(size=(8, 3)).astype(np.float32)
    kernel = rng.uniform(-0.5, 0.5, (4, 3)).astype(np.float32)
    bias = rng.uniform(-0.5, 0.5, (3,)).astype(np.float32)
    model = keras.Sequential([keras.layers.Dense(3, input_shape=(4,))])
    model.set_weights([kernel, bias])
    optimizer = make_optimizer()
    model.compile(optimizer=optimizer, loss="mse")
    arrays = {"x": x, "y": y, "kernel_init": kernel, "bias_init": bias}
    losses = []
    for step in range(STEPS):
        losses.append(float(model.train_on_batch(x, y)))
        if step == 0:
            arrays["kernel_step1"], arrays["bias_step1"] = model.get_weights()
    arrays["kernel_final"], arrays["bias_final"] = model.get_weights()
    arrays["losses"] = np.asarray(losses, np.float32)
    for i, w in enumerate(optimizer.get_weights()):
        arrays[f"opt_weights_{i}"] = np.asarray(w)
    arrays["opt_weight_names"] = np.asarray([w.name for w in optimizer.weights])
    arrays["config"] = np.asarray(json.dumps(to_jsonable(optimizer.get_config()),
                                             sort_keys=True))
    return arrays


def make() -> None:
    """Write optimizers/<case>.npz for every case."""
    for name, factory in CASES.items():
        arrays = run_case(name, factory)
        write_npz(OUT / f"{name}.npz", arrays)
        n_opt = sum(k.startswith("opt_weights_") for k in arrays)
        print(f"optimizers/{name}: loss {arrays['losses'][0]:.4f} -> {arrays['losses'][-1]:.4f},"
              f" {n_opt} optimizer weights")
