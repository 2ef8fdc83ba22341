"""K functions whose results differ between Keras 2.2.4 and tf.keras follow Keras 2.2.4.

Keras 2.2.4 cannot run here (it needs TensorFlow 1), so every expected value is computed
with numpy from the definitions in Keras 2.2.4's keras/backend/tensorflow_backend.py.
"""

import numpy as np
import pytest
import torch
from numeric_utils import assert_close

from openkeras import backend as K
from openkeras import config, losses

RNG = np.random.default_rng(0)


def rand(*shape):
    return RNG.standard_normal(shape).astype("float32")


def keras224_batch_dot(x, y, axes=None):
    """Keras 2.2.4's batch_dot, step by step in numpy (pad ranks, matmul with adjoints, squeeze)."""
    x_ndim, y_ndim = x.ndim, y.ndim
    if isinstance(axes, int):
        axes = (axes, axes)
    if axes is None:
        axes = (x_ndim - 1, y_ndim - 2)
    diff = abs(x_ndim - y_ndim)
    if x_ndim > y_ndim:
        y = y.reshape(y.shape + (1,) * diff)
    elif y_ndim > x_ndim:
        x = x.reshape(x.shape + (1,) * diff)
    if x.ndim == 2:
        out = (x * y).sum(axes[0])
    else:
        xa = x if axes[0] == x.ndim - 1 else np.swapaxes(x, -1, -2)   # adjoint_a
        ya = np.swapaxes(y, -1, -2) if axes[1] == y.ndim - 1 else y   # adjoint_b
        out = np.matmul(xa, ya)
    if diff:
        idx = x_ndim + y_ndim - 3 if x_ndim > y_ndim else x_ndim - 1
        out = out.squeeze(axis=tuple(range(idx, idx + diff)))
    return out[:, None] if out.ndim == 1 else out


@pytest.mark.parametrize("x_shape, y_shape, axes, out_shape", [
    ((32, 20, 1), (32, 30, 20), (1, 2), (32, 1, 30)),       # the docstring example
    ((2, 10, 10, 16), (2, 10, 100, 16), (3, 3), (2, 10, 10, 100)),  # tf.keras: 5-D
    ((2, 3, 4, 5), (2, 3, 4, 6), (2, 2), (2, 3, 5, 6)),
    ((2, 3, 4), (2, 4), None, (2, 3)),                      # different ranks
    ((2, 4), (2, 4, 5), None, (2, 5)),
    ((2, 3, 4), (2, 3), (1, 1), (2, 4)),
    ((4, 3), (4, 3), 1, (4, 1)),
])
def test_batch_dot_follows_keras_224(x_shape, y_shape, axes, out_shape):
    x, y = rand(*x_shape), rand(*y_shape)
    expected = keras224_batch_dot(x, y, axes)
    assert expected.shape == out_shape
    out = K.batch_dot(torch.from_numpy(x), torch.from_numpy(y), axes=axes)
    assert tuple(out.shape) == out_shape
    assert_close(out, expected, rtol=1e-4, atol=1e-5)


def test_batch_dot_docstring_values_and_errors():
    out = K.batch_dot(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[5.0, 6.0], [7.0, 8.0]]),
                      axes=1)
    assert_close(out, np.array([[17.0], [53.0]]))
    with pytest.raises(ValueError, match=r"x.shape\[2\] != y.shape\[3\] \(10 != 16\)"):
        K.batch_dot(rand(2, 10, 10, 16), rand(2, 10, 100, 16), axes=(2, 3))
    with pytest.raises(ValueError, match="no size-1 axes to remove"):  # tf.squeeze fails in 2.2.4
        K.batch_dot(rand(2, 5, 3, 4), rand(2, 5, 4))
    with pytest.raises(ValueError, match="axis 0"):
        K.batch_dot(rand(2, 3), rand(2, 3), axes=0)
    with pytest.raises(ValueError, match="Multiple target dimensions"):
        K.batch_dot(rand(2, 3), rand(2, 3), axes=[[1], [1]])


def test_batch_dot_in_a_lambda_layer_has_the_keras_224_shape():
    from openkeras import Model
    from openkeras.layers import Input, Lambda

    q, k = Input((4, 6, 8)), Input((4, 7, 8))
    scores = Lambda(lambda t: K.batch_dot(t[0], t[1], axes=[3, 3]))([q, k])
    assert K.int_shape(scores) == (None, 4, 6, 7)
    model = Model([q, k], scores)
    a, b = rand(2, 4, 6, 8), rand(2, 4, 7, 8)
    assert_close(model.predict([a, b]), np.einsum("bhid,bhjd->bhij", a, b), rtol=1e-4,
                 atol=1e-5)


def test_binary_crossentropy_is_the_clipped_logit_formula():
    target = np.array([[0.0, 1.0, 1.0, 0.0, 1.0]], "float32")
    output = np.array([[1.0, 0.0, 0.3, 1e-9, 0.999]], "float32")
    eps = np.float32(config.epsilon())
    p = np.clip(output, eps, 1 - eps).astype("float64")
    expected = -(target * np.log(p) + (1 - target) * np.log(1 - p))  # no eps in the logs
    assert_close(K.binary_crossentropy(target, output), expected, rtol=1e-4)
    assert_close(losses.binary_crossentropy(target, output), expected.mean(-1), rtol=1e-4)
    logits = np.array([[-3.0, 0.5, 20.0, -20.0, 0.0]], "float32")
    expected = np.maximum(logits, 0) - logits * target + np.log1p(np.exp(-np.abs(logits)))
    assert_close(K.binary_crossentropy(target, logits, from_logits=True), expected, rtol=1e-5)


def test_crossentropies_with_logits_and_axis():
    logits = rand(2, 4, 3)
    labels = np.array([[0, 3, 1], [2, 2, 0]])
    onehot = np.moveaxis(np.eye(4, dtype="float32")[labels], -1, 1)  # classes on axis 1
    log_softmax = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    expected = -(onehot * log_softmax).sum(axis=1)
    assert_close(K.categorical_crossentropy(onehot, logits, from_logits=True, axis=1), expected,
                 rtol=1e-5, atol=1e-6)
    assert_close(K.sparse_categorical_crossentropy(labels, logits, from_logits=True, axis=1),
                 expected, rtol=1e-5, atol=1e-6)
    # probabilities: scaled to sum 1 along the axis, clipped, then -sum(t * log p)
    probs = np.exp(log_softmax) * 3.0
    scaled = np.clip(probs / probs.sum(axis=1, keepdims=True), 1e-7, 1 - 1e-7)
    assert_close(K.categorical_crossentropy(onehot, probs, axis=1),
                 -(onehot * np.log(scaled)).sum(axis=1), rtol=1e-5, atol=1e-6)
    # sparse: log of the clipped probabilities fed to softmax crossentropy (renormalises)
    clipped = np.clip(probs, 1e-7, 1 - 1e-7)
    clipped = clipped / clipped.sum(axis=1, keepdims=True)
    picked = np.take_along_axis(clipped, labels[:, None, :], axis=1)[:, 0]
    assert_close(K.sparse_categorical_crossentropy(labels, probs, axis=1), -np.log(picked),
                 rtol=1e-5, atol=1e-6)


def test_one_hot_out_of_range_is_a_zero_row():
    out = K.one_hot(np.array([[0, 2], [-1, 3]]), 3)
    expected = np.array([[[1, 0, 0], [0, 0, 1]], [[0, 0, 0], [0, 0, 0]]], "float32")
    assert out.dtype == torch.float32
    assert_close(out, expected)


def test_normalize_batch_in_training_matches_moments():
    x = rand(6, 5, 4)
    gamma, beta = rand(4), rand(4)
    normed, mean, var = K.normalize_batch_in_training(x, gamma, beta, [0, 1], epsilon=1e-3)
    m, v = x.mean(axis=(0, 1)), x.var(axis=(0, 1))  # tf.nn.moments: population variance
    assert tuple(mean.shape) == tuple(var.shape) == (4,)
    assert_close(mean, m, rtol=1e-5, atol=1e-6)
    assert_close(var, v, rtol=1e-5, atol=1e-6)
    assert_close(normed, (x - m) / np.sqrt(v + 1e-3) * gamma + beta, rtol=1e-4, atol=1e-5)
    # broadcast case: reduce over the batch and the last axis, keep the middle one
    g2 = rand(5)
    normed, mean, var = K.normalize_batch_in_training(x, g2, None, [0, 2])
    m, v = x.mean(axis=(0, 2), keepdims=True), x.var(axis=(0, 2), keepdims=True)
    assert tuple(mean.shape) == (5,)
    assert_close(normed, (x - m) / np.sqrt(v + 1e-3) * g2[None, :, None], rtol=1e-4, atol=1e-5)


def test_other_functions_as_keras_224():
    x = rand(2, 3, 4)
    assert_close(K.l2_normalize(x, axis=1),
                 x / np.sqrt(np.maximum((x ** 2).sum(axis=1, keepdims=True), 1e-12)), rtol=1e-5)
    w = rand(5, 4, 6)
    # 2.2.4's dot: x reshaped to (-1, 4) times y's axis -2 moved first and reshaped to (4, -1)
    flat = x.reshape(-1, 4) @ np.transpose(w, (1, 0, 2)).reshape(4, -1)
    assert_close(K.dot(x, w), flat.reshape(2, 3, 5, 6), rtol=1e-4, atol=1e-5)
    assert_close(K.repeat_elements(x, 2, axis=1), np.repeat(x, 2, axis=1))
    scores = np.array([[0.1, 0.5, 0.5, 0.2], [0.9, 0.0, 0.05, 0.05]], "float32")
    # tf.nn.in_top_k: ties at the k-th score count as inside
    assert K.in_top_k(scores, np.array([2, 3]), 1).tolist() == [True, False]
    assert K.in_top_k(scores, np.array([1, 3]), 2).tolist() == [True, True]
    vol = rand(1, 2, 2, 2, 3)
    assert_close(K.resize_volumes(vol, 2, 1, 3, "channels_last"),
                 vol.repeat(2, axis=1).repeat(3, axis=3))
    assert K.get_variable_shape(K.variable(x)) == (2, 3, 4)
    assert_close(K.identity(x), x)
    assert_close(K.map_fn(lambda t: t * 2, x), x * 2)
    assert_close(K.foldl(lambda acc, t: acc + t, x), x.sum(axis=0), rtol=1e-6)
    assert_close(K.foldr(lambda acc, t: acc * 2 + t, x[:, 0, 0]), x[1, 0, 0] * 2 + x[0, 0, 0],
                 rtol=1e-6)
    assert K.image_dim_ordering() == "tf"
    K.set_image_dim_ordering("th")
    try:
        assert K.image_data_format() == "channels_first"
    finally:
        K.set_image_dim_ordering("tf")
    assert K.normalize_data_format(None) == "channels_last"


def test_four_d_channels_last_batch_norm_takes_the_fused_kernels_epsilon_floor():
    x, mean, var = rand(2, 3, 3, 4), rand(4), np.abs(rand(4)) * 1e-4
    beta, gamma = rand(4), rand(4)
    expected = (x - mean) / np.sqrt(var + 1.001e-5) * gamma + beta  # epsilon=1e-6 raised
    assert_close(K.batch_normalization(x, mean, var, beta, gamma, axis=-1, epsilon=1e-6),
                 expected, rtol=1e-4, atol=1e-5)
    x3 = rand(2, 5, 4)  # not 4-D: tf.nn.batch_normalization keeps epsilon
    assert_close(K.batch_normalization(x3, mean, var, beta, gamma, epsilon=1e-6),
                 (x3 - mean) / np.sqrt(var + 1e-6) * gamma + beta, rtol=1e-4, atol=1e-5)
    # normalize_batch_in_training over (0, 1, 2) of 4-D input: the fused kernel's outputs
    normed, m, v = K.normalize_batch_in_training(x, gamma, beta, [0, 1, 2], epsilon=1e-6)
    n = 2 * 3 * 3
    assert_close(v, x.var(axis=(0, 1, 2)) * n / (n - 1), rtol=1e-5, atol=1e-6)
    assert_close(normed, (x - x.mean(axis=(0, 1, 2))) / np.sqrt(x.var(axis=(0, 1, 2)) + 1.001e-5)
                 * gamma + beta, rtol=1e-4, atol=1e-5)


def _numpy_rnn(x, h0, w, u, mask=None, go_backwards=False, unroll=False):
    """Keras 2.2.4's K.rnn loop for a tanh step, written out in numpy."""
    h, outputs = h0, []
    steps = range(x.shape[1])[::-1] if go_backwards else range(x.shape[1])
    for t in steps:
        new = np.tanh(x[:, t] @ w + h @ u)
        out = new
        if mask is not None:
            keep = mask[:, t][:, None]
            previous = (outputs[-1] if outputs else np.zeros_like(new)) if unroll else h
            out, new = np.where(keep, new, previous), np.where(keep, new, h)
        outputs.append(out)
        h = new
    return outputs[-1], np.stack(outputs, 1), h


@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("unroll", [False, True])
def test_rnn_loop_with_masks_as_keras_224(go_backwards, unroll):
    x, h0, w, u = rand(3, 5, 2), rand(3, 4), rand(2, 4), rand(4, 4)
    mask = np.array([[1, 1, 1, 0, 0], [1, 0, 1, 1, 1], [1, 1, 1, 1, 1]], bool)

    def step(x_t, states):
        h = torch.tanh(x_t @ torch.from_numpy(w) + states[0] @ torch.from_numpy(u))
        return h, [h]

    for m in (None, mask):
        last, outputs, states = K.rnn(step, x, [torch.from_numpy(h0)], go_backwards=go_backwards,
                                      mask=m, unroll=unroll)
        e_last, e_outputs, e_h = _numpy_rnn(x, h0, w, u, m, go_backwards, unroll)
        assert_close(outputs, e_outputs, rtol=1e-4, atol=1e-5)
        assert_close(last, e_last, rtol=1e-4, atol=1e-5)
        assert_close(states[0], e_h, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="at least 3D"):
        K.rnn(step, rand(3, 2), [torch.from_numpy(h0)])


@pytest.mark.parametrize("padding, strides, in_size, out_size", [
    ("valid", (1, 1), (3, 4), (5, 6)), ("same", (2, 2), (3, 4), (6, 8)),
    ("same", (2, 3), (3, 3), (5, 7)), ("valid", (2, 2), (2, 3), (6, 8)),
])
def test_conv2d_transpose_is_the_adjoint_of_conv2d(padding, strides, in_size, out_size):
    # TensorFlow's conv2d_transpose is conv2d's input gradient: <conv2d(y), x> = <y, conv2d_T(x)>
    kernel = rand(3, 3, 2, 5)  # conv2d: 2 -> 5 channels; transposed: 5 -> 2
    x = rand(2, *in_size, 5)
    y = rand(2, *out_size, 2)
    forward = K.conv2d(y, kernel, strides=strides, padding=padding).numpy()
    assert forward.shape == x.shape
    back = K.conv2d_transpose(x, kernel, (None, *out_size, 2), strides=strides, padding=padding)
    assert tuple(back.shape) == y.shape
    np.testing.assert_allclose((forward * x).sum(), (y * back.numpy()).sum(), rtol=1e-4)
    first = K.conv2d_transpose(np.moveaxis(x, -1, 1), kernel, (2, 2, *out_size), strides=strides,
                               padding=padding, data_format="channels_first")
    assert_close(first, np.moveaxis(back.numpy(), -1, 1), rtol=1e-5, atol=1e-5)


def test_conv2d_transpose_values():
    x = np.array([[1.0, 2.0]], "float32").reshape(1, 1, 2, 1)
    kernel = np.array([1.0, 10.0], "float32").reshape(1, 2, 1, 1)
    out = K.conv2d_transpose(x, kernel, (1, 1, 4, 1), strides=(1, 2), padding="valid")
    # each input value stamps the kernel at 2 * its column: [1, 10, 2, 20]
    assert_close(out.reshape(-1), np.array([1.0, 10.0, 2.0, 20.0]))


def _numpy_depthwise(x, kernel, padding):
    kh, kw, c, m = kernel.shape
    if padding == "same":  # stride 1: (k - 1) // 2 before, the rest after
        x = np.pad(x, ((0, 0), ((kh - 1) // 2, kh // 2), ((kw - 1) // 2, kw // 2), (0, 0)))
    n, h, w, _ = x.shape
    out = np.zeros((n, h - kh + 1, w - kw + 1, c * m), "float64")
    for i in range(out.shape[1]):
        for j in range(out.shape[2]):
            patch = x[:, i:i + kh, j:j + kw, :]  # (n, kh, kw, c)
            out[:, i, j] = np.einsum("nabc,abcm->ncm", patch, kernel).reshape(n, c * m)
    return out


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_depthwise_and_separable_conv(padding):
    x, depthwise, pointwise = rand(2, 5, 6, 3), rand(3, 2, 3, 2), rand(1, 1, 6, 4)
    expected = _numpy_depthwise(x, depthwise, padding)
    assert_close(K.depthwise_conv2d(x, depthwise, padding=padding), expected, rtol=1e-4,
                 atol=1e-5)
    assert_close(K.separable_conv2d(x, depthwise, pointwise, padding=padding),
                 expected @ pointwise[0, 0], rtol=1e-4, atol=1e-5)
    x1, d1, p1 = rand(2, 7, 3), rand(3, 3, 2), rand(1, 6, 4)
    expected1 = _numpy_depthwise(x1[:, None], d1[None], padding)[:, 0] @ p1[0]
    assert_close(K.separable_conv1d(x1, d1, p1, padding=padding), expected1, rtol=1e-4,
                 atol=1e-5)
