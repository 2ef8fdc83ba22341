import numpy as np
import pytest
import torch

import openkeras as ok
from openkeras import layers

A = np.random.default_rng(1).standard_normal((3, 4)).astype("float32")
B = np.random.default_rng(2).standard_normal((3, 4)).astype("float32")


def _apply(layer_or_fn, arrays, shapes):
    inputs = [ok.Input(s) for s in shapes]
    out = layer_or_fn(inputs)
    model = ok.Model(inputs, out)
    return out, model([torch.as_tensor(a) for a in arrays]).numpy()


@pytest.mark.parametrize("fn,cls,expected", [
    (layers.add, layers.Add, A + B),
    (layers.subtract, layers.Subtract, A - B),
    (layers.multiply, layers.Multiply, A * B),
    (layers.average, layers.Average, (A + B) / 2),
    (layers.maximum, layers.Maximum, np.maximum(A, B)),
    (layers.minimum, layers.Minimum, np.minimum(A, B)),
])
def test_elementwise_merges(fn, cls, expected):
    sym, got = _apply(fn, [A, B], [(4,), (4,)])
    assert sym.shape == (None, 4)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)
    layer = cls(name="m")
    conf = layer.get_config()
    assert type(layer).from_config(conf).get_config() == conf


def test_add_three_inputs_and_broadcast():
    _, got = _apply(layers.add, [A, B, A], [(4,), (4,), (4,)])
    np.testing.assert_allclose(got, 2 * A + B, rtol=1e-6)
    out = layers.Add()([ok.Input((3, 4)), ok.Input((1, 4))])
    assert out.shape == (None, 3, 4)


def test_mismatched_shapes_error():
    with pytest.raises(ValueError, match="could not be broadcast"):
        layers.add([ok.Input((4,)), ok.Input((5,))])
    with pytest.raises(ValueError, match=r"Concatenate.*matching shapes.*\(None, 2, 3\)"):
        layers.concatenate([ok.Input((2, 3)), ok.Input((4, 5))])
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        layers.subtract([ok.Input((4,))] * 3)


def test_concatenate_axes():
    sym, got = _apply(layers.concatenate, [A, B], [(4,), (4,)])
    assert sym.shape == (None, 8)
    np.testing.assert_array_equal(got, np.concatenate([A, B], 1))
    out = layers.Concatenate(axis=1)([ok.Input((2, 3)), ok.Input((5, 3))])
    assert out.shape == (None, 7, 3)
    assert layers.Concatenate(axis=1).get_config()["axis"] == 1


def test_dot_with_and_without_normalize():
    sym, got = _apply(lambda t: layers.dot(t, axes=1), [A, B], [(4,), (4,)])
    assert sym.shape == (None, 1)
    np.testing.assert_allclose(got[:, 0], (A * B).sum(1), rtol=1e-5)
    _, cos = _apply(lambda t: layers.dot(t, axes=1, normalize=True), [A, B], [(4,), (4,)])
    expected = (A * B).sum(1) / np.linalg.norm(A, axis=1) / np.linalg.norm(B, axis=1)
    np.testing.assert_allclose(cos[:, 0], expected, rtol=1e-5)


def test_dot_batch_matrices():
    x = np.random.rand(2, 3, 4).astype("float32")
    y = np.random.rand(2, 5, 4).astype("float32")
    sym, got = _apply(lambda t: layers.Dot(axes=(2, 2))(t), [x, y], [(3, 4), (5, 4)])
    assert sym.shape == (None, 3, 5)
    np.testing.assert_allclose(got, np.einsum("bik,bjk->bij", x, y), rtol=1e-5)
    with pytest.raises(ValueError, match="incompatible input shapes for Dot"):
        layers.dot([ok.Input((3,)), ok.Input((4,))], axes=1)


def test_merge_combines_masks():
    x = ok.Input((3, 2))
    m1 = layers.Masking()(x)
    y = layers.add([m1, m1])
    assert y._keras_mask is not None


def test_inputs_of_lower_rank_gain_axes_after_the_batch_axis():
    a, b = ok.Input((5,)), ok.Input((3, 5))
    model = ok.Model([a, b], [layers.add([a, b]), layers.subtract([b, a]), layers.average([a, b])])
    xa = np.random.default_rng(0).random((3, 5), dtype=np.float32)
    xb = np.random.default_rng(1).random((3, 3, 5), dtype=np.float32)
    added, subtracted, averaged = (t.numpy() for t in model([xa, xb]))
    np.testing.assert_allclose(added, xa[:, None] + xb, rtol=1e-6)
    np.testing.assert_allclose(subtracted, xb - xa[:, None], rtol=1e-6)
    np.testing.assert_allclose(averaged, (xa[:, None] + xb) / 2, rtol=1e-6)
