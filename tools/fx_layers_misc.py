"""Layer cases for recurrent, embeddings, normalization, attention and activations."""

import numpy as np
from fixture_utils import keras
from fx_layers import case

L = keras.layers


def _x(rng, *shape):
    return rng.uniform(-1.0, 1.0, shape).astype(np.float32)


def _tokens(rng):
    """Two padded int sequences of length 6 (0 = padding), vocabulary 10."""
    tokens = rng.integers(1, 10, (2, 6)).astype(np.int32)
    tokens[0, 4:] = 0
    tokens[1, 2:] = 0
    return tokens


def _embed_model(rnn_layer):
    return keras.Sequential([L.Embedding(10, 3, mask_zero=True, input_length=6), rnn_layer])


def _initial_state_model():
    inp = keras.Input((5, 3), name="seq")
    h = keras.Input((4,), name="h0")
    c = keras.Input((4,), name="c0")
    out = L.LSTM(4, return_sequences=True)(inp, initial_state=[h, c])
    return keras.Model([inp, h, c], out, name="lstm_initial_state")


def recurrent_cases(rng) -> list:
    """SimpleRNN/LSTM/GRU variants, masking, Bidirectional, TimeDistributed, ConvLSTM2D.

    Args:
        rng: Generator for the inputs.
    """
    x = _x(rng, 2, 5, 3)
    tokens = _tokens(rng)
    cases = [
        case("simple_rnn", L.SimpleRNN(4), x),
        case("simple_rnn_seq_relu", L.SimpleRNN(4, activation="relu", return_sequences=True), x),
        case("simple_rnn_state_backwards", L.SimpleRNN(4, return_state=True, go_backwards=True),
             x),
        case("lstm", L.LSTM(4), x),
        case("lstm_seq_state", L.LSTM(4, return_sequences=True, return_state=True), x),
        case("lstm_backwards", L.LSTM(4, go_backwards=True, return_sequences=True), x),
        case("lstm_hard_sigmoid", L.LSTM(4, recurrent_activation="hard_sigmoid"), x),
        case("lstm_no_bias", L.LSTM(4, use_bias=False), x),
        case("gru_reset_after", L.GRU(4, reset_after=True), x),
        case("gru_reset_before", L.GRU(4, reset_after=False), x),
        case("gru_seq_state", L.GRU(4, return_sequences=True, return_state=True), x),
        case("gru_backwards_hard_sigmoid",
             L.GRU(4, go_backwards=True, recurrent_activation="hard_sigmoid"), x),
        case("gru_reset_before_seq", L.GRU(4, reset_after=False, return_sequences=True), x),
        case("masked_simple_rnn_seq", _embed_model(L.SimpleRNN(4, return_sequences=True)),
             tokens),
        case("masked_lstm", _embed_model(L.LSTM(4)), tokens),
        case("masked_lstm_seq", _embed_model(L.LSTM(4, return_sequences=True)), tokens),
        case("masked_gru_seq", _embed_model(L.GRU(4, return_sequences=True)), tokens),
        case("masked_gru_reset_before", _embed_model(L.GRU(4, reset_after=False)), tokens),
        case("masked_bidirectional_lstm",
             _embed_model(L.Bidirectional(L.LSTM(3, return_sequences=True))), tokens),
        case("lstm_initial_state", _initial_state_model(),
             [x, _x(rng, 2, 4), _x(rng, 2, 4)]),
    ]
    for mode in ("concat", "sum", "mul", "ave", None):
        cases.append(case(f"bidirectional_{mode}".lower(),
                          L.Bidirectional(L.LSTM(3, return_sequences=True), merge_mode=mode),
                          x))
    cases += [
        case("bidirectional_gru_state", L.Bidirectional(L.GRU(3, return_state=True)), x),
        case("bidirectional_backward_layer",
             L.Bidirectional(L.SimpleRNN(3), backward_layer=L.SimpleRNN(2, go_backwards=True)),
             x),
        case("time_distributed_dense", L.TimeDistributed(L.Dense(2)), x),
        case("time_distributed_conv2d", L.TimeDistributed(L.Conv2D(2, 2)), _x(rng, 2, 3, 4, 4, 2)),
        case("conv_lstm2d", L.ConvLSTM2D(3, 3, padding="same"), _x(rng, 2, 3, 5, 5, 2)),
        case("conv_lstm2d_seq_valid", L.ConvLSTM2D(2, (3, 2), return_sequences=True),
             _x(rng, 2, 3, 5, 5, 2)),
    ]
    return cases


def embeddings_cases(rng) -> list:
    """Embedding lookups, with and without mask_zero.

    Args:
        rng: Generator for the inputs.
    """
    tokens = _tokens(rng)
    return [
        case("embedding", L.Embedding(10, 4), tokens),
        case("embedding_mask_zero", L.Embedding(10, 4, mask_zero=True), tokens),
        case("embedding_input_length", L.Embedding(10, 2, input_length=6), tokens),
    ]


def normalization_cases(rng) -> list:
    """BatchNormalization (inference and training) and LayerNormalization.

    Args:
        rng: Generator for the inputs.
    """
    return [
        case("batchnorm_inference", L.BatchNormalization(), _x(rng, 2, 5)),
        case("batchnorm_inference_4d", L.BatchNormalization(epsilon=1e-3), _x(rng, 2, 4, 4, 3)),
        case("batchnorm_axis1", L.BatchNormalization(axis=1), _x(rng, 2, 3, 4, 4)),
        case("batchnorm_no_center_scale", L.BatchNormalization(center=False, scale=False),
             _x(rng, 2, 5)),
        case("batchnorm_training", L.BatchNormalization(momentum=0.9), _x(rng, 4, 5) * 2 + 1,
             training=True),
        case("batchnorm_training_4d", L.BatchNormalization(), _x(rng, 2, 3, 3, 2),
             training=True),
        case("layernorm", L.LayerNormalization(), _x(rng, 2, 3, 6)),
        case("layernorm_axes12", L.LayerNormalization(axis=[1, 2], epsilon=1e-5),
             _x(rng, 2, 3, 4)),
        case("layernorm_no_scale", L.LayerNormalization(scale=False), _x(rng, 2, 6)),
    ]


def attention_cases(rng) -> list:
    """Attention, AdditiveAttention and MultiHeadAttention.

    Args:
        rng: Generator for the inputs.
    """
    q, v, k = _x(rng, 2, 3, 4), _x(rng, 2, 5, 4), _x(rng, 2, 5, 4)
    q_mask = np.array([[True, True, False], [True, True, True]])
    v_mask = np.array([[True, True, True, False, False], [True, True, True, True, True]])
    mq, mv = _x(rng, 2, 3, 6), _x(rng, 2, 5, 6)
    att_mask = rng.random((2, 3, 5)) < 0.7
    att_mask[:, :, 0] = True
    return [
        case("attention", L.Attention(), [q, v]),
        case("attention_key", L.Attention(), [q, v, k]),
        case("attention_use_scale", L.Attention(use_scale=True), [q, v]),
        case("attention_concat", L.Attention(score_mode="concat"), [q, v]),
        case("attention_masked", L.Attention(), [q, v], mask=[q_mask, v_mask]),
        case("attention_causal_scores", L.Attention(), [q, v, k], use_causal_mask=True,
             return_attention_scores=True),
        case("additive_attention", L.AdditiveAttention(), [q, v]),
        case("additive_attention_no_scale_masked", L.AdditiveAttention(use_scale=False),
             [q, v, k], mask=[q_mask, v_mask]),
        case("mha", L.MultiHeadAttention(num_heads=2, key_dim=4), [mq, mv], unpack=True),
        case("mha_mask_scores", L.MultiHeadAttention(num_heads=2, key_dim=4), [mq, mv],
             unpack=True, attention_mask=att_mask, return_attention_scores=True),
        case("mha_self_value_dim_no_bias",
             L.MultiHeadAttention(num_heads=2, key_dim=3, value_dim=2, use_bias=False),
             [mq, mq], unpack=True),
        case("mha_output_shape", L.MultiHeadAttention(num_heads=2, key_dim=4, output_shape=5),
             [mq, mv, mv], unpack=True),
    ]


def activation_cases(rng) -> list:
    """Advanced activation layers.

    Args:
        rng: Generator for the inputs.
    """
    x = rng.normal(size=(2, 3, 4)).astype(np.float32) * 2
    return [
        case("leaky_relu", L.LeakyReLU(), x),
        case("leaky_relu_alpha0.1", L.LeakyReLU(alpha=0.1), x),
        case("prelu", L.PReLU(), x),
        case("prelu_shared_axes", L.PReLU(shared_axes=[1]), x),
        case("elu", L.ELU(alpha=0.5), x),
        case("thresholded_relu", L.ThresholdedReLU(theta=0.7), x),
        case("softmax", L.Softmax(), x),
        case("softmax_axis1", L.Softmax(axis=1), x),
        case("relu", L.ReLU(), x),
        case("relu_max_value", L.ReLU(max_value=1.5), x),
        case("relu_negative_slope_threshold", L.ReLU(negative_slope=0.1, threshold=0.5), x),
        case("relu_all", L.ReLU(max_value=2.0, negative_slope=0.2, threshold=0.3), x),
    ]


FAMILIES = {
    "recurrent": recurrent_cases,
    "embeddings": embeddings_cases,
    "normalization": normalization_cases,
    "attention": attention_cases,
    "advanced_activations": activation_cases,
}
