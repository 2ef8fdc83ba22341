"""Custom layers written the way Keras 2 add-on libraries write them (keras-self-attention,
keras-pos-embd, keras-multi-head): ``import keras`` style code, Keras 2 backend calls only."""

import openkeras as keras
from openkeras import backend as K


class SeqSelfAttention(keras.layers.Layer):
    """Additive self-attention over a sequence (keras-self-attention's layout).

    ``add_weight`` is called with Keras 2.2.4's keyword names; the mask of the input is kept
    (``compute_mask``) and used to hide padded steps.
    """

    def __init__(self, units=8, return_attention=False, kernel_initializer="glorot_normal",
                 kernel_regularizer=None, kernel_constraint=None, **kwargs):
        super(SeqSelfAttention, self).__init__(**kwargs)
        self.supports_masking = True
        self.units = units
        self.return_attention = return_attention
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.kernel_constraint = keras.constraints.get(kernel_constraint)

    def get_config(self):
        config = {
            "units": self.units,
            "return_attention": self.return_attention,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
            "kernel_constraint": keras.constraints.serialize(self.kernel_constraint),
        }
        base_config = super(SeqSelfAttention, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))

    def build(self, input_shape):
        feature_dim = int(input_shape[2])
        self.Wt = self.add_weight(shape=(feature_dim, self.units), name="{}_Add_Wt".format(self.name),
                                  initializer=self.kernel_initializer,
                                  regularizer=self.kernel_regularizer,
                                  constraint=self.kernel_constraint)
        self.Wx = self.add_weight(shape=(feature_dim, self.units), name="{}_Add_Wx".format(self.name),
                                  initializer=self.kernel_initializer,
                                  regularizer=self.kernel_regularizer,
                                  constraint=self.kernel_constraint)
        self.bh = self.add_weight(shape=(self.units,), name="{}_Add_bh".format(self.name),
                                  initializer="zeros")
        self.Wa = self.add_weight(shape=(self.units, 1), name="{}_Add_Wa".format(self.name),
                                  initializer=self.kernel_initializer)
        self.ba = self.add_weight(shape=(1,), name="{}_Add_ba".format(self.name),
                                  initializer="zeros")
        super(SeqSelfAttention, self).build(input_shape)

    def call(self, inputs, mask=None, **kwargs):
        input_shape = K.shape(inputs)
        batch_size, input_len = input_shape[0], input_shape[1]
        q = K.expand_dims(K.dot(inputs, self.Wt), 2)
        k = K.expand_dims(K.dot(inputs, self.Wx), 1)
        h = K.tanh(q + k + self.bh)
        e = K.reshape(K.dot(h, self.Wa) + self.ba, (batch_size, input_len, input_len))
        if mask is not None:
            mask = K.expand_dims(K.cast(mask, K.floatx()), axis=-1)
            e -= 10000.0 * (1.0 - mask * K.permute_dimensions(mask, (0, 2, 1)))
        e = K.exp(e - K.max(e, axis=-1, keepdims=True))
        a = e / K.sum(e, axis=-1, keepdims=True)
        v = K.batch_dot(a, inputs)
        if self.return_attention:
            return [v, a]
        return v

    def compute_output_shape(self, input_shape):
        if self.return_attention:
            return [input_shape, (input_shape[0], input_shape[1], input_shape[1])]
        return input_shape

    def compute_mask(self, inputs, mask=None):
        if self.return_attention:
            return [mask, None]
        return mask

    @staticmethod
    def get_custom_objects():
        return {"SeqSelfAttention": SeqSelfAttention}


class PositionEmbedding(keras.layers.Layer):
    """Learned position embeddings added to the input (keras-pos-embd's 'add' mode).

    Sets its attributes, ``supports_masking`` and a placeholder weight attribute BEFORE
    ``super().__init__(**kwargs)``, and creates its weight with positional ``add_weight``
    arguments (Keras 2.2.4 order: name, shape, dtype, initializer).
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", **kwargs):
        self.input_dim = input_dim
        self.output_dim = output_dim
        self.embeddings_initializer = keras.initializers.get(embeddings_initializer)
        self.supports_masking = True
        self.embeddings = None
        super(PositionEmbedding, self).__init__(**kwargs)

    def get_config(self):
        config = {"input_dim": self.input_dim, "output_dim": self.output_dim,
                  "embeddings_initializer": keras.initializers.serialize(self.embeddings_initializer)}
        base_config = super(PositionEmbedding, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))

    def build(self, input_shape):
        self.embeddings = self.add_weight("embeddings", (self.input_dim, self.output_dim), None,
                                          self.embeddings_initializer)
        super(PositionEmbedding, self).build(input_shape)

    def compute_mask(self, inputs, mask=None):
        return mask

    def call(self, inputs, **kwargs):
        seq_len = K.shape(inputs)[1]
        pos = K.expand_dims(self.embeddings[:seq_len, :self.output_dim], axis=0)
        return inputs + pos


class ScaledResidual(keras.layers.Layer):
    """A layer that creates a sub-layer before ``super().__init__`` (keras-tcn style)."""

    def __init__(self, units, **kwargs):
        self.units = units
        self.inner = keras.layers.Dense(units, name="inner_dense")
        super(ScaledResidual, self).__init__(**kwargs)

    def build(self, input_shape):
        self.inner.build(input_shape)
        self.scale = self.add_weight(name="scale", shape=(1,), initializer="ones")
        super(ScaledResidual, self).build(input_shape)

    def call(self, inputs):
        return inputs + self.scale * self.inner(inputs)

    def get_config(self):
        config = super(ScaledResidual, self).get_config()
        config["units"] = self.units
        return config


class MaskedSum(keras.layers.Layer):
    """Adds two sequences; masks come as a list, one entry (possibly None) per input."""

    def __init__(self, **kwargs):
        super(MaskedSum, self).__init__(**kwargs)
        self.supports_masking = True
        self.seen_masks = []

    def call(self, inputs, mask=None):
        self.seen_masks.append(mask)
        a, b = inputs
        a_mask, b_mask = mask  # a list even when no input carries a mask
        if a_mask is not None:
            a = a * K.expand_dims(K.cast(a_mask, K.floatx()))
        if b_mask is not None:
            b = b * K.expand_dims(K.cast(b_mask, K.floatx()))
        return a + b

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def compute_mask(self, inputs, mask=None):
        if not isinstance(mask, list):
            raise TypeError("MaskedSum expects a list of masks, got {!r}".format(mask))
        present = [m for m in mask if m is not None]
        if not present:
            return None
        out = present[0]
        for m in present[1:]:
            out = K.cast(K.cast(out, "float32") * K.cast(m, "float32"), "bool")
        return out
