"""The 30 real Keras files in ../shared/keras_files: they load and predict what they should.

References: the tf_keras 2.21 predictions shipped as ``*.ref.npz``; Keras 1.2.2's own
predictions (``*_inputs_and_outputs.h5``); and, for files nobody else can load, plain numpy
computed from the arrays stored in the file (independent of our layers and conversions).
"""

import json
import os

import h5py
import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

import openkeras
from openkeras import layers, saving

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FILES = os.path.join(REPO, "..", "shared", "keras_files")


def _path(name):
    assert os.path.isdir(FILES), f"the real Keras files are missing: {FILES} does not exist"
    return os.path.join(FILES, name)


def _manifest():
    with open(_path("manifest.json")) as f:
        return json.load(f)["models"]


def _stored(name, layer):
    """The arrays stored for ``layer`` in file ``name`` (weight_names order)."""
    with h5py.File(_path(name), "r") as f:
        g = f["model_weights"] if "model_weights" in f else f
        names = [n.decode() if isinstance(n, bytes) else n for n in g[layer].attrs["weight_names"]]
        return [np.asarray(g[layer][n]) for n in names]


def _predict(model, xs):
    out = model(xs[0] if len(xs) == 1 else xs)
    out = out if isinstance(out, (list, tuple)) else [out]
    return [o.detach().cpu().numpy() for o in out]


def _assert_close(actual, expected):
    """float32 agreement; some of these files produce outputs of 1e3 to 5e4, hence rtol."""
    np.testing.assert_allclose(actual, expected, atol=1e-5, rtol=1e-5)


WITH_REFERENCE = [m["file"] for m in _manifest() if m.get("references")
                  and m["content"].startswith("full")] if os.path.isdir(FILES) \
    else ["<missing shared/keras_files>"]


def test_manifest_has_the_30_files():
    models = _manifest()
    assert len(models) == 30
    for m in models:
        assert os.path.exists(_path(m["file"])), m["file"]


@pytest.mark.parametrize("name", WITH_REFERENCE)
def test_full_model_matches_tf_keras_reference(name):
    model = saving.load_model(_path(name), compile=False)
    stem = name.rsplit(".", 1)[0]
    # standalone Keras 2 flipped the kernels of a file saved on Theano: its documented behaviour
    ref_name = f"{stem}.ref_theano_flip.npz" if "theano_2" in name else f"{stem}.ref.npz"
    ref = np.load(_path(ref_name))
    xs = [ref[f"input_{i}"] for i in range(8) if f"input_{i}" in ref]
    ys = [ref[f"output_{i}"] for i in range(8) if f"output_{i}" in ref]
    outs = _predict(model, xs)
    assert len(outs) == len(ys)
    for out, y in zip(outs, ys, strict=True):
        _assert_close(out, y)


def test_full_models_compile_from_their_training_config():
    model = saving.load_model(_path("dl4j__issue_9560.h5"))
    assert type(model.optimizer).__name__ == "Adam"
    model = saving.load_model(_path("covidbot__chatbot_model.h5"))
    assert type(model.optimizer).__name__ == "SGD"
    np.testing.assert_allclose(model.optimizer.get_config()["momentum"], 0.9, rtol=1e-6)


# --------------------------------------------------------------------- numpy references
def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _hard_sigmoid(x):
    return np.clip(0.2 * x + 0.5, 0, 1)


def _lstm_keras1(x, w, act=np.tanh, rec=_hard_sigmoid, backwards=False):
    """A Keras 1 LSTM from its 12 per-gate arrays W_i U_i b_i W_c ... b_o (gates i, c, f, o)."""
    gates = {g: w[3 * k: 3 * k + 3] for k, g in enumerate("icfo")}
    units = w[1].shape[0]
    h, c = np.zeros((x.shape[0], units)), np.zeros((x.shape[0], units))
    steps = range(x.shape[1] - 1, -1, -1) if backwards else range(x.shape[1])
    out = []
    for t in steps:
        z = {g: x[:, t] @ W + h @ U + b for g, (W, U, b) in gates.items()}
        c = rec(z["f"]) * c + rec(z["i"]) * act(z["c"])
        h = rec(z["o"]) * act(c)
        out.append(h)
    if backwards:
        out = out[::-1]
    return np.stack(out, axis=1)


def _conv2d(x, kernel, strides=(1, 1)):
    """Valid 2D correlation, NHWC input, (kh, kw, in, out) kernel."""
    kh, kw = kernel.shape[:2]
    win = sliding_window_view(x, (kh, kw), axis=(1, 2))[:, ::strides[0], ::strides[1]]
    return np.einsum("bhwcij,ijco->bhwo", win, kernel)


def _maxpool(x, size=2):
    h, w = x.shape[1] // size * size, x.shape[2] // size * size
    x = x[:, :h, :w].reshape(x.shape[0], h // size, size, w // size, size, -1)
    return x.max(axis=(2, 4))


def _rng_input(shape):
    return np.random.default_rng(7).uniform(-1, 1, shape).astype(np.float32)


@pytest.mark.parametrize("backend", ["tf", "th"])
def test_keras1_lstm_matches_keras1_own_predictions(backend):
    model = saving.load_model(_path(f"dl4j__simple_lstm_{backend}_keras_1_model.h5"), compile=False)
    with h5py.File(_path(f"dl4j__simple_lstm_{backend}_keras_1_inputs_and_outputs.h5"), "r") as f:
        x = np.asarray(f["inputs/lstm_input_1"], dtype=np.float32)
        y = np.asarray(f["predictions/dense_1"])
    _assert_close(_predict(model, [x])[0], y)


def test_keras1_lstm_stack_with_time_distributed_dense():
    name = "dl4j__lstm_tf_model.h5"
    model = saving.load_model(_path(name), compile=False)
    assert [type(la).__name__ for la in model.layers] == ["LSTM", "LSTM", "TimeDistributed",
                                                          "Activation"]
    x = _rng_input((2, 10, 2))
    h = _lstm_keras1(x, _stored(name, "lstm_1"))
    h = _lstm_keras1(h, _stored(name, "lstm_2"))
    W, b = _stored(name, "timedistributeddense_1")
    z = h @ W + b
    expected = np.exp(z - z.max(-1, keepdims=True))
    expected /= expected.sum(-1, keepdims=True)
    _assert_close(_predict(model, [x])[0], expected)


def test_keras1_bidirectional_lstm_theano():
    name = "dl4j__bidirectional_lstm_theano_1.h5"
    model = saving.load_model(_path(name), compile=False)
    w = _stored(name, "bidirectional_1")
    x = _rng_input((2, 4, 10))
    expected = np.concatenate([_lstm_keras1(x, w[:12]), _lstm_keras1(x, w[12:], backwards=True)],
                              axis=-1)
    _assert_close(_predict(model, [x])[0], expected)


def test_keras1_dense_batchnorm_running_std_conv():
    name = "dl4j__batch_to_conv2d_tensorflow_1.h5"
    model = saving.load_model(_path(name), compile=False)
    x = _rng_input((2, 100))
    W, b = _stored(name, "dense_1")
    h = (x @ W + b).reshape(2, 7, 7, 10)
    gamma, beta, mean, running_std = _stored(name, "batchnormalization_1")
    h = (h - mean) / np.sqrt(running_std + 1e-3) * gamma + beta  # running_std holds a variance
    K, bk = _stored(name, "convolution2d_1")
    _assert_close(_predict(model, [x])[0], _conv2d(h, K) + bk)


def test_keras1_theano_conv_without_backend_attribute_is_not_flipped():
    name = "dl4j__conv2d_theano_1.h5"  # Keras 2 flipped only when the file said 'theano'
    model = saving.load_model(_path(name), compile=False)
    x = _rng_input((2, 5, 5, 5))
    K, b = _stored(name, "convolution2d_1")
    _assert_close(_predict(model, [x])[0], _conv2d(x, K) + b)


def test_keras1_weight_names_in_tf_scopes():
    name = "dl4j__tfscope_model.h5"
    model = saving.load_model(_path(name))  # no training_config: loads uncompiled, warns
    x = _rng_input((2, 70))
    (W1, b1), (W2, b2) = _stored(name, "dense_1"), _stored(name, "dense_2")
    _assert_close(_predict(model, [x])[0], np.tanh(x @ W1 + b1) @ W2 + b2)


def test_keras1_functional_convnet_without_bias():
    name = "phvu-carnd__model.h5"
    model = saving.load_model(_path(name), compile=False)
    x = _rng_input((2, 80, 160, 3))
    h = _maxpool(np.maximum(_conv2d(x, _stored(name, "conv0")[0], (1, 2)), 0))
    h = _maxpool(np.maximum(_conv2d(h, _stored(name, "conv1")[0], (2, 2)), 0))
    h = _maxpool(np.maximum(_conv2d(h, _stored(name, "conv2")[0], (2, 2)), 0))
    h = np.maximum(_conv2d(h, _stored(name, "conv3")[0], (2, 2)), 0).reshape(2, -1)
    for layer in ("ff1", "ff2"):
        W, b = _stored(name, layer)
        h = np.maximum(h @ W + b, 0)
    W, b = _stored(name, "predictions")
    _assert_close(_predict(model, [x])[0], h @ W + b)


def test_keras1_json_with_merge_and_weights_only_file():
    with open(_path("ddpg__criticmodel.json")) as f:
        model = saving.model_from_config(json.load(f))  # double-encoded JSON
    assert any(type(la).__name__ == "Add" for la in model.layers)
    name = "ddpg__criticmodel.h5"
    saving.load_weights(model, _path(name))
    s, a = _rng_input((2, 29)), _rng_input((2, 3))
    d = {n: _stored(name, n) for n in ("dense_11", "dense_12", "dense_13", "dense_14", "dense_15")}
    h1 = np.maximum(s @ d["dense_11"][0] + d["dense_11"][1], 0)
    h = h1 @ d["dense_13"][0] + d["dense_13"][1] + a @ d["dense_12"][0] + d["dense_12"][1]
    h = np.maximum(h @ d["dense_14"][0] + d["dense_14"][1], 0)
    _assert_close(_predict(model, [s, a])[0], h @ d["dense_15"][0] + d["dense_15"][1])


def test_keras2_json_and_weights_only_file_match_reference():
    with open(_path("carnd-dv__model.json")) as f:
        model = openkeras.models.model_from_json(f.read())
    saving.load_weights(model, _path("carnd-dv__model.h5"))
    ref = np.load(_path("carnd-dv__model.ref.npz"))
    _assert_close(_predict(model, [ref["input_0"]])[0], ref["output_0"])


def test_keras3_file_loads():
    name = "churn__model.h5"
    model = saving.load_model(_path(name))
    x = _rng_input((3, 12))
    h = x
    for layer, act in (("dense", "relu"), ("dense_1", "relu"), ("dense_2", "sigmoid")):
        W, b = _stored(name, layer)
        h = h @ W + b
        h = np.maximum(h, 0) if act == "relu" else _sigmoid(h)
    _assert_close(_predict(model, [x])[0], h)


def test_marshalled_lambda_is_refused_unless_safe_mode_is_off():
    path = _path("carnd2017__model.h5")
    with pytest.raises(ValueError, match="safe_mode=False") as info:
        saving.load_model(path)
    assert "carnd2017__model.h5" in str(info.value)
    # opted in: the bytecode comes from another Python version, so a clear error, not a crash
    with pytest.raises((ValueError, TypeError)) as info:
        saving.load_model(path, safe_mode=False)
    assert "carnd2017__model.h5" in str(info.value)


# ----------------------------------------------------------------- weights-only files
def test_theano_weights_only_file_into_channels_first_model():
    name = "titu1994-isr__SR_Weights_2X.h5"
    x = openkeras.Input((3, None, None), name="input_2")
    h = layers.Conv2D(64, 9, padding="same", activation="relu", data_format="channels_first",
                      name="level1")(x)
    h = layers.Conv2D(32, 1, padding="same", activation="relu", data_format="channels_first",
                      name="level2")(h)
    y = layers.Conv2D(3, 5, padding="same", data_format="channels_first", name="output")(h)
    model = openkeras.Model(x, y)
    saving.load_weights(model, _path(name))
    W, b = _stored(name, "level1")
    kernel, bias = model.get_layer("level1").get_weights()
    np.testing.assert_array_equal(kernel, np.transpose(W, (2, 3, 1, 0)))
    np.testing.assert_array_equal(bias, b)


def test_gru_weights_with_suffixed_names_by_name():
    name = "ann2018__model_gru.h5"
    x = openkeras.Input((None, 69))
    h = layers.GRU(128, reset_after=False, return_sequences=True, name="gru_1")(x)
    h = layers.GRU(128, reset_after=False, name="gru_2")(h)
    h = layers.Dense(128, name="dense_4")(h)
    model = openkeras.Model(x, [layers.Dense(17, name="YT")(h), layers.Dense(52, name="YP")(h)])
    saving.load_weights(model, _path(name), by_name=True)
    for layer in ("gru_1", "gru_2", "YT", "YP"):
        got_all = model.get_layer(layer).get_weights()
        for got, want in zip(got_all, _stored(name, layer), strict=True):
            np.testing.assert_array_equal(got, want)


def test_beta_before_gamma_is_matched_by_name():
    name = "robofollow__model_weights.h5"
    x = openkeras.Input((16, 16, 3))
    h = layers.SeparableConv2D(36, 3, padding="same", name="separable_conv2d_keras_1")(x)
    model = openkeras.Model(x, layers.BatchNormalization(name="batch_normalization_1")(h))
    saving.load_weights(model, _path(name), by_name=True)
    beta, gamma, mean, var = _stored(name, "batch_normalization_1")  # stored beta first
    got = model.get_layer("batch_normalization_1").get_weights()  # Keras order: gamma first
    for g, w in zip(got, [gamma, beta, mean, var], strict=True):
        np.testing.assert_array_equal(g, w)
    assert not np.array_equal(gamma, beta)
