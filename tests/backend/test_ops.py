import numpy as np
import pytest
import torch

import openkeras as ok
from openkeras import backend as K

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 4, 5)).astype("float32")


def close(a, b, rtol=1e-5, atol=1e-6):
    a = a.detach().cpu().numpy() if isinstance(a, torch.Tensor) else np.asarray(a)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


@pytest.mark.parametrize("name,ref", [
    ("sum", np.sum), ("mean", np.mean), ("max", np.max), ("min", np.min), ("prod", np.prod),
    ("var", np.var), ("std", np.std),
])
@pytest.mark.parametrize("axis", [None, 1, -1, (0, 2), [1, 2]])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions_match_numpy(name, ref, axis, keepdims):
    np_axis = tuple(axis) if isinstance(axis, list) else axis
    out = getattr(K, name)(torch.from_numpy(X), axis=axis, keepdims=keepdims)
    close(out, ref(X, axis=np_axis, keepdims=keepdims), rtol=1e-4, atol=1e-5)


def test_reductions_on_numpy_input_and_bool_mean():
    close(K.sum(X, axis=0), X.sum(0), rtol=1e-5)
    mask = X > 0
    assert K.mean(mask).dtype == torch.float32
    close(K.mean(mask), mask.mean(), rtol=1e-6)
    close(K.any(mask, axis=1), mask.any(1), atol=0)
    close(K.all(mask, axis=(1, 2), keepdims=True), mask.all(axis=(1, 2), keepdims=True), atol=0)


def test_logsumexp_cumsum_cumprod_argmax():
    t = torch.from_numpy(X)
    ref = np.log(np.exp(X).sum(axis=-1))
    close(K.logsumexp(t, axis=-1), ref, rtol=1e-5)
    close(K.cumsum(t, axis=1), np.cumsum(X, axis=1), rtol=1e-5)
    close(K.cumprod(t), np.cumprod(X, axis=0), rtol=1e-5)
    close(K.argmax(t), np.argmax(X, -1), atol=0)
    close(K.argmin(t, axis=1), np.argmin(X, 1), atol=0)



def test_in_top_k_counts_ties():
    scores = torch.tensor([[0.1, 0.5, 0.4], [0.3, 0.3, 0.4], [0.9, 0.05, 0.05]])
    close(K.in_top_k(scores, [2, 0, 1], 1), [False, False, False], atol=0)
    close(K.in_top_k(scores, np.array([2, 0, 1]), 2), [True, True, True], atol=0)


@pytest.mark.parametrize("name,ref", [
    ("square", np.square), ("abs", np.abs), ("exp", np.exp), ("sign", np.sign),
    ("sin", np.sin), ("cos", np.cos), ("round", np.round),
])
def test_elementwise_match_numpy(name, ref):
    close(getattr(K, name)(torch.from_numpy(X)), ref(X), rtol=1e-5)


def test_sqrt_clips_negatives_and_log_pow():
    close(K.sqrt(torch.tensor([-4.0, 4.0])), [0.0, 2.0])
    pos = np.abs(X) + 0.1
    close(K.log(pos), np.log(pos), rtol=1e-5)
    close(K.pow(torch.from_numpy(pos), 3), pos ** 3, rtol=1e-5)
    close(K.round(torch.tensor([0.5, 1.5, 2.5, -0.5])), [0.0, 2.0, 2.0, -0.0], atol=0)


def test_clip_maximum_minimum_and_comparisons():
    t = torch.from_numpy(X)
    close(K.clip(t, -0.5, 0.5), np.clip(X, -0.5, 0.5))
    close(K.clip(t, 0.5, 0.1), np.full_like(X, 0.5))  # max below min becomes min
    close(K.clip(t, None, 0.0), np.minimum(X, 0.0))
    y = RNG.standard_normal(X.shape).astype("float32")
    close(K.maximum(t, y), np.maximum(X, y))
    close(K.minimum(0.0, t), np.minimum(X, 0.0))
    close(K.maximum(t, 0.2), np.maximum(X, 0.2))
    for name, ref in [("equal", np.equal), ("not_equal", np.not_equal), ("greater", np.greater),
                      ("greater_equal", np.greater_equal), ("less", np.less),
                      ("less_equal", np.less_equal)]:
        out = getattr(K, name)(t, y)
        assert out.dtype == torch.bool
        close(out, ref(X, y), atol=0)


def test_dot_2d_and_nd_follow_keras():
    a = RNG.standard_normal((2, 3)).astype("float32")
    b = RNG.standard_normal((3, 4)).astype("float32")
    close(K.dot(torch.from_numpy(a), b), a @ b, rtol=1e-5)
    x = RNG.standard_normal((2, 3, 4)).astype("float32")
    y = RNG.standard_normal((5, 4, 6)).astype("float32")
    out = K.dot(torch.from_numpy(x), torch.from_numpy(y))
    assert tuple(out.shape) == (2, 3, 5, 6)  # last axis of x with second-to-last of y
    close(out, np.einsum("abk,ckd->abcd", x, y), rtol=1e-4, atol=1e-5)
    w = RNG.standard_normal((4, 7)).astype("float32")
    close(K.dot(torch.from_numpy(x), w), x @ w, rtol=1e-4, atol=1e-5)
    assert tuple(K.dot(torch.ones(2, 3), torch.ones(4, 3, 5)).shape) == (2, 4, 5)  # Keras docs


def test_batch_dot_keras_docs_example_and_2d():
    x = torch.ones(32, 20, 1)
    y = torch.ones(32, 30, 20)
    out = K.batch_dot(x, y, axes=(1, 2))
    assert K.int_shape(out) == (32, 1, 30)
    close(out, np.full((32, 1, 30), 20.0))
    a = RNG.standard_normal((4, 3)).astype("float32")
    b = RNG.standard_normal((4, 3)).astype("float32")
    out = K.batch_dot(torch.from_numpy(a), torch.from_numpy(b), axes=1)
    assert tuple(out.shape) == (4, 1)
    close(out[:, 0], (a * b).sum(1), rtol=1e-5)


def test_batch_dot_default_axes_and_errors():
    x = RNG.standard_normal((2, 3, 4)).astype("float32")
    y = RNG.standard_normal((2, 4, 5)).astype("float32")
    close(K.batch_dot(torch.from_numpy(x), torch.from_numpy(y)), x @ y, rtol=1e-5, atol=1e-5)
    y2 = RNG.standard_normal((2, 4)).astype("float32")
    close(K.batch_dot(torch.from_numpy(x), torch.from_numpy(y2)), np.einsum("bik,bk->bi", x, y2),
          rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="axis 0"):
        K.batch_dot(torch.from_numpy(x), torch.from_numpy(y), axes=(0, 0))
    with pytest.raises(ValueError, match="x.shape"):
        K.batch_dot(torch.from_numpy(x), torch.from_numpy(y), axes=(1, 1))


def test_shape_ops():
    t = torch.from_numpy(X)
    close(K.reshape(t, (3, -1)), X.reshape(3, -1))
    close(K.transpose(t), X.T)
    close(K.permute_dimensions(t, (0, 2, 1)), X.transpose(0, 2, 1))
    assert tuple(K.expand_dims(t).shape) == (3, 4, 5, 1)
    assert tuple(K.expand_dims(t, 1).shape) == (3, 1, 4, 5)
    close(K.squeeze(K.expand_dims(t, 1), 1), X)
    with pytest.raises(ValueError, match="squeeze"):
        K.squeeze(t, 1)
    close(K.concatenate([t, X]), np.concatenate([X, X], -1))
    close(K.stack([t, t], axis=1), np.stack([X, X], 1))
    close(K.flatten(t), X.reshape(-1))
    close(K.batch_flatten(t), X.reshape(3, -1))
    close(K.tile(t, (1, 2, 1)), np.tile(X, (1, 2, 1)))
    close(K.repeat(t[:, 0], 3), np.repeat(X[:, None, 0], 3, axis=1))
    close(K.repeat_elements(t, 2, axis=1), np.repeat(X, 2, axis=1))
    close(K.reverse(t, axes=(0, 2)), X[::-1, :, ::-1])
    close(K.slice(t, (0, 1, 0), (2, -1, 3)), X[0:2, 1:, 0:3])
    close(K.gather(t, [2, 0]), X[[2, 0]])
    close(K.one_hot(torch.tensor([0, 2]), 3), np.eye(3)[[0, 2]], atol=0)


def test_switch_scalar_and_elementwise():
    a, b = torch.ones(2, 3), torch.zeros(2, 3)
    assert K.switch(True, lambda: a, lambda: b) is a
    assert K.switch(torch.tensor(False), a, b) is b
    cond = torch.tensor([True, False])
    close(K.switch(cond, a, b), [[1, 1, 1], [0, 0, 0]], atol=0)
    with pytest.raises(ValueError, match="rank"):
        K.switch(torch.ones(2, 3, 4, dtype=torch.bool), a, b)


def test_ops_are_differentiable():
    t = torch.from_numpy(X).requires_grad_()
    loss = K.sum(K.square(K.dot(t, torch.ones(5, 2)))) + K.mean(K.batch_dot(t, t, axes=2))
    loss.backward()
    ref = torch.from_numpy(X).requires_grad_()
    ref_loss = ((ref @ torch.ones(5, 2)) ** 2).sum() + torch.einsum("bik,bjk->bij", ref, ref).mean()
    ref_loss.backward()
    close(t.grad, ref.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_ops_on_keras_tensors_build_op_layers():
    from openkeras.engine.keras_tensor import KerasTensor

    x = ok.Input((4,))
    mean = K.mean(x, axis=-1)
    both = K.concatenate([x, x])
    assert isinstance(mean, KerasTensor) and mean.shape == (None,)
    assert isinstance(both, KerasTensor) and both.shape == (None, 8)
    model = ok.Model(x, [mean, both])
    data = torch.rand(3, 4)
    got_mean, got_both = model(data)
    torch.testing.assert_close(got_mean, data.mean(-1))
    torch.testing.assert_close(got_both, torch.cat([data, data], -1))


def test_ops_inside_a_lambda_layer():
    x = ok.Input((4, 5))
    y = ok.layers.Lambda(lambda t: K.sum(K.square(t), axis=-1, keepdims=True))(x)
    assert y.shape == (None, 4, 1)
    model = ok.Model(x, y)
    data = RNG.standard_normal((2, 4, 5)).astype("float32")
    close(model.predict(data, verbose=0), (data ** 2).sum(-1, keepdims=True), rtol=1e-5)
