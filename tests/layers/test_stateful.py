import numpy as np
import pytest
import torch

from openkeras.engine.functional import Functional
from openkeras.engine.input_layer import Input
from openkeras.engine.sequential import Sequential
from openkeras.layers.core import Dense
from openkeras.layers.recurrent import GRU, LSTM, SimpleRNN
from openkeras.layers.wrappers import Bidirectional

BATCH, STEPS, DIM, CLASSES = 32, 8, 16, 10


def seed_model(stateful=True, steps=STEPS):
    """The stateful stacked LSTM of the Keras 2 guide (seeds/001)."""
    return Sequential([
        LSTM(32, return_sequences=True, stateful=stateful, batch_input_shape=(BATCH, steps, DIM)),
        LSTM(32, return_sequences=True, stateful=stateful),
        LSTM(32, stateful=stateful),
        Dense(CLASSES, activation="softmax"),
    ])


def test_seed_model_builds_and_carries_state_between_batches():
    model = seed_model()
    assert model.output_shape == (BATCH, CLASSES)
    rng = np.random.default_rng(0)
    first = torch.as_tensor(rng.random((BATCH, STEPS, DIM), dtype=np.float32))
    second = torch.as_tensor(rng.random((BATCH, STEPS, DIM), dtype=np.float32))
    model(first)
    carried = model(second)
    assert carried.shape == (BATCH, CLASSES)

    reference = seed_model(stateful=False, steps=2 * STEPS)
    reference.set_weights(model.get_weights())
    expected = reference(torch.cat([first, second], dim=1))
    np.testing.assert_allclose(carried.detach().numpy(), expected.detach().numpy(),
                               rtol=1e-5, atol=1e-6)

    model.reset_states()
    for layer in model.layers[:3]:
        assert all(float(s.abs().sum()) == 0 for s in layer.states)
    fresh = seed_model(stateful=False)
    fresh.set_weights(model.get_weights())
    np.testing.assert_allclose(model(second).detach().numpy(), fresh(second).detach().numpy(),
                               rtol=1e-5, atol=1e-6)


def test_state_after_batch_k_is_initial_state_of_batch_k_plus_1():
    x = torch.randn(4, 5, 3)
    layer = GRU(6, stateful=True, return_state=True)
    layer(Input(batch_shape=(4, 5, 3)))
    _, state = layer(x)
    torch.testing.assert_close(layer.states[0], state.detach())
    _, after = layer(x)
    plain = GRU(6, return_state=True)
    plain(x)
    plain.set_weights(layer.get_weights())
    torch.testing.assert_close(after, plain(x, initial_state=state)[1])


def test_training_over_consecutive_batches_detaches_state():
    model = seed_model()
    x = torch.randn(BATCH, STEPS, DIM)
    for _ in range(2):  # a second backward would fail if the state kept the old graph
        model(x).sum().backward()
    assert all(w.grad is not None for w in model.trainable_weights)
    assert not model.layers[0].states[0].requires_grad


def test_reset_states_with_values_and_errors():
    layer = LSTM(3, stateful=True)
    layer(Input(batch_shape=(2, 4, 5)))
    x = torch.randn(2, 4, 5)
    layer(x)
    h0, c0 = np.ones((2, 3), "float32"), np.full((2, 3), 0.5, "float32")
    layer.reset_states([h0, c0])
    np.testing.assert_array_equal(layer.states[0].numpy(), h0)
    plain = LSTM(3)
    plain(x)
    plain.set_weights(layer.get_weights())
    torch.testing.assert_close(layer(x), plain(x, initial_state=[torch.as_tensor(h0),
                                                                 torch.as_tensor(c0)]))
    with pytest.raises(ValueError, match="expects 2 states"):
        layer.reset_states([h0])
    with pytest.raises(ValueError, match="incompatible"):
        layer.reset_states([np.ones((3, 3)), np.ones((3, 3))])
    with pytest.raises(ValueError, match="batch size of 2"):
        layer(torch.randn(5, 4, 5))


def test_stateful_without_batch_size_raises_naming_the_layer():
    with pytest.raises(ValueError, match=r'"stateful_lstm".*needs to know its batch size'):
        LSTM(3, stateful=True, name="stateful_lstm")(Input((4, 5)))
    with pytest.raises(ValueError, match="batch_input_shape"):
        Sequential([SimpleRNN(2, stateful=True, input_shape=(4, 5))])
    with pytest.raises(ValueError, match="needs to know its batch size"):
        Bidirectional(LSTM(2, stateful=True))(Input((4, 5)))


def test_stateful_bidirectional_and_model_reset():
    inputs = Input(batch_shape=(2, 4, 3))
    bidi = Bidirectional(SimpleRNN(2, stateful=True))
    model = Functional(inputs, bidi(inputs))
    x = torch.randn(2, 4, 3)
    first = model(x)
    assert not torch.allclose(model(x), first)
    model.reset_states()
    torch.testing.assert_close(model(x), first)


def test_states_move_with_the_module():
    layer = LSTM(2, stateful=True)
    layer(Input(batch_shape=(1, 3, 2)))
    layer(torch.randn(1, 3, 2))
    layer.to(torch.float64)
    assert layer.states[0].dtype == torch.float64
    assert "_state_0" not in layer.state_dict()


def faq_model():
    """The stateful model of the Keras FAQ ("How can I use stateful RNNs?")."""
    model = Sequential([LSTM(32, input_shape=(10, 16), batch_size=32, stateful=True),
                        Dense(16, activation="softmax")])
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy")
    return model


def test_states_are_zero_variables_from_build_and_after_reset():
    from openkeras import backend as K

    model = faq_model()
    layer = model.layers[0]
    before = layer.states
    assert [K.get_value(s).shape for s in before] == [(32, 32), (32, 32)]
    assert all(not np.any(K.eval(s)) for s in before)
    x = np.random.default_rng(0).random((32, 21, 16), dtype=np.float32)
    model.train_on_batch(x[:, :10], x[:, 10])
    assert np.any(K.get_value(layer.states[0]))
    assert all(a is b for a, b in zip(before, layer.states, strict=True))  # same variables
    model.reset_states()
    assert all(not np.any(K.get_value(s)) for s in layer.states)
    model.train_on_batch(x[:, 10:20], x[:, 20])
    layer.reset_states()
    assert all(not np.any(K.get_value(s)) for s in layer.states)


def test_states_set_with_numpy_and_k_set_value_feed_the_next_batch():
    from openkeras import backend as K

    model = faq_model()
    layer = model.layers[0]
    x = np.random.default_rng(1).random((32, 10, 16), dtype=np.float32)
    h0 = np.random.default_rng(2).random((32, 32), dtype=np.float32)
    c0 = np.random.default_rng(3).random((32, 32)).astype("float64")  # cast as Keras does
    plain = LSTM(32, return_state=False)
    plain(torch.as_tensor(x))
    plain.set_weights(layer.get_weights())
    expected = plain(torch.as_tensor(x), initial_state=[torch.as_tensor(h0),
                                                         torch.as_tensor(c0, dtype=torch.float32)])
    layer.reset_states([h0, c0])
    np.testing.assert_allclose(layer(torch.as_tensor(x)).detach().numpy(),
                               expected.detach().numpy(), rtol=1e-5, atol=1e-6)
    K.set_value(layer.states[0], h0)
    K.set_value(layer.states[1], c0)
    np.testing.assert_allclose(layer(torch.as_tensor(x)).detach().numpy(),
                               expected.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_batch_of_another_size_names_expected_and_received():
    model = faq_model()
    x = np.zeros((10, 10, 16), "float32")
    with pytest.raises(ValueError, match=r'"lstm".*batch size of 32.*batch of 10 samples'):
        model.predict(x, batch_size=10)
    with pytest.raises(ValueError, match="batch size of 32.*batch of 16"):
        model.fit(np.zeros((32, 10, 16)), np.zeros((32, 16)), batch_size=16, verbose=0)


def test_reset_states_before_the_batch_size_is_known_raises():
    with pytest.raises(ValueError, match='"lonely".*built'):
        LSTM(2, stateful=True, name="lonely").reset_states()
