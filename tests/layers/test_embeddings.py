import numpy as np
import pytest
import torch
from golden_cases import check_golden_case, layer_cases
from layer_test_utils import run_layer_test

from openkeras import regularizers
from openkeras.engine.functional import Functional
from openkeras.engine.input_layer import Input
from openkeras.engine.sequential import Sequential
from openkeras.layers.core import Dense, Flatten
from openkeras.layers.embeddings import Embedding
from openkeras.utils.generic_utils import custom_object_scope

CASES = layer_cases("embeddings")


def layer_test(**kwargs):
    with custom_object_scope({"Embedding": Embedding}):
        return run_layer_test(Embedding, **kwargs)


def test_embedding_layer_test():
    layer_test(init_kwargs={"input_dim": 10, "output_dim": 4}, input_shape=(2, 6),
               input_dtype="int32", expected_output_shape=(None, 6, 4), expected_num_weights=1)
    layer_test(init_kwargs={"input_dim": 5, "output_dim": 3, "mask_zero": True},
               input_shape=(2, 3, 4), input_dtype="int64", expected_output_shape=(None, 3, 4, 3))
    layer_test(init_kwargs={"input_dim": 10, "output_dim": 2, "input_length": 6},
               input_shape=(2, 6), input_dtype="int32", expected_output_shape=(None, 6, 2))


@pytest.mark.parametrize("case", CASES.values(), ids=str)
def test_embedding_matches_tf_keras(case):
    check_golden_case(Embedding.from_config(case.entry["config"]), case, rtol=1e-5, atol=1e-5,
                      config_ignore=(), weight_names=True)


def test_embedding_is_a_row_lookup():
    layer = Embedding(7, 3)
    x = np.array([[0, 6, 2], [3, 3, 1]], dtype="int32")
    out = layer(x).detach().numpy()
    np.testing.assert_array_equal(out, layer.get_weights()[0][x])
    assert out.dtype == np.float32


def test_embedding_casts_float_and_small_int_inputs():
    layer = Embedding(7, 3)
    idx = torch.tensor([[1, 5, 0]])
    expected = layer(idx).detach()
    for x in (idx.float(), idx.to(torch.uint8), idx.to(torch.int16), idx.int()):
        torch.testing.assert_close(layer(x).detach(), expected, rtol=0, atol=0)


def test_embedding_mask_symbolic_and_eager():
    x = Input(shape=(5,), dtype="int32")
    y = Embedding(10, 4, mask_zero=True)(x)
    assert y.shape == (None, 5, 4)
    assert y.dtype == "float32"
    assert y._keras_mask is not None and y._keras_mask.shape == (None, 5)
    layer = Embedding(10, 4, mask_zero=True)
    tokens = torch.tensor([[3, 1, 0, 0], [0, 2, 0, 9]])
    mask = layer.compute_mask(tokens)
    assert mask.dtype == torch.bool and tuple(mask.shape) == (2, 4)
    np.testing.assert_array_equal(mask.numpy(), tokens.numpy() != 0)
    assert Embedding(10, 4).compute_mask(tokens) is None
    assert Embedding(10, 4)(x)._keras_mask is None


def test_embedding_input_length_lets_flatten_dense_follow():
    model = Sequential([Embedding(10, 3, input_length=6), Flatten(), Dense(2)])
    assert model.output_shape == (None, 2)
    assert model.layers[1].output_shape == (None, 18)
    out = model(np.random.default_rng(0).integers(0, 10, size=(4, 6)))
    assert tuple(out.shape) == (4, 2)


def test_embedding_input_length_tuple_and_mismatch():
    layer = Embedding(10, 3, input_length=(None, 4))
    assert layer.compute_output_shape((None, 2, 4)) == (None, 2, 4, 3)
    assert layer.get_config()["batch_input_shape"] == [None, None, 4]
    with pytest.raises(ValueError, match="input_length"):
        Embedding(10, 3, input_length=6).compute_output_shape((None, 5))
    with pytest.raises(ValueError, match="input_length"):
        Embedding(10, 3, input_length=6).compute_output_shape((None, 6, 2))


def test_embedding_config_defaults_match_keras2():
    config = Embedding(10, 4).get_config()
    assert config["batch_input_shape"] == [None, None]
    assert config["embeddings_initializer"]["class_name"] == "RandomUniform"
    assert config["embeddings_initializer"]["config"]["maxval"] == 0.05
    assert config["mask_zero"] is False and config["input_length"] is None
    assert Embedding(10, 4, input_length=7).get_config()["batch_input_shape"] == [None, 7]


def test_embedding_out_of_range_index_names_the_layer():
    layer = Embedding(10, 2, name="tokens")
    with pytest.raises(IndexError, match=r'"tokens".*\[0, 10\).*\[10\]'):
        layer(torch.tensor([[1, 10]]))
    with pytest.raises(IndexError, match=r'"tokens".*\[-1\]'):
        layer(torch.tensor([[-1, 2]]))


def test_embedding_invalid_dims():
    with pytest.raises(ValueError, match="input_dim=0"):
        Embedding(0, 3)
    with pytest.raises(ValueError, match="output_dim=-2"):
        Embedding(3, -2)


def test_embedding_keras1_arguments_warn():
    with pytest.warns(DeprecationWarning):
        layer = Embedding(6, 2, init="zeros", W_regularizer=regularizers.l2(0.1),
                          W_constraint="non_neg", dropout=0.2)
    layer(torch.tensor([[1]]))
    np.testing.assert_array_equal(layer.get_weights()[0], np.zeros((6, 2), "float32"))
    assert layer.embeddings_regularizer.l2 == pytest.approx(0.1)
    assert layer.embeddings_constraint is not None


def test_embedding_gradient_reaches_only_used_rows():
    layer = Embedding(5, 2)
    layer(torch.tensor([[1, 3, 3]])).sum().backward()
    grad = layer.embeddings.grad.numpy()
    np.testing.assert_array_equal(grad[:, 0], [0, 1, 0, 2, 0])


def test_embedding_in_functional_model_with_int_inputs():
    x = Input(shape=(4,), dtype="int64")
    y = Embedding(8, 3, mask_zero=True)(x)
    model = Functional(x, y)
    tokens = np.array([[1, 2, 0, 0]], dtype="int64")
    np.testing.assert_allclose(model(tokens).detach().numpy(),
                               model.layers[1].get_weights()[0][tokens], rtol=0, atol=0)
