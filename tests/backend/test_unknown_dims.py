"""K.int_shape when unknown dimensions of different graph tensors meet.

Keras 2.2.4 on TensorFlow 1 cannot run here; the expected shapes follow TensorFlow's static
shape rules, which Keras 2.2.4's K.int_shape reports:
- broadcasting (``tf.broadcast_static_shape``): a dimension is known when either side knows
  a size other than 1 (an unknown size is assumed compatible), unknown when both are unknown
  or one is 1 and the other unknown;
- ``tf.concat``: the sizes along the axis add up (unknown if one is unknown); every other
  dimension is merged (``merge_with``: known if either side knows it);
- ``tf.matmul`` (K.dot, K.batch_dot): contracted dimensions vanish, the others are kept;
  batch dimensions merge.
"""

import numpy as np
import pytest

from openkeras import backend as K

P = K.placeholder


@pytest.mark.parametrize("make,expected", [
    (lambda: P((None, 3)) + P((None, 1)), (None, 3)),
    (lambda: P((None, None)) * P((None, 3)), (None, 3)),
    (lambda: P((None, None)) + P((None, 1)), (None, None)),
    (lambda: K.maximum(P((None, None, None)), P((None, 1, 4))), (None, None, 4)),
    (lambda: P((None, None)) - K.constant(np.ones(4)), (None, 4)),
], ids=["3-vs-1", "unknown-vs-3", "unknown-vs-1", "rank3", "constant"])
def test_broadcasting_unknown_dims(make, expected):
    assert K.int_shape(make()) == expected


@pytest.mark.parametrize("shapes,axis,expected", [
    (((None, None), (None, 4)), -1, (None, None)),
    (((None, 2), (3, 2)), 0, (None, 2)),
    (((None, None), (None, 3)), 0, (None, 3)),
    (((None, 3), (4, 2)), 1, (4, 5)),
])
def test_concatenate_unknown_dims(shapes, axis, expected):
    assert K.int_shape(K.concatenate([P(s) for s in shapes], axis=axis)) == expected


def test_batch_dot_and_dot_with_unknown_dims():
    out = K.batch_dot(P((None, 4, None)), P((None, 3, 5)), axes=(2, 1))
    assert K.int_shape(out) == (None, 4, 5)
    out = K.batch_dot(P((None, None, 3)), P((None, 3, None)), axes=(2, 1))
    assert K.int_shape(out) == (None, None, None)
    assert K.int_shape(K.dot(P((None, None)), K.variable(np.ones((3, 5))))) == (None, 5)


def test_inferred_shape_matches_computed_values():
    x, y = P((None, None)), P((None, 3))
    f = K.function([x, y], [x * y])
    out = f([np.ones((2, 1), "float32"), np.ones((2, 3), "float32")])[0]
    assert out.shape == (2, 3) and K.int_shape(x * y) == (None, 3)
