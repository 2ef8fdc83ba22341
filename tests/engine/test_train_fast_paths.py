"""The fast paths of the training step: bitwise the loss, gradient and accuracy of the plain ones."""

import numpy as np
import pytest
import torch

import openkeras
from openkeras import losses
from openkeras.engine.compile_utils import OutputLoss
from openkeras.engine.fused_loss import categorical_crossentropy_mean
from openkeras.engine.symbolic_dispatch import eager_function

CCE = eager_function(losses.categorical_crossentropy)


def _both(y_true, logits, epsilon=1e-7):
    """(loss, grad of the logits) through the reference formula and through the fused one."""
    out = []
    for fn in (lambda t, p: CCE(t, p).mean(),
               lambda t, p: categorical_crossentropy_mean(t, p, epsilon)):
        z = logits.clone().requires_grad_()
        loss = fn(y_true, torch.softmax(z, dim=-1))
        loss.backward()
        out.append((loss.detach(), z.grad))
    return out


@pytest.mark.parametrize("shape,dtype", [((32, 10), torch.float32), ((7, 5, 3), torch.float32),
                                         ((16, 4), torch.float64), ((1, 10), torch.float32)])
def test_loss_and_gradient_are_bitwise_those_of_the_reference(shape, dtype):
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(*shape, generator=gen, dtype=dtype) * 4
    logits.view(-1)[0], logits.view(-1)[1] = 40.0, -40.0  # probabilities the clip cuts
    one_hot = torch.nn.functional.one_hot(
        torch.randint(0, shape[-1], shape[:-1], generator=gen), shape[-1]).to(dtype)
    soft = torch.softmax(torch.randn(*shape, generator=gen, dtype=dtype), dim=-1)
    for y_true in (one_hot, soft):
        (ref_loss, ref_grad), (loss, grad) = _both(y_true, logits)
        assert torch.equal(loss, ref_loss)
        assert torch.equal(grad, ref_grad)


def test_unnormalized_and_zero_predictions_match_the_reference():
    y_pred = torch.rand(8, 6, generator=torch.Generator().manual_seed(1))
    y_pred[0, 0] = 0.0  # clipped up to epsilon: no gradient there
    y_true = torch.nn.functional.one_hot(torch.arange(8) % 6, 6).float()
    grads = []
    for fn in (lambda p: CCE(y_true, p).mean(),
               lambda p: categorical_crossentropy_mean(y_true, p, 1e-7)):
        p = y_pred.clone().requires_grad_()
        fn(p).backward()
        grads.append(p.grad)
    assert torch.equal(grads[0], grads[1])
    assert grads[1][0, 0] == 0.0


def test_output_loss_uses_it_only_where_it_is_the_same_computation():
    loss = OutputLoss("categorical_crossentropy", None, "out")
    assert loss.fused
    assert not OutputLoss(losses.CategoricalCrossentropy(label_smoothing=0.1), None, "o").fused
    assert not OutputLoss("mse", None, "out").fused
    y_true = torch.eye(4)[[0, 1, 2, 3, 0]]
    z = torch.randn(5, 4, requires_grad=True)
    fused = loss(y_true, torch.softmax(z, -1))
    assert fused.grad_fn.name().endswith("_CategoricalCrossentropyMeanBackward")
    weighted = loss(y_true, torch.softmax(z, -1), sample_weight=torch.ones(5))
    assert "_CategoricalCrossentropyMean" not in weighted.grad_fn.name()
    with torch.no_grad():
        plain = loss(y_true, torch.softmax(z, -1))
    assert torch.equal(plain, fused.detach())


def test_fit_weights_equal_the_unfused_loss_exactly():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 8)).astype("float32")
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, 64)]

    def trained(loss):
        openkeras.utils.set_random_seed(3)
        model = openkeras.Sequential([openkeras.layers.Dense(5, activation="relu", input_shape=(8,)),
                                      openkeras.layers.Dense(3, activation="softmax")])
        model.compile(loss=loss, optimizer="rmsprop")
        history = model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
        return model.get_weights(), history.history["loss"]

    # the same formula as a user function: not recognized, so autograd runs it node by node
    fused_weights, fused_loss = trained("categorical_crossentropy")
    plain_weights, plain_loss = trained(lambda t, p: losses.categorical_crossentropy(t, p))
    assert fused_loss == plain_loss
    for a, b in zip(fused_weights, plain_weights, strict=True):
        np.testing.assert_array_equal(a, b)


def test_compiled_accuracy_counts_what_categorical_accuracy_averages():
    from openkeras import metrics
    from openkeras.engine.compile_utils import make_metric

    gen = torch.Generator().manual_seed(2)
    counted = make_metric("accuracy", losses.categorical_crossentropy, (None, 5))
    reference = metrics.MeanMetricWrapper(metrics.categorical_accuracy)
    for n in (7, 32, 1):
        y_true = torch.nn.functional.one_hot(torch.randint(0, 5, (n,), generator=gen), 5).float()
        y_pred = torch.softmax(torch.randn(n, 5, generator=gen), -1)
        y_pred[0] = 0.2  # a tie: argmax picks the first, on both paths
        counted.update_state(y_true, y_pred)
        reference.update_state(y_true, y_pred)
    assert counted.result().dtype == reference.result().dtype == torch.float32
    assert torch.equal(counted.result(), reference.result())
    assert float(counted.count) == 40.0
