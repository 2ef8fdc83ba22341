"""TorchModuleWrapper: an nn.Module as a Keras layer (shapes, training, files, config)."""

import numpy as np
import pytest
import torch
from layer_test_utils import run_layer_test
from numeric_utils import assert_close

import openkeras as ok
from openkeras.layers import Dense, Input, TorchModuleWrapper
from openkeras.utils import get_custom_objects, register_keras_serializable


class Block(torch.nn.Module):
    """Linear -> BatchNorm1d -> ReLU (parameters and buffers); rebuilt from get_config()."""

    def __init__(self, features, hidden=8):
        super().__init__()
        self.features, self.hidden = features, hidden
        self.linear = torch.nn.Linear(features, hidden)
        self.norm = torch.nn.BatchNorm1d(hidden)

    def forward(self, x):
        return torch.relu(self.norm(self.linear(x)))

    def get_config(self):
        return {"features": self.features, "hidden": self.hidden}


class Pair(torch.nn.Module):
    """Two inputs in, two outputs out."""

    def forward(self, a, b):
        return a + b, torch.cat([a, b], dim=-1)


def test_layer_contract_with_a_torch_nn_class():
    run_layer_test(TorchModuleWrapper,
                   {"module": torch.nn.Linear(3, 4), "module_config": {"in_features": 3, "out_features": 4}},
                   input_shape=(2, 3), expected_output_shape=(None, 4), expected_num_weights=2)


def test_output_equals_the_module_and_shape_comes_from_meta_tensors(monkeypatch):
    module = torch.nn.Sequential(torch.nn.Conv1d(5, 3, 2), torch.nn.Flatten())
    layer = TorchModuleWrapper(module)
    calls = []
    real_forward = module.forward
    monkeypatch.setattr(module, "forward", lambda x: calls.append(x.device.type) or real_forward(x))
    y = layer(Input((5, 10)))
    assert y.shape == (None, 27) and set(calls) == {"meta"}
    x = torch.randn(4, 5, 10)
    assert_close(layer(x), module(x))


def test_several_inputs_and_outputs_in_a_functional_model():
    a, b = Input((3,)), Input((3,))
    total, joined = TorchModuleWrapper(Pair())([a, b])
    assert total.shape == (None, 3) and joined.shape == (None, 6)
    model = ok.Model([a, b], [Dense(1)(total), joined])
    xa, xb = np.ones((2, 3), "float32"), np.full((2, 3), 2, "float32")
    assert_close(model.predict([xa, xb])[1], np.concatenate([xa, xb], axis=1))


def test_weights_are_the_module_parameters_then_its_buffers():
    layer = TorchModuleWrapper(Block(4), name="block")
    names = [w.name for w in layer.weights]
    assert names == ["block/linear.weight:0", "block/linear.bias:0", "block/norm.weight:0",
                     "block/norm.bias:0", "block/norm.running_mean:0", "block/norm.running_var:0",
                     "block/norm.num_batches_tracked:0"]
    assert len(layer.trainable_weights) == 4 and len(layer.non_trainable_weights) == 3
    assert layer.trainable_weights[0] is layer.module.linear.weight  # the module computes with them
    values = layer.get_weights()
    values[4] = np.arange(8, dtype="float32")
    layer.set_weights(values)
    assert_close(layer.module.norm.running_mean, np.arange(8, dtype="float32"))


def test_frozen_parameters_stay_frozen():
    module = torch.nn.Linear(3, 2)
    module.bias.requires_grad_(False)
    layer = TorchModuleWrapper(module)
    assert [w.name.split("/")[1] for w in layer.trainable_weights] == ["weight:0"]
    layer.trainable = False
    assert not layer.trainable_weights and not module.weight.requires_grad


def test_training_flag_switches_the_module_mode():
    layer = TorchModuleWrapper(torch.nn.Dropout(0.5))
    x = torch.ones(200, 10)
    assert_close(layer(x), x)  # inference by default, as every Keras layer
    dropped = layer(x, training=True)
    assert (dropped == 0).any() and layer.module.training
    assert_close(layer(x, training=False), x)


@pytest.mark.parametrize("suffix", [".h5", ".keras"])
def test_fit_trains_the_module_then_save_and_reload(suffix, tmp_path):
    model = ok.Sequential([Dense(4, input_shape=(3,)), TorchModuleWrapper(Block(4)), Dense(1)])
    model.compile("adam", "mse")
    rng = np.random.default_rng(0)
    x, y = rng.random((64, 3), dtype=np.float32), rng.random((64, 1), dtype=np.float32)
    block = model.layers[1].module
    before = block.linear.weight.detach().clone()
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert (block.linear.weight.detach() - before).abs().max() > 1e-4  # fit updated the module
    assert block.norm.running_mean.abs().max() > 0  # and its BatchNorm statistics
    path = tmp_path / f"model{suffix}"
    model.save(path)
    with pytest.raises(ValueError, match=r"module class 'Block' is not registered.*"
                                         r"register_keras_serializable.*custom_objects=\{'Block': Block\}"):
        ok.models.load_model(path)
    loaded = ok.models.load_model(path, custom_objects={"Block": Block})
    assert_close(loaded.predict(x), model.predict(x), atol=1e-6, rtol=1e-6)
    assert loaded.layers[1].module.hidden == 8
    assert_close(loaded.layers[1].module.norm.running_var, block.norm.running_var)


@pytest.fixture
def registry():
    """The global registry, restored afterwards (a registered name must not leak into other tests)."""
    saved = dict(get_custom_objects())
    yield
    get_custom_objects().clear()
    get_custom_objects().update(saved)


def test_registered_module_and_factory_function_rebuild(tmp_path, registry):
    @register_keras_serializable(package="Interop")
    class ScaleModule(torch.nn.Module):
        def __init__(self, size):
            super().__init__()
            self.size = size
            self.weight = torch.nn.Parameter(torch.full((size,), 2.0))

        def forward(self, x):
            return x * self.weight

    inputs = Input((3,))
    model = ok.Model(inputs, TorchModuleWrapper(ScaleModule(3), module_config=lambda m: {"size": m.size})(inputs))
    config = model.get_config()["layers"][1]["config"]["torch_module"]
    assert config == {"class_name": "Interop>ScaleModule", "config": {"size": 3}}
    model.save(tmp_path / "m.h5")
    loaded = ok.models.load_model(tmp_path / "m.h5")  # found through the registry
    assert_close(loaded.predict(np.ones((1, 3))), [[2.0, 2.0, 2.0]])

    inputs = Input((3,))
    wrapped = TorchModuleWrapper(torch.nn.Sequential(torch.nn.Linear(3, 2)))  # no config of its own
    model = ok.Model(inputs, wrapped(inputs))
    model.save(tmp_path / "s.h5")
    factory = {"torch.nn.Sequential": lambda: torch.nn.Sequential(torch.nn.Linear(3, 2))}
    loaded = ok.models.load_model(tmp_path / "s.h5", custom_objects=factory)
    assert_close(loaded.predict(np.ones((2, 3))), model.predict(np.ones((2, 3))))


def test_bad_arguments():
    with pytest.raises(TypeError, match="wraps a torch.nn.Module that is not a Keras layer"):
        TorchModuleWrapper(Dense(3))
    with pytest.raises(TypeError, match="module_config must be a dict"):
        TorchModuleWrapper(torch.nn.ReLU(), module_config=[1])
    with pytest.raises(ValueError, match="holds no 'torch_module'"):
        TorchModuleWrapper.from_config({"name": "w"})


@pytest.mark.parametrize("ext", ["pt", "pt2", "onnx"])
def test_a_model_with_a_wrapped_module_exports(ext, tmp_path):
    model = ok.Sequential([Dense(4, input_shape=(3,)), TorchModuleWrapper(Block(4)), Dense(1)])
    block = model.layers[1].module
    with torch.no_grad():
        block.norm.running_mean.uniform_(-1, 1)  # inference uses the statistics: make them matter
    result = model.export(tmp_path / f"m.{ext}", verbose=False)
    assert result.checked and result.max_difference <= result.tolerance
    assert not block.training and type(block.linear.weight).__name__ == "Variable"  # restored after export
