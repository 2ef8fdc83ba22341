import numpy as np
import pytest
import torch

import openkeras as ok
from openkeras import layers


def _two_in_two_out():
    a = ok.Input((8,), name="a")
    b = ok.Input((8,), name="b")
    shared = layers.Dense(4, activation="relu", name="shared")
    merged = layers.concatenate([shared(a), shared(b)])
    out1 = layers.Dense(1, activation="sigmoid", name="out1")(merged)
    out2 = layers.Dense(3, activation="softmax", name="out2")(merged)
    return ok.Model(inputs=[a, b], outputs=[out1, out2])


def test_multi_input_multi_output_and_shared_layer():
    model = _two_in_two_out()
    assert [layer.name for layer in model.layers] == ["a", "b", "shared", "concatenate", "out1", "out2"]
    assert model.input_names == ["a", "b"] and model.output_names == ["out1", "out2"]
    assert model.output_shape == [(None, 1), (None, 3)]
    xa, xb = np.random.rand(5, 8).astype("float32"), np.random.rand(5, 8).astype("float32")
    o1, o2 = model([xa, xb])
    assert o1.shape == (5, 1) and o2.shape == (5, 3)
    k, bias = model.get_layer("shared").get_weights()
    ha, hb = np.maximum(xa @ k + bias, 0), np.maximum(xb @ k + bias, 0)
    k2, b2 = model.get_layer("out1").get_weights()
    expected = 1 / (1 + np.exp(-(np.concatenate([ha, hb], 1) @ k2 + b2)))
    np.testing.assert_allclose(o1.detach().numpy(), expected, rtol=1e-5, atol=1e-6)
    o1d, _ = model({"a": xa, "b": xb})
    np.testing.assert_allclose(o1d.detach().numpy(), expected, rtol=1e-5, atol=1e-6)


def test_shared_layer_weights_count_once():
    model = _two_in_two_out()
    assert model.count_params() == (8 * 4 + 4) + (8 * 1 + 1) + (8 * 3 + 3)


def test_nested_model_called_like_a_layer():
    digit = ok.Input((6,))
    vision = ok.Model(digit, layers.Dense(3, name="enc")(digit), name="vision")
    a, b = ok.Input((6,)), ok.Input((6,))
    out = layers.Dense(1)(layers.concatenate([vision(a), vision(b)]))
    model = ok.Model([a, b], out)
    assert model.output_shape == (None, 1)
    assert model.count_params() == 6 * 3 + 3 + 6 + 1
    xa = np.random.rand(2, 6).astype("float32")
    enc = vision(xa).detach().numpy()
    k, bias = vision.get_layer("enc").get_weights()
    np.testing.assert_allclose(enc, xa @ k + bias, rtol=1e-5, atol=1e-6)
    assert model(
        [xa, xa]).shape == (2, 1)


def test_graph_disconnected_error():
    a, b = ok.Input((3,)), ok.Input((3,))
    out = layers.add([a, b])
    with pytest.raises(ValueError, match="Graph disconnected"):
        ok.Model(a, out)


def test_duplicate_layer_names_error():
    x = ok.Input((3,))
    y = layers.Dense(2, name="same")(layers.Dense(3, name="same")(x))
    with pytest.raises(ValueError, match='"same" is used 2 times'):
        ok.Model(x, y)


def test_inputs_must_come_from_input():
    x = ok.Input((3,))
    h = layers.Dense(2)(x)
    with pytest.raises(ValueError, match="must come from `Input`"):
        ok.Model(h, layers.Dense(1)(h))


def test_wrong_number_of_inputs():
    model = _two_in_two_out()
    with pytest.raises(ValueError, match="expects 2 input"):
        model(np.zeros((1, 8), "float32"))


def test_get_layer_by_name_and_index():
    model = _two_in_two_out()
    assert model.get_layer(index=2).name == "shared"
    assert model.get_layer("out2").name == "out2"
    with pytest.raises(ValueError, match="No such layer: nope"):
        model.get_layer("nope")


def test_plan_runs_without_symbolic_objects():
    model = _two_in_two_out()
    for step in model._steps:
        assert step.fn.__self__ is step.layer  # plain bound `call`, no KerasTensor work


def test_model_is_trainable_from_plain_pytorch():
    model = _two_in_two_out()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    xa, xb = torch.rand(4, 8), torch.rand(4, 8)
    before = model.get_layer("shared").get_weights()[0].copy()
    o1, o2 = model([xa, xb])
    (o1.sum() + o2.sum()).backward()
    opt.step()
    assert not np.allclose(before, model.get_layer("shared").get_weights()[0])


def test_masks_flow_through_the_plan():
    x = ok.Input((4, 2))
    masked = layers.Masking(0.0)(x)
    y = layers.Dense(3)(masked)
    model = ok.Model(x, y)
    data = np.ones((2, 4, 2), "float32")
    data[0, 2:] = 0
    out, masks = model._run(torch.as_tensor(data), want_masks=True)
    assert masks[0].tolist() == [[True, True, False, False], [True, True, True, True]]
    assert out.shape == (2, 4, 3)


def test_layer_without_mask_support_refuses_a_mask():
    x = ok.Input((4, 2))
    masked = layers.Masking()(x)
    with pytest.raises(TypeError, match="does not support masking"):
        layers.Flatten()(masked)


def test_trainable_flag_on_model_freezes_all_layers():
    model = _two_in_two_out()
    model.trainable = False
    assert model.trainable_weights == []
    assert len(model.non_trainable_weights) == 6


def test_a_graph_tensor_passed_as_mask_reaches_the_layer():
    # tf.keras: layer(x, mask=m) with a graph tensor m masks the call in the built model.
    x = ok.Input((5, 3))
    m = ok.Input((5,), dtype="bool")
    lstm = layers.LSTM(4)
    pool = layers.GlobalAveragePooling1D()
    model = ok.Model([x, m], [lstm(x, mask=m), pool(x, mask=m)])
    xs = np.random.RandomState(0).rand(2, 5, 3).astype("float32")
    ms = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)
    out_lstm, out_pool = model.predict([xs, ms])
    expected = lstm(torch.tensor(xs), mask=torch.tensor(ms)).detach().numpy()
    np.testing.assert_allclose(out_lstm, expected, rtol=1e-6, atol=1e-6)
    assert np.abs(out_lstm - lstm(torch.tensor(xs)).detach().numpy()).max() > 1e-3
    mean = (xs * ms[..., None]).sum(1) / ms.sum(1, keepdims=True)
    np.testing.assert_allclose(out_pool, mean, rtol=1e-6, atol=1e-6)
    rebuilt = ok.models.model_from_json(model.to_json())
    rebuilt.set_weights(model.get_weights())
    np.testing.assert_allclose(rebuilt.predict([xs, ms])[0], expected, rtol=1e-6, atol=1e-6)
