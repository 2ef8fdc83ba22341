import warnings

import numpy as np
import pytest
import torch

import openkeras as ok
from openkeras import backend as K
from openkeras import layers


def faq_model():
    model = ok.Sequential([
        layers.Dense(16, activation="relu", input_shape=(8,)),
        layers.Dropout(0.5),
        layers.Dense(16, activation="relu"),
        layers.Dense(4),
    ])
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_faq_function_learning_phase_changes_dropout():
    model = faq_model()
    x = np.random.default_rng(0).standard_normal((32, 8)).astype("float32")
    get_3rd_layer_output = K.function([model.layers[0].input, K.learning_phase()],
                                      [model.layers[3].output])
    test_out = get_3rd_layer_output([x, 0])[0]
    train_out = get_3rd_layer_output([x, 1])[0]
    assert isinstance(test_out, np.ndarray) and test_out.shape == (32, 4)
    np.testing.assert_allclose(test_out, model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    assert not np.allclose(test_out, train_out, atol=1e-3)
    np.testing.assert_array_equal(test_out, get_3rd_layer_output([x, 0])[0])


def test_faq_function_without_phase_uses_global_phase():
    model = faq_model()
    x = np.random.default_rng(1).standard_normal((16, 8)).astype("float32")
    f = K.function([model.layers[0].input], [model.layers[1].output])
    (out,) = f([x])
    dense = np.maximum(x @ model.layers[0].get_weights()[0] + model.layers[0].get_weights()[1], 0)
    np.testing.assert_allclose(out, dense, rtol=1e-5, atol=1e-6)  # phase 0: dropout off
    with K.learning_phase_scope(1):
        (dropped,) = f([x])
    zeroed = (dropped == 0) & (dense != 0)
    assert zeroed.any()
    np.testing.assert_allclose(dropped[~zeroed], 2 * dense[~zeroed], rtol=1e-5, atol=1e-6)


def test_set_learning_phase_sets_and_validates():
    # Keras 2.2.4 / 2.3.1 API: no deprecation (it is not deprecated there)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        K.set_learning_phase(1)
    assert K.learning_phase() == 1 and bool(K.learning_phase())
    K.clear_session()
    assert int(K.learning_phase()) == 0
    with pytest.raises(ValueError, match="0 or 1"):
        K.set_learning_phase(2)


def test_function_on_functional_model_with_two_inputs_and_outputs():
    a, b = ok.Input((3,), name="a"), ok.Input((3,), name="b")
    s = layers.Add()([a, b])
    d = layers.Dense(2, name="d")(s)
    model = ok.Model([a, b], [d, s])
    f = K.function(model.inputs, [s, d])
    x1, x2 = np.ones((2, 3), "float32"), np.full((2, 3), 2.0, "float32")
    out_s, out_d = f([x1, x2])
    np.testing.assert_allclose(out_s, x1 + x2)
    w, bias = model.get_layer("d").get_weights()
    np.testing.assert_allclose(out_d, (x1 + x2) @ w + bias, rtol=1e-5)
    single = K.function(model.input, d)
    np.testing.assert_allclose(single([x1, x2]), out_d, rtol=1e-6)


def test_function_takes_no_model_name():
    a = ok.Input((3,))
    d = layers.Dense(2)(a)
    K.reset_uids()
    plain = [ok.Model(a, d).name, ok.Model(a, d).name]
    K.reset_uids()
    first = ok.Model(a, d).name
    K.function([a], [d])
    assert [first, ok.Model(a, d).name] == plain


def test_function_errors():
    model = faq_model()
    with pytest.raises(TypeError, match="each update must be"):
        K.function([model.input], [model.output], updates=[object()])
    with pytest.raises(TypeError, match="symbolic tensors"):
        K.function([model.input], [torch.zeros(1)])
    with pytest.raises(ValueError, match="cannot compute"):
        K.function([model.layers[1].output], [model.layers[3].output])
    f = K.function([model.input, K.learning_phase()], [model.output])
    with pytest.raises(ValueError, match="2 input value"):
        f([np.zeros((1, 8))])
    with pytest.raises(ValueError, match="0 or 1"):
        f([np.zeros((1, 8)), 3])


def test_gradients_and_stop_gradient():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    unused = torch.ones(2, requires_grad=True)
    loss = K.sum(K.square(x))
    grads = K.gradients(loss, [x, unused])
    np.testing.assert_allclose(grads[0].detach().numpy(), [2.0, 4.0, 6.0])
    assert grads[1] is None
    penalty = K.sum(K.square(K.gradients(loss, x)[0]))  # differentiable, as a gradient penalty
    penalty.backward()
    np.testing.assert_allclose(x.grad.numpy(), 8 * x.detach().numpy())
    assert K.gradients(K.constant(1.0), [x]) == [None]
    assert not K.stop_gradient(x * 2).requires_grad
    assert all(not t.requires_grad for t in K.stop_gradient([x, unused]))
    with pytest.raises(TypeError, match="the loss must be a graph tensor"):
        K.gradients(K.sum(x), [ok.Input((2,))])
