"""The random K functions take shapes as Keras code writes them, K.shape's result included."""

import numpy as np
import pytest
import torch

import openkeras.backend as K
from openkeras.backend import random_ops

SPELLINGS = [
    (2, 3),
    [2, 3],
    (np.int64(2), np.int32(3)),
    torch.Size([2, 3]),
    torch.tensor([2, 3]),
    np.array([2, 3]),
]
FUNCTIONS = [
    lambda shape, seed: K.random_normal(shape, seed=seed),
    lambda shape, seed: K.random_uniform(shape, seed=seed),
    lambda shape, seed: K.truncated_normal(shape, seed=seed),
    lambda shape, seed: K.random_binomial(shape, p=0.5, seed=seed),
    lambda shape, seed: K.random_normal_variable(shape, 0.0, 1.0, seed=seed),
    lambda shape, seed: K.random_uniform_variable(shape, 0.0, 1.0, seed=seed),
]


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_every_shape_spelling_gives_the_same_seeded_values(fn):
    values = []
    for shape in SPELLINGS:
        random_ops.reset_generators()  # each spelling starts the seed's sequence again
        out = fn(shape, 11)
        assert tuple(K.int_shape(out)) == (2, 3)
        values.append(K.get_value(out))
    for v in values[1:]:
        np.testing.assert_array_equal(v, values[0])


def test_shape_of_a_tensor_feeds_random_normal_and_a_scalar_shape_is_one_d():
    x = torch.zeros(4, 5)
    assert K.random_normal(K.shape(x)).shape == (4, 5)
    assert K.random_uniform(np.int64(3)).shape == (3,)
    assert K.random_uniform(torch.tensor(3)).shape == (3,)


@pytest.mark.parametrize("bad", [(2.5, 3), torch.tensor([2.0, 3.0]), np.zeros((2, 2), int), "23"])
def test_a_bad_shape_is_a_clear_error(bad):
    with pytest.raises(ValueError, match="random shape"):
        K.random_normal(bad)
