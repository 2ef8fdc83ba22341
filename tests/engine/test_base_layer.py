import copy

import numpy as np
import pytest
import torch

import openkeras as ok
from openkeras import layers
from openkeras.engine.base_layer import Layer, collect_losses


def test_automatic_names_follow_tf_keras():
    a, b, c = layers.Dense(2), layers.Dense(2), layers.Dropout(0.1)
    assert (a.name, b.name, c.name) == ("dense", "dense_1", "dropout")
    assert layers.Dense(2, name="head").name == "head"


def test_weights_trainable_and_non_trainable():
    layer = layers.Dense(3)
    layer(ok.Input((4,)))
    assert [w.name for w in layer.weights] == ["dense/kernel:0", "dense/bias:0"]
    assert layer.weights[0].shape == (4, 3)
    assert len(layer.trainable_weights) == 2 and not layer.non_trainable_weights
    layer.trainable = False
    assert not layer.trainable_weights and len(layer.non_trainable_weights) == 2
    assert not any(w.requires_grad for w in layer.weights)
    layer.trainable = True
    assert all(w.requires_grad for w in layer.weights)


def test_get_set_weights_round_trip_and_errors():
    layer = layers.Dense(3)
    layer(ok.Input((4,)))
    new = [np.arange(12, dtype="float32").reshape(4, 3), np.ones(3, "float32")]
    layer.set_weights(new)
    for got, want in zip(layer.get_weights(), new, strict=True):
        np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError, match=r'layer "dense".*length 1.*expecting 2'):
        layer.set_weights(new[:1])
    with pytest.raises(ValueError, match=r"\(4, 3\).*\(3, 4\)"):
        layer.set_weights([new[0].T, new[1]])


def test_custom_layer_like_the_keras_guide():
    class MyLayer(Layer):
        def __init__(self, output_dim, **kwargs):
            self.output_dim = output_dim
            super().__init__(**kwargs)

        def build(self, input_shape):
            self.kernel = self.add_weight(name="kernel", shape=(input_shape[1], self.output_dim),
                                          initializer="uniform", trainable=True)
            super().build(input_shape)

        def call(self, x):
            return x @ self.kernel

        def compute_output_shape(self, input_shape):
            return (input_shape[0], self.output_dim)

    x = ok.Input((5,))
    y = MyLayer(2)(x)
    assert y.shape == (None, 2)
    model = ok.Model(x, y)
    data = np.random.default_rng(0).random((3, 5), dtype=np.float32)
    expected = data @ model.layers[1].get_weights()[0]
    np.testing.assert_allclose(model(data).detach().numpy(), expected, rtol=1e-5, atol=1e-6)


def test_output_shape_inferred_without_compute_output_shape():
    class Halve(Layer):
        def call(self, x):
            return x[:, ::2] * 2

    assert Halve()(ok.Input((None, 8))).shape == (None, None, 8)
    assert Halve()(ok.Input((6, 3))).shape == (None, 3, 3)


def test_node_accessors_and_ambiguity_error():
    shared = layers.Dense(4)
    a, b = ok.Input((3,)), ok.Input((5,))
    ya = shared(a)
    with pytest.raises(ValueError):
        shared(b)  # kernel built for 3 inputs, cannot take 5
    c = ok.Input((3,), batch_size=None)
    yc = shared(c)
    assert shared.get_input_at(0) is a and shared.get_output_at(1) is yc
    assert shared.get_input_shape_at(1) == (None, 3)
    assert shared.get_output_shape_at(0) == (None, 4)
    assert shared.output_shape == (None, 4)  # same shape at every node: defined
    with pytest.raises(AttributeError, match="multiple inbound nodes"):
        _ = shared.output
    assert ya is shared.get_output_at(0)


def test_input_shape_differs_between_nodes_is_ambiguous():
    layer = layers.Flatten()
    layer(ok.Input((2, 3)))
    layer(ok.Input((4, 3)))
    with pytest.raises(AttributeError, match="multiple inbound nodes"):
        _ = layer.input_shape


def test_unconnected_layer_has_no_output():
    with pytest.raises(AttributeError, match="not connected"):
        _ = layers.Dense(2).output


def test_count_params_requires_build():
    layer = layers.Dense(2)
    with pytest.raises(ValueError, match="isn't built"):
        layer.count_params()
    layer.build((None, 3))
    assert layer.count_params() == 8


def test_unknown_constructor_keyword_is_refused():
    with pytest.raises(TypeError, match="not understood: 'colour'"):
        layers.Dense(2, colour="red")


def test_activity_regularizer_losses_are_collected():
    layer = layers.Dense(2, activity_regularizer="l2", kernel_initializer="ones")
    x = torch.ones(4, 3)
    with collect_losses() as losses:
        out = layer(x)
    assert len(losses) == 1
    # Keras 2.2.4 base_layer: activity_regularizer(output), not divided by the batch size
    expected = 0.01 * (out ** 2).sum()
    torch.testing.assert_close(losses[0], expected)


def test_weight_regularization_losses():
    layer = layers.Dense(2, kernel_regularizer=ok.regularizers.l2(0.5), kernel_initializer="ones")
    layer.build((None, 3))
    (loss,) = layer.losses
    assert float(loss.detach()) == pytest.approx(0.5 * 6)


def test_variables_survive_deepcopy():
    layer = layers.Dense(2)
    layer.build((None, 3))
    clone = copy.deepcopy(layer)
    assert clone.weights[0].name == "dense/kernel:0"
    np.testing.assert_array_equal(clone.get_weights()[0], layer.get_weights()[0])


def test_initial_weights_argument():
    w = [np.full((3, 2), 0.5, "float32"), np.zeros(2, "float32")]
    layer = layers.Dense(2, weights=w)
    layer(ok.Input((3,)))
    np.testing.assert_array_equal(layer.get_weights()[0], w[0])


def test_layer_is_a_torch_module():
    model = ok.Sequential([layers.Dense(4, input_shape=(3,)), layers.Dense(2)])
    assert isinstance(model, torch.nn.Module)
    assert sum(p.numel() for p in model.parameters()) == 3 * 4 + 4 + 4 * 2 + 2
    out = model(torch.ones(5, 3))
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters())
