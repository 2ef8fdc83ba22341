import numpy as np
import pytest
import torch

from openkeras import backend as K
from openkeras.layers.convolutional import Conv2D
from openkeras.layers.pooling import AveragePooling2D, MaxPooling2D

RNG = np.random.default_rng(1)
X = RNG.standard_normal((4, 6)).astype("float32")
T = torch.from_numpy(X)


def close(a, b, rtol=1e-5, atol=1e-6):
    a = a.detach().cpu().numpy() if isinstance(a, torch.Tensor) else np.asarray(a)
    b = b.detach().cpu().numpy() if isinstance(b, torch.Tensor) else np.asarray(b)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def np_softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def test_activations_match_formulas():
    close(K.relu(T), np.maximum(X, 0))
    close(K.relu(T, alpha=0.1), np.where(X > 0, X, 0.1 * X))
    close(K.relu(T, max_value=0.5), np.clip(X, 0, 0.5))
    close(K.elu(T, 0.5), np.where(X > 0, X, 0.5 * (np.exp(X) - 1)), rtol=1e-5)
    close(K.softmax(T), np_softmax(X), rtol=1e-5)
    close(K.softmax(T, axis=0), np_softmax(X, 0), rtol=1e-5)
    close(K.softmax(torch.tensor([1.0, 2.0])), np_softmax(np.array([1.0, 2.0])), rtol=1e-6)
    close(K.softplus(T), np.log1p(np.exp(X)), rtol=1e-5)
    close(K.softsign(T), X / (1 + np.abs(X)), rtol=1e-5)
    close(K.sigmoid(T), 1 / (1 + np.exp(-X)), rtol=1e-5)
    close(K.hard_sigmoid(T), np.clip(0.2 * X + 0.5, 0, 1))
    close(K.tanh(T), np.tanh(X), rtol=1e-5)


def test_categorical_crossentropy_probabilities_and_logits():
    target = np.eye(6, dtype="float32")[[0, 3, 5, 1]]
    probs = np_softmax(X) * 3.0  # unnormalised: Keras renormalises
    p = np.clip(probs / probs.sum(-1, keepdims=True), 1e-7, 1 - 1e-7)
    close(K.categorical_crossentropy(target, torch.from_numpy(probs)),
          -(target * np.log(p)).sum(-1), rtol=1e-5)
    log_sm = X - np.log(np.exp(X).sum(-1, keepdims=True))
    close(K.categorical_crossentropy(torch.from_numpy(target), T, from_logits=True),
          -(target * log_sm).sum(-1), rtol=1e-5)
    close(K.categorical_crossentropy(target.T, T.T, from_logits=True, axis=0),
          -(target * log_sm).sum(-1), rtol=1e-5)


def test_sparse_categorical_crossentropy():
    labels = np.array([0, 3, 5, 1])
    log_sm = X - np.log(np.exp(X).sum(-1, keepdims=True))
    expected = -log_sm[np.arange(4), labels]
    close(K.sparse_categorical_crossentropy(labels, T, from_logits=True), expected, rtol=1e-5)
    close(K.sparse_categorical_crossentropy(labels, K.softmax(T)), expected, rtol=1e-4)


def test_binary_crossentropy_is_elementwise():
    target = (RNG.random((4, 6)) > 0.5).astype("float32")
    p = 1 / (1 + np.exp(-X))
    eps = 1e-7
    pc = np.clip(p, eps, 1 - eps)
    expected = -(target * np.log(pc + eps) + (1 - target) * np.log(1 - pc + eps))
    out = K.binary_crossentropy(target, torch.from_numpy(p))
    assert tuple(out.shape) == (4, 6)
    close(out, expected, rtol=1e-4)
    stable = np.maximum(X, 0) - X * target + np.log1p(np.exp(-np.abs(X)))
    close(K.binary_crossentropy(torch.from_numpy(target), T, from_logits=True), stable, rtol=1e-5)


def test_l2_normalize_and_batch_normalization():
    close(K.l2_normalize(T, axis=-1), X / np.sqrt((X ** 2).sum(-1, keepdims=True)), rtol=1e-5)
    close(K.l2_normalize(T), X / np.sqrt((X ** 2).sum()), rtol=1e-5)
    x = RNG.standard_normal((2, 3, 5)).astype("float32")
    mean, var = x.mean((0, 2)), x.var((0, 2))
    gamma, beta = np.array([1.0, 2.0, 3.0], "float32"), np.array([0.0, 1.0, -1.0], "float32")
    out = K.batch_normalization(torch.from_numpy(x), mean, var, beta, gamma, axis=1, epsilon=1e-3)
    ref = (x - mean[:, None]) / np.sqrt(var[:, None] + 1e-3) * gamma[:, None] + beta[:, None]
    close(out, ref, rtol=1e-5, atol=1e-5)


def test_bias_add_channels_last_and_first():
    x = RNG.standard_normal((2, 3, 4, 5)).astype("float32")
    b5, b3 = np.arange(5, dtype="float32"), np.arange(3, dtype="float32")
    close(K.bias_add(torch.from_numpy(x), b5), x + b5)
    close(K.bias_add(torch.from_numpy(x), b3, data_format="channels_first"), x + b3[:, None, None])
    full = RNG.standard_normal((4, 5, 3)).astype("float32")  # (h, w, channels)
    close(K.bias_add(torch.from_numpy(x), full, "channels_first"),
          x + full.transpose(2, 0, 1)[None])
    with pytest.raises(ValueError, match="Unexpected bias dimensions"):
        K.bias_add(torch.from_numpy(x), np.ones((2, 2)))


def naive_conv2d_valid(x, k, stride=1):
    kh, kw = k.shape[:2]
    oh, ow = (x.shape[1] - kh) // stride + 1, (x.shape[2] - kw) // stride + 1
    out = np.zeros((x.shape[0], oh, ow, k.shape[3]), "float64")
    for i in range(oh):
        for j in range(ow):
            patch = x[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :]
            out[:, i, j] = np.einsum("bhwc,hwco->bo", patch, k)
    return out


def test_conv2d_valid_matches_naive_loops_and_channels_first():
    x = RNG.standard_normal((2, 7, 6, 3)).astype("float32")
    k = RNG.standard_normal((3, 2, 3, 4)).astype("float32")
    ref = naive_conv2d_valid(x, k, stride=2)
    close(K.conv2d(torch.from_numpy(x), k, strides=(2, 2)), ref, rtol=1e-4, atol=1e-4)
    out = K.conv2d(torch.from_numpy(x.transpose(0, 3, 1, 2)), k, strides=2,
                   data_format="channels_first")
    close(out, ref.transpose(0, 3, 1, 2), rtol=1e-4, atol=1e-4)


def test_conv2d_same_strided_matches_conv2d_layer():
    x = RNG.standard_normal((2, 7, 8, 3)).astype("float32")
    k = RNG.standard_normal((3, 3, 3, 5)).astype("float32")
    layer = Conv2D(5, 3, strides=2, padding="same", use_bias=False)
    layer(torch.from_numpy(x))
    layer.set_weights([k])
    close(K.conv2d(torch.from_numpy(x), k, strides=(2, 2), padding="same"),
          layer(torch.from_numpy(x)), rtol=1e-5, atol=1e-5)
    padded = np.pad(x, ((0, 0), (1, 1), (0, 1), (0, 0)))  # TF: 7 -> pads (1, 1); 8 -> (0, 1)
    close(K.conv2d(torch.from_numpy(x), k, strides=(2, 2), padding="same"),
          naive_conv2d_valid(padded, k, stride=2), rtol=1e-4, atol=1e-4)


def test_conv1d_causal_matches_naive():
    x = RNG.standard_normal((2, 6, 3)).astype("float32")
    k = RNG.standard_normal((2, 3, 4)).astype("float32")
    padded = np.pad(x, ((0, 0), (2, 0), (0, 0)))  # dilation 2 * (2 - 1)
    ref = np.stack([np.einsum("bc,co->bo", padded[:, t], k[0])
                    + np.einsum("bc,co->bo", padded[:, t + 2], k[1]) for t in range(6)], 1)
    close(K.conv1d(torch.from_numpy(x), k, padding="causal", dilation_rate=2), ref, rtol=1e-4,
          atol=1e-5)


@pytest.mark.parametrize("mode,layer_cls", [("max", MaxPooling2D), ("avg", AveragePooling2D)])
def test_pool2d_matches_pooling_layers(mode, layer_cls):
    x = RNG.standard_normal((2, 7, 6, 3)).astype("float32")
    for padding in ("valid", "same"):
        out = K.pool2d(torch.from_numpy(x), (3, 3), strides=(2, 2), padding=padding,
                       pool_mode=mode)
        ref = layer_cls(3, strides=2, padding=padding)(torch.from_numpy(x))
        close(out, ref, rtol=1e-5, atol=1e-6)
    blocks = x[:, :6, :6].reshape(2, 3, 2, 3, 2, 3)
    ref = blocks.max((2, 4)) if mode == "max" else blocks.mean((2, 4))
    close(K.pool2d(torch.from_numpy(x[:, :6, :6]), (2, 2), (2, 2), pool_mode=mode), ref, rtol=1e-5)
    with pytest.raises(ValueError, match="pool_mode"):
        K.pool2d(torch.from_numpy(x), (2, 2), pool_mode="sum")


def _tf1_resize_bilinear(x, fh, fw):
    """Keras 2.2.4's K.resize_images(..., 'bilinear'): TF 1's resize_bilinear without
    half-pixel centres: output (i, j) reads input (i / fh, j / fw), the last row/column
    repeating past the edge."""
    n, h, w, c = x.shape
    out = np.zeros((n, h * fh, w * fw, c), np.float64)
    for i in range(h * fh):
        for j in range(w * fw):
            sy, sx = i * h / (h * fh), j * w / (w * fw)
            y0, x0 = int(np.floor(sy)), int(np.floor(sx))
            y1, x1 = min(y0 + 1, h - 1), min(x0 + 1, w - 1)
            dy, dx = sy - y0, sx - x0
            top = x[:, y0, x0] + (x[:, y0, x1] - x[:, y0, x0]) * dx
            bottom = x[:, y1, x0] + (x[:, y1, x1] - x[:, y1, x0]) * dx
            out[:, i, j] = top + (bottom - top) * dy
    return out


def test_resize_images_and_padding():
    x = RNG.standard_normal((1, 3, 4, 2)).astype("float32")
    out = K.resize_images(torch.from_numpy(x), 2, 3, "channels_last")
    close(out, np.repeat(np.repeat(x, 2, axis=1), 3, axis=2))
    bilinear = K.resize_images(torch.from_numpy(x), 2, 3, "channels_last", "bilinear")
    close(bilinear, _tf1_resize_bilinear(x, 2, 3), rtol=1e-5, atol=1e-6)
    close(K.spatial_2d_padding(torch.from_numpy(x), ((1, 2), (0, 1))),
          np.pad(x, ((0, 0), (1, 2), (0, 1), (0, 0))))
    close(K.spatial_2d_padding(torch.from_numpy(x), ((1, 0), (2, 2)), "channels_first"),
          np.pad(x, ((0, 0), (0, 0), (1, 0), (2, 2))))
    close(K.temporal_padding(torch.from_numpy(x[0]), (2, 1)),
          np.pad(x[0], ((0, 0), (2, 1), (0, 0))))


def test_dropout_scales_and_seeds():
    x = torch.ones(200, 50)
    out = K.dropout(x, 0.3, seed=7)
    kept = out.numpy()[out.numpy() != 0]
    np.testing.assert_allclose(kept, 1 / 0.7, rtol=1e-6)
    assert abs((out == 0).float().mean().item() - 0.3) < 0.03
    assert not torch.equal(out, K.dropout(x, 0.3, seed=7))  # a new mask every call
    K.clear_session()
    assert torch.equal(out, K.dropout(x, 0.3, seed=7))  # the same sequence every run
    assert not torch.equal(out, K.dropout(x, 0.3, seed=8))
    shared = K.dropout(x, 0.5, noise_shape=(None, 1), seed=3)
    assert torch.all(shared == shared[:, :1])  # one mask value per row
    with pytest.raises(ValueError, match="level"):
        K.dropout(x, 1.0)


def test_in_train_phase_reads_learning_phase():
    a, b = torch.ones(2), torch.zeros(2)
    assert K.in_train_phase(a, b) is b  # default phase 0
    assert K.in_train_phase(a, b, training=True) is a
    assert K.in_test_phase(a, b, training=1) is b
    with K.learning_phase_scope(1):
        assert K.in_train_phase(lambda: a, lambda: b) is a
        assert int(K.learning_phase()) == 1
    assert K.learning_phase() == 0
    close(K.in_train_phase(a, b, training=torch.tensor([True, False])), [1.0, 0.0])
