"""Architectures written by real Keras 2 (tests/fixtures/configs, from tf_keras) build here."""

import json
import os

import pytest
import torch
from golden_cases import check_golden_case, model_case

import openkeras as ok
from openkeras import layers
from openkeras.models import model_from_json, model_from_yaml

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "configs")
GOLDEN = ["mlp", "two_io_shared", "nested_shared", "reshape_chain", "merge_all", "mnist_cnn",
          "mnist_cnn_keras1", "regularized"]


def _load(name):
    with open(os.path.join(FIXTURES, f"{name}.json")) as f:
        text = f.read()
    with open(os.path.join(FIXTURES, f"{name}.meta.json")) as f:
        meta = json.load(f)
    return text, meta


def _shape(s):
    if isinstance(s, list) and s and isinstance(s[0], list):
        return [tuple(x) for x in s] if len(s) > 1 else tuple(s[0])
    return tuple(s)


@pytest.mark.parametrize("name", GOLDEN)
def test_keras_json_builds_the_same_model(name):
    text, meta = _load(name)
    model = model_from_json(text)
    all_layers = model.layers if not isinstance(model, ok.Sequential) else model.layers
    names = [la.name for la in all_layers]
    expected = [n for n, c in zip(meta["layer_names"], meta["layer_classes"], strict=True)
                if not (isinstance(model, ok.Sequential) and c == "InputLayer")]
    assert names == expected
    counts = [la.count_params() for la in all_layers]
    assert counts == [c for n, c in zip(meta["layer_names"], meta["param_counts"], strict=True) if n in names]
    assert model.count_params() == meta["total_params"]
    for layer, shape in zip(meta["layer_names"], meta["output_shapes"], strict=True):
        if layer in names and shape is not None:
            assert model.get_layer(layer).output_shape == _shape(shape), layer
    check_golden_case(model, model_case(f"configs/{name}.npz"), rtol=1e-5, atol=1e-5, build=False)


@pytest.mark.parametrize("name", GOLDEN)
def test_json_round_trip_is_stable(name):
    text, _ = _load(name)
    model = model_from_json(text)
    again = model_from_json(model.to_json())
    assert json.loads(again.to_json())["config"] == json.loads(model.to_json())["config"]


def test_own_json_and_yaml_round_trip():
    a, b = ok.Input((4,), name="a"), ok.Input((4,), name="b")
    shared = layers.Dense(3, name="shared")
    out = layers.Dense(2, name="out")(layers.concatenate([shared(a), shared(b)]))
    model = ok.Model([a, b], out, name="m")
    for text, loader in ((model.to_json(), model_from_json), (model.to_yaml(), model_from_yaml)):
        clone = loader(text)
        assert [la.name for la in clone.layers] == [la.name for la in model.layers]
        assert clone.get_config() == model.get_config()
        clone.set_weights(model.get_weights())
        x = [torch.rand(2, 4), torch.rand(2, 4)]
        torch.testing.assert_close(clone(x), model(x))


def test_config_uses_keras2_keys():
    x = ok.Input((3,), name="x")
    model = ok.Model(x, layers.Dense(2, name="d")(x), name="m")
    conf = model.get_config()
    assert conf["input_layers"] == [["x", 0, 0]] and conf["output_layers"] == [["d", 0, 0]]
    dense = conf["layers"][1]
    assert dense["class_name"] == "Dense" and dense["inbound_nodes"] == [[["x", 0, 0, {}]]]
    seq = ok.Sequential([layers.Dense(2, input_shape=(3,))])
    assert seq.get_config()["layers"][0]["config"]["batch_input_shape"] == [None, 3]


def test_shared_layer_node_indices_are_renumbered_per_model():
    shared = layers.Dense(2, name="shared")
    shared(ok.Input((3,)))  # a node outside the model below
    x = ok.Input((3,), name="x")
    model = ok.Model(x, shared(x))
    conf = model.get_config()
    assert conf["output_layers"] == [["shared", 0, 0]]
    assert ok.Model.from_config(conf).count_params() == 8


def test_sequential_from_keras_2_0_list_config():
    conf = [{"class_name": "Dense", "config": {"name": "d1", "units": 4, "batch_input_shape": [None, 3]}},
            {"class_name": "Dense", "config": {"name": "d2", "units": 1}}]
    model = ok.Sequential.from_config(conf)
    assert model.output_shape == (None, 1) and [la.name for la in model.layers] == ["d1", "d2"]


def test_yaml_loading_is_safe():
    with pytest.raises(Exception, match="python/object"):
        model_from_yaml("!!python/object/apply:os.system ['echo hi']")


def test_layers_serialize_deserialize():
    layer = layers.Dense(3, activation="relu", name="d")
    conf = layers.serialize(layer)
    assert conf["class_name"] == "Dense" and conf["config"]["units"] == 3
    clone = layers.deserialize(conf)
    assert isinstance(clone, layers.Dense) and clone.get_config() == layer.get_config()
    with pytest.raises(ValueError, match="Unknown layer: 'Nope'"):
        layers.deserialize({"class_name": "Nope", "config": {}})


def test_custom_layer_through_custom_objects():
    class Scale(layers.Layer):
        def call(self, x):
            return x * 2

    x = ok.Input((2,))
    model = ok.Model(x, Scale(name="scale")(x))
    text = model.to_json()
    with pytest.raises(ValueError, match="custom_objects"):
        model_from_json(text)
    clone = model_from_json(text, custom_objects={"Scale": Scale})
    torch.testing.assert_close(clone(torch.ones(1, 2)), torch.full((1, 2), 2.0))
