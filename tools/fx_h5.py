"""Family ``h5``: small compiled models trained one step and saved in Keras 2 HDF5 format."""

import gzip
import shutil

import numpy as np
from fixture_utils import (
    FIXTURES,
    as_list,
    keras,
    pack_model_arrays,
    reset,
    seeded_weights,
    write_json,
    write_npz,
)

L = keras.layers
OPT = keras.optimizers.legacy
OUT = FIXTURES / "h5"


def mlp_bn():
    """Dense + BatchNormalization + Dropout classifier."""
    model = keras.Sequential([
        L.Dense(16, activation="relu", input_shape=(10,)),
        L.BatchNormalization(),
        L.Dropout(0.3),
        L.Dense(3, activation="softmax"),
    ], name="mlp_bn")
    return model, OPT.Adam(0.01), "categorical_crossentropy", ["accuracy"]


def cnn():
    """Conv2D + MaxPooling2D + Flatten + Dense."""
    model = keras.Sequential([
        L.Conv2D(4, 3, activation="relu", input_shape=(8, 8, 1)),
        L.MaxPooling2D(),
        L.Flatten(),
        L.Dense(3, activation="softmax"),
    ], name="cnn")
    return model, OPT.SGD(0.05, momentum=0.9), "categorical_crossentropy", ["accuracy"]


def conv1d_global():
    """Conv1D + GlobalMaxPooling1D regression."""
    model = keras.Sequential([
        L.Conv1D(4, 3, activation="relu", input_shape=(10, 2)),
        L.GlobalMaxPooling1D(),
        L.Dense(1),
    ], name="conv1d_global")
    return model, OPT.RMSprop(0.01), "mse", ["mae"]


def embedding_lstm():
    """Embedding(mask_zero=True) + LSTM classifier."""
    model = keras.Sequential([
        L.Embedding(20, 4, mask_zero=True, input_length=6),
        L.LSTM(5),
        L.Dense(2, activation="softmax"),
    ], name="embedding_lstm")
    return model, OPT.Adam(0.01), "sparse_categorical_crossentropy", ["accuracy"]


def gru_reset_after():
    """GRU with reset_after=True (the TF2 default, CuDNN-compatible bias layout)."""
    model = keras.Sequential([L.GRU(4, reset_after=True, input_shape=(5, 3)), L.Dense(1)],
                             name="gru_reset_after")
    return model, OPT.Adagrad(0.1), "mse", []


def gru_reset_before():
    """GRU with reset_after=False (the Keras 2.0 layout)."""
    model = keras.Sequential([L.GRU(4, reset_after=False, input_shape=(5, 3)), L.Dense(1)],
                             name="gru_reset_before")
    return model, OPT.Adam(0.01), "mse", []


def simple_rnn():
    """SimpleRNN returning sequences, then Flatten + Dense."""
    model = keras.Sequential([
        L.SimpleRNN(4, return_sequences=True, input_shape=(5, 3)),
        L.Flatten(),
        L.Dense(1),
    ], name="simple_rnn")
    return model, OPT.SGD(0.01), "mse", []


def bidirectional():
    """Bidirectional LSTM (concat) + GlobalAveragePooling1D."""
    model = keras.Sequential([
        L.Bidirectional(L.LSTM(3, return_sequences=True), input_shape=(5, 3)),
        L.GlobalAveragePooling1D(),
        L.Dense(2, activation="softmax"),
    ], name="bidirectional")
    return model, OPT.Nadam(0.01), "categorical_crossentropy", []


def time_distributed():
    """TimeDistributed(Dense) + Flatten + Dense."""
    model = keras.Sequential([
        L.TimeDistributed(L.Dense(3, activation="relu"), input_shape=(5, 4)),
        L.Flatten(),
        L.Dense(2),
    ], name="time_distributed")
    return model, OPT.Adamax(0.01), "mse", []


def two_io_shared():
    """Two inputs through a shared Dense, two named outputs with their own losses."""
    a = keras.Input((6,), name="input_a")
    b = keras.Input((6,), name="input_b")
    shared = L.Dense(5, activation="relu", name="shared")
    merged = L.Concatenate()([shared(a), shared(b)])
    out_main = L.Dense(1, activation="sigmoid", name="main_output")(merged)
    out_aux = L.Dense(3, activation="softmax", name="aux_output")(merged)
    model = keras.Model([a, b], [out_main, out_aux], name="two_io_shared")
    loss = {"main_output": "binary_crossentropy", "aux_output": "categorical_crossentropy"}
    return model, OPT.RMSprop(0.01, momentum=0.5), loss, {"main_output": ["accuracy"]}


def nested():
    """A Sequential used twice inside a functional model."""
    inner = keras.Sequential([L.Dense(4, activation="tanh", input_shape=(3,)), L.Dense(2)],
                             name="inner")
    a = keras.Input((3,), name="left")
    b = keras.Input((3,), name="right")
    out = L.Dense(1, name="head")(L.Concatenate()([inner(a), inner(b)]))
    return keras.Model([a, b], out, name="nested"), OPT.Adam(0.01), "mse", []


def conv_transpose_upsampling():
    """Conv2DTranspose + UpSampling2D + 1x1 Conv2D."""
    model = keras.Sequential([
        L.Conv2DTranspose(3, 3, strides=2, padding="same", input_shape=(4, 4, 2)),
        L.UpSampling2D(),
        L.Conv2D(1, 1),
    ], name="conv_transpose_upsampling")
    return model, OPT.Adam(0.01), "mse", []


def separable_depthwise():
    """SeparableConv2D + DepthwiseConv2D + GlobalAveragePooling2D."""
    model = keras.Sequential([
        L.SeparableConv2D(4, 3, depth_multiplier=2, input_shape=(8, 8, 3)),
        L.DepthwiseConv2D(3),
        L.GlobalAveragePooling2D(),
        L.Dense(2, activation="softmax"),
    ], name="separable_depthwise")
    return model, OPT.SGD(0.05, momentum=0.9, nesterov=True), "categorical_crossentropy", []


def layernorm():
    """Dense + LayerNormalization + Dense."""
    model = keras.Sequential([
        L.Dense(8, input_shape=(6,)),
        L.LayerNormalization(),
        L.Dense(2),
    ], name="layernorm")
    return model, OPT.Adam(0.01), "mse", []


def mobilenet():
    """keras.applications.MobileNet(alpha=0.25) on 32x32x3 with 3 classes."""
    model = keras.applications.MobileNet(input_shape=(32, 32, 3), alpha=0.25, weights=None,
                                         classes=3)
    return model, OPT.SGD(0.0), "categorical_crossentropy", []


MODELS = [mlp_bn, cnn, conv1d_global, embedding_lstm, gru_reset_after, gru_reset_before,
          simple_rnn, bidirectional, time_distributed, two_io_shared, nested,
          conv_transpose_upsampling, separable_depthwise, layernorm, mobilenet]
SAVE_WEIGHTS = ("mlp_bn", "two_io_shared")
# Too big for a plain fixture: quantised kernels, learning rate 0 (kernels stay
# quantised), saved gzipped, and its npz holds no weights (they are in the .h5).
GZIP = ("mobilenet",)


def _inputs(model, rng, batch: int):
    xs = []
    for inp in as_list(model.inputs):
        shape = (batch,) + tuple(inp.shape[1:])
        if not isinstance(model.layers[0], L.Embedding):
            xs.append(rng.uniform(-1.0, 1.0, shape).astype(np.float32))
        else:
            tokens = rng.integers(1, 20, shape).astype(np.int32)
            tokens[:, 4:] = 0
            tokens[0, 2:] = 0
            xs.append(tokens)
    return xs


def _targets(model, loss, rng, batch: int):
    losses = [loss[n] for n in model.output_names] if isinstance(loss, dict) else [loss]
    ys = []
    for out, name in zip(as_list(model.outputs), losses, strict=True):
        dim = int(out.shape[-1])
        if name == "sparse_categorical_crossentropy":
            ys.append(rng.integers(0, dim, (batch,)).astype(np.int32))
        elif name == "categorical_crossentropy":
            ys.append(np.eye(dim, dtype=np.float32)[rng.integers(0, dim, batch)])
        elif name == "binary_crossentropy":
            ys.append(rng.integers(0, 2, (batch, dim)).astype(np.float32))
        else:
            ys.append(rng.normal(size=(batch,) + tuple(out.shape[1:])).astype(np.float32))
    return ys


def _calibrate_batchnorm(model, x) -> None:
    """Set every BatchNormalization's moving stats to the batch stats of ``x``.

    Random moving statistics make a deep ReLU network's output almost constant; one
    training-mode pass with momentum 0 gives each layer the mean/variance it really sees.
    """
    bns = [layer for layer in model.layers if isinstance(layer, L.BatchNormalization)]
    momenta = [bn.momentum for bn in bns]
    for bn in bns:
        bn.momentum = 0.0
    model(x, training=True)
    for bn, momentum in zip(bns, momenta, strict=True):
        bn.momentum = momentum


def _gzip(path) -> None:
    """Replace ``path`` by ``path.gz`` (mtime 0, so the bytes are reproducible)."""
    with open(path, "rb") as src, open(f"{path}.gz", "wb") as raw:
        with gzip.GzipFile(filename=path.name, mode="wb", fileobj=raw, mtime=0) as dst:
            shutil.copyfileobj(src, dst)
    path.unlink()


def make() -> None:
    """Write h5/<name>.h5 (or .h5.gz), h5/<name>.npz, two <name>_weights.h5 and index.json."""
    OUT.mkdir(parents=True, exist_ok=True)
    index = {}
    for i, build in enumerate(MODELS):
        rng = reset(300 + i)
        model, optimizer, loss, metrics = build()
        name = build.__name__
        seeded_weights(model, rng, quantize=name in GZIP)
        if name in GZIP:
            _calibrate_batchnorm(model, _inputs(model, rng, 8))
        model.compile(optimizer=optimizer, loss=loss, metrics=metrics)
        x_train = _inputs(model, rng, 4)
        y_train = _targets(model, loss, rng, 4)
        one = len(x_train) == 1
        train_logs = model.train_on_batch(x_train[0] if one else x_train,
                                          y_train[0] if len(y_train) == 1 else y_train,
                                          return_dict=True)
        model.save(OUT / f"{name}.h5")
        if name in GZIP:
            _gzip(OUT / f"{name}.h5")
        if name in SAVE_WEIGHTS:
            model.save_weights(OUT / f"{name}_weights.h5")
        x = _inputs(model, rng, 3)
        y = model.predict(x[0] if one else x, verbose=0)
        arrays = pack_model_arrays([] if name in GZIP else model.get_weights(), x, y)
        arrays.update({f"x_train{j}": v for j, v in enumerate(x_train)})
        arrays.update({f"y_train{j}": v for j, v in enumerate(y_train)})
        arrays.update({f"opt_weights_{j}": np.asarray(w)
                       for j, w in enumerate(optimizer.get_weights())})
        write_npz(OUT / f"{name}.npz", arrays)
        index[name] = {
            "doc": build.__doc__, "optimizer": optimizer.get_config(), "loss": loss,
            "metrics": metrics, "train_logs": {k: float(v) for k, v in train_logs.items()},
            "total_params": model.count_params(), "n_weights": len(model.weights),
            "file": f"{name}.h5.gz" if name in GZIP else f"{name}.h5",
            "save_weights_file": f"{name}_weights.h5" if name in SAVE_WEIGHTS else None,
        }
        print(f"h5/{name}: {model.count_params()} params")
    write_json(OUT / "index.json", index)
