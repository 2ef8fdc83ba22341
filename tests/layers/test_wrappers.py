import numpy as np
import pytest
import torch
from golden_cases import check_golden_case, layer_cases
from layer_test_utils import run_layer_test
from recurrent_test_utils import recurrent_scope

from openkeras.engine.functional import Functional
from openkeras.engine.input_layer import Input
from openkeras.engine.sequential import Sequential
from openkeras.layers.core import Dense, Dropout, Masking
from openkeras.layers.recurrent import GRU, LSTM, SimpleRNN
from openkeras.layers.wrappers import Bidirectional, TimeDistributed
from openkeras.utils.generic_utils import custom_object_scope

CASES = layer_cases("recurrent")
WRAPPER_CASES = [c for c, e in CASES.items()
                 if e.entry["class_name"] in ("Bidirectional", "TimeDistributed")]


def _scope():
    from openkeras.layers.convolutional import Conv2D

    return custom_object_scope({"Dense": Dense, "Conv2D": Conv2D})


@pytest.mark.parametrize("case", WRAPPER_CASES)
def test_matches_tf_keras_golden(case):
    entry = CASES[case].entry
    with recurrent_scope(), _scope():
        layer = {"Bidirectional": Bidirectional, "TimeDistributed": TimeDistributed}[
            entry["class_name"]].from_config(entry["config"])
    check_golden_case(layer, CASES[case], rtol=1e-5, atol=1e-5, config_ignore=(), weight_names=True)


def test_masked_bidirectional_matches_golden():
    golden = CASES["masked_bidirectional_lstm"]
    conf = golden.entry["config"]["layers"][-1]
    with recurrent_scope():
        layer = Bidirectional.from_config(conf["config"])
    weights, tokens = golden.weights, golden.inputs[0]
    # compares the output mask with Keras's (ymask0) too
    check_golden_case(layer, golden, rtol=1e-5, atol=1e-5, inputs=[weights[0][tokens]],
                      weights=weights[1:], call_kwargs={"mask": torch.as_tensor(tokens != 0)})


@pytest.mark.parametrize("merge_mode,op", [
    ("concat", lambda a, b: torch.cat([a, b], -1)),
    ("sum", torch.add),
    ("mul", torch.mul),
    ("ave", lambda a, b: (a + b) / 2),
])
def test_bidirectional_merge_modes_against_two_layers(merge_mode, op):
    x = torch.randn(3, 5, 4)
    layer = Bidirectional(GRU(3, return_sequences=True), merge_mode=merge_mode)
    out = layer(x)
    forward, backward = GRU(3, return_sequences=True), GRU(3, return_sequences=True,
                                                          go_backwards=True)
    forward(x), backward(x)
    weights = layer.get_weights()
    forward.set_weights(weights[:3])
    backward.set_weights(weights[3:])
    torch.testing.assert_close(out, op(forward(x), backward(x).flip(1)))


def test_bidirectional_run_layer_test_and_config():
    with recurrent_scope():
        run_layer_test(Bidirectional, {"layer": LSTM(3), "merge_mode": "sum"},
                       input_shape=(2, 5, 4), expected_output_shape=(None, 3),
                       expected_num_weights=6)
        run_layer_test(Bidirectional, {"layer": SimpleRNN(2, return_sequences=True)},
                       input_shape=(2, 5, 4), expected_output_shape=(None, 5, 4),
                       expected_num_weights=6)
    layer = Bidirectional(LSTM(3, name="lstm"), name="bidi")
    layer(Input((5, 4)))
    assert layer.forward_layer.name == "forward_lstm"
    assert layer.backward_layer.name == "backward_lstm" and layer.backward_layer.go_backwards
    assert layer.get_config()["layer"]["config"]["name"] == "lstm"
    assert "backward_layer" not in layer.get_config()
    with pytest.raises(ValueError, match="Invalid merge mode"):
        Bidirectional(LSTM(2), merge_mode="max")
    with pytest.raises(ValueError, match="go_backwards"):
        Bidirectional(LSTM(2), backward_layer=LSTM(2))
    with pytest.raises(ValueError, match="return_sequences"):
        Bidirectional(LSTM(2), backward_layer=LSTM(2, go_backwards=True, return_sequences=True))


def test_bidirectional_return_state_and_initial_state():
    inputs = Input((5, 4))
    outputs = Bidirectional(LSTM(3, return_state=True))(inputs)
    assert [t.shape for t in outputs] == [(None, 6)] + [(None, 3)] * 4
    none_mode = Bidirectional(GRU(2, return_sequences=True, return_state=True), merge_mode=None)
    outs = none_mode(inputs)
    assert [t.shape for t in outs] == [(None, 5, 2), (None, 5, 2), (None, 2), (None, 2)]

    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 5, 4)).astype("float32")
    values = [rng.standard_normal((2, 3)).astype("float32") for _ in range(4)]
    source = Bidirectional(LSTM(3, return_sequences=True))
    source(torch.as_tensor(x))
    with recurrent_scope():
        out = run_layer_test(Bidirectional, {"layer": LSTM(3, return_sequences=True),
                                             "weights": source.get_weights()},
                             input_data=x, call_kwargs={"initial_state": values},
                             expected_output_shape=(None, 5, 6), expected_num_weights=6)
    forward = LSTM(3, return_sequences=True)
    forward(x)
    forward.set_weights(source.get_weights()[:3])
    ref = forward(torch.as_tensor(x), initial_state=[torch.as_tensor(v) for v in values[:2]])
    np.testing.assert_allclose(out[..., :3], ref.detach().numpy(), rtol=1.3e-6, atol=1e-5)
    bidi = Bidirectional(LSTM(3, return_sequences=True))
    bidi(Input((5, 4)), initial_state=[Input((3,)) for _ in range(4)])
    assert len(bidi.inbound_nodes[0].inputs) == 5


def test_bidirectional_masking_in_a_model():
    inputs = Input((4, 3))
    masked = Masking(0.0)(inputs)
    model = Functional(inputs, Bidirectional(LSTM(2))(masked))
    x = torch.randn(2, 4, 3)
    x[0, 2:] = 0
    out = model(x)
    torch.testing.assert_close(out[0], model(x[:1, :2])[0])


def test_time_distributed_dense_and_masks():
    with recurrent_scope(), custom_object_scope({"Dense": Dense}):
        out = run_layer_test(TimeDistributed, {"layer": Dense(3)}, input_shape=(2, 5, 4),
                             expected_output_shape=(None, 5, 3), expected_num_weights=2)
    assert out.shape == (2, 5, 3)
    layer = TimeDistributed(Dense(2, name="inner"), name="td")
    x = torch.randn(3, 4, 5)
    y = layer(x)
    kernel, bias = layer.get_weights()
    torch.testing.assert_close(y, x @ torch.as_tensor(kernel) + torch.as_tensor(bias))
    assert [w.name for w in layer.weights] == ["td/kernel:0", "td/bias:0"]
    mask = torch.tensor([[1, 1, 0, 0]] * 3, dtype=torch.bool)
    torch.testing.assert_close(layer.compute_mask(x, mask), mask)
    inputs = Input((4, 5))
    masked = Masking()(inputs)
    td = TimeDistributed(Dense(2))(masked)
    assert td._keras_mask is not None and td.shape == (None, 4, 2)
    assert TimeDistributed(Dense(2)).compute_mask(x, None) is None


def test_time_distributed_over_a_sequential_model():
    inner = Sequential([Dense(4, activation="relu", input_shape=(3,)), Dropout(0.5), Dense(2)])
    layer = TimeDistributed(inner)
    inputs = Input((6, 3))
    outputs = layer(inputs)
    assert outputs.shape == (None, 6, 2)
    assert len(layer.weights) == 4
    x = torch.randn(2, 6, 3)
    model = Functional(inputs, outputs)
    expected = torch.stack([inner(x[:, t]) for t in range(6)], dim=1)
    torch.testing.assert_close(model(x), expected)
    assert not torch.allclose(layer(x, training=True), expected)
    with pytest.raises(ValueError, match="at least 3 dimensions"):
        TimeDistributed(Dense(2))(Input((4,)))
    with pytest.raises(ValueError, match="Layer"):
        TimeDistributed("dense")
