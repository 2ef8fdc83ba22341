import numpy as np
import pytest
import torch
from golden_cases import check_golden_case, layer_cases
from layer_test_utils import run_layer_test
from recurrent_test_utils import numpy_lstm, recurrent_scope, torch_reference

from openkeras.engine.functional import Functional
from openkeras.engine.input_layer import Input
from openkeras.layers.recurrent import (
    GRU,
    LSTM,
    RNN,
    GRUCell,
    LSTMCell,
    SimpleRNN,
    SimpleRNNCell,
    StackedRNNCells,
)
from openkeras.layers.recurrent import base as rnn_base

CASES = layer_cases("recurrent")
SIMPLE_CASES = [c for c, e in CASES.items() if e.entry["class_name"] in ("SimpleRNN", "LSTM", "GRU")]
MASKED_CASES = [c for c in CASES if c.startswith("masked_") and "bidirectional" not in c]
LAYERS = {"SimpleRNN": SimpleRNN, "LSTM": LSTM, "GRU": GRU}


@pytest.fixture
def general_path(monkeypatch):
    """Force the per-timestep path (no fused torch kernel)."""
    monkeypatch.setattr(rnn_base, "fused_kind", lambda cell, training: None)


def _built(layer, shape):
    layer(Input(batch_shape=(None,) + tuple(shape[1:])))
    return layer


# ------------------------------------------------------------------ golden values
@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("case", SIMPLE_CASES)
def test_matches_tf_keras_golden(case, fused, monkeypatch):
    if not fused:
        monkeypatch.setattr(rnn_base, "fused_kind", lambda cell, training: None)
    entry = CASES[case].entry
    layer = LAYERS[entry["class_name"]].from_config(entry["config"])
    check_golden_case(layer, CASES[case], rtol=1e-5, atol=1e-5, config_ignore=(), weight_names=True)


@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("case", MASKED_CASES)
def test_masked_matches_tf_keras_golden(case, fused, monkeypatch):
    if not fused:
        monkeypatch.setattr(rnn_base, "fused_kind", lambda cell, training: None)
    golden = CASES[case]
    conf = golden.entry["config"]["layers"][-1]
    layer = LAYERS[conf["class_name"]].from_config(conf["config"])
    weights = golden.weights
    tokens = golden.inputs[0]
    embedded = weights[0][tokens]  # the Embedding(mask_zero=True) in front
    # compares the output mask with Keras's (ymask0), or that there is none
    check_golden_case(layer, golden, rtol=1e-5, atol=1e-5, inputs=[embedded], weights=weights[1:],
                      call_kwargs={"mask": torch.as_tensor(tokens != 0)})


def test_initial_state_symbolic_matches_golden():
    case = "lstm_initial_state"
    seq, h0, c0 = Input((5, 3), name="seq"), Input((4,), name="h0"), Input((4,), name="c0")
    lstm = LSTM(4, return_sequences=True)
    model = Functional([seq, h0, c0], lstm(seq, initial_state=[h0, c0]))
    assert lstm.inbound_nodes[0].inputs == [seq, h0, c0]
    inbound = model.get_config()["layers"][-1]["inbound_nodes"][0]
    assert [n[0] for n in inbound] == ["seq", "h0", "c0"]
    (out,) = check_golden_case(model, CASES[case], rtol=1e-5, atol=1e-5, build=False)
    with recurrent_scope():
        clone = Functional.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    again = clone([torch.as_tensor(x) for x in CASES[case].inputs])
    np.testing.assert_allclose(again.detach().numpy(), out, atol=1e-6)


def test_initial_state_eager_matches_torch():
    x, h0, c0 = torch.randn(3, 6, 5), torch.randn(3, 4), torch.randn(3, 4)
    lstm = LSTM(4, return_sequences=True, return_state=True)
    out, h, c = lstm(x, initial_state=[h0, c0])
    ref_out, ref_h, ref_c = torch_reference("lstm", lstm.get_weights(), 4, x.numpy(), h0, c0)
    np.testing.assert_allclose(out.detach().numpy(), ref_out, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(h.detach().numpy(), ref_h, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(c.detach().numpy(), ref_c, rtol=1e-5, atol=1e-5)
    gru = GRU(4, return_sequences=True, reset_after=True)  # torch.nn.GRU's formula
    np.testing.assert_allclose(gru(x, initial_state=h0).detach().numpy(),
                               torch_reference("gru", gru.get_weights(), 4, x.numpy(), h0)[0],
                               rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------- torch.nn references
@pytest.mark.parametrize("kind,layer_cls,kwargs", [
    ("lstm", LSTM, {}),
    ("lstm", LSTM, {"use_bias": False}),
    ("gru", GRU, {"reset_after": True}),
    ("gru", GRU, {"use_bias": False, "reset_after": True}),
    ("tanh", SimpleRNN, {}),
    ("relu", SimpleRNN, {"activation": "relu"}),
])
@pytest.mark.parametrize("fused", [True, False])
def test_matches_torch_nn_modules(kind, layer_cls, kwargs, fused, monkeypatch):
    if not fused:
        monkeypatch.setattr(rnn_base, "fused_kind", lambda cell, training: None)
    x = torch.randn(3, 7, 5)
    layer = layer_cls(6, return_sequences=True, return_state=True, **kwargs)
    out, *states = layer(x)
    ref = torch_reference(kind, layer.get_weights(), 6, x.numpy())
    np.testing.assert_allclose(out.detach().numpy(), ref[0], rtol=1e-5, atol=1e-5)
    for got, want in zip(states, ref[1:], strict=True):
        np.testing.assert_allclose(got.detach().numpy(), want, rtol=1e-5, atol=1e-5)


def test_gru_fused_kernel_used_only_when_exact():
    from openkeras.layers.recurrent.fused import fused_kind

    assert fused_kind(GRUCell(3, reset_after=True), False) == "gru"
    assert fused_kind(GRUCell(3), False) is None  # Keras 2's default reset_after=False
    assert fused_kind(GRUCell(3, reset_after=False), False) is None
    assert fused_kind(LSTMCell(3, recurrent_activation="hard_sigmoid"), False) is None
    assert fused_kind(LSTMCell(3, recurrent_dropout=0.5), True) is None
    assert fused_kind(LSTMCell(3, recurrent_dropout=0.5), False) == "lstm"
    assert fused_kind(SimpleRNNCell(3, activation="relu"), False) == "rnn_relu"
    assert fused_kind(SimpleRNNCell(3, activation="sigmoid"), False) is None


# ------------------------------------------------------------ fused == general path
MASKS = {
    "right_padded": [[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1], [1, 0, 0, 0, 0, 0]],
    "holes": [[1, 0, 1, 1, 0, 1], [0, 1, 1, 1, 1, 1], [1, 1, 0, 0, 0, 0]],
    "empty_row": [[1, 1, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1]],
    "none": None,
}


@pytest.mark.parametrize("mask_name", list(MASKS))
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("layer_cls", [LSTM, GRU, SimpleRNN])
@pytest.mark.parametrize("zero_output", [False, True])
def test_fused_equals_general_path(layer_cls, go_backwards, mask_name, zero_output, monkeypatch):
    x = torch.randn(3, 6, 4)
    mask = None if MASKS[mask_name] is None else torch.tensor(MASKS[mask_name], dtype=torch.bool)
    layer = layer_cls(5, return_sequences=True, return_state=True, go_backwards=go_backwards,
                      zero_output_for_mask=zero_output)
    fused = layer(x, mask=mask)
    monkeypatch.setattr(rnn_base, "fused_kind", lambda cell, training: None)
    general = layer(x, mask=mask)
    for a, b in zip(fused, general, strict=True):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("recurrent_activation", ["sigmoid", "hard_sigmoid"])
def test_masked_lstm_matches_numpy(go_backwards, recurrent_activation):
    x = np.random.default_rng(1).standard_normal((3, 6, 4)).astype("float32")
    mask = np.array(MASKS["holes"], dtype=bool)
    layer = LSTM(5, return_sequences=True, return_state=True, go_backwards=go_backwards,
                 recurrent_activation=recurrent_activation, bias_initializer="glorot_uniform")
    out, h, c = layer(torch.as_tensor(x), mask=torch.as_tensor(mask))
    ref_out, ref_h, ref_c = numpy_lstm(x.astype(np.float64), layer.get_weights(), mask,
                                       recurrent_activation, go_backwards)
    np.testing.assert_allclose(out.detach().numpy(), ref_out, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(h.detach().numpy(), ref_h, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(c.detach().numpy(), ref_c, rtol=1e-5, atol=1e-5)


def test_fused_gradients_equal_general_gradients(monkeypatch):
    x = torch.randn(2, 5, 3)
    mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=torch.bool)
    layer = LSTM(4)
    layer(x, mask=mask).square().sum().backward()
    fused = [w.grad.clone() for w in layer.weights]
    layer.zero_grad()
    monkeypatch.setattr(rnn_base, "fused_kind", lambda cell, training: None)
    layer(x, mask=mask).square().sum().backward()
    for a, w in zip(fused, layer.weights, strict=True):
        torch.testing.assert_close(a, w.grad, rtol=1e-5, atol=1e-6)


# -------------------------------------------------------------------- layer contract
@pytest.mark.parametrize("layer_cls,kwargs,out_shape", [
    (SimpleRNN, {"units": 3}, (None, 3)),
    (SimpleRNN, {"units": 3, "return_sequences": True, "activation": "relu"}, (None, 5, 3)),
    (LSTM, {"units": 3}, (None, 3)),
    (LSTM, {"units": 3, "return_sequences": True, "go_backwards": True}, (None, 5, 3)),
    (LSTM, {"units": 3, "recurrent_activation": "hard_sigmoid", "unroll": True}, (None, 3)),
    (LSTM, {"units": 3, "implementation": 1, "unit_forget_bias": False}, (None, 3)),
    (LSTM, {"units": 2, "dropout": 0.3, "recurrent_dropout": 0.3}, (None, 2)),
    (GRU, {"units": 3}, (None, 3)),
    (GRU, {"units": 3, "reset_after": False, "return_sequences": True}, (None, 5, 3)),
    (GRU, {"units": 3, "use_bias": False, "dropout": 0.2}, (None, 3)),
])
def test_run_layer_test(layer_cls, kwargs, out_shape):
    with recurrent_scope():
        run_layer_test(layer_cls, kwargs, input_shape=(2, 5, 4), expected_output_shape=out_shape,
                       expected_num_weights=3 if kwargs.get("use_bias", True) else 2)


def test_rnn_with_cells_and_stacked_cells():
    with recurrent_scope():
        run_layer_test(RNN, {"cell": LSTMCell(3)}, input_shape=(2, 5, 4),
                       expected_output_shape=(None, 3), expected_num_weights=3)
        run_layer_test(RNN, {"cell": [SimpleRNNCell(3), GRUCell(2)], "return_sequences": True},
                       input_shape=(2, 5, 4), expected_output_shape=(None, 5, 2),
                       expected_num_weights=6)
    x = torch.randn(2, 5, 4)
    single = LSTM(3, return_sequences=True)
    reference = single(x)
    rnn = RNN(LSTMCell(3), return_sequences=True)
    rnn(x)
    rnn.set_weights(single.get_weights())
    torch.testing.assert_close(rnn(x), reference, rtol=1e-5, atol=1e-6)
    stacked = RNN([LSTMCell(3), LSTMCell(2)], return_state=True)
    out, *states = stacked(x)
    assert isinstance(stacked.cell, StackedRNNCells) and len(states) == 4
    first = LSTM(3, return_sequences=True)
    second = LSTM(2)
    first(x)
    first.set_weights(stacked.get_weights()[:3])
    second(first(x))
    second.set_weights(stacked.get_weights()[3:])
    torch.testing.assert_close(out, second(first(x)), rtol=1e-5, atol=1e-6)


class MinimalRNNCell(torch.nn.Module):
    """A cell that is not an openkeras Layer (Keras docs' example shape)."""

    def __init__(self, units, input_dim):
        super().__init__()
        self.state_size = units
        self.kernel = torch.nn.Parameter(torch.randn(input_dim, units))
        self.recurrent = torch.nn.Parameter(torch.randn(units, units))

    def call(self, inputs, states):
        out = inputs @ self.kernel + states[0] @ self.recurrent
        return out, [out]


def test_custom_cell_with_masks_and_backwards():
    cell = MinimalRNNCell(3, 4)
    layer = RNN(cell, return_sequences=True, go_backwards=True)
    x = torch.randn(2, 4, 4)
    mask = torch.tensor([[1, 1, 0, 1], [1, 1, 1, 1]], dtype=torch.bool)
    out = layer(x, mask=mask).detach()
    h = torch.zeros(2, 3)
    prev = torch.zeros(2, 3)
    expected = []
    with torch.no_grad():
        for t in (3, 2, 1, 0):
            new = x[:, t] @ cell.kernel + h @ cell.recurrent
            keep = mask[:, t, None]
            h = torch.where(keep, new, h)
            prev = torch.where(keep, new, prev)
            expected.append(prev)
    torch.testing.assert_close(out, torch.stack(expected, 1), rtol=1e-5, atol=1e-5)


def test_time_major_matches_batch_major():
    x = torch.randn(2, 5, 4)
    layer = LSTM(3, return_sequences=True)
    ref = layer(x)
    tm = LSTM(3, return_sequences=True, time_major=True)
    assert tm(Input(batch_shape=(5, None, 4))).shape == (5, None, 3)
    tm.set_weights(layer.get_weights())
    torch.testing.assert_close(tm(x.transpose(0, 1)).transpose(0, 1), ref)


def test_return_state_shapes_and_mask():
    x = Input((5, 4))
    outputs = LSTM(3, return_sequences=True, return_state=True)(x)
    assert [t.shape for t in outputs] == [(None, 5, 3), (None, 3), (None, 3)]
    gru = GRU(2, return_state=True)
    outs = gru(x)
    assert [t.shape for t in outs] == [(None, 2), (None, 2)]
    mask = torch.ones(2, 5, dtype=torch.bool)
    assert gru.compute_mask(torch.zeros(2, 5, 4), mask) == [None, None]
    seq = LSTM(3, return_sequences=True, return_state=True)
    out_mask = seq.compute_mask(torch.zeros(2, 5, 4), mask)
    assert out_mask[0] is mask and out_mask[1:] == [None, None]


def test_dropout_only_in_training():
    torch.manual_seed(0)
    layer = LSTM(4, dropout=0.5, recurrent_dropout=0.5)
    x = torch.randn(3, 6, 5)
    inference = layer(x)
    torch.testing.assert_close(layer(x, training=False), inference)
    assert not torch.allclose(layer(x, training=True), inference)


def test_regularizers_add_losses():
    layer = LSTM(3, kernel_regularizer="l2", recurrent_regularizer="l1", bias_regularizer="l2")
    layer(torch.zeros(1, 2, 4))
    kernel, recurrent, _ = layer.get_weights()
    assert len(layer.losses) == 3
    np.testing.assert_allclose(float(layer.losses[0].detach()), 0.01 * np.square(kernel).sum(), rtol=1e-5)
    np.testing.assert_allclose(float(layer.losses[1].detach()), 0.01 * np.abs(recurrent).sum(), rtol=1e-5)


def test_unit_forget_bias_and_layouts():
    lstm = LSTM(3, bias_initializer="zeros")
    lstm(torch.zeros(1, 2, 4))
    kernel, recurrent, bias = lstm.get_weights()
    assert kernel.shape == (4, 12) and recurrent.shape == (3, 12)
    np.testing.assert_array_equal(bias, [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    gru = GRU(3, reset_after=True)
    gru(torch.zeros(1, 2, 4))
    assert [w.shape for w in gru.get_weights()] == [(4, 9), (3, 9), (2, 9)]
    default_gru = GRU(3)  # Keras 2.2.4 / 2.3.1: reset_after=False, one bias vector
    default_gru(torch.zeros(1, 2, 4))
    assert [w.shape for w in default_gru.get_weights()] == [(4, 9), (3, 9), (9,)]
    new = [np.arange(w.size, dtype="float32").reshape(w.shape) for w in gru.get_weights()]
    gru.set_weights(new)
    for a, b in zip(gru.get_weights(), new, strict=True):
        np.testing.assert_array_equal(a, b)
    old_gru = GRU(3, reset_after=False)
    old_gru(torch.zeros(1, 2, 4))
    assert old_gru.get_weights()[2].shape == (9,)


def test_keras1_argument_names():
    with pytest.warns(DeprecationWarning):
        layer = LSTM(output_dim=3, inner_activation="hard_sigmoid", dropout_W=0.1,
                     consume_less="gpu")
    assert layer.units == 3 and layer.get_config()["recurrent_activation"] == "hard_sigmoid"
    assert layer.dropout == 0.1 and layer.implementation == 2
    layer = SimpleRNN(2, input_dim=4, input_length=6)
    assert layer.get_config()["batch_input_shape"] == [None, 6, 4]


def test_errors():
    with pytest.raises(ValueError, match=r'"lstm".*expected ndim=3, found ndim=2'):
        LSTM(3, name="lstm")(Input((8,)))
    with pytest.raises(ValueError, match="units"):
        GRU(-1)
    with pytest.raises(ValueError, match="dropout"):
        LSTM(2, dropout=1.5)
    with pytest.raises(ValueError, match="`call` method"):
        RNN(object())
    with pytest.raises(AttributeError, match="stateful"):
        LSTM(2).reset_states()


def test_config_round_trip_of_cells_and_rnn():
    with recurrent_scope():
        # the clone from get_config has the same config and, with the same weights, outputs
        run_layer_test(RNN, {"cell": [LSTMCell(3, recurrent_activation="hard_sigmoid"),
                                      GRUCell(2, reset_after=False)],
                             "return_sequences": True, "go_backwards": True, "name": "stack"},
                       input_shape=(2, 5, 4), expected_output_shape=(None, 5, 2),
                       expected_num_weights=6)
        rnn = RNN([LSTMCell(3), GRUCell(2)])
    assert rnn.get_config()["cell"]["class_name"] == "StackedRNNCells"
    cell_config = LSTMCell(2).get_config()
    assert {"units", "recurrent_activation", "unit_forget_bias", "implementation"} <= set(cell_config)


@pytest.mark.parametrize("case", [c for c in CASES if c.startswith("masked_")])
def test_masked_sequential_models_from_tf_keras_config(case):
    from openkeras.engine.sequential import Sequential
    from openkeras.layers.embeddings import Embedding
    from openkeras.utils.generic_utils import custom_object_scope

    with recurrent_scope(), custom_object_scope({"Embedding": Embedding}):
        model = Sequential.from_config(CASES[case].entry["config"])
    check_golden_case(model, CASES[case], rtol=1e-5, atol=1e-5, build=False)
    assert (model.layers[-1].output._keras_mask is not None) == ("ymask0" in CASES[case].arrays)


class ConstantCell(SimpleRNNCell):
    """A cell that also reads a constant input (Keras's `constants` protocol)."""

    def build(self, input_shape):
        step_shape, constant_shape = input_shape
        super().build(step_shape)
        self.constant_kernel = self.add_weight("constant_kernel", (constant_shape[-1], self.units))

    def call(self, inputs, states, training=None, constants=None):
        out = torch.tanh(inputs @ self.kernel.T + states[0] @ self.recurrent_kernel.T
                         + constants[0] @ self.constant_kernel)
        return out, [out]


def test_constants_symbolic_and_config():
    x, const = Input((4, 3)), Input((2,))
    layer = RNN(ConstantCell(5, use_bias=False))  # its call reads no bias
    layer(x, constants=[const])
    assert layer.get_config()["num_constants"] == 1
    assert len(layer.inbound_nodes[0].inputs) == 2
    xv, cv = torch.randn(2, 4, 3), torch.randn(2, 2)
    cell = layer.cell
    h = torch.zeros(2, 5)
    with torch.no_grad():
        for t in range(4):
            h = torch.tanh(xv[:, t] @ cell.kernel.T + h @ cell.recurrent_kernel.T
                           + cv @ cell.constant_kernel)
    with recurrent_scope():
        run_layer_test(RNN, {"cell": ConstantCell(5, use_bias=False), "weights": layer.get_weights()},
                       input_data=xv.numpy(), call_kwargs={"constants": [cv.numpy()]},
                       expected_output=h.numpy(), rtol=1.3e-6, atol=1e-5, expected_num_weights=3,
                       custom_objects={"ConstantCell": ConstantCell})
