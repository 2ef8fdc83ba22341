"""An openkeras model in plain PyTorch code: calls, parameters, state dicts, devices,
torch.compile, a hand-written training loop and forward hooks."""

import io

import h5py
import numpy as np
import torch
from numeric_utils import assert_close

import openkeras as ok
from openkeras.layers import Conv2D, Dense, Dropout, Flatten
from openkeras.utils import keras_state_dict, load_keras_state_dict


def small_cnn():
    return ok.Sequential([Conv2D(4, 3, activation="relu", input_shape=(6, 6, 2), name="conv"),
                          Flatten(name="flat"), Dropout(0.5), Dense(3, name="out")])


def test_call_parameters_and_named_parameters():
    model = small_cnn()
    x = torch.randn(5, 6, 6, 2)
    y = model(x)
    assert isinstance(y, torch.Tensor) and y.shape == (5, 3)
    params = list(model.parameters())
    assert sum(p.numel() for p in params) == model.count_params() == 4 * 18 + 4 + 64 * 3 + 3
    assert {id(p) for p in params} == {id(w) for w in model.trainable_weights}
    names = dict(model.named_parameters())
    assert len(names) == 4 and all(isinstance(n, str) for n in names)


def test_non_trainable_weights_are_parameters_without_grad():
    model = ok.Sequential([Dense(3, input_shape=(2,)), ok.layers.BatchNormalization()])
    assert {id(p) for p in model.parameters()} == {id(w) for w in model.weights}
    trainable = {id(w) for w in model.trainable_weights}
    assert [p.requires_grad for p in model.parameters()] == [id(p) in trainable for p in model.parameters()]
    assert sum(not p.requires_grad for p in model.parameters()) == 2  # the moving mean and variance


def test_state_dict_round_trip_through_torch_save():
    model, other = small_cnn(), small_cnn()
    x = torch.randn(2, 6, 6, 2)
    assert not torch.allclose(model(x), other(x))
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    buffer.seek(0)
    other.load_state_dict(torch.load(buffer, weights_only=True))  # plain tensors: no pickled classes
    assert_close(other(x), model(x))
    # the values are in the layout the layers compute with: torch's (out, in, kh, kw) for Conv2D
    kernel = model.get_layer("conv").kernel
    assert tuple(kernel.shape) == (4, 2, 3, 3)
    assert any(v.data_ptr() == kernel.data_ptr() for v in model.state_dict().values())


def test_keras_layout_state_dict_matches_the_hdf5_weights(tmp_path):
    model = small_cnn()
    state = keras_state_dict(model)
    assert list(state) == ["conv/kernel:0", "conv/bias:0", "out/kernel:0", "out/bias:0"]
    assert tuple(state["conv/kernel:0"].shape) == (3, 3, 2, 4)  # Keras (kh, kw, in, out)
    model.save_weights(tmp_path / "w.h5")
    with h5py.File(tmp_path / "w.h5", "r") as f:
        for name, value in state.items():
            assert_close(value, f[name.split("/")[0]][name][()])
    other = small_cnn()
    assert load_keras_state_dict(other, state) == [w.name for w in other.weights]
    x = torch.randn(2, 6, 6, 2)
    assert_close(other(x), model(x))


def test_to_changes_dtype_and_device():
    model = small_cnn()
    x = torch.randn(2, 6, 6, 2)
    expected = model(x).detach()
    model.to(torch.float64)
    out = model(x.double())
    assert out.dtype == torch.float64
    assert_close(out, expected, atol=1e-5, rtol=1e-5)
    model.to("meta")
    assert all(p.device.type == "meta" for p in model.parameters())
    assert model(torch.empty(3, 6, 6, 2, dtype=torch.float64, device="meta")).shape == (3, 3)


def test_torch_compile_gives_the_same_outputs_and_gradients():
    model = ok.Sequential([Dense(8, activation="relu", input_shape=(4,)), Dense(2)])
    # aot_eager traces forward and backward exactly as the default backend does, without the
    # minutes of C++ code generation inductor needs on a CPU.
    compiled = torch.compile(model, backend="aot_eager", fullgraph=True)
    x = torch.randn(6, 4)
    assert_close(compiled(x), model(x))
    compiled(x).sum().backward()
    grads = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    model(x).sum().backward()
    for g, p in zip(grads, model.parameters(), strict=True):
        assert_close(g, p.grad)


def test_a_hand_written_torch_loop_trains_like_fit():
    rng = np.random.default_rng(0)
    x, y = rng.random((32, 5), dtype=np.float32), rng.random((32, 1), dtype=np.float32)

    def fresh():
        ok.utils.set_random_seed(1)
        return ok.Sequential([Dense(6, activation="tanh", input_shape=(5,)), Dense(1)])

    model = fresh()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    losses = []
    for _ in range(20):
        loss = torch.nn.functional.mse_loss(model(xt, training=True), yt)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]

    reference = fresh()  # the same steps through compile/fit
    reference.compile(ok.optimizers.SGD(learning_rate=0.1), "mse")
    reference.fit(x, y, batch_size=32, epochs=20, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), reference.get_weights(), strict=True):
        assert_close(a, b, atol=1e-5, rtol=1e-5)


def test_forward_hooks_on_a_sub_layer():
    model = small_cnn()
    seen = []
    handle = model.get_layer("flat").register_forward_hook(lambda mod, args, out: seen.append(out))
    pre = model.get_layer("out").register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    x = torch.randn(2, 6, 6, 2)
    y = model(x)
    assert len(seen) == 1 and seen[0].shape == (2, 64)
    assert_close(y, model.get_layer("out").bias.detach().expand(2, 3))  # the pre-hook zeroed its input
    pre.remove()
    handle.remove()
    model(x)
    assert len(seen) == 1
    model.compile("sgd", "mse")
    handle = model.get_layer("conv").register_forward_hook(lambda mod, args, out: seen.append(out.shape))
    model.fit(np.random.rand(8, 6, 6, 2), np.random.rand(8, 3), batch_size=4, verbose=0)
    assert seen[1:] == [(4, 4, 4, 4), (4, 4, 4, 4)]
