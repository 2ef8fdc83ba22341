"""Keras 2 took numpy numbers for int/float arguments and numpy arrays of any memory layout."""

import json

import numpy as np
import pytest
import torch

import openkeras as keras
from openkeras import backend as K
from openkeras import layers as L
from openkeras.utils import conv_utils
from openkeras.utils.generic_utils import to_int, to_shape

i64, i32, f32 = np.int64, np.int32, np.float32


def _python_types_only(value):
    if isinstance(value, dict):
        return all(_python_types_only(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return all(_python_types_only(v) for v in value)
    return not isinstance(value, np.generic)


def test_numpy_numbers_as_layer_arguments_build_the_same_model():
    def build(n):
        return keras.Sequential([
            L.Conv2D(n(4), (n(3), n(3)), strides=(n(1), n(1)), padding="same",
                     input_shape=(n(8), n(8), n(1)), batch_size=n(2)),
            L.MaxPooling2D(pool_size=(n(2), n(2))),
            L.Dropout(f32(0.25)),
            L.Reshape((n(16), n(4))),
            L.Conv1D(n(3), n(3), dilation_rate=n(1)),
            L.MaxPooling1D(n(2)),
            L.LSTM(n(5)),
            L.Dense(n(3), kernel_regularizer=keras.regularizers.l2(f32(0.01))),
            L.Dense(n(2)),
        ])

    numpy_model = build(i64)
    K.clear_session()  # the same layer names for the second model
    plain_model = build(int)
    assert numpy_model.output_shape == plain_model.output_shape == (2, 2)
    config = json.loads(numpy_model.to_json())
    assert _python_types_only(config)  # plain ints and floats in the saved config
    assert config == json.loads(plain_model.to_json())
    assert numpy_model.layers[1].pool_size == (2, 2) and type(numpy_model.layers[1].pool_size[0]) is int


def test_numpy_numbers_for_fit_arguments():
    model = keras.Sequential([L.Dense(2, input_shape=(3,))])
    model.compile(keras.optimizers.SGD(f32(0.1)), "mse")
    x, y = np.ones((8, 3), "float32"), np.zeros((8, 2), "float32")
    history = model.fit(x, y, epochs=i64(3), batch_size=i32(4), verbose=0,
                        validation_data=(x, y), validation_freq=i64(1))
    assert len(history.history["loss"]) == 3
    history = model.fit(x, y, epochs=i32(2), steps_per_epoch=i64(2), verbose=0)
    assert len(history.history["loss"]) == 2
    assert model.predict(x, batch_size=i64(3)).shape == (8, 2)
    assert np.isfinite(model.evaluate(x, y, batch_size=i64(8), verbose=0))


def test_number_helpers_accept_integers_and_explain_the_rest():
    assert conv_utils.normalize_tuple((i64(2), i32(3)), 2, "pool_size") == (2, 3)
    assert conv_utils.normalize_tuple(np.uint8(2), 2, "strides") == (2, 2)
    assert to_int(32.0, "units") == 32 and type(to_int(i64(3), "units")) is int
    assert to_shape((None, i64(4))) == (None, 4)
    with pytest.raises(ValueError, match=r"pool_size.*Received: pool_size=\(2\.5, 2\)"):
        conv_utils.normalize_tuple((2.5, 2), 2, "pool_size")
    with pytest.raises(ValueError, match="`units` must be an integer >= 1.*'a'.*str"):
        to_int("a", "units", "Dense", minimum=1)
    with pytest.raises(ValueError, match="filters"):
        L.Conv2D("4", 3)
    with pytest.raises(ValueError, match="pool_size"):
        L.MaxPooling2D(pool_size=(np.float32(2.5), 2))


LAYOUTS = {
    "reversed": lambda a: np.ascontiguousarray(a[..., ::-1])[..., ::-1],
    "fortran": np.asfortranarray,
    "strided": lambda a: np.repeat(a, 2, axis=0)[::2],
    "read-only": lambda a: np.lib.stride_tricks.as_strided(a, writeable=False),
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_any_memory_layout_gives_the_same_results(layout):
    rng = np.random.default_rng(0)
    x = rng.random((8, 4), dtype=np.float32)
    y = rng.random((8, 2), dtype=np.float32)
    arrange = LAYOUTS[layout]
    odd_x, odd_y = arrange(x), arrange(y)
    np.testing.assert_array_equal(odd_x, x)

    def trained(x_data, y_data):
        keras.utils.set_random_seed(1)
        model = keras.Sequential([L.Dense(2, input_shape=(4,))])
        model.compile("sgd", "mse")
        model.fit(x_data, y_data, epochs=2, batch_size=4, shuffle=False, verbose=0)
        model.train_on_batch(x_data, y_data)
        return model

    expected, model = trained(x, y), trained(odd_x, odd_y)
    for a, b in zip(expected.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(model.predict(odd_x), expected.predict(x), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(model.evaluate(odd_x, odd_y, verbose=0),
                               expected.evaluate(x, y, verbose=0), rtol=1e-6)
    np.testing.assert_allclose(model.test_on_batch(odd_x, odd_y),
                               expected.test_on_batch(x, y), rtol=1e-6)
    np.testing.assert_allclose(model(odd_x).detach().numpy(), expected.predict(x), rtol=1e-6,
                               atol=1e-7)

    weights = [arrange(w) for w in expected.get_weights()]
    model.set_weights(weights)
    model.layers[0].set_weights(weights)
    K.set_value(model.layers[0].kernel, weights[0])
    for a, b in zip(expected.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(b, a)
    np.testing.assert_array_equal(K.get_value(K.variable(odd_x)), x)
    np.testing.assert_array_equal(K.eval(K.constant(odd_x)), x)
    np.testing.assert_array_equal(K.eval(K.sum(odd_x, axis=0)), x.sum(axis=0))


def test_preprocess_input_output_feeds_a_model_directly():
    from openkeras.applications.imagenet_utils import preprocess_input

    images = np.random.default_rng(0).random((2, 6, 6, 3), dtype=np.float32) * 255
    ready = preprocess_input(images.copy(), mode="caffe")
    model = keras.Sequential([L.Conv2D(2, 3, input_shape=(6, 6, 3)), L.Flatten()])
    np.testing.assert_allclose(model.predict(ready), model.predict(np.ascontiguousarray(ready)),
                               rtol=1e-6)
    reversed_view = images[..., ::-1]
    assert reversed_view.strides[-1] < 0
    np.testing.assert_allclose(model.predict(reversed_view),
                               model.predict(np.ascontiguousarray(reversed_view)), rtol=1e-6)


# ------------------------------------------------- models with masks called on new inputs
def _masked_ids():
    return np.array([[1, 2, 3, 0, 0], [4, 5, 0, 0, 0]])


def test_functional_model_with_masks_called_on_a_new_input():
    inp = L.Input((5,))
    seq = L.LSTM(4, return_sequences=True)(L.Embedding(10, 3, mask_zero=True)(inp))
    inner = keras.Model(inp, seq)
    new_input = L.Input((5,))
    carried = inner(new_input)
    assert carried._keras_mask is not None and carried._keras_mask.shape == (None, 5)
    last = L.LSTM(2)
    outer = keras.Model(new_input, last(carried))
    ids = _masked_ids()
    sequences = torch.as_tensor(inner.predict(ids))
    expected = last(sequences, mask=torch.as_tensor(ids != 0))
    np.testing.assert_allclose(outer.predict(ids), expected.detach().numpy(), rtol=1e-5,
                               atol=1e-6)


def test_sequential_with_masks_nested_in_a_model():
    inner = keras.Sequential([L.Embedding(10, 3, mask_zero=True, input_length=5),
                              L.SimpleRNN(4, return_sequences=True)])
    inp = L.Input((5,))
    last = L.GRU(2)
    outer = keras.Model(inp, last(inner(inp)))
    ids = _masked_ids()
    expected = last(torch.as_tensor(inner.predict(ids)), mask=torch.as_tensor(ids != 0))
    np.testing.assert_allclose(outer.predict(ids), expected.detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    # the mask is what makes the difference: without it the padded steps would count
    unmasked = last(torch.as_tensor(inner.predict(ids)))
    assert not np.allclose(outer.predict(ids), unmasked.detach().numpy(), atol=1e-4)
