"""Keras 2's graph API on torch: placeholder, function, gradients, updates, get_updates,
sessions; gradients are compared with torch.autograd on the same computation."""

import numpy as np
import pytest
import torch

import openkeras as ok
from openkeras import backend as K
from openkeras.optimizers import Optimizer

RNG = np.random.default_rng(1)
XV = RNG.standard_normal((6, 4)).astype("float32")
YV = RNG.standard_normal((6, 1)).astype("float32")


def _mlp(seed=0):
    torch.manual_seed(seed)
    inp = ok.Input((4,))
    h = ok.layers.Dense(5, activation="tanh", name="hidden")(inp)
    return ok.Model(inp, ok.layers.Dense(1, name="out")(h))


def _torch_forward(model, x):
    w1, b1, w2, b2 = model.trainable_weights
    h = torch.tanh(x @ w1 + b1)
    return h, h @ w2 + b2


def test_placeholder_shape_ndim_dtype_name():
    p = K.placeholder(shape=(None, 3), dtype="int32", name="ids")
    assert K.int_shape(p) == (None, 3) and K.dtype(p) == "int32"
    assert K.is_placeholder(p) and K.is_keras_tensor(p)
    q = K.placeholder(ndim=3)
    assert K.int_shape(q) == (None, None, None)
    assert not K.is_keras_tensor(K.variable(np.ones(2)))
    with pytest.raises(ValueError, match="shape` or `ndim"):
        K.placeholder()


def test_variable_and_constant_from_any_layout():
    data = np.asfortranarray(RNG.standard_normal((3, 4)).astype("float64"))
    v = K.variable(data)
    c = K.constant(torch.tensor(data).t().contiguous().t())
    np.testing.assert_allclose(K.get_value(v), data.astype("float32"))
    np.testing.assert_allclose(K.eval(c), data.astype("float32"))


def test_gradients_of_input_weight_and_layer_output_equal_autograd():
    model = _mlp()
    hidden = model.get_layer("hidden").output
    loss = K.mean(K.square(model.output - 0.5))
    grads = K.gradients(loss, [model.input, model.trainable_weights[0], hidden])
    f = K.function([model.input], [loss] + grads)
    got = f([XV])
    x = torch.tensor(XV, requires_grad=True)
    h, out = _torch_forward(model, x)
    want_loss = ((out - 0.5) ** 2).mean()
    want = torch.autograd.grad(want_loss, [x, model.trainable_weights[0], h])
    np.testing.assert_allclose(got[0], want_loss.item(), atol=1e-6)
    for g, w in zip(got[1:], want, strict=True):
        np.testing.assert_allclose(g, w.detach().numpy(), atol=1e-6)


def test_gradient_of_a_variable_and_unconnected_tensor():
    x = K.placeholder(shape=(None, 4))
    w = K.variable(RNG.standard_normal((4, 2)))
    other = K.placeholder(shape=(None, 4))
    loss = K.sum(K.dot(x, w) ** 2)
    g_w, g_other = K.gradients(loss, [w, other])
    assert g_other is None
    got = K.function([x], [g_w])([XV])[0]
    wt = w.detach().clone().requires_grad_(True)
    want = torch.autograd.grad(((torch.tensor(XV) @ wt) ** 2).sum(), wt)[0]
    np.testing.assert_allclose(got, want.numpy(), atol=1e-5, rtol=1e-6)


def test_second_order_gradient_penalty_equals_autograd():
    model = _mlp(3)
    grad_x = K.gradients(model.output, [model.input])[0]
    penalty = K.mean(K.square(K.sqrt(K.sum(K.square(grad_x), axis=1)) - 1.0))
    grads = K.gradients(penalty, model.trainable_weights)
    got = K.function([model.input], [penalty] + grads)([XV])
    x = torch.tensor(XV, requires_grad=True)
    _, out = _torch_forward(model, x)
    gx = torch.autograd.grad(out.sum(), x, create_graph=True)[0]
    want_pen = ((gx.pow(2).sum(1).sqrt() - 1) ** 2).mean()
    want = torch.autograd.grad(want_pen, model.trainable_weights, allow_unused=True)
    np.testing.assert_allclose(got[0], want_pen.item(), atol=1e-6)
    for g, w in zip(got[1:], want, strict=True):
        w = torch.zeros(g.shape) if w is None else w
        np.testing.assert_allclose(g, w.detach().numpy(), atol=1e-6)


def test_stop_gradient_in_the_graph():
    x = K.placeholder(shape=(None, 4))
    loss = K.sum(x * K.stop_gradient(x))
    got = K.function([x], K.gradients(loss, [x]))([XV])[0]
    np.testing.assert_allclose(got, XV, atol=1e-6)


def test_updates_apply_after_the_outputs():
    x = K.placeholder(shape=(None, 4))
    total = K.variable(0.0)
    count = K.variable(np.zeros(4))
    avg = K.variable(np.zeros(4))
    mean = K.mean(x, axis=0)
    f = K.function([x], [total], updates=[
        K.update_add(total, K.sum(x)), K.update_sub(count, -K.ones_like(mean)),
        K.moving_average_update(avg, mean, 0.9), (K.variable(0.0), K.sum(x))])
    first = f([XV])[0]
    second = f([XV])[0]
    assert first == 0.0
    np.testing.assert_allclose(second, XV.sum(), rtol=1e-6)
    np.testing.assert_allclose(K.get_value(count), [2, 2, 2, 2])
    # TensorFlow's zero-debiased average of a constant is that constant.
    np.testing.assert_allclose(K.get_value(avg), XV.mean(0), rtol=1e-5)


def test_builtin_get_updates_trains_like_torch():
    x, y = K.placeholder(shape=(None, 4)), K.placeholder(shape=(None, 1))
    model = _mlp(5)
    start = [w.detach().clone() for w in model.trainable_weights]
    loss = K.mean(K.square(model(x) - y))
    opt = ok.optimizers.Adam(lr=0.01)
    train = K.function([x, y], [loss], updates=opt.get_updates(loss, model.trainable_weights))
    losses = [train([XV, YV])[0] for _ in range(3)]
    ref = [w.clone().requires_grad_(True) for w in start]
    torch_opt = torch.optim.Adam(ref, lr=0.01, eps=1e-7)
    for i in range(3):
        h = torch.tanh(torch.tensor(XV) @ ref[0] + ref[1])
        l_ = ((h @ ref[2] + ref[3] - torch.tensor(YV)) ** 2).mean()
        np.testing.assert_allclose(losses[i], l_.item(), rtol=1e-5)
        torch_opt.zero_grad()
        l_.backward()
        torch_opt.step()
    for w, r in zip(model.trainable_weights, ref, strict=True):
        np.testing.assert_allclose(w.detach().numpy(), r.detach().numpy(), atol=1e-6)


class Keras2SGD(Optimizer):
    """Keras 2.2.4's SGD with momentum, written as a Keras 2 user subclass."""

    def __init__(self, lr=0.1, momentum=0.5, **kwargs):
        super().__init__(**kwargs)
        self.iterations = K.variable(0, dtype="int64", name="iterations")
        self.lr = K.variable(lr, name="lr")
        self.momentum = K.variable(momentum, name="momentum")

    def get_updates(self, loss, params):
        grads = self.get_gradients(loss, params)
        self.updates = [K.update_add(self.iterations, 1)]
        moments = [K.zeros(K.int_shape(p), dtype=K.dtype(p)) for p in params]
        self.weights = [self.iterations] + moments
        # the step count read here is the one before this step's update_add, as in Keras 2
        lr = self.lr * (1.0 / (1.0 + 0.5 * K.cast(self.iterations, "float32")))
        for p, g, m in zip(params, grads, moments, strict=True):
            v = self.momentum * m - lr * g
            self.updates.append(K.update(m, v))
            self.updates.append(K.update(p, p + v))
        return self.updates

    def get_config(self):
        return {**super().get_config(), "lr": float(K.get_value(self.lr))}


def _reference_keras2_sgd(start, steps, clipnorm=None):
    ref = [w.clone().requires_grad_(True) for w in start]
    moments = [torch.zeros_like(w) for w in ref]
    for it in range(steps):
        h = torch.tanh(torch.tensor(XV) @ ref[0] + ref[1])
        loss = ((h @ ref[2] + ref[3] - torch.tensor(YV)) ** 2).mean()
        grads = torch.autograd.grad(loss, ref)
        if clipnorm:
            norm = torch.sqrt(sum((g ** 2).sum() for g in grads))
            grads = [g * clipnorm / torch.maximum(norm, torch.tensor(clipnorm)) for g in grads]
        lr = 0.1 / (1 + 0.5 * it)
        with torch.no_grad():
            for w, g, m in zip(ref, grads, moments, strict=True):
                v = 0.5 * m - lr * g
                m.copy_(v)
                w.add_(v)
    return ref


@pytest.mark.parametrize("clipnorm", [None, 0.05])
def test_keras2_optimizer_subclass_trains_with_fit(clipnorm):
    model = _mlp(7)
    start = [w.detach().clone() for w in model.trainable_weights]
    opt = Keras2SGD(clipnorm=clipnorm) if clipnorm else Keras2SGD()
    model.compile(opt, "mse")
    model.fit(XV, YV, batch_size=6, epochs=3, verbose=0, shuffle=False)
    assert int(K.get_value(opt.iterations)) == 3
    assert len(opt.weights) == 5 and len(opt.get_weights()) == 5
    assert opt.get_config()["lr"] == pytest.approx(0.1)
    ref = _reference_keras2_sgd(start, 3, clipnorm)
    for w, r in zip(model.trainable_weights, ref, strict=True):
        np.testing.assert_allclose(w.detach().numpy(), r.detach().numpy(), atol=1e-6)


def test_keras2_optimizer_subclass_in_k_function_updates():
    x, y = K.placeholder(shape=(None, 4)), K.placeholder(shape=(None, 1))
    model = _mlp(8)
    start = [w.detach().clone() for w in model.trainable_weights]
    loss = K.mean(K.square(model(x) - y))
    opt = Keras2SGD()
    train = K.function([x, y], [loss], opt.get_updates(loss, model.trainable_weights))
    for _ in range(3):
        train([XV, YV])
    ref = _reference_keras2_sgd(start, 3)
    for w, r in zip(model.trainable_weights, ref, strict=True):
        np.testing.assert_allclose(w.detach().numpy(), r.detach().numpy(), atol=1e-6)


def test_learning_phase_input_and_in_train_phase():
    x = K.placeholder(shape=(None, 4))
    out = K.in_train_phase(x * 2.0, x)
    f = K.function([x, K.learning_phase()], [out])
    np.testing.assert_allclose(f([XV, 1])[0], XV * 2)
    np.testing.assert_allclose(f([XV, 0])[0], XV)


def test_session_run_evaluates_graph_tensors():
    model = _mlp(2)
    sess = K.get_session()
    got = sess.run(model.output, feed_dict={model.input: XV})
    np.testing.assert_allclose(got, model.predict(XV), atol=1e-6)
    both = sess.run([model.output, model.trainable_weights[1]], feed_dict={model.input: XV})
    np.testing.assert_allclose(both[1], K.get_value(model.trainable_weights[1]))


def test_what_torch_cannot_have_is_explained():
    with pytest.raises(AttributeError, match="no TensorFlow module behind K"):
        K.tf  # noqa: B018
    with pytest.raises(TypeError, match="each update must be"):
        K.function([K.placeholder(shape=(None, 2))], [], updates=["not an update"])


def test_print_tensor_prints_when_the_graph_runs(capsys):
    x = K.placeholder(shape=(None, 2))
    y = K.print_tensor(x * 2, message="doubled:")
    assert capsys.readouterr().out == ""
    out = K.function([x], [y])([np.array([[1.0, 2.0]], dtype="float32")])[0]
    np.testing.assert_allclose(out, [[2.0, 4.0]])
    assert "doubled:" in capsys.readouterr().out
