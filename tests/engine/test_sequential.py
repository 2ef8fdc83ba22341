import numpy as np
import pytest

import openkeras as ok
from openkeras import layers


def test_add_with_input_shape_builds_immediately():
    model = ok.Sequential()
    model.add(layers.Dense(32, input_shape=(784,)))
    model.add(layers.Activation("relu"))
    assert model.output_shape == (None, 32)
    assert [la.name for la in model.layers] == ["dense", "activation"]


def test_layers_list_constructor_and_input_dim_warns():
    with pytest.warns(DeprecationWarning, match="input_dim"):
        model = ok.Sequential([layers.Dense(8, input_dim=4), layers.Dense(2)])
    assert model.input_shape == (None, 4)


def test_batch_input_shape_and_batch_size():
    m1 = ok.Sequential([layers.Dense(2, batch_input_shape=(16, 3))])
    assert m1.input_shape == (16, 3)
    m2 = ok.Sequential([layers.Dense(2, input_shape=(3,), batch_size=8)])
    assert m2.input_shape == (8, 3)


def test_deferred_build_on_first_call():
    model = ok.Sequential([layers.Dense(4), layers.Dense(1)])
    assert not model.built
    with pytest.raises(ValueError, match="not yet been built"):
        model.summary()
    out = model(np.zeros((3, 7), "float32"))
    assert out.shape == (3, 1)
    assert model.input_shape == (None, 7)
    assert model.count_params() == 7 * 4 + 4 + 5


def test_build_with_explicit_shape():
    model = ok.Sequential([layers.Dense(4)])
    model.build((None, 5))
    assert model.output_shape == (None, 4)


def test_pop_removes_last_layer():
    model = ok.Sequential([layers.Dense(4, input_shape=(3,)), layers.Dense(2)])
    model.pop()
    assert len(model.layers) == 1 and model.output_shape == (None, 4)
    assert model(np.zeros((1, 3), "float32")).shape == (1, 4)
    model.pop()
    with pytest.raises(TypeError, match="no layers"):
        model.pop()


def test_add_a_whole_model():
    inner = ok.Sequential([layers.Dense(4, input_shape=(3,))])
    outer = ok.Sequential()
    outer.add(inner)
    outer.add(layers.Dense(1))
    assert outer.output_shape == (None, 1)
    assert outer.count_params() == 16 + 5


def test_add_rejects_non_layers():
    with pytest.raises(TypeError, match="instance of class Layer"):
        ok.Sequential().add("dense")


def test_multi_output_layer_rejected():
    class Split(ok.layers.Layer):
        def call(self, x):
            return [x, x]

    model = ok.Sequential([layers.Dense(2, input_shape=(3,))])
    with pytest.raises(ValueError, match="single output tensor"):
        model.add(Split())


def test_explicit_input_layer():
    model = ok.Sequential([ok.layers.InputLayer(input_shape=(3,)), layers.Dense(2)])
    assert model.output_shape == (None, 2) and len(model.layers) == 1
