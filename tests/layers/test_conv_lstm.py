import pytest
import torch
import torch.nn.functional as F
from golden_cases import check_golden_case, layer_cases
from layer_test_utils import run_layer_test
from recurrent_test_utils import recurrent_scope

from openkeras.engine.input_layer import Input
from openkeras.layers.recurrent import ConvLSTM2D

CASES = layer_cases("recurrent")


@pytest.mark.parametrize("case", ["conv_lstm2d", "conv_lstm2d_seq_valid"])
def test_matches_tf_keras_golden(case):
    layer = ConvLSTM2D.from_config(CASES[case].entry["config"])
    check_golden_case(layer, CASES[case], rtol=1e-5, atol=1e-5, config_ignore=(), weight_names=True)


def _reference(x, kernel, recurrent, bias, strides, dilation, filters):
    """Plain torch ConvLSTM with TF 'same' padding (odd kernels, stride 1 for the state)."""
    kernel = torch.as_tensor(kernel).permute(3, 2, 0, 1)
    recurrent = torch.as_tensor(recurrent).permute(3, 2, 0, 1)
    x = torch.as_tensor(x).permute(0, 1, 4, 2, 3)
    h = c = None
    outputs = []
    for t in range(x.shape[1]):
        z = F.conv2d(x[:, t], kernel, torch.as_tensor(bias), strides, 0, dilation)
        if h is None:
            h = c = torch.zeros(z.shape[0], filters, *z.shape[2:])
        z = z + F.conv2d(h, recurrent, padding=recurrent.shape[-1] // 2)
        i, f, g, o = z.chunk(4, 1)
        def hard(v):  # Keras 2's hard_sigmoid, not torch's (x/6 + 1/2)
            return torch.clamp(0.2 * v + 0.5, 0, 1)

        c = hard(f) * c + hard(i) * torch.tanh(g)
        h = hard(o) * torch.tanh(c)
        outputs.append(h.permute(0, 2, 3, 1))
    return torch.stack(outputs, 1)


def test_strided_dilated_valid_against_reference():
    layer = ConvLSTM2D(3, 3, strides=2, dilation_rate=1, return_sequences=True)
    x = torch.randn(2, 3, 9, 9, 2)
    out = layer(x)
    kernel, recurrent, bias = layer.get_weights()
    ref = _reference(x.numpy(), kernel, recurrent, bias, (2, 2), (1, 1), 3)
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-5)
    dilated = ConvLSTM2D(2, 3, dilation_rate=2, return_sequences=True)
    out = dilated(x)
    kernel, recurrent, bias = dilated.get_weights()
    torch.testing.assert_close(out, _reference(x.numpy(), kernel, recurrent, bias, (1, 1), (2, 2), 2),
                               rtol=1e-5, atol=1e-5)


def test_same_padding_with_strides_shape():
    layer = ConvLSTM2D(4, (4, 2), strides=2, padding="same", return_sequences=True)
    assert layer(Input((3, 7, 7, 2))).shape == (None, 3, 4, 4, 4)
    assert layer(torch.randn(1, 3, 7, 7, 2)).shape == (1, 3, 4, 4, 4)


def test_channels_first_equals_channels_last():
    x = torch.randn(2, 3, 6, 5, 2)
    last = ConvLSTM2D(3, 3, padding="same", return_state=True)
    first = ConvLSTM2D(3, 3, padding="same", data_format="channels_first", return_state=True)
    out, h, c = last(x)
    first(x.permute(0, 1, 4, 2, 3))
    first.set_weights(last.get_weights())
    out_f, h_f, c_f = first(x.permute(0, 1, 4, 2, 3))
    assert out.shape == (2, 6, 5, 3) and c.shape == (2, 6, 5, 3)
    torch.testing.assert_close(out_f.permute(0, 2, 3, 1), out)
    torch.testing.assert_close(c_f.permute(0, 2, 3, 1), c)
    again, *_ = last(x, initial_state=[h, c])
    assert not torch.allclose(again, out)


def test_run_layer_test_and_stateful():
    with recurrent_scope():
        run_layer_test(ConvLSTM2D, {"filters": 2, "kernel_size": 3, "padding": "same",
                                    "go_backwards": True, "dropout": 0.2,
                                    "recurrent_dropout": 0.2},
                       input_shape=(2, 3, 5, 5, 2), expected_output_shape=(None, 5, 5, 2),
                       expected_num_weights=3)
    layer = ConvLSTM2D(2, 3, stateful=True)
    layer(Input(batch_shape=(2, 3, 5, 5, 1)))
    x = torch.randn(2, 3, 5, 5, 1)
    first = layer(x)
    assert not torch.allclose(layer(x), first)
    layer.reset_states()
    torch.testing.assert_close(layer(x), first)
    with pytest.raises(ValueError, match="ndim=5"):
        ConvLSTM2D(2, 3)(Input((3, 5, 5)))
