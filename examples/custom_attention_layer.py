"""A custom self-attention layer written the way Keras 2 add-on libraries write one.

In the style of keras-self-attention's `SeqSelfAttention`: a `Layer` subclass that creates
its weights with `add_weight` in `build`, computes additive attention with backend (`K`)
functions in `call`, uses and passes on the `Embedding` mask (`supports_masking`,
`compute_mask`), declares `compute_output_shape` and `get_config`, and is registered with
`custom_objects` to reload the saved model. The task: is the most frequent token of a
padded sequence in the upper half of the vocabulary?

Run: openkeras run examples/custom_attention_layer.py --epochs 5 --samples 2000
"""

import argparse

import keras
import numpy as np
from keras import backend as K
from keras.layers import Dense, Embedding, GlobalAveragePooling1D, Input
from keras.models import Model, load_model

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=5)
parser.add_argument("--samples", type=int, default=2000, help="number of training sequences")
parser.add_argument("--batch-size", type=int, default=32)
parser.add_argument("--maxlen", type=int, default=12)
args = parser.parse_args()


class SeqSelfAttention(keras.layers.Layer):
    """Additive self-attention: e_tt' = W_a tanh(W_t h_t + W_x h_t' + b_h) + b_a."""

    def __init__(self, units=16, kernel_initializer="glorot_normal", kernel_regularizer=None,
                 **kwargs):
        super(SeqSelfAttention, self).__init__(**kwargs)
        self.supports_masking = True
        self.units = units
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)

    def get_config(self):
        config = {
            "units": self.units,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
        }
        base_config = super(SeqSelfAttention, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))

    def build(self, input_shape):
        feature_dim = int(input_shape[2])
        # Keras 2.2.4's positional order: name, shape, dtype, initializer, regularizer
        self.Wt = self.add_weight("{}_Add_Wt".format(self.name), (feature_dim, self.units), None,
                                  self.kernel_initializer, self.kernel_regularizer)
        self.Wx = self.add_weight("{}_Add_Wx".format(self.name), (feature_dim, self.units), None,
                                  self.kernel_initializer, self.kernel_regularizer)
        self.bh = self.add_weight(name="{}_Add_bh".format(self.name), shape=(self.units,),
                                  initializer="zeros")
        self.Wa = self.add_weight(name="{}_Add_Wa".format(self.name), shape=(self.units, 1),
                                  initializer=self.kernel_initializer)
        self.ba = self.add_weight(name="{}_Add_ba".format(self.name), shape=(1,),
                                  initializer="zeros")
        super(SeqSelfAttention, self).build(input_shape)

    def call(self, inputs, mask=None, **kwargs):
        input_shape = K.shape(inputs)
        batch_size, input_len = input_shape[0], input_shape[1]
        q = K.expand_dims(K.dot(inputs, self.Wt), 2)
        k = K.expand_dims(K.dot(inputs, self.Wx), 1)
        h = K.tanh(q + k + self.bh)
        e = K.reshape(K.dot(h, self.Wa) + self.ba, (batch_size, input_len, input_len))
        if mask is not None:  # padded steps neither attend nor are attended to
            mask = K.expand_dims(K.cast(mask, K.floatx()), axis=-1)
            e -= 10000.0 * (1.0 - mask * K.permute_dimensions(mask, (0, 2, 1)))
        e = K.exp(e - K.max(e, axis=-1, keepdims=True))
        a = e / K.sum(e, axis=-1, keepdims=True)
        return K.batch_dot(a, inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def compute_mask(self, inputs, mask=None):
        return mask

    @staticmethod
    def get_custom_objects():
        return {"SeqSelfAttention": SeqSelfAttention}


vocab = 20
rng = np.random.RandomState(0)


def make_data(n):
    lengths = rng.randint(3, args.maxlen + 1, size=n)
    x = np.zeros((n, args.maxlen), dtype="int32")
    y = np.zeros((n, 1), dtype="float32")
    for i, length in enumerate(lengths):
        x[i, :length] = rng.randint(1, vocab, size=length)
        counts = np.bincount(x[i, :length], minlength=vocab)
        y[i, 0] = float(np.argmax(counts) >= vocab // 2)
    return x, y


x_train, y_train = make_data(args.samples)
x_test, y_test = make_data(max(args.samples // 4, 8))

inputs = Input(shape=(args.maxlen,))
embedded = Embedding(vocab, 16, mask_zero=True)(inputs)
attended = SeqSelfAttention(units=16, kernel_regularizer=keras.regularizers.l2(1e-4),
                            name="attention")(embedded)
pooled = GlobalAveragePooling1D()(attended)
outputs = Dense(1, activation="sigmoid")(pooled)
model = Model(inputs, outputs)
model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
model.summary()

model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs,
          validation_data=(x_test, y_test))
score = model.evaluate(x_test, y_test, batch_size=args.batch_size, verbose=0)
print("Test accuracy:", score[1])

model.save("attention_model.h5")
reloaded = load_model("attention_model.h5", custom_objects=SeqSelfAttention.get_custom_objects())
same = np.allclose(reloaded.predict(x_test), model.predict(x_test), atol=1e-6)
print("Reloaded with custom_objects, same predictions:", same)
