"""K.map_fn, K.foldl and K.foldr against Python loops."""

import numpy as np
import pytest
import torch

import openkeras.backend as K


def test_map_fn_applies_fn_to_each_row_and_casts():
    x = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    out = K.map_fn(lambda row: row.sum() * 2, x)
    np.testing.assert_array_equal(out.numpy(), x.numpy().sum(axis=1) * 2)
    out = K.map_fn(lambda row: row[:2], np.arange(6).reshape(3, 2), dtype="float32")
    assert out.dtype == torch.float32
    np.testing.assert_array_equal(out.numpy(), np.arange(6).reshape(3, 2))


def test_map_fn_is_differentiable():
    x = torch.randn(3, 2, requires_grad=True)
    K.map_fn(lambda row: (row ** 2).sum(), x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.detach().numpy(), rtol=1e-6)


def test_foldl_and_foldr_order_and_initializer():
    x = torch.tensor([1.0, 2.0, 3.0, 4.0])
    # subtraction is not commutative, so the order shows
    assert float(K.foldl(lambda acc, v: acc - v, x)) == ((1 - 2) - 3) - 4
    assert float(K.foldr(lambda acc, v: acc - v, x)) == ((4 - 3) - 2) - 1
    assert float(K.foldl(lambda acc, v: acc * 10 + v, x, initializer=torch.tensor(5.0))) == 51234
    assert float(K.foldr(lambda acc, v: acc * 10 + v, x, initializer=torch.tensor(5.0))) == 54321
    rows = torch.arange(6.0).reshape(3, 2)
    np.testing.assert_array_equal(K.foldl(lambda acc, v: acc + v, rows).numpy(), [6, 9])


def test_fold_of_empty_elements_without_initializer_is_an_error():
    with pytest.raises(ValueError, match="initializer"):
        K.foldl(lambda a, v: a + v, torch.zeros(0))
    assert float(K.foldr(lambda a, v: a + v, torch.zeros(0), initializer=torch.tensor(7.0))) == 7
