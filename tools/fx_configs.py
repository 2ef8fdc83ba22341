"""Family ``configs``: model JSON, summary metadata and seeded predictions for 7 models."""

import numpy as np
from fixture_utils import (
    FIXTURES,
    as_list,
    keras,
    pack_model_arrays,
    reset,
    seeded_weights,
    shape_list,
    write_json,
    write_npz,
)

L = keras.layers
OUT = FIXTURES / "configs"


def mlp():
    """Sequential MLP with Dropout (the Keras README model)."""
    return keras.Sequential([
        L.Dense(64, activation="relu", input_shape=(20,)),
        L.Dropout(0.5),
        L.Dense(64, activation="relu"),
        L.Dropout(0.5),
        L.Dense(10, activation="softmax"),
    ])


def mnist_cnn():
    """Keras 2's examples/mnist_cnn.py (1,199,882 params)."""
    return keras.Sequential([
        L.Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)),
        L.Conv2D(64, (3, 3), activation="relu"),
        L.MaxPooling2D((2, 2)),
        L.Dropout(0.25),
        L.Flatten(),
        L.Dense(128, activation="relu"),
        L.Dropout(0.5),
        L.Dense(10, activation="softmax"),
    ])


def mnist_cnn_keras1():
    """Keras 1's mnist_cnn.py: two 32-filter convolutions (600,810 params)."""
    return keras.Sequential([
        L.Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)),
        L.Conv2D(32, (3, 3), activation="relu"),
        L.MaxPooling2D((2, 2)),
        L.Dropout(0.25),
        L.Flatten(),
        L.Dense(128, activation="relu"),
        L.Dropout(0.5),
        L.Dense(10, activation="softmax"),
    ], name="mnist_cnn_keras1")


def two_io_shared():
    """Functional model: two inputs through one shared Dense, two named outputs."""
    a = keras.Input((8,), name="input_a")
    b = keras.Input((8,), name="input_b")
    shared = L.Dense(6, activation="relu", name="shared_dense")
    merged = L.Concatenate(name="concat")([shared(a), shared(b)])
    out_main = L.Dense(1, activation="sigmoid", name="main_output")(merged)
    out_aux = L.Dense(3, activation="softmax", name="aux_output")(merged)
    return keras.Model([a, b], [out_main, out_aux], name="two_io_shared")


def nested_shared():
    """A Sequential used as a shared layer inside a functional model, then Add."""
    inner = keras.Sequential([
        L.Dense(5, activation="tanh", input_shape=(4,)),
        L.Dense(3),
    ], name="inner_seq")
    a = keras.Input((4,), name="left")
    b = keras.Input((4,), name="right")
    out = L.Add(name="add")([inner(a), inner(b)])
    return keras.Model([a, b], out, name="nested_shared")


def reshape_chain():
    """Reshape, Permute, Flatten, RepeatVector, Activation."""
    return keras.Sequential([
        L.Reshape((4, 5), input_shape=(20,)),
        L.Permute((2, 1)),
        L.Flatten(),
        L.RepeatVector(3),
        L.Activation("tanh"),
    ])


def merge_all():
    """Functional model using every merge layer."""
    a = keras.Input((6,), name="a")
    b = keras.Input((6,), name="b")
    da = L.Dense(4, name="proj_a")(a)
    db = L.Dense(4, name="proj_b")(b)
    merged = [
        L.Add()([da, db]),
        L.Subtract()([da, db]),
        L.Multiply()([da, db]),
        L.Average()([da, db]),
        L.Maximum()([da, db]),
        L.Minimum()([da, db]),
        L.Concatenate(axis=-1)([da, db]),
        L.Dot(axes=1, normalize=True)([da, db]),
    ]
    out = L.Concatenate(axis=-1, name="all")(merged)
    return keras.Model([a, b], out, name="merge_all")


def regularized():
    """Regularizers, constraints, initializers, Masking and SpatialDropout1D on (10, 8)."""
    return keras.Sequential([
        L.Masking(mask_value=0.0, input_shape=(10, 8)),
        L.Dense(
            16,
            activation="relu",
            kernel_regularizer=keras.regularizers.l2(0.01),
            kernel_constraint=keras.constraints.max_norm(2.0),
            bias_initializer=keras.initializers.Constant(0.1),
            activity_regularizer=keras.regularizers.l1(0.001),
        ),
        L.ActivityRegularization(l1=0.01, l2=0.001),
        L.SpatialDropout1D(0.3),
        L.Conv1D(6, 3, padding="same", kernel_regularizer=keras.regularizers.l1_l2(0.01, 0.02)),
        L.GlobalAveragePooling1D(),
        L.Dense(2, bias_constraint=keras.constraints.non_neg()),
    ], name="regularized")


MODELS = [mlp, mnist_cnn, mnist_cnn_keras1, two_io_shared, nested_shared, reshape_chain,
          merge_all, regularized]


def _output_shape(layer):
    """Keras's per-layer output shape, or "multiple" for layers called more than once."""
    try:
        return shape_list(layer.output_shape)
    except AttributeError:
        return "multiple"


def _meta(model) -> dict:
    lines = []
    model.summary(print_fn=lambda line, **kwargs: lines.append(line))
    layers = model.layers
    return {
        "layer_names": [la.name for la in layers],
        "layer_classes": [la.__class__.__name__ for la in layers],
        "param_counts": [la.count_params() for la in layers],
        "total_params": model.count_params(),
        "trainable_params": int(sum(np.prod(w.shape) for w in model.trainable_weights)),
        "output_shapes": [_output_shape(la) for la in layers],
        "node_output_shapes": [
            [shape_list(n.outputs.shape if not isinstance(n.outputs, (list, tuple))
                        else [t.shape for t in n.outputs]) for n in la.inbound_nodes]
            for la in layers
        ],
        "summary": "\n".join(lines),
    }


def _inputs(model, rng):
    xs = []
    for inp in as_list(model.inputs):
        shape = (3,) + tuple(inp.shape[1:])
        xs.append(rng.uniform(-1.0, 1.0, shape).astype(np.float32))
    if model.name == "regularized":
        xs[0][:, -3:, :] = 0.0  # masked trailing timesteps
        xs[0][1, 2, :] = 0.0
    return xs


def make() -> None:
    """Write configs/<name>.json, <name>.meta.json and <name>.npz for every model."""
    for i, build in enumerate(MODELS):
        rng = reset(100 + i)
        model = build()
        name = build.__name__
        OUT.mkdir(parents=True, exist_ok=True)
        (OUT / f"{name}.json").write_text(model.to_json())
        write_json(OUT / f"{name}.meta.json", _meta(model))
        weights = seeded_weights(model, rng)
        xs = _inputs(model, rng)
        ys = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
        write_npz(OUT / f"{name}.npz", pack_model_arrays(weights, xs, ys))
        print(f"configs/{name}: {model.count_params()} params")
