"""K.rnn against openkeras's recurrent layers and Keras 2.2.4's masking rules."""

import numpy as np
import pytest
import torch

import openkeras.backend as K
from openkeras.layers.recurrent import LSTM, SimpleRNN

MASKS = {
    "holes": [[1, 0, 1, 1, 0, 1], [0, 1, 1, 1, 1, 1], [1, 1, 0, 0, 0, 0]],
    "none": None,
}


def simple_rnn_step(kernel, recurrent, bias):
    def step(x, states):
        h = torch.tanh(K.dot(x, kernel) + K.dot(states[0], recurrent) + bias)
        return h, [h]
    return step


def lstm_step(kernel, recurrent, bias):
    units = recurrent.shape[0]

    def step(x, states):
        h, c = states
        z = K.dot(x, kernel) + K.dot(h, recurrent) + bias
        i, f, g, o = (z[:, k * units:(k + 1) * units] for k in range(4))
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        return h, [h, c]
    return step


@pytest.mark.parametrize("unroll", [False, True])
@pytest.mark.parametrize("mask_name", list(MASKS))
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("cell", ["simple", "lstm"])
def test_rnn_matches_recurrent_layers(cell, go_backwards, mask_name, unroll):
    x = torch.as_tensor(np.random.default_rng(0).standard_normal((3, 6, 4)).astype("float32"))
    mask = None if MASKS[mask_name] is None else torch.tensor(MASKS[mask_name], dtype=torch.bool)
    layer_cls = SimpleRNN if cell == "simple" else LSTM
    layer = layer_cls(5, return_sequences=True, return_state=True, go_backwards=go_backwards,
                      bias_initializer="glorot_uniform")
    expected = layer(x, mask=mask)
    weights = [torch.as_tensor(w) for w in layer.get_weights()]
    step = (simple_rnn_step if cell == "simple" else lstm_step)(*weights)
    states = [torch.zeros(3, 5) for _ in range(1 if cell == "simple" else 2)]
    last, outputs, new_states = K.rnn(step, x, states, go_backwards=go_backwards, mask=mask,
                                      unroll=unroll)
    np.testing.assert_allclose(outputs.numpy(), expected[0].detach().numpy(), rtol=1e-5,
                               atol=1e-5)
    np.testing.assert_allclose(last.numpy(), outputs[:, -1].numpy(), rtol=0, atol=0)
    for got, want in zip(new_states, expected[1:], strict=True):
        np.testing.assert_allclose(got.numpy(), want.detach().numpy(), rtol=1e-5, atol=1e-5)


def counting_step(x, states):
    """Output ``10 * x + state``, new state ``state + 1``: masked steps are easy to read."""
    out = 10 * x + states[0]
    return out, [states[0] + 1]


def test_masked_output_rule_of_keras_224():
    # the output of a masked step: the previous output (zeros first) when unrolled, else the
    # previous first state, as Keras 2.2.4's TensorFlow backend (derived from its source)
    x = torch.arange(1, 5, dtype=torch.float32).reshape(1, 4, 1)
    mask = torch.tensor([[0, 1, 0, 1]])
    state = [torch.full((1, 1), 100.0)]
    _, rolled, rolled_states = K.rnn(counting_step, x, state, mask=mask)
    _, unrolled, unrolled_states = K.rnn(counting_step, x, state, mask=mask, unroll=True)
    np.testing.assert_array_equal(rolled[0, :, 0].numpy(), [100, 120, 101, 141])
    np.testing.assert_array_equal(unrolled[0, :, 0].numpy(), [0, 120, 120, 141])
    assert float(rolled_states[0]) == float(unrolled_states[0]) == 102.0


def test_rnn_constants_are_passed_after_the_states_and_go_backwards_order():
    x = torch.arange(1, 4, dtype=torch.float32).reshape(1, 3, 1)
    seen = []

    def step(inp, states):
        assert len(states) == 2
        seen.append(float(inp))
        out = states[0] + inp * states[1]
        return out, [out]

    last, outputs, states = K.rnn(step, x, [torch.zeros(1, 1)], go_backwards=True,
                                  constants=[torch.full((1, 1), 2.0)])
    assert seen == [3.0, 2.0, 1.0]
    np.testing.assert_array_equal(outputs[0, :, 0].numpy(), [6, 10, 12])
    assert float(last) == float(states[0]) == 12.0


def test_rnn_gradients_flow_and_bad_input_errors():
    x = torch.randn(2, 3, 4, requires_grad=True)
    w = torch.randn(4, 4)

    def step(inp, states):
        h = torch.tanh(inp @ w + states[0])
        return h, [h]

    last, _, _ = K.rnn(step, x, [torch.zeros(2, 4)])
    last.sum().backward()
    assert x.grad is not None and float(x.grad.abs().sum()) > 0
    with pytest.raises(ValueError, match="at least 3D"):
        K.rnn(counting_step, torch.zeros(2, 3), [torch.zeros(2, 1)])
    with pytest.raises(ValueError, match="initial states"):
        K.rnn(counting_step, torch.zeros(2, 3, 1), [], mask=torch.ones(2, 3))
