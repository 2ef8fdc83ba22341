import numpy as np
import pytest
import torch
from golden_cases import check_golden_case, layer_cases
from layer_test_utils import run_layer_test

from openkeras import regularizers
from openkeras.engine.base_layer import collect_losses
from openkeras.engine.functional import Functional
from openkeras.engine.input_layer import Input
from openkeras.layers.attention import AdditiveAttention, Attention, MultiHeadAttention
from openkeras.layers.embeddings import Embedding

CLASSES = {"Attention": Attention, "AdditiveAttention": AdditiveAttention,
           "MultiHeadAttention": MultiHeadAttention}


def rand(*shape, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype("float32")


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def t(x):
    return torch.as_tensor(x)


# ------------------------------------------------------------------ golden files
@pytest.mark.parametrize("case", layer_cases("attention").values(), ids=str)
def test_attention_matches_tf_keras(case):
    layer = CLASSES[case.entry["class_name"]].from_config(case.entry["config"])
    check_golden_case(layer, case, rtol=1e-5, atol=1e-5, build="eager", config_ignore=(),
                      weight_names=True)


# ------------------------------------------------------------- dense attention
def dense_attention_ref(scores, value, q_mask=None, v_mask=None, causal=False):
    allowed = np.ones(scores.shape, bool)
    if v_mask is not None:
        allowed &= v_mask[:, None, :]
    if causal:
        allowed &= np.tril(np.ones(scores.shape[-2:], bool))
    weights = softmax(np.where(allowed, scores, -np.inf))
    out = weights @ value
    return (out if q_mask is None else out * q_mask[..., None]), weights


def test_attention_dot_with_key_masks_and_causal_against_numpy():
    q, v, k = rand(2, 4, 3), rand(2, 5, 3, seed=1), rand(2, 5, 3, seed=2)
    q_mask = np.array([[1, 1, 0, 1], [1, 1, 1, 1]], bool)
    v_mask = np.array([[1, 1, 1, 0, 0], [1, 0, 1, 1, 1]], bool)
    ref, ref_w = dense_attention_ref(q @ k.transpose(0, 2, 1), v, q_mask, v_mask, causal=True)
    run_layer_test(Attention, input_data=[q, v, k], input_mask=[q_mask, v_mask, None],
                   call_kwargs={"use_causal_mask": True, "return_attention_scores": True},
                   expected_output_shape=[(None, 4, 3), (None, 4, 5)], expected_output=[ref, ref_w],
                   rtol=1e-5, atol=1e-6)


def test_attention_concat_with_scale_and_additive_against_numpy():
    q, v = rand(2, 4, 3), rand(2, 5, 3, seed=1)
    summed = q[:, :, None, :] + v[:, None, :, :]
    ref, _ = dense_attention_ref(1.3 * np.tanh(0.7 * summed).sum(-1), v)
    run_layer_test(Attention, {"use_scale": True, "score_mode": "concat",
                               "weights": [np.float32(0.7), np.float32(1.3)]},
                   input_data=[q, v], expected_output=ref, rtol=1e-5, atol=1e-6,
                   expected_num_weights=2)
    scale = rand(3, seed=5)
    ref, _ = dense_attention_ref((scale * np.tanh(summed)).sum(-1), v)
    run_layer_test(AdditiveAttention, {"weights": [scale]}, input_data=[q, v], expected_output=ref,
                   rtol=1e-5, atol=1e-6, expected_num_weights=1)


def test_attention_symbolic_functional_and_scores_output():
    xq, xv = rand(2, 3, 4), rand(2, 5, 4, seed=1)
    run_layer_test(Attention, {"use_scale": True}, input_data=[xq, xv],
                   expected_output_shape=(None, 3, 4), expected_num_trainable_weights=1)
    _, scores = run_layer_test(Attention, input_data=[xq, xv],
                               call_kwargs={"return_attention_scores": True},
                               expected_output_shape=[(None, 3, 4), (None, 3, 5)])
    np.testing.assert_allclose(scores.sum(-1), np.ones((2, 3)), rtol=1e-6)


def test_attention_uses_masks_from_embedding_in_a_model():
    tokens = Input(shape=(5,), dtype="int32")
    emb = Embedding(10, 4, mask_zero=True)
    x = emb(tokens)
    y = Attention()([x, x])
    assert y._keras_mask is not None and y._keras_mask.shape == (None, 5)
    model = Functional(tokens, y)
    data = np.array([[3, 1, 4, 0, 0], [2, 7, 1, 8, 0]], "int32")
    embedded = emb(t(data))
    mask = t(data != 0)
    expected = Attention()([embedded, embedded], mask=[mask, mask])
    np.testing.assert_allclose(model(data).detach().numpy(), expected.detach().numpy(),
                               rtol=1e-6, atol=1e-6)


def test_attention_dropout_only_in_training():
    torch.manual_seed(0)
    q, v = t(rand(2, 6, 4)), t(rand(2, 7, 4, seed=1))
    layer = Attention(dropout=0.5)
    torch.testing.assert_close(layer([q, v]), Attention()([q, v]))
    assert not torch.allclose(layer([q, v], training=True), layer([q, v]))


def test_attention_causal_argument_is_deprecated_but_works():
    q, v = t(rand(2, 4, 3)), t(rand(2, 4, 3, seed=1))
    with pytest.warns(DeprecationWarning, match="use_causal_mask"):
        layer = Attention(causal=True)
    torch.testing.assert_close(layer([q, v]), Attention()([q, v], use_causal_mask=True))
    assert layer.get_config()["causal"] is True
    assert "causal" not in Attention().get_config()
    with pytest.warns(DeprecationWarning):
        assert Attention.from_config(layer.get_config()).causal


def test_attention_errors():
    with pytest.raises(ValueError, match="score_mode=bad"):
        Attention(score_mode="bad")
    with pytest.raises(ValueError, match="list of inputs"):
        Attention()(Input(shape=(3, 4)))
    q = Input(shape=(3, 4))
    with pytest.raises(ValueError, match="length 2 or 3"):
        Attention()([q, q, q, q])
    with pytest.raises(ValueError, match="dropout=2"):
        AdditiveAttention(dropout=2)


def test_attention_config_round_trip():
    shapes = [(2, 3, 4), (2, 5, 4)]
    run_layer_test(Attention, {"use_scale": True, "score_mode": "concat", "dropout": 0.1},
                   input_shape=shapes, expected_num_weights=2)
    run_layer_test(AdditiveAttention, {"use_scale": False}, input_shape=shapes,
                   expected_num_weights=0)


# ------------------------------------------------------------------------- MHA
def mha_numpy(layer, q, v, k=None, mask=None, causal=False):
    """Standard 3D multi-head attention by hand from the Keras-layout weights."""
    k = v if k is None else k
    w = layer.get_weights()
    if not layer.use_bias:
        w = [w[0], 0, w[1], 0, w[2], 0, w[3], 0]
    qp = np.einsum("btd,dnh->btnh", q, w[0]) + w[1]
    kp = np.einsum("bsd,dnh->bsnh", k, w[2]) + w[3]
    vp = np.einsum("bsd,dnh->bsnh", v, w[4]) + w[5]
    scores = np.einsum("btnh,bsnh->bnts", qp, kp) / np.sqrt(layer.key_dim)
    allowed = np.ones(scores.shape, bool)
    if mask is not None:
        allowed &= mask[:, None]
    if causal:
        allowed &= np.tril(np.ones(scores.shape[-2:], bool))
    probs = softmax(np.where(allowed, scores, -np.inf))
    heads = np.einsum("bnts,bsnh->btnh", probs, vp)
    out = np.tensordot(heads, w[6], axes=([2, 3], [0, 1])) + w[7]
    return out, probs


def test_mha_against_numpy_with_mask_causal_and_scores():
    q, v, k = rand(2, 4, 6), rand(2, 5, 6, seed=1), rand(2, 5, 6, seed=2)
    mask = np.random.default_rng(3).uniform(size=(2, 4, 5)) > 0.4
    mask[..., 0] = True
    layer = MultiHeadAttention(num_heads=3, key_dim=2, value_dim=4, output_shape=(2, 3),
                               bias_initializer="glorot_uniform")
    out, scores = layer(t(q), t(v), t(k), attention_mask=t(mask), use_causal_mask=True,
                        return_attention_scores=True)
    assert tuple(out.shape) == (2, 4, 2, 3) and tuple(scores.shape) == (2, 3, 4, 5)
    ref, probs = mha_numpy(layer, q, v, k, mask, causal=True)
    np.testing.assert_allclose(out.detach().numpy(), ref, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(scores.detach().numpy(), probs, rtol=1e-5, atol=1e-6)
    # the fused (scaled_dot_product_attention) path gives the same output
    fast = layer(t(q), t(v), t(k), attention_mask=t(mask), use_causal_mask=True)
    torch.testing.assert_close(fast, out, rtol=1e-5, atol=1e-6)


def test_mha_weights_layout_and_names():
    layer = MultiHeadAttention(num_heads=2, key_dim=3, value_dim=5, use_bias=False, name="mha")
    layer(t(rand(1, 4, 6)), t(rand(1, 2, 7)))
    assert [w.name for w in layer.weights] == ["mha/query/kernel:0", "mha/key/kernel:0",
                                               "mha/value/kernel:0",
                                               "mha/attention_output/kernel:0"]
    assert [w.shape for w in layer.get_weights()] == [(6, 2, 3), (7, 2, 3), (7, 2, 5), (2, 5, 6)]
    q, v = rand(2, 4, 6), rand(2, 2, 7, seed=1)
    np.testing.assert_allclose(layer(t(q), t(v)).detach().numpy(), mha_numpy(layer, q, v)[0],
                               rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("axes,scores_eq,combine_eq,norm", [
    ((1, 2), "bxynh,buvnh->bnxyuv", "bnxyuv,buvnh->bxynh", (-2, -1)),
    ((2,), "bxynh,bxvnh->bxnyv", "bxnyv,bxvnh->bxynh", (-1,)),
])
def test_mha_attention_axes_against_einsum(axes, scores_eq, combine_eq, norm):
    q, v = rand(2, 3, 4, 5), rand(2, 3, 4, 5, seed=1)
    mask = np.random.default_rng(2).uniform(size=(2, 3, 4, 4)) > 0.3
    mask[..., 0] = True
    layer = MultiHeadAttention(num_heads=2, key_dim=3, attention_axes=axes)
    if len(axes) == 2:
        mask = None
    out, scores = layer(t(q), t(v), attention_mask=None if mask is None else t(mask),
                        return_attention_scores=True)
    w = layer.get_weights()
    qp = np.einsum("bxyd,dnh->bxynh", q, w[0]) + w[1]
    kp = np.einsum("bxyd,dnh->bxynh", v, w[2]) + w[3]
    vp = np.einsum("bxyd,dnh->bxynh", v, w[4]) + w[5]
    logits = np.einsum(scores_eq, qp, kp) / np.sqrt(3)
    if mask is not None:  # (B, X, Ty, Tv) -> scores (B, X, N, Ty, Tv)
        logits = np.where(mask[:, :, None], logits, -np.inf)
    flat = logits.reshape(logits.shape[: logits.ndim - len(norm)] + (-1,))
    probs = softmax(flat).reshape(logits.shape)
    heads = np.einsum(combine_eq, probs, vp)
    ref = np.einsum("bxynh,nho->bxyo", heads, w[6]) + w[7]
    np.testing.assert_allclose(scores.detach().numpy(), probs, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out.detach().numpy(), ref, rtol=1e-5, atol=1e-5)
    fast = layer(t(q), t(v), attention_mask=None if mask is None else t(mask))
    torch.testing.assert_close(fast, out, rtol=1e-5, atol=1e-6)


def test_mha_symbolic_functional_with_mask_input():
    xq, xv = rand(3, 4, 6), rand(3, 5, 6, seed=1)
    xm = np.random.default_rng(2).uniform(size=(3, 4, 5)) > 0.3
    xm[..., 0] = True
    source = MultiHeadAttention(num_heads=2, key_dim=3)
    source(t(xq), t(xv))
    ref, probs = mha_numpy(source, xq, xv, mask=xm)
    _, scores = run_layer_test(
        MultiHeadAttention, {"num_heads": 2, "key_dim": 3, "weights": source.get_weights()},
        input_data=[xq, xv], unpack_inputs=True,
        call_kwargs={"attention_mask": xm, "return_attention_scores": True},
        expected_output_shape=[(None, 4, 6), (None, 2, 4, 5)], expected_output=[ref],
        rtol=1e-5, atol=1e-5, expected_num_weights=8)
    np.testing.assert_allclose(scores, probs, rtol=1e-5, atol=1e-6)
    layer = MultiHeadAttention(num_heads=2, key_dim=3)
    layer(Input(shape=(4, 6)), Input(shape=(5, 6)))
    config = layer.get_config()
    assert config["query_shape"] == [None, 4, 6] and config["key_shape"] == [None, 5, 6]
    assert config["attention_axes"] == [1]


def test_mha_uses_masks_from_embedding_in_a_model():
    tokens = Input(shape=(5,), dtype="int32")
    emb = Embedding(10, 6, mask_zero=True)
    x = emb(tokens)
    layer = MultiHeadAttention(num_heads=2, key_dim=3)
    y = layer(x, x, use_causal_mask=True)
    assert y._keras_mask is not None
    model = Functional(tokens, y)
    data = np.array([[3, 1, 4, 0, 0], [2, 7, 1, 8, 9]], "int32")
    embedded = emb(t(data)).detach().numpy()
    pad = data != 0
    mask = pad[:, :, None] & pad[:, None, :]
    mask[0, 3:] = True  # fully masked query rows: Keras's -1e9 makes them uniform, skip them
    ref, _ = mha_numpy(layer, embedded, embedded, mask=mask, causal=True)
    got = model(data).detach().numpy()
    np.testing.assert_allclose(got[0, :3], ref[0, :3], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got[1], ref[1], rtol=1e-5, atol=1e-5)


def test_mha_config_round_trip_builds_weights():
    layer = MultiHeadAttention(num_heads=2, key_dim=4, dropout=0.1, output_shape=3,
                               kernel_regularizer="l2", softmax_robust_masking=True)
    config = layer.get_config()
    assert config["query_shape"] is None and config["attention_axes"] is None
    q, v = t(rand(2, 3, 6)), t(rand(2, 5, 6, seed=1))
    out = layer(q, v)
    clone = MultiHeadAttention.from_config(layer.get_config())
    assert clone.built and len(clone.weights) == 8
    assert clone.get_config() == layer.get_config()
    clone.set_weights(layer.get_weights())
    torch.testing.assert_close(clone(q, v), out)
    assert len(layer.losses) == 4  # one per projection kernel


def test_mha_robust_masking_matches_plain_masking_on_partial_masks():
    q = t(rand(2, 4, 6))
    mask = t(np.tril(np.ones((4, 4), bool))[None].repeat(2, 0))
    plain = MultiHeadAttention(num_heads=2, key_dim=3)
    robust = MultiHeadAttention(num_heads=2, key_dim=3, softmax_robust_masking=True)
    out = plain(q, q, attention_mask=mask)
    robust(q, q)
    robust.set_weights(plain.get_weights())
    torch.testing.assert_close(robust(q, q, attention_mask=mask), out, rtol=1e-5, atol=1e-6)


def test_mha_dropout_gradients_and_activity_regularizer():
    torch.manual_seed(0)
    q, v = t(rand(2, 4, 6)), t(rand(2, 5, 6, seed=1))
    layer = MultiHeadAttention(num_heads=2, key_dim=3, dropout=0.5,
                               activity_regularizer=regularizers.l2(0.01))
    inference = layer(q, v)
    torch.testing.assert_close(layer(q, v, training=False), inference)
    assert not torch.allclose(layer(q, v, training=True), inference)
    inference.sum().backward()
    assert all(w.grad is not None for w in layer.trainable_weights)
    with collect_losses() as losses:
        out = layer(q, v)
    w = [torch.as_tensor(a) for a in layer.get_weights()]
    projections = [torch.einsum("btd,dnh->btnh", x, k) + b
                   for x, k, b in ((q, w[0], w[1]), (v, w[2], w[3]), (v, w[4], w[5]))]
    expected = sum(0.01 * (p ** 2).sum() / 2 for p in projections + [out.detach()])
    assert len(losses) == 1
    torch.testing.assert_close(losses[0].detach(), expected, rtol=1e-5, atol=1e-6)
    assert layer.get_config()["activity_regularizer"]["config"]["l2"] == pytest.approx(0.01)


def test_mha_errors():
    with pytest.raises(ValueError, match="num_heads=0"):
        MultiHeadAttention(num_heads=0, key_dim=2)
    with pytest.raises(ValueError, match="last dimension of `query_shape`"):
        MultiHeadAttention(num_heads=1, key_dim=2)(Input(shape=(3, 4)), Input(shape=(3, 5)))
    with pytest.raises(ValueError, match="attention_axes"):
        MultiHeadAttention(num_heads=1, key_dim=2, attention_axes=2)(
            Input(shape=(3, 4)), Input(shape=(3, 4)))
    with pytest.raises(TypeError, match="layer\\(query, value"):
        MultiHeadAttention(num_heads=1, key_dim=2)(t(rand(1, 3, 4)))
