import numpy as np
import pytest
import torch

import openkeras as ok
from openkeras import backend as K
from openkeras.layers.convolutional import Conv2D


def test_variable_copies_value_and_has_keras_name():
    value = np.arange(6, dtype="int64").reshape(2, 3)
    v = K.variable(value, name="w")
    assert v.name == "w:0" and K.dtype(v) == "float32" and v.requires_grad
    value[0, 0] = 100  # the variable holds a copy
    np.testing.assert_array_equal(K.get_value(v), np.arange(6).reshape(2, 3))
    assert K.variable(1.5).name == "Variable:0"
    assert K.dtype(K.variable([1, 2], dtype="int32")) == "int32"
    assert K.eval(K.variable(2.0) * 3) == pytest.approx(6.0)


def test_set_value_get_value_and_batches():
    v = K.variable(np.zeros((2, 2)))
    K.set_value(v, np.ones((2, 2)))
    np.testing.assert_array_equal(K.get_value(v), np.ones((2, 2)))
    w = K.variable(0.0)
    K.batch_set_value([(v, np.full((2, 2), 3.0)), (w, 5.0)])
    got = K.batch_get_value([v, w])
    np.testing.assert_array_equal(got[0], np.full((2, 2), 3.0))
    assert got[1] == 5.0 and np.ndim(got[1]) == 0
    with pytest.raises(ValueError, match="shape"):
        K.set_value(v, np.ones(3))
    with pytest.raises(TypeError, match="variable"):
        K.set_value(3.0, 1.0)


def test_set_value_on_optimizer_learning_rate():
    model = ok.Sequential([ok.layers.Dense(2, input_shape=(3,))])
    model.compile(optimizer=ok.optimizers.SGD(learning_rate=0.01), loss="mse")
    K.set_value(model.optimizer.lr, 0.001)
    lr = K.get_value(model.optimizer.lr)
    assert isinstance(lr, np.float32) and lr == np.float32(0.001)
    assert model.optimizer.get_config()["learning_rate"] == pytest.approx(0.001)
    x = np.ones((4, 3), "float32")
    before = model.get_weights()[0]
    model.train_on_batch(x, np.zeros((4, 2), "float32"))
    grad_scale = np.abs(model.get_weights()[0] - before).max()
    assert 0 < grad_scale < 0.01  # a step taken with the small learning rate


def test_conv2d_kernel_value_in_keras_layout():
    layer = Conv2D(4, (3, 2), input_shape=(5, 5, 3))
    layer.build((None, 5, 5, 3))
    kernel = K.get_value(layer.kernel)
    assert kernel.shape == (3, 2, 3, 4)
    np.testing.assert_array_equal(kernel, layer.get_weights()[0])
    assert K.int_shape(layer.kernel) == (3, 2, 3, 4) and K.count_params(layer.kernel) == 72
    assert tuple(K.shape(layer.kernel)) == (3, 2, 3, 4)
    new = np.arange(72, dtype="float32").reshape(3, 2, 3, 4)
    K.set_value(layer.kernel, new)
    np.testing.assert_array_equal(layer.get_weights()[0], new)
    with pytest.raises(ValueError, match="not compatible"):
        K.set_value(layer.kernel, np.zeros((4, 3, 2, 3)))


def test_constant_and_creation_ops():
    np.testing.assert_array_equal(K.eval(K.constant(2.0, shape=(2, 3))), np.full((2, 3), 2.0))
    np.testing.assert_array_equal(K.eval(K.constant([1, 2, 3, 4], shape=(2, 2))),
                                  [[1, 2], [3, 4]])
    assert K.dtype(K.constant([1, 2])) == "float32"
    with pytest.raises(ValueError, match="shape"):
        K.constant([1, 2, 3], shape=(2, 2))
    z = K.zeros((2, 3))
    assert z.name == "Variable:0" and K.eval(z).sum() == 0
    np.testing.assert_array_equal(K.eval(K.ones((2,), dtype="int32")), [1, 1])
    np.testing.assert_array_equal(K.eval(K.eye(3)), np.eye(3))
    np.testing.assert_array_equal(K.eval(K.eye((2, 3))), np.eye(2, 3))
    np.testing.assert_array_equal(K.eval(K.zeros_like(torch.ones(2, 2))), np.zeros((2, 2)))
    assert K.dtype(K.ones_like(torch.ones(2), dtype="int64")) == "int64"
    np.testing.assert_array_equal(K.eval(K.arange(5)), np.arange(5))
    np.testing.assert_array_equal(K.eval(K.arange(1, 7, 2)), [1, 3, 5])
    assert K.dtype(K.arange(3)) == "int32" and K.eval(K.arange(-3)).size == 0


def test_update_ops_on_weights_apply_now():
    w = ok.layers.Dense(2)
    w.build((None, 1))
    kernel = w.kernel
    assert K.update_add(kernel, torch.ones(1, 2)) is kernel
    K.update_sub(kernel, torch.full((1, 2), 0.5))
    K.update(w.bias, torch.tensor([0.0, 9.0]))
    np.testing.assert_allclose(K.eval(w.bias), [0.0, 9.0])


def test_update_ops_on_variables_apply_when_run():
    # Keras 2 (TensorFlow 1): K.update* on a variable is an op, applied when it is run.
    v = K.variable([1.0, 2.0])
    add, sub = K.update_add(v, [1.0, 1.0]), K.update_sub(v, 0.5)
    np.testing.assert_allclose(K.eval(v), [1.0, 2.0])
    K.get_session().run(add)
    np.testing.assert_allclose(K.eval(v), [2.0, 3.0])
    K.function([], [], updates=[sub])([])
    np.testing.assert_allclose(K.eval(v), [1.5, 2.5])
    assign = K.update(v, np.array([0.0, 9.0]))
    assign()  # what Layer.add_update's training step does with it
    np.testing.assert_allclose(K.eval(v), [0.0, 9.0])


def test_shape_facts_for_tensors_and_keras_tensors():
    x = ok.Input((4, 5))
    assert K.int_shape(x) == (None, 4, 5) and K.ndim(x) == 3
    # Keras 2: K.shape of a graph tensor is an int32 graph tensor with one entry per dimension
    assert K.is_keras_tensor(K.shape(x)) and K.int_shape(K.shape(x)) == (3,)
    assert K.dtype(K.shape(x)) == "int32"
    assert K.dtype(x) == "float32"
    t = torch.zeros(2, 3)
    assert K.int_shape(t) == (2, 3) and K.ndim(t) == 2 and K.shape(t)[0] == 2
    assert K.int_shape(np.zeros((1, 2))) == (1, 2)
    assert K.dtype(K.cast(t, "int32")) == "int32"
    assert K.cast_to_floatx(np.array([1, 2])).dtype == np.float32
    assert K.count_params(t) == 6
    assert not K.is_sparse(t) and K.to_dense(t) is t


def test_placeholder_is_keras_tensor_and_is_tensor():
    p = K.placeholder(shape=(None, 3))
    assert K.is_keras_tensor(p) and K.is_placeholder(p) and K.int_shape(p) == (None, 3)
    assert K.ndim(K.placeholder(ndim=4)) == 4
    y = ok.layers.Dense(2)(p)
    assert K.is_keras_tensor(y) and not K.is_placeholder(y)
    assert not K.is_keras_tensor(torch.zeros(1)) and K.is_tensor(torch.zeros(1))
    with pytest.raises(ValueError, match="Expected a symbolic tensor"):
        K.is_keras_tensor(np.zeros(1))
    with pytest.raises(ValueError, match="ndim"):
        K.placeholder()
    with pytest.raises(ValueError, match="placeholder 'input_.*' \\(shape \\(None, 3\\)\\)"):
        K.get_value(p)


@pytest.mark.parametrize("fn,kwargs", [
    (K.random_normal, {"mean": 1.0, "stddev": 2.0}),
    (K.random_uniform, {"minval": -1.0, "maxval": 3.0}),
    (K.truncated_normal, {"mean": 0.5, "stddev": 1.0}),
    (K.random_binomial, {"p": 0.3}),
])
def test_random_ops_are_reproducible_with_a_seed(fn, kwargs):
    # A seeded op gives a reproducible sequence (as TensorFlow's): calls differ, runs repeat.
    a = fn((100, 50), seed=11, **kwargs)
    b = fn((100, 50), seed=11, **kwargs)
    assert not torch.equal(a, b)
    K.clear_session()
    assert torch.equal(a, fn((100, 50), seed=11, **kwargs))
    assert torch.equal(b, fn((100, 50), seed=11, **kwargs))
    assert not torch.equal(a, fn((100, 50), seed=12, **kwargs))
    assert a.dtype == torch.float32 and tuple(a.shape) == (100, 50)


def test_random_op_statistics():
    n = K.random_normal((20000,), mean=1.0, stddev=2.0, seed=1)
    assert abs(n.mean().item() - 1.0) < 0.06 and abs(n.std().item() - 2.0) < 0.06
    u = K.random_uniform((20000,), -1.0, 3.0, seed=1)
    assert u.min().item() >= -1.0 and u.max().item() < 3.0 and abs(u.mean().item() - 1.0) < 0.05
    t = K.truncated_normal((20000,), 0.5, 1.0, seed=1)
    assert t.min().item() >= -1.5 and t.max().item() <= 2.5
    b = K.random_binomial((20000,), p=0.3, seed=1)
    assert set(b.unique().tolist()) <= {0.0, 1.0} and abs(b.mean().item() - 0.3) < 0.02
    K.clear_session()
    v = K.random_uniform_variable((2, 3), 0.0, 1.0, name="r", seed=1)
    K.clear_session()
    assert v.name == "r:0" and torch.equal(v.detach(), K.random_uniform((2, 3), 0.0, 1.0, seed=1))
    assert tuple(K.random_normal_variable((4,), 0.0, 1.0).shape) == (4,)
