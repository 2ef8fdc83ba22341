"""The Keras 2 Layer contract, exercised the way add-on libraries use it."""

import numpy as np
import pytest
import torch
from contracts.addon_layers import MaskedSum, PositionEmbedding, ScaledResidual, SeqSelfAttention

import openkeras as keras
from openkeras import backend as K
from openkeras.engine.input_spec import InputSpec


def _attention_reference(layer, x, mask):
    """SeqSelfAttention's forward pass in numpy from the layer's weights."""
    wt, wx, bh, wa, ba = layer.get_weights()
    q = (x @ wt)[:, :, None, :]
    k = (x @ wx)[:, None, :, :]
    e = (np.tanh(q + k + bh) @ wa)[..., 0] + ba
    m = mask.astype(np.float32)[:, :, None]
    e = e - 10000.0 * (1.0 - m * m.transpose(0, 2, 1))
    e = np.exp(e - e.max(-1, keepdims=True))
    a = e / e.sum(-1, keepdims=True)
    return a @ x


def _attention_model():
    inp = keras.layers.Input(shape=(None,))
    emb = keras.layers.Embedding(20, 6, mask_zero=True)(inp)
    att = SeqSelfAttention(units=5, kernel_regularizer=keras.regularizers.l2(1e-4),
                           name="attention")(emb)
    out = keras.layers.GlobalAveragePooling1D()(keras.layers.Dense(6)(att))
    out = keras.layers.Dense(2, activation="softmax")(out)
    return keras.models.Model(inp, out)


def test_self_attention_matches_numpy_and_keeps_the_mask():
    model = _attention_model()
    att = model.get_layer("attention")
    assert att.output._keras_mask is not None  # compute_mask passed the embedding mask on
    assert [w.name for w in att.weights][0] == "attention/attention_Add_Wt:0"
    x = np.array([[1, 2, 3, 0, 0], [4, 5, 6, 7, 8]])
    emb = model.layers[1]
    sub = keras.models.Model(model.input, att.output)
    got = sub.predict(x)
    want = _attention_reference(att, emb.get_weights()[0][x], x != 0)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_self_attention_trains_and_reloads_with_custom_objects(tmp_path):
    model = _attention_model()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["acc"])
    rng = np.random.RandomState(0)
    x = rng.randint(1, 20, size=(32, 7))
    y = (x[:, 0] > 10).astype(int)
    before = model.get_layer("attention").get_weights()[0].copy()
    hist = model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert len(hist.history["loss"]) == 2
    assert not np.allclose(before, model.get_layer("attention").get_weights()[0])
    # the kernel regularizer's penalty is part of the layer's losses
    assert len(model.get_layer("attention").losses) == 2
    path = str(tmp_path / "att.h5")
    model.save(path)
    with pytest.raises(ValueError, match="SeqSelfAttention"):
        keras.models.load_model(path)
    loaded = keras.models.load_model(path, custom_objects=SeqSelfAttention.get_custom_objects())
    assert loaded.get_layer("attention").units == 5
    np.testing.assert_allclose(loaded.predict(x), model.predict(x), rtol=1e-5, atol=1e-6)


def test_return_attention_gives_two_outputs_and_two_masks():
    inp = keras.layers.Input(shape=(4,))
    emb = keras.layers.Embedding(10, 3, mask_zero=True)(inp)
    v, a = SeqSelfAttention(units=2, return_attention=True)(emb)
    assert K.int_shape(v) == (None, 4, 3) and K.int_shape(a) == (None, 4, 4)
    assert v._keras_mask is not None and a._keras_mask is None
    model = keras.models.Model(inp, [v, a])
    _, att = model.predict(np.array([[1, 2, 0, 0]]))
    np.testing.assert_allclose(att.sum(-1), 1.0, rtol=1e-5)
    assert np.all(att[0, :2, 2:] < 1e-3)  # the padded steps get no attention


def test_attributes_and_weight_placeholder_before_super_init():
    layer = PositionEmbedding(input_dim=10, output_dim=4, name="pos")
    assert layer.supports_masking and layer.input_dim == 10 and layer.name == "pos"
    inp = keras.layers.Input(shape=(6, 4))
    model = keras.models.Model(inp, layer(inp))
    assert [w.name for w in layer.weights] == ["pos/embeddings:0"]
    x = np.random.RandomState(1).rand(2, 6, 4).astype("float32")
    want = x + layer.get_weights()[0][None, :6]
    np.testing.assert_allclose(model.predict(x), want, rtol=1e-6)
    clone = PositionEmbedding.from_config(layer.get_config())
    assert clone.input_dim == 10 and clone.output_dim == 4


def test_sub_layer_assigned_before_super_init_is_tracked_and_trained():
    inp = keras.layers.Input(shape=(3,))
    layer = ScaledResidual(3)
    model = keras.models.Model(inp, layer(inp))
    assert len(layer.trainable_weights) == 3  # inner kernel, inner bias, scale
    model.compile("sgd", "mse")
    x = np.random.RandomState(0).rand(16, 3).astype("float32")
    kernel = layer.inner.get_weights()[0].copy()
    model.fit(x, x * 2, epochs=1, verbose=0)
    assert not np.allclose(kernel, layer.inner.get_weights()[0])
    k, b = layer.inner.get_weights()
    s = layer.get_weights()[-1] if layer.weights[-1] is layer.scale else layer.scale.detach().numpy()
    np.testing.assert_allclose(model.predict(x), x + s * (x @ k + b), rtol=1e-5)


def test_add_weight_positional_keras_224_order():
    class Scale(keras.layers.Layer):
        def build(self, input_shape):
            # name, shape, dtype, initializer, regularizer, trainable, constraint
            self.w = self.add_weight("w", (input_shape[-1],), "float32", "ones", None, False,
                                     None)
            super().build(input_shape)

        def call(self, x):
            return x * self.w

    layer = Scale()
    layer.build((None, 3))
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 1
    np.testing.assert_array_equal(layer.get_weights()[0], np.ones(3, "float32"))
    with pytest.raises(TypeError, match="add_weight.*not_an_argument"):
        layer.add_weight("v", (1,), not_an_argument=1)


def test_multi_input_layer_gets_a_list_of_masks():
    a = keras.layers.Input(shape=(3, 2))
    b_ids = keras.layers.Input(shape=(3,))
    b = keras.layers.Embedding(5, 2, mask_zero=True)(b_ids)
    layer = MaskedSum()
    out = layer([a, b])
    assert out._keras_mask is not None
    # no masks at all: still a list, in shape inference and when running the plan
    plain = MaskedSum()
    c = keras.layers.Input(shape=(3, 2))
    out2 = plain([a, c])
    assert out2._keras_mask is None
    model = keras.models.Model([a, b_ids, c], [out, out2])
    xa = np.ones((2, 3, 2), "float32")
    ids = np.array([[1, 2, 0], [3, 0, 0]])
    got, got2 = model.predict([xa, ids, xa])
    emb = model.layers[2].get_weights()[0] if model.layers[2].weights else None
    want = xa + (emb[ids] * (ids != 0)[..., None])
    np.testing.assert_allclose(got, want, rtol=1e-6)
    np.testing.assert_allclose(got2, 2 * xa)
    assert plain.seen_masks and all(m == [None, None] for m in plain.seen_masks)
    masks = [m for m in layer.seen_masks if m[1] is not None]
    assert masks and all(m[0] is None for m in masks)
    # called directly on arrays, too
    plain.seen_masks.clear()
    plain([torch.ones(1, 3, 2), torch.ones(1, 3, 2)])
    assert plain.seen_masks == [[None, None]]


def test_input_spec_set_in_init_is_checked():
    class NeedsRank3(keras.layers.Layer):
        def __init__(self, **kwargs):
            self.input_spec = InputSpec(ndim=3)
            super().__init__(**kwargs)

        def call(self, x):
            return x

    layer = NeedsRank3(name="rank3")
    assert layer.input_spec.ndim == 3
    layer(keras.layers.Input(shape=(2, 3)))
    with pytest.raises(ValueError, match="rank3"):
        layer(keras.layers.Input(shape=(2,)))


class BatchMean(keras.layers.Layer):
    """Keeps a moving average of the batch mean (Keras 2 ``add_update`` with pairs) and adds
    an activity penalty with ``add_loss``."""

    def build(self, input_shape):
        self.moving_mean = self.add_weight(name="moving_mean", shape=(input_shape[-1],),
                                           initializer="zeros", trainable=False)
        super().build(input_shape)

    def call(self, inputs, training=None):
        mean = K.mean(inputs, axis=0)
        # what K.moving_average_update gives on Keras 2's Theano backend: (variable, new value)
        self.add_update([(self.moving_mean, 0.5 * self.moving_mean + 0.5 * mean)], inputs)
        self.add_loss(0.01 * K.sum(K.square(inputs)))
        return inputs - self.moving_mean


def test_add_update_is_applied_in_training_only():
    inp = keras.layers.Input(shape=(2,))
    bm = BatchMean(name="bm")
    out = keras.layers.Dense(1)(bm(inp))
    model = keras.models.Model(inp, out)
    model.compile("sgd", "mse")
    x = np.array([[1.0, 2.0], [3.0, 4.0]], "float32")
    y = np.zeros((2, 1), "float32")
    model.predict(x)
    model.evaluate(x, y, verbose=0)
    np.testing.assert_array_equal(K.get_value(bm.moving_mean), [0.0, 0.0])
    model.train_on_batch(x, y)
    np.testing.assert_allclose(K.get_value(bm.moving_mean), [1.0, 1.5])
    model.fit(x, y, batch_size=2, epochs=1, verbose=0)
    np.testing.assert_allclose(K.get_value(bm.moving_mean), [1.5, 2.25])
    # Keras 2's listing: layer.updates, get_updates_for(inputs), nothing unconditional
    assert len(bm.updates) >= 1
    assert bm.get_updates_for(None) == []
    x_t = torch.ones(3, 2)
    bm(x_t)
    (variable, value), = bm.get_updates_for(x_t)
    assert variable is bm.moving_mean and not value.requires_grad
    np.testing.assert_allclose(value.numpy(), 0.5 * K.get_value(bm.moving_mean) + 0.5)
    bm.trainable = False
    assert bm.updates == []


def test_add_loss_in_call_is_added_to_the_training_loss():
    inp = keras.layers.Input(shape=(2,))
    bm = BatchMean()
    model = keras.models.Model(inp, bm(inp))
    model.compile("sgd", "mse")
    x = np.array([[1.0, 2.0]], "float32")
    # first batch: moving mean 0, output = x, mse(x, x) = 0, penalty 0.01 * 5
    loss = model.test_on_batch(x, x)
    np.testing.assert_allclose(loss, 0.05, rtol=1e-5)


def test_get_losses_for():
    layer = keras.layers.Dense(2, kernel_regularizer=keras.regularizers.l2(0.5),
                               activity_regularizer=keras.regularizers.l1(1.0))
    layer.build((None, 2))
    layer.set_weights([np.ones((2, 2), "float32"), np.zeros(2, "float32")])
    unconditional = layer.get_losses_for(None)
    assert len(unconditional) == 1
    np.testing.assert_allclose(float(unconditional[0].detach()), 0.5 * 4, rtol=1e-6)
    layer(torch.ones(1, 2))
    activity = layer.get_losses_for(torch.ones(1, 2))
    np.testing.assert_allclose([float(v.detach()) for v in activity], [4.0], rtol=1e-6)
