"""Keras 2's private weight lists, as add-on libraries (keras-multi-head, keras-tcn) use them:
``self._trainable_weights`` / ``self._non_trainable_weights`` read, appended to and extended
with a sub-layer's weights, and ``trainable_weights`` / ``weights`` reflecting them."""

import numpy as np

import openkeras as keras
from openkeras import backend as K


class MultiHeadDense(keras.layers.Layer):
    """``head_num`` Dense heads, summed; the heads live in a plain list (keras-multi-head's
    ``MultiHead`` keeps its copies of the layer that way) and their weights are handed to
    Keras through ``self._trainable_weights``."""

    def __init__(self, units, head_num=2, **kwargs):
        self.units = units
        self.head_num = head_num
        self.heads = [keras.layers.Dense(units, name="head_{}".format(i)) for i in range(head_num)]
        super(MultiHeadDense, self).__init__(**kwargs)

    def build(self, input_shape):
        for head in self.heads:
            head.build(input_shape)
            self._trainable_weights += head.trainable_weights
        # a running count of the calls, not trained
        self.calls = K.variable(0.0, name="calls")
        self._non_trainable_weights.append(self.calls)
        self.scale = K.variable(np.ones((self.units,)), name="scale")
        self._trainable_weights.append(self.scale)
        super(MultiHeadDense, self).build(input_shape)

    def call(self, inputs):
        return sum(head.call(inputs) for head in self.heads) * self.scale

    def compute_output_shape(self, input_shape):
        return input_shape[:-1] + (self.units,)


def _model():
    inp = keras.layers.Input(shape=(3,))
    out = MultiHeadDense(2, name="mh")(inp)
    return keras.models.Model(inp, out)


def test_appended_weights_are_listed_and_trained():
    model = _model()
    layer = model.get_layer("mh")
    heads = [w for head in layer.heads for w in head.trainable_weights]
    assert layer.trainable_weights == heads + [layer.scale]
    assert layer.non_trainable_weights == [layer.calls]
    assert len(layer.weights) == 6 and len(model.get_weights()) == 6
    assert layer._trainable_weights is layer._trainable_weights  # a real list, kept
    before = [K.get_value(w).copy() for w in layer.weights]
    x = np.random.RandomState(0).normal(size=(8, 3)).astype("float32")
    y = np.ones((8, 2), "float32")
    model.compile("sgd", "mse")
    model.train_on_batch(x, y)
    after = [K.get_value(w) for w in layer.weights]
    # every trainable weight (the heads' kernels and biases and the scale) moved; calls did not
    assert all(not np.allclose(a, b) for a, b in zip(before[:5], after[:5], strict=True))
    np.testing.assert_array_equal(before[5], after[5])
    expected = sum(x @ k + b for k, b in zip(after[0:4:2], after[1:4:2], strict=True)) * after[4]
    np.testing.assert_allclose(model.predict(x), expected, atol=1e-5)


def test_frozen_layer_moves_its_lists_to_non_trainable():
    model = _model()
    layer = model.get_layer("mh")
    layer.trainable = False
    assert layer.trainable_weights == []
    assert layer.non_trainable_weights == layer._trainable_weights + [layer.calls]
    assert not any(w.requires_grad for w in layer.weights)
    layer.trainable = True
    assert [w.requires_grad for w in layer.weights] == [True] * 5 + [False]


def test_add_weight_fills_the_lists_and_extending_with_a_tracked_sublayer_does_not_repeat():
    class Wrapper(keras.layers.Layer):
        def build(self, input_shape):
            self.inner = keras.layers.Dense(2)  # tracked as a sub-layer too
            self.inner.build(input_shape)
            self._trainable_weights += self.inner.trainable_weights
            self.kernel = self.add_weight("kernel", (int(input_shape[-1]), 2))
            self.count = self.add_weight("count", (), initializer="zeros", trainable=False)
            super(Wrapper, self).build(input_shape)

        def call(self, inputs):
            return self.inner(inputs) + K.dot(inputs, self.kernel)

    layer = Wrapper()
    layer.build((None, 3))
    assert layer._trainable_weights == layer.inner.trainable_weights + [layer.kernel]
    assert layer._non_trainable_weights == [layer.count]
    assert len(layer.trainable_weights) == 3 and len(layer.weights) == 4
    # Keras 2's setters replace the lists
    layer.non_trainable_weights = []
    assert layer.weights == layer.trainable_weights
