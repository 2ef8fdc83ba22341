"""Keras 2 layers, metrics, backend functions and model helpers added for the Keras 2 module tree:
CuDNNLSTM/GRU (CuDNN weight layout), legacy Highway/MaxoutDense, ConvRNN2D, layer_test,
clone_model, Keras 2.3 metrics, K.local_conv*, CTC, ResNet101/V2 shapes."""

import warnings

import numpy as np
import pytest
import torch

import openkeras as k
from openkeras import backend as K
from openkeras import layers, metrics
from openkeras.models import clone_model
from openkeras.utils.test_utils import layer_test


def _from_cudnn_kernel(kernel, n):
    """Keras 2.2.4's conversion of a CuDNN-format input kernel to the plain Keras layout."""
    return np.hstack([b.T.reshape(b.shape, order="F") for b in np.hsplit(kernel, n)])


def _random(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32") * 0.5


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_cudnn_layers_match_keras2_conversion_to_lstm_gru(kind, tmp_path):
    units, n = 4, (4 if kind == "lstm" else 3)
    x = _random(2, 5, 3, seed=1)
    cudnn = layers.CuDNNLSTM(units, return_sequences=True) if kind == "lstm" else \
        layers.CuDNNGRU(units, return_sequences=True)
    model = k.Sequential([k.Input((5, 3)), cudnn])
    assert [w.shape for w in cudnn.get_weights()] == [(3, n * units), (units, n * units),
                                                       (2 * n * units,)]
    w, u, b = _random(3, n * units, seed=2), _random(units, n * units, seed=3), \
        _random(2 * n * units, seed=4)
    cudnn.set_weights([w, u, b])
    for got, want in zip(cudnn.get_weights(), [w, u, b], strict=True):
        np.testing.assert_array_equal(got, want)
    plain_u = np.hstack([blk.T for blk in np.hsplit(u, n)])
    if kind == "lstm":
        plain = layers.LSTM(units, return_sequences=True)
        plain_b = b[:n * units] + b[n * units:]
    else:
        plain = layers.GRU(units, return_sequences=True, reset_after=True)
        plain_b = b.reshape(2, -1)
    reference = k.Sequential([k.Input((5, 3)), plain])
    plain.set_weights([_from_cudnn_kernel(w, n), plain_u, plain_b])
    np.testing.assert_allclose(model.predict(x, verbose=0), reference.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)
    path = str(tmp_path / "m.h5")
    model.save(path)
    loaded = k.models.load_model(path, compile=False)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6, atol=1e-6)
    config = cudnn.get_config()
    assert "activation" not in config and "dropout" not in config and config["units"] == units


def test_cudnn_lstm_forget_bias_and_refused_arguments():
    layer = layers.CuDNNLSTM(2)
    k.Sequential([k.Input((3, 1)), layer])
    bias = layer.get_weights()[2]
    assert bias.tolist() == [0] * 10 + [1, 1] + [0] * 4  # ones on the recurrent forget bias
    with pytest.raises(TypeError, match="CuDNNLSTM does not take `dropout`"):
        layers.CuDNNLSTM(2, dropout=0.1)


@pytest.mark.parametrize("base", ["CuDNNLSTM", "CuDNNGRU"])
def test_cudnn_subclass_get_config_matches_its_base(base):
    # a user's subclass inherits get_config; it must not recurse into itself
    subclass = type("My" + base, (getattr(layers, base),), {})
    assert subclass(3, name="rnn").get_config() == getattr(layers, base)(3, name="rnn").get_config()


def test_legacy_highway_and_maxout_dense_match_numpy():
    x = _random(3, 4, seed=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        highway = layers.Highway(activation="relu")
        maxout = layers.MaxoutDense(2, nb_feature=3)
    k.Sequential([k.Input((4,)), highway])
    k.Sequential([k.Input((4,)), maxout])
    w, wc, b, bc = highway.get_weights()
    assert bc.tolist() == [1.0] * 4  # Keras 1 initialized the carry bias to ones
    t = 1 / (1 + np.exp(-(x @ wc + bc)))
    expected = np.maximum(x @ w + b, 0) * t + (1 - t) * x
    np.testing.assert_allclose(highway(torch.from_numpy(x)).detach().numpy(), expected,
                               rtol=1e-5, atol=1e-6)
    mw, mb = maxout.get_weights()
    expected = (np.einsum("bi,fio->bfo", x, mw) + mb).max(axis=1)
    np.testing.assert_allclose(maxout(torch.from_numpy(x)).detach().numpy(), expected,
                               rtol=1e-5, atol=1e-6)


def test_conv_rnn2d_is_convlstm2d_over_its_cell():
    x = np.random.default_rng(6).random((2, 3, 5, 5, 1)).astype("float32")
    a = layers.ConvLSTM2D(2, 3)
    ma = k.Sequential([k.Input((3, 5, 5, 1)), a])
    b = layers.ConvRNN2D(layers.ConvLSTM2DCell(2, 3))
    mb = k.Sequential([k.Input((3, 5, 5, 1)), b])
    b.set_weights(a.get_weights())
    np.testing.assert_allclose(mb.predict(x, verbose=0), ma.predict(x, verbose=0), atol=1e-6)


class _Scale(layers.Layer):
    """An add-on style layer: one weight, training-aware call."""

    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.w = self.add_weight("w", (input_shape[-1],), initializer="ones")
        super().build(input_shape)

    def call(self, inputs, training=None):
        return inputs * self.w * self.factor

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class _WrongShape(_Scale):
    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (input_shape[-1] + 1,)


def test_layer_test_as_keras_2_2_4():
    data = np.arange(6, dtype="float32").reshape(2, 3)
    out = layer_test(_Scale, kwargs={"factor": 3.0}, input_data=data, expected_output=data * 3)
    np.testing.assert_allclose(out, data * 3)
    assert layer_test(layers.Dense, kwargs={"units": 2}, input_shape=(3, 4)).shape == (3, 2)
    assert layer_test(layers.Embedding, kwargs={"input_dim": 10, "output_dim": 2},
                      input_shape=(2, 3), input_dtype="int32",
                      expected_output_dtype="float32").shape == (2, 3, 2)
    with pytest.raises(AssertionError, match="compute_output_shape"):
        layer_test(_WrongShape, input_shape=(2, 3))
    with pytest.raises(AssertionError):
        layer_test(_Scale, input_data=data, expected_output=data)


def test_clone_model_makes_new_weights_and_layers():
    inp = k.Input((4,))
    out = layers.Dense(2, name="out")(layers.Dense(3, name="hidden")(inp))
    model = k.Model(inp, out)
    clone = clone_model(model)
    assert [la.name for la in clone.layers] == [la.name for la in model.layers]
    assert all(a is not b for a, b in zip(clone.layers, model.layers, strict=True))
    clone.set_weights(model.get_weights())
    x = _random(2, 4, seed=7)
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0))
    new_input = k.Input((4,))
    assert clone_model(model, input_tensors=new_input).inputs[0] is new_input
    seq = k.Sequential([layers.Dense(3, input_shape=(4,)), layers.Dense(1)])
    seq_clone = clone_model(seq, clone_function=lambda la: la.__class__.from_config(la.get_config()))
    assert isinstance(seq_clone, k.Sequential) and seq_clone.predict(x, verbose=0).shape == (2, 1)


def test_keras23_metrics_against_numpy():
    y_true = np.array([0, 1, 1, 1, 0, 0], dtype="float32")
    y_pred = np.array([0.8, 0.1, 0.9, 0.6, 0.3, 0.2], dtype="float32")
    positive = y_pred > 0.5
    for cls, expected in [(metrics.TruePositives, (positive & (y_true == 1)).sum()),
                          (metrics.FalsePositives, (positive & (y_true == 0)).sum()),
                          (metrics.TrueNegatives, (~positive & (y_true == 0)).sum()),
                          (metrics.FalseNegatives, (~positive & (y_true == 1)).sum())]:
        m = cls()
        m.update_state(y_true, y_pred)
        assert float(m.result()) == expected
    rmse = metrics.RootMeanSquaredError()
    rmse.update_state(y_true, y_pred)
    assert float(rmse.result()) == pytest.approx(np.sqrt(np.mean((y_true - y_pred) ** 2)), rel=1e-6)
    iou = metrics.MeanIoU(num_classes=2)
    iou.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    assert float(iou.result()) == pytest.approx((1 / 3 + 1 / 3) / 2)
    sens = metrics.SensitivityAtSpecificity(0.5, num_thresholds=3)  # thresholds 0, 0.5, 1
    sens.update_state(y_true, y_pred)
    # specificity at 0.5 is 2/3, the closest to 0.5; sensitivity there is 2/3
    assert float(sens.result()) == pytest.approx(2 / 3)
    assert metrics.clone_metric(sens) is not sens and metrics.clone_metric(np.mean) is np.mean


def test_local_conv_matches_a_numpy_loop():
    x = _random(2, 6, 3, seed=8)
    kernel = _random(2, 3 * 3, 4, seed=9)  # output length 2 for kernel 3, stride 3
    out = K.local_conv1d(x, kernel, (3,), (3,)).numpy()
    expected = np.stack([np.einsum("bi,if->bf", x[:, 3 * i:3 * i + 3].reshape(2, -1), kernel[i])
                         for i in range(2)], 1)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)
    img = _random(1, 4, 4, 2, seed=10)
    kernel2 = _random(4, 2 * 2 * 2, 3, seed=11)
    out2 = K.local_conv2d(img, kernel2, (2, 2), (2, 2), (2, 2)).numpy()
    patch = img[:, 2:4, 0:2].reshape(1, -1)  # output position (1, 0) = row-major index 2
    np.testing.assert_allclose(out2[:, 1, 0], patch @ kernel2[2], rtol=1e-5, atol=1e-5)


def test_ctc_functions():
    probs = np.array([[[0.1, 0.8, 0.1], [0.1, 0.8, 0.1], [0.8, 0.1, 0.1], [0.1, 0.1, 0.8]]])
    decoded, log_prob = K.ctc_decode(probs, np.array([4]))
    assert decoded[0].tolist() == [[1, 0]]
    assert float(log_prob[0, 0]) == pytest.approx(-np.log(0.8 + 1e-7) * 4, rel=1e-5)
    loss = K.ctc_batch_cost(np.array([[1, 0]]), probs, np.array([[4]]), np.array([[2]]))
    assert loss.shape == (1, 1) and float(loss) > 0
    # one label, one step: the loss is -log p(label)
    single = K.ctc_batch_cost(np.array([[0]]), np.array([[[0.7, 0.3]]]), np.array([[1]]),
                              np.array([[1]]))
    assert float(single) == pytest.approx(-np.log(0.7 + 1e-7), rel=1e-5)
    beam, _ = K.ctc_decode(probs, np.array([4]), greedy=False, beam_width=4)
    assert beam[0].tolist() == [[1, 0]]  # a peaked input: beam search agrees with greedy


def test_keras23_resnet_v2_has_the_keras_parameter_count():
    # ResNet101 (42,658,176 without the top) is checked by hand; building it takes seconds.
    model = k.applications.ResNet50V2(weights=None, include_top=False, input_shape=(32, 32, 3))
    assert model.count_params() == 23564800 and model.name == "resnet50v2"


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_files_convert_between_cudnn_and_plain_layers(kind, tmp_path):
    x = _random(2, 5, 3, seed=12)
    cudnn = layers.CuDNNLSTM(4, name="rnn") if kind == "lstm" else layers.CuDNNGRU(4, name="rnn")
    plain = layers.LSTM(4, name="rnn") if kind == "lstm" else layers.GRU(4, reset_after=True, name="rnn")
    source = k.Sequential([k.Input((5, 3)), cudnn])
    target = k.Sequential([k.Input((5, 3)), plain])
    path = str(tmp_path / "w.h5")
    source.save_weights(path)
    target.load_weights(path)
    np.testing.assert_allclose(target.predict(x, verbose=0), source.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)
    target.save_weights(path)
    back = k.Sequential([k.Input((5, 3)), layers.CuDNNLSTM(4, name="rnn") if kind == "lstm"
                         else layers.CuDNNGRU(4, name="rnn")])
    back.load_weights(path)
    np.testing.assert_allclose(back.predict(x, verbose=0), source.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)
    if kind == "gru":
        old = k.Sequential([k.Input((5, 3)), layers.GRU(4, reset_after=False, name="rnn")])
        source.save_weights(path)
        with pytest.raises(ValueError, match="not compatible with CuDNNGRU"):
            old.load_weights(path)
