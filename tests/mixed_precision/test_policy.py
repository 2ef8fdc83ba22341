"""Dtype policies: names, errors, the global policy, layer dtypes and config round trips."""

import json

import pytest
import torch

import openkeras
from openkeras import layers, mixed_precision
from openkeras.mixed_precision import experimental


@pytest.mark.parametrize("name, compute, variable", [
    ("float32", "float32", "float32"), ("mixed_float16", "float16", "float32"),
    ("mixed_bfloat16", "bfloat16", "float32"), ("float16", "float16", "float16"),
    ("bfloat16", "bfloat16", "bfloat16"), ("float64", "float64", "float64")])
def test_policy_dtypes(name, compute, variable):
    policy = mixed_precision.Policy(name)
    assert (policy.name, policy.compute_dtype, policy.variable_dtype) == (name, compute, variable)
    assert policy == mixed_precision.Policy(name)


def test_unknown_policy_name_is_named_in_the_error():
    with pytest.raises(ValueError, match=r"name='mixed_int8'"):
        mixed_precision.Policy("mixed_int8")
    with pytest.raises(TypeError, match=r"name=16"):
        mixed_precision.Policy(16)
    with pytest.raises(ValueError, match=r"mixed_float61"):
        mixed_precision.set_global_policy("mixed_float61")


def test_global_policy_is_what_new_layers_get():
    assert mixed_precision.global_policy().name == "float32"
    mixed_precision.set_global_policy("mixed_bfloat16")
    assert experimental.global_policy().name == "mixed_bfloat16"
    dense = layers.Dense(2)
    assert (dense.dtype, dense.compute_dtype, dense.dtype_policy.name) == (
        "float32", "bfloat16", "mixed_bfloat16")
    experimental.set_policy("float32")  # tf.keras 2.1-2.3 spelling
    assert layers.Dense(2).dtype_policy.name == "float32"


def test_layer_dtype_accepts_names_policies_and_configs():
    assert layers.Dense(2, dtype="mixed_float16").compute_dtype == "float16"
    assert layers.Dense(2, dtype=mixed_precision.Policy("mixed_bfloat16")).compute_dtype == "bfloat16"
    tf_keras = {"class_name": "Policy", "config": {"name": "mixed_float16"}}
    layer = layers.Dense(2, dtype=tf_keras)
    assert (layer.dtype, layer.compute_dtype) == ("float32", "float16")
    assert layers.Dense(2, dtype="float64").dtype == "float64"


def test_weights_stay_float32_under_a_mixed_policy():
    layer = layers.Dense(3, dtype="mixed_bfloat16")
    out = layer(torch.ones(2, 4))
    assert layer.kernel.dtype == torch.float32 and layer.bias.dtype == torch.float32
    assert out.dtype == torch.bfloat16


def test_config_holds_the_policy_as_tf_keras_does():
    mixed_precision.set_global_policy("mixed_float16")
    model = openkeras.Sequential([layers.Dense(4, input_shape=(3,)),
                                  layers.Activation("softmax", dtype="float32")])
    dense_config = model.layers[0].get_config()
    assert dense_config["dtype"] == {"class_name": "Policy", "config": {"name": "mixed_float16"}}
    assert model.layers[1].get_config()["dtype"] == "float32"
    mixed_precision.set_global_policy(None)
    clone = openkeras.models.model_from_json(model.to_json())
    assert [(lay.dtype, lay.compute_dtype) for lay in clone.layers] == [
        ("float32", "float16"), ("float32", "float32")]
    assert json.loads(clone.to_json()) == json.loads(model.to_json())


def test_float32_layers_keep_their_config():
    assert layers.Dense(2).get_config()["dtype"] == "float32"
