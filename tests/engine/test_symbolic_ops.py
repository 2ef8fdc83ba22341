import math

import numpy as np
import pytest
import torch

import openkeras as ok
from openkeras import backend as K
from openkeras import layers
from openkeras.engine.op_layer import OpLambda, resolve_function
from openkeras.models import model_from_json

RNG = np.random.default_rng(0)
X = RNG.standard_normal((6, 4)).astype(np.float32)


def _check(model, expected):
    outs = model.predict(X, verbose=0)
    outs = outs if isinstance(outs, list) else [outs]
    assert len(outs) == len(expected)
    for out, ref in zip(outs, expected, strict=True):
        np.testing.assert_allclose(out, ref.numpy(), rtol=1e-6, atol=1e-6)


def _op_model():
    inp = ok.Input((4,))
    y = inp * 2 + 1
    outputs = [
        y, 1 - inp, -inp / 3, 2 / (K.abs(inp) + 1), inp ** 2, inp[:, 1:3], inp[:, 0],
        np.arange(4, dtype=np.float32) * inp, inp @ np.ones((4, 2), dtype=np.float32),
        K.sum(K.square(y), axis=-1) * -0.5, K.mean(K.exp(inp), axis=1, keepdims=True),
        K.concatenate([inp, -inp]), K.reshape(inp, (-1, 2, 2)), K.expand_dims(inp, 1),
        K.cast(inp > 0, "float32"),
    ]
    return inp, ok.Model(inp, outputs)


def _torch_refs(t):
    y = t * 2 + 1
    return [
        y, 1 - t, -t / 3, 2 / (t.abs() + 1), t ** 2, t[:, 1:3], t[:, 0],
        torch.arange(4.0) * t, t @ torch.ones(4, 2), (y ** 2).sum(-1) * -0.5,
        t.exp().mean(1, keepdim=True), torch.cat([t, -t], -1), t.reshape(-1, 2, 2),
        t.unsqueeze(1), (t > 0).float(),
    ]


def test_operators_and_backend_ops_match_torch():
    _, model = _op_model()
    assert all(isinstance(la, OpLambda) for la in model.layers[1:])
    assert model.layers[1].name == "mul" and model.layers[2].name == "add"
    assert [tuple(o.shape) for o in model.outputs][9:13] == [(None,), (None, 1), (None, 8),
                                                            (None, 2, 2)]
    _check(model, _torch_refs(torch.from_numpy(X)))


def test_output_dtypes_follow_the_op():
    inp = ok.Input((3,))
    assert (inp > 0).dtype == "bool"
    assert K.cast(inp, "int32").dtype == "int32"
    assert K.argmax(inp, axis=-1).dtype == "int64"
    assert (inp * 2).dtype == "float32"


def test_ops_mixed_with_layers_train_and_backprop():
    inp = ok.Input((4,))
    dense = layers.Dense(3)
    out = K.tanh(dense(inp)) * 0.5 + inp[:, :3]
    model = ok.Model(inp, out)
    model.compile("sgd", "mse")
    y = RNG.standard_normal((6, 3)).astype(np.float32)
    before = model.evaluate(X, y, verbose=0)
    model.fit(X, y, epochs=5, verbose=0)
    assert model.evaluate(X, y, verbose=0) < before
    kernel, bias = (torch.from_numpy(w) for w in dense.get_weights())
    t = torch.from_numpy(X)
    ref = torch.tanh(t @ kernel + bias) * 0.5 + t[:, :3]
    np.testing.assert_allclose(model.predict(X, verbose=0), ref.numpy(), rtol=1e-5, atol=1e-6)


def test_config_round_trip_with_op_layers():
    _, model = _op_model()
    clone = model_from_json(model.to_json(), custom_objects={"OpLambda": OpLambda})
    assert [la.name for la in clone.layers] == [la.name for la in model.layers]
    assert clone.layers[1].get_config() == model.layers[1].get_config()
    assert model.layers[1].get_config()["function"] == "operator.mul"
    _check(clone, _torch_refs(torch.from_numpy(X)))


def test_config_names_only_backend_and_operator_functions():
    assert resolve_function("openkeras.backend.square") is K.square.__wrapped__
    for bad in ("os.system", "openkeras.backend.set_value", "operator.setitem",
                "openkeras.backend._dims", "builtins.eval"):
        with pytest.raises(ValueError, match="OpLambda function"):
            resolve_function(bad)
    with pytest.raises(TypeError, match="public functions of openkeras.backend"):
        OpLambda(math.exp)


def test_non_backend_functions_on_keras_tensors_give_clear_errors():
    x = ok.Input((4,))
    with pytest.raises(TypeError, match="torch.exp cannot be applied to symbolic tensors"):
        torch.exp(x)
    with pytest.raises(TypeError, match="Lambda layer"):
        math.exp(x)
    with pytest.raises(TypeError):
        np.exp(x)
    with pytest.raises(TypeError, match="not iterable"):
        list(x)
    with pytest.raises(TypeError, match="bool"):
        bool(x > 0)


def test_eager_backend_ops_are_unchanged():
    t = torch.from_numpy(X)
    assert isinstance(K.square(t), torch.Tensor)
    np.testing.assert_allclose(K.concatenate([t, t]).numpy(), torch.cat([t, t], -1).numpy())
    np.testing.assert_allclose(K.sum(t, axis=-1).numpy(), t.sum(-1).numpy(), rtol=1e-6)


def _vae(sample):
    inp = ok.Input((8,))
    h = layers.Dense(6, activation="relu", name="hidden")(inp)
    z_mean = layers.Dense(2, name="z_mean")(h)
    z_log_var = layers.Dense(2, name="z_log_var")(h)
    if sample:
        z = layers.Lambda(lambda a: a[0] + K.exp(0.5 * a[1]) * K.random_normal(K.shape(a[0])))(
            [z_mean, z_log_var])
    else:
        z = z_mean
    out = layers.Dense(8, activation="sigmoid", name="decoder")(z)
    vae = ok.Model(inp, out)
    reconstruction_loss = K.sum(K.binary_crossentropy(inp, out), axis=-1)
    kl = 1 + z_log_var - K.square(z_mean) - K.exp(z_log_var)
    kl = K.sum(kl, axis=-1) * -0.5
    vae.add_loss(K.mean(reconstruction_loss + kl))
    vae.compile(optimizer="adam")
    return vae


def _vae_reference(vae, x):
    names = ("hidden", "z_mean", "z_log_var", "decoder")
    w = [torch.from_numpy(a) for n in names for a in vae.get_layer(n).get_weights()]
    t = torch.from_numpy(x)
    h = torch.relu(t @ w[0] + w[1])
    z_mean, z_log_var = h @ w[2] + w[3], h @ w[4] + w[5]
    out = torch.sigmoid(z_mean @ w[6] + w[7]).clamp(1e-7, 1 - 1e-7)
    rec = -(t * out.log() + (1 - t) * (1 - out).log()).sum(-1)
    kl = -0.5 * (1 + z_log_var - z_mean ** 2 - z_log_var.exp()).sum(-1)
    return float((rec + kl).mean())


def test_vae_add_loss_trains_and_reports_the_symbolic_loss():
    x = RNG.random((64, 8), dtype=np.float32)
    vae = _vae(sample=True)
    assert len(vae.losses) == 1 and isinstance(vae.losses[0], ok.engine.keras_tensor.KerasTensor)
    history = vae.fit(x, epochs=6, batch_size=16, verbose=0, validation_data=(x, None))
    loss = history.history["loss"]
    assert loss[-1] < loss[0] and len(history.history["val_loss"]) == 6


def test_vae_loss_equals_hand_computed_loss_at_same_weights():
    x = RNG.random((16, 8), dtype=np.float32)
    vae = _vae(sample=False)
    # z_log_var only feeds the loss: as in tf.keras, add_loss puts its layers in the model
    assert vae.get_layer("z_log_var") in vae.layers and len(vae.trainable_weights) == 8
    expected = _vae_reference(vae, x)
    assert abs(vae.evaluate(x, batch_size=16, verbose=0) - expected) < 1e-5
    assert abs(vae.train_on_batch(x) - expected) < 1e-5  # loss of the pass before the update
    assert abs(vae.evaluate(x, batch_size=16, verbose=0) - _vae_reference(vae, x)) < 1e-5


def test_symbolic_loss_comes_from_the_same_forward_pass():
    inp = ok.Input((4,))
    noisy = layers.Lambda(lambda t: t + K.random_normal(K.shape(t)))(inp)
    model = ok.Model(inp, noisy)
    model.add_loss(K.mean(K.square(noisy)))
    model.compile("sgd", "mse", metrics=["mse"])
    loss, mse = model.evaluate(X, np.zeros_like(X), batch_size=6, verbose=0)
    assert abs(loss - 2 * mse) < 1e-5


def test_add_loss_callable_and_disconnected_tensor():
    inp = ok.Input((4,))
    dense = layers.Dense(2)
    model = ok.Model(inp, dense(inp))
    model.add_loss(lambda: 0.1 * K.sum(K.square(dense.kernel)))
    model.compile("sgd", "mse")
    y = np.zeros((6, 2), dtype=np.float32)
    kernel, bias = dense.get_weights()
    expected = np.mean((X @ kernel + bias) ** 2) + 0.1 * np.sum(kernel ** 2)
    assert abs(model.evaluate(X, y, batch_size=6, verbose=0) - expected) < 1e-5
    assert abs(float(model.losses[-1].detach()) - 0.1 * np.sum(kernel ** 2)) < 1e-5
    with pytest.raises(ValueError, match="cannot be computed from the model's inputs"):
        model.add_loss(K.mean(ok.Input((4,)) * 2))


def test_model_losses_survive_a_config_round_trip():
    x = RNG.random((16, 8), dtype=np.float32)
    vae = _vae(sample=False)
    clone = model_from_json(vae.to_json(), custom_objects={"OpLambda": OpLambda})
    assert [la.name for la in clone.layers] == [la.name for la in vae.layers]
    assert len(clone.losses) == 1
    clone.set_weights(vae.get_weights())
    clone.compile(optimizer="adam")
    assert abs(clone.evaluate(x, batch_size=16, verbose=0) - _vae_reference(vae, x)) < 1e-5
