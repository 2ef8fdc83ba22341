"""Attention layers: Attention (Luong), AdditiveAttention (Bahdanau), MultiHeadAttention."""

import math
import warnings

import numpy as np
import torch
import torch.nn.functional as F

from openkeras import constraints, initializers, regularizers
from openkeras.engine.base_layer import Layer


def _mask_penalty(dtype):
    return 65504.0 if dtype == torch.float16 else 1.0e9  # float16 cannot hold 1e9


def softmax_negative(dtype):
    """The value masked logits get before a softmax (finite in float16 too)."""
    return -32752.0 if dtype == torch.float16 else -1.0e9  # as tf.keras's masked Softmax


def _check_dropout(dropout, owner):
    if not 0 <= float(dropout) <= 1:
        raise ValueError(f"{owner}: invalid value received for argument `dropout`. Expected a "
                         f"float value between 0 and 1. Received: dropout={dropout}")
    return dropout


class _BaseDenseAttention(Layer):
    """Dot-product style attention over ``[query, value]`` or ``[query, value, key]``.

    Call arguments:
        inputs: ``[query (batch, Tq, dim), value (batch, Tv, dim)[, key (batch, Tv, dim)]]``;
            key defaults to value.
        mask: ``[query_mask (batch, Tq), value_mask (batch, Tv)]``; masked values get no
            attention, masked query steps give zero outputs.
        training: applies dropout to the attention weights when True.
        return_attention_scores: also return the attention weights (batch, Tq, Tv).
        use_causal_mask: query step i attends only to value steps j <= i.
    Shapes: output (batch, Tq, value_dim).
    """

    def __init__(self, dropout=0.0, **kwargs):
        causal = kwargs.pop("causal", False)
        if causal:
            warnings.warn(f"{type(self).__name__}: `causal` is deprecated, pass "
                          "`use_causal_mask=True` when calling the layer instead.",
                          DeprecationWarning, stacklevel=3)
        super().__init__(**kwargs)
        self.dropout = _check_dropout(dropout, type(self).__name__)
        self.causal = bool(causal)
        self.supports_masking = True
        self._scores_output = False

    def __call__(self, inputs, *args, **kwargs):
        # compute_output_shape has no call arguments: remember whether scores are returned.
        self._scores_output = bool(kwargs.get("return_attention_scores", False))
        return super().__call__(inputs, *args, **kwargs)

    def _check_inputs(self, input_shape):
        name = type(self).__name__
        if not isinstance(input_shape, list) or not isinstance(input_shape[0], tuple):
            raise ValueError(f"{name} layer must be called on a list of inputs, namely "
                             f"[query, value] or [query, value, key]. Received: {input_shape}.")
        if not 2 <= len(input_shape) <= 3:
            raise ValueError(f"{name} layer accepts inputs list of length 2 or 3, namely "
                             f"[query, value] or [query, value, key]. Received length: "
                             f"{len(input_shape)}.")

    def build(self, input_shape):
        self._check_inputs(input_shape)
        self.built = True

    def _calculate_scores(self, query, key):
        raise NotImplementedError

    def call(self, inputs, mask=None, training=None, return_attention_scores=False,
             use_causal_mask=False):
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        q_mask = mask[0] if mask is not None else None
        v_mask = mask[1] if mask is not None and len(mask) > 1 else None
        scores = self._calculate_scores(query, key)
        padding = None
        if v_mask is not None:
            padding = ~v_mask.bool().unsqueeze(-2)
        if self.causal or use_causal_mask:
            tq, tv = scores.shape[-2:]
            future = torch.ones(tq, tv, dtype=torch.bool, device=scores.device).triu(1)
            padding = future if padding is None else padding | future
        if padding is not None:
            scores = scores - _mask_penalty(scores.dtype) * padding.to(scores.dtype)
        weights = torch.softmax(scores, dim=-1)
        dropped = F.dropout(weights, self.dropout, True) if training and self.dropout > 0 else weights
        result = torch.matmul(dropped, value)
        if q_mask is not None:
            result = result * q_mask.unsqueeze(-1).to(result.dtype)
        if return_attention_scores:
            return result, weights
        return result

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        return mask[0]

    def compute_output_shape(self, input_shape):
        self._check_inputs(input_shape)
        query, value = input_shape[0], input_shape[1]
        out = tuple(query[:-1]) + (value[-1],)
        if self._scores_output:
            return [out, tuple(query[:-1]) + (value[-2],)]
        return out

    def get_config(self):
        config = {**super().get_config(), "dropout": self.dropout}
        if self.causal:  # tf.keras no longer serializes it; kept so that it round-trips
            config["causal"] = True
        return config


class Attention(_BaseDenseAttention):
    """Dot-product (Luong-style) attention: ``softmax(query . key^T) . value``.

    Args:
        use_scale: learn a scalar that multiplies the scores.
        score_mode: 'dot' (``query . key^T``) or 'concat' (``sum(tanh(query + key))``).
        dropout: fraction of the attention weights to drop in training.
    Weights: scale () when use_scale, concat_score_weight () when score_mode='concat'.
    """

    def __init__(self, use_scale=False, score_mode="dot", **kwargs):
        super().__init__(**kwargs)
        if score_mode not in ("dot", "concat"):
            raise ValueError(f"Received: score_mode={score_mode}. Acceptable values are: "
                             "['dot', 'concat']")
        self.use_scale = bool(use_scale)
        self.score_mode = score_mode

    def build(self, input_shape):
        self._check_inputs(input_shape)
        self.scale = self.concat_score_weight = None
        if self.use_scale:
            self.scale = self.add_weight("scale", (), initializer="ones")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight("concat_score_weight", (),
                                                       initializer="ones")
        self.built = True

    def _calculate_scores(self, query, key):
        if self.score_mode == "dot":
            scores = torch.matmul(query, key.transpose(-1, -2))
            return scores if self.scale is None else scores * self.scale
        summed = query.unsqueeze(-2) + key.unsqueeze(-3)
        if self.scale is not None:
            summed = summed * self.scale
        return self.concat_score_weight * torch.tanh(summed).sum(dim=-1)

    def get_config(self):
        return {**super().get_config(), "use_scale": self.use_scale, "score_mode": self.score_mode}


class AdditiveAttention(_BaseDenseAttention):
    """Additive (Bahdanau-style) attention: scores ``sum(scale * tanh(query + key))``.

    Args:
        use_scale: learn one scale per feature (weight ``scale`` of shape (dim,)).
        dropout: fraction of the attention weights to drop in training.
    """

    def __init__(self, use_scale=True, **kwargs):
        super().__init__(**kwargs)
        self.use_scale = bool(use_scale)

    def build(self, input_shape):
        self._check_inputs(input_shape)
        self.scale = None
        if self.use_scale:
            self.scale = self.add_weight("scale", (input_shape[1][-1],),
                                         initializer="glorot_uniform")
        self.built = True

    def _calculate_scores(self, query, key):
        tanh = torch.tanh(query.unsqueeze(-2) + key.unsqueeze(-3))
        return (tanh if self.scale is None else tanh * self.scale).sum(dim=-1)

    def get_config(self):
        return {**super().get_config(), "use_scale": self.use_scale}


class MultiHeadAttention(Layer):
    """Multi-head attention as in "Attention is all you need" (tf.keras semantics and weights).

    Args:
        num_heads: number of attention heads.
        key_dim: size of each head for query and key.
        value_dim: size of each head for value (default: key_dim).
        dropout: dropout rate on the attention weights.
        use_bias: whether the projections have biases.
        output_shape: size (int or tuple) of the output's last dimensions (default: query's).
        attention_axes: the query/value axes attention is computed over (default: all but
            batch, heads and features).
        softmax_robust_masking: set masked logits to -1e9 instead of adding -1e9 to them.
    Call: ``layer(query, value, key=None, attention_mask=None, return_attention_scores=False,
    training=None, use_causal_mask=False)``; attention_mask (batch, Tq, Tv) is True where
    attention is allowed. Shapes: query (batch, Tq, dim), value/key (batch, Tv, dim) ->
    (batch, Tq, dim or output_shape); scores (batch, num_heads, Tq, Tv).
    Weights (Keras layout): query/kernel (dim, heads, key_dim), query/bias (heads, key_dim),
    then key and value likewise, attention_output/kernel (heads, value_dim, out),
    attention_output/bias (out,).
    """

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True,
                 output_shape=None, attention_axes=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 softmax_robust_masking=False, **kwargs):
        super().__init__(**kwargs)
        for arg, value in (("num_heads", num_heads), ("key_dim", key_dim)):
            if not isinstance(value, (int, np.integer)) or value <= 0:
                raise ValueError(f"MultiHeadAttention: `{arg}` must be a positive integer. "
                                 f"Received: {arg}={value!r}")
        self.num_heads = int(num_heads)
        self.key_dim = int(key_dim)
        self.value_dim = int(value_dim) if value_dim else self.key_dim
        self.dropout = _check_dropout(dropout, "MultiHeadAttention")
        self.use_bias = bool(use_bias)
        self._output_shape_arg = output_shape
        if attention_axes is not None and not isinstance(attention_axes, (list, tuple)):
            attention_axes = (attention_axes,)
        self.attention_axes = None if attention_axes is None else tuple(attention_axes)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        # As tf.keras: applied to each projection's output (its EinsumDense sub-layers).
        self.projection_activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.softmax_robust_masking = bool(softmax_robust_masking)
        self.supports_masking = True
        self._shapes = (None, None, None)
        self._scores_output = False

    def __call__(self, query, value=None, key=None, attention_mask=None,
                 return_attention_scores=False, training=None, use_causal_mask=False, **kwargs):
        # The engine records tensors of the first argument only: pack them into one list
        # [query, value, key (value when None)[, attention_mask]]; call() unpacks it.
        if value is None:
            if not isinstance(query, (list, tuple)) or not 2 <= len(query) <= 4:
                raise TypeError("MultiHeadAttention must be called as layer(query, value, "
                                f"key=None, attention_mask=None, ...). Received: query={query!r}")
            inputs = list(query) if len(query) > 2 else [query[0], query[1], query[1]]
        else:
            inputs = [query, value, value if key is None else key]
            if attention_mask is not None:
                inputs.append(attention_mask)
        if return_attention_scores:
            kwargs["return_attention_scores"] = True
        if use_causal_mask:
            kwargs["use_causal_mask"] = True
        if training is not None:
            kwargs["training"] = training
        self._scores_output = bool(return_attention_scores)
        return super().__call__(inputs, **kwargs)

    # ------------------------------------------------------------------- build
    def build(self, input_shape):
        query, value, key = (tuple(s) for s in input_shape[:3])
        self._shapes = (query, key, value)
        rank = len(query)
        axes = tuple(range(1, rank - 1)) if self.attention_axes is None else self.attention_axes
        self.attention_axes = axes
        self._attn_axes = tuple(sorted(a % rank for a in axes))
        if not all(1 <= a < rank - 1 for a in self._attn_axes):
            raise ValueError(f'Layer "{self.name}": attention_axes must be query axes other than '
                             f"the batch and feature axes. Received: attention_axes={axes} for "
                             f"query shape {query}")
        self._other_axes = tuple(a for a in range(1, rank - 1) if a not in self._attn_axes)
        # Projected tensors are (batch, *axes, heads, features); attention runs on them permuted
        # to (batch, *other axes, heads, *attention axes, features), tf.keras's score layout.
        self._perm = (0,) + self._other_axes + (rank - 1,) + self._attn_axes + (rank,)
        self._inverse_perm = tuple(int(i) for i in np.argsort(self._perm))
        out = self._output_shape_arg
        self._out_dims = (query[-1],) if not out else tuple(out) if isinstance(
            out, (list, tuple)) else (out,)
        heads = self.num_heads
        for name, shape, dim in (("query", query, self.key_dim), ("key", key, self.key_dim),
                                 ("value", value, self.value_dim)):
            self._add_projection(name, (shape[-1], heads, dim), (heads, dim))
        self._add_projection("attention_output", (heads, self.value_dim) + self._out_dims,
                             self._out_dims)
        self.built = True

    def _add_projection(self, name, kernel_shape, bias_shape):
        kernel = self.add_weight(f"{name}/kernel", kernel_shape, initializer=self.kernel_initializer,
                                 regularizer=self.kernel_regularizer,
                                 constraint=self.kernel_constraint)
        setattr(self, f"{name}_kernel", kernel)
        bias = None
        if self.use_bias:
            bias = self.add_weight(f"{name}/bias", bias_shape, initializer=self.bias_initializer,
                                   regularizer=self.bias_regularizer,
                                   constraint=self.bias_constraint)
        setattr(self, f"{name}_bias", bias)

    # -------------------------------------------------------------------- call
    def call(self, inputs, mask=None, training=None, return_attention_scores=False,
             use_causal_mask=False):
        query, value, key = inputs[0], inputs[1], inputs[2]
        attention_mask = inputs[3] if len(inputs) > 3 else None
        attention_mask = self._merge_masks(query, value, attention_mask, mask, use_causal_mask)
        q = _project(query, self.query_kernel, self.query_bias, 1)
        k = _project(key, self.key_kernel, self.key_bias, 1)
        v = _project(value, self.value_kernel, self.value_bias, 1)
        out, scores = self._attend(q, k, v, attention_mask, training, return_attention_scores)
        out = _project(out, self.attention_output_kernel, self.attention_output_bias, 2)
        if self.projection_activity_regularizer is not None:
            reg = self.projection_activity_regularizer
            self.add_loss(lambda: sum(reg(t) / t.shape[0] for t in (q, k, v, out)))
        return (out, scores) if return_attention_scores else out

    def _merge_masks(self, query, value, attention_mask, masks, use_causal_mask):
        """The explicit mask AND the inputs' Keras masks AND the causal mask, as tf.keras."""
        auto = None
        if masks is not None:
            for i, m in enumerate(masks[:3]):
                if m is not None:
                    m = m.bool()[:, :, None] if i == 0 else m.bool()[:, None, :]
                    auto = m if auto is None else auto & m
        if use_causal_mask:
            tq, tv = query.shape[1], value.shape[1]
            causal = torch.ones(1, tq, tv, dtype=torch.bool, device=query.device).tril()
            auto = causal if auto is None else auto & causal
        if auto is not None:
            attention_mask = auto if attention_mask is None else attention_mask.bool() & auto
        return attention_mask

    def _attend(self, q, k, v, attention_mask, training, return_scores):
        """Scaled dot-product attention over the attention axes, in tf.keras's score layout."""
        n_attn = len(self._attn_axes)
        q, k, v = (t.permute(self._perm) for t in (q, k, v))
        batch_shape = q.shape[: -(n_attn + 1)]
        q_lens, k_lens = q.shape[-(n_attn + 1):-1], k.shape[-(n_attn + 1):-1]
        q, k, v = (t.reshape(*batch_shape, -1, t.shape[-1]) for t in (q, k, v))
        penalty = None
        if attention_mask is not None:
            mask = attention_mask.bool()
            while mask.dim() < len(batch_shape) + 2 * n_attn:
                mask = mask.unsqueeze(-2 * n_attn - 1)
            lead = mask.shape[: mask.dim() - 2 * n_attn]
            mask = mask.expand(*lead, *q_lens, *k_lens).reshape(*lead, q.shape[-2], k.shape[-2])
            penalty = (~mask).to(q.dtype) * softmax_negative(q.dtype)
        rate = self.dropout if training else 0.0
        scale = 1.0 / math.sqrt(float(self.key_dim))
        if return_scores or self.softmax_robust_masking:
            logits = torch.matmul(q * scale, k.transpose(-1, -2))
            if penalty is not None and self.softmax_robust_masking:
                logits = logits.masked_fill(~mask, softmax_negative(q.dtype))
            elif penalty is not None:
                logits = logits + penalty
            weights = torch.softmax(logits, dim=-1)
            out = torch.matmul(F.dropout(weights, rate, True) if rate > 0 else weights, v)
            scores = weights.reshape(*batch_shape, *q_lens, *k_lens)
        else:
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=penalty, dropout_p=rate,
                                                 scale=scale)
            scores = None
        out = out.reshape(*batch_shape, *q_lens, out.shape[-1])
        return out.permute(self._inverse_perm), scores

    # --------------------------------------------------------------- shapes
    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        return mask[0]

    def compute_output_shape(self, input_shape):
        query, value, key = (tuple(s) for s in input_shape[:3])
        if query[-1] != value[-1]:
            raise ValueError("The last dimension of `query_shape` and `value_shape` must be equal, "
                             f"but are {query[-1]}, {value[-1]}. Received: query_shape={query}, "
                             f"value_shape={value}")
        if value[1:-1] != key[1:-1]:
            raise ValueError("All dimensions of `value` and `key`, except the last one, must be "
                             f"equal. Received {value} and {key}")
        out = query[:-1] + self._out_dims
        if not self._scores_output:
            return out
        attn, other = self._attn_axes, self._other_axes
        scores = ((query[0],) + tuple(query[a] for a in other) + (self.num_heads,)
                  + tuple(query[a] for a in attn) + tuple(key[a] for a in attn))
        return [out, scores]

    def get_config(self):
        query, key, value = (None if s is None else list(s) for s in self._shapes)
        return {
            **super().get_config(),
            "num_heads": self.num_heads,
            "key_dim": self.key_dim,
            "value_dim": self.value_dim,
            "dropout": self.dropout,
            "use_bias": self.use_bias,
            "output_shape": self._output_shape_arg,
            "attention_axes": None if self.attention_axes is None else list(self.attention_axes),
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.projection_activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "query_shape": query,
            "key_shape": key,
            "value_shape": value,
            "softmax_robust_masking": self.softmax_robust_masking,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        shapes = [config.pop(k, None) for k in ("query_shape", "value_shape", "key_shape")]
        layer = cls(**config)
        if None not in shapes:  # tf.keras builds at once so that weights can be loaded
            layer._maybe_build([tuple(s) for s in shapes])
        return layer


def _project(x, kernel, bias, n_in):
    """``einsum`` of x's last ``n_in`` axes with the kernel's first ``n_in`` (an EinsumDense)."""
    in_shape, out_shape = kernel.shape[:n_in], kernel.shape[n_in:]
    flat = x.reshape(*x.shape[: x.dim() - n_in], math.prod(in_shape))
    y = torch.matmul(flat, kernel.reshape(math.prod(in_shape), -1))
    if bias is not None:
        y = y + bias.reshape(-1)
    return y.reshape(*y.shape[:-1], *out_shape)
