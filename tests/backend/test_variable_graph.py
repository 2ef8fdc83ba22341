"""K.variable in Keras 2 (TensorFlow 1) graphs: expressions over variables are computed when
the graph runs (K.function, K.eval, get_session().run), after K.set_value and updates."""

import numpy as np
import pytest
import torch

import openkeras as ok
from openkeras import backend as K


def test_function_over_variables_reads_set_value():
    v = K.variable(1.0)
    y = v * 2
    f = K.function([], [y])
    K.set_value(v, 3.0)
    assert f([])[0] == pytest.approx(6.0)
    assert K.eval(y) == pytest.approx(6.0)
    assert K.get_session().run(y) == pytest.approx(6.0)


def test_function_over_variables_reads_updates_of_another_function():
    v = K.variable(1.0)
    y = K.square(v) + 1  # a K function and an operator
    step = K.function([], [], updates=[K.update_add(v, 1.0)])
    read = K.function([], [y, v])
    step([])
    assert read([]) == [pytest.approx(5.0), pytest.approx(2.0)]
    step([])
    assert read([]) == [pytest.approx(10.0), pytest.approx(3.0)]


def test_outputs_are_read_before_the_updates_and_updates_read_before_writing():
    v, w = K.variable(2.0), K.variable(10.0)
    f = K.function([], [v * 1], updates=[K.update(v, w), K.update(w, v)])
    assert f([])[0] == pytest.approx(2.0)  # the value before this call's updates
    assert (K.eval(v), K.eval(w)) == (pytest.approx(10.0), pytest.approx(2.0))  # a swap


def test_graph_tensor_combined_with_expression_over_variables():
    v = K.variable(np.array([1.0, 2.0]))
    x = K.placeholder((None, 2))
    scale = v * 3
    f = K.function([x], [K.sum(x * scale, axis=1)])
    data = np.ones((2, 2), "float32")
    np.testing.assert_allclose(f([data])[0], [9.0, 9.0])
    K.set_value(v, np.array([0.0, 1.0]))
    np.testing.assert_allclose(f([data])[0], [3.0, 3.0])


def test_gradients_of_expressions_over_variables_follow_the_variable():
    v = K.variable(np.array([1.0, -2.0]))
    loss = K.sum(K.square(v * 3))
    grad = K.gradients(loss, [v])[0]
    f = K.function([], [loss, grad])
    for value in (np.array([1.0, -2.0]), np.array([0.5, 4.0])):
        K.set_value(v, value)
        t = torch.tensor(value, dtype=torch.float32, requires_grad=True)
        ref = ((t * 3) ** 2).sum()
        (ref_grad,) = torch.autograd.grad(ref, t)
        got_loss, got_grad = f([])
        np.testing.assert_allclose(got_loss, ref.item(), rtol=0, atol=1e-6)
        np.testing.assert_allclose(got_grad, ref_grad.numpy(), rtol=0, atol=1e-6)


def test_variables_stay_eager_tensors():
    v = K.variable(np.array([1.0, 2.0]))
    y = v * 2
    assert isinstance(v, torch.nn.Parameter) and isinstance(y, torch.Tensor)
    np.testing.assert_allclose(y.detach().numpy(), [2.0, 4.0])  # the value when it was built
    np.testing.assert_allclose((torch.ones(2) + v).detach().numpy(), [2.0, 3.0])
    assert type(torch.sin(v)) is torch.Tensor  # torch functions compute plain tensors
    assert K.get_value(v).tolist() == [1.0, 2.0]


def test_layer_weights_and_forward_passes_record_nothing():
    layer = ok.layers.Dense(2)
    layer.build((None, 3))
    assert type(layer.kernel * 2) is torch.Tensor
    temperature = K.variable(2.0)
    hidden = torch.ones(4, 3, requires_grad=True) * 1.0  # an activation inside a forward pass
    assert type(hidden * temperature) is torch.Tensor
    assert type(K.relu(hidden) / temperature) is torch.Tensor


def test_eval_of_graph_tensor_names_the_missing_placeholder():
    x = K.placeholder((None, 4), name="pixels")
    with pytest.raises(ValueError, match="placeholder 'pixels' \\(shape \\(None, 4\\)\\).*K.function"):
        K.eval(K.sum(x * 2))
    c = K.constant(np.arange(3.0))
    v = K.variable(2.0)
    assert K.eval(K.sum(c * v)) == pytest.approx(6.0)


def test_update_with_graph_value_in_add_update_applies_after_the_step():
    v = K.variable(0.0)
    op = K.update_add(v, K.constant(1.0) * v + 1.0)  # an expression value: v + 1 when run
    op()
    op()
    assert K.eval(v) == pytest.approx(3.0)


@pytest.mark.parametrize("clip", [{"clipnorm": 0.5}, {"clipvalue": 0.1}])
def test_get_gradients_clips_graph_gradients_as_keras2(clip):
    # Keras 2.2.4's Optimizer.get_gradients: every gradient scaled by
    # clipnorm / max(global norm, clipnorm), then clipped to [-clipvalue, clipvalue].
    model = ok.Sequential([ok.layers.Dense(2, input_shape=(3,))])
    x = np.arange(6, dtype="float32").reshape(2, 3)
    loss = K.sum(K.square(model.output))
    opt = ok.optimizers.SGD(lr=0.1, **clip)
    grads = opt.get_gradients(loss, model.trainable_weights)
    got = K.function([model.input], grads)([x])
    kernel, bias = (w.detach().clone().requires_grad_(True) for w in model.trainable_weights)
    ref = ((torch.from_numpy(x) @ kernel.T if kernel.shape[0] == 2 else torch.from_numpy(x) @ kernel)
           + bias).square().sum()
    ref_grads = torch.autograd.grad(ref, [kernel, bias])
    if "clipnorm" in clip:
        norm = torch.sqrt(sum(g.square().sum() for g in ref_grads))
        ref_grads = [g * 0.5 / torch.clamp(norm, min=0.5) for g in ref_grads]
    else:
        ref_grads = [g.clamp(-0.1, 0.1) for g in ref_grads]
    for g, r in zip(got, ref_grads, strict=True):
        np.testing.assert_allclose(g, r.numpy(), rtol=0, atol=1e-6)
