import numpy as np
import pytest
import torch
from layer_test_utils import run_layer_test

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
    run_layer_test(cls, {"name": "m"}, input_data=[A, B], expected_output_shape=(None, 4),
                   expected_output=expected, rtol=1e-6, atol=1e-6, expected_num_weights=0)
    sym, got = _apply(fn, [A, B], [(4,), (4,)])  # the functional spelling
    assert sym.shape == (None, 4)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


def test_add_three_inputs_and_broadcast():
    run_layer_test(layers.Add, input_data=[A, B, A], expected_output=2 * A + B, rtol=1e-6,
                   atol=0)
    x = np.random.default_rng(3).standard_normal((3, 3, 4)).astype("float32")
    run_layer_test(layers.Add, input_data=[x, B[:, None]], expected_output_shape=(None, 3, 4),
                   expected_output=x + B[:, None], rtol=1e-6, atol=0)


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
    x, y = (np.random.default_rng(i).standard_normal(s).astype("float32")
            for i, s in ((3, (3, 2, 3)), (4, (3, 5, 3))))
    run_layer_test(layers.Concatenate, {"axis": 1}, input_data=[x, y],
                   expected_output_shape=(None, 7, 3), expected_output=np.concatenate([x, y], 1), rtol=0,
                   atol=0)
    assert layers.Concatenate(axis=1).get_config()["axis"] == 1


def test_dot_with_and_without_normalize():
    sym, got = _apply(lambda t: layers.dot(t, axes=1), [A, B], [(4,), (4,)])
    assert sym.shape == (None, 1)
    np.testing.assert_allclose(got[:, 0], (A * B).sum(1), rtol=1e-5)
    expected = (A * B).sum(1) / np.linalg.norm(A, axis=1) / np.linalg.norm(B, axis=1)
    run_layer_test(layers.Dot, {"axes": 1, "normalize": True}, input_data=[A, B],
                   expected_output_shape=(None, 1), expected_output=expected[:, None], rtol=1e-5,
                   atol=0)


def test_dot_batch_matrices():
    x = np.random.rand(2, 3, 4).astype("float32")
    y = np.random.rand(2, 5, 4).astype("float32")
    run_layer_test(layers.Dot, {"axes": (2, 2)}, input_data=[x, y], expected_output_shape=(None, 3, 5),
                   expected_output=np.einsum("bik,bjk->bij", x, y), rtol=1e-5, atol=0)
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
