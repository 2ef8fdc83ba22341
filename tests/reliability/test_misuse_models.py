"""Misuse of models: building Sequential and functional models, weights, layers lookup."""

import numpy as np
import pytest
from reliability.misuse_utils import assert_clear_error, case

import openkeras as ok
from openkeras import layers as L
from openkeras.models import Model, Sequential


def functional(name="f"):
    a = ok.Input((4,), name="x")
    return Model(a, L.Dense(2, name="dense_out")(a), name=name)


def duplicate_names():
    a = ok.Input((4,))
    return Model(a, L.Dense(2, name="d")(L.Dense(2, name="d")(a)))


def input_from_a_layer():
    a = ok.Input((4,))
    hidden = L.Dense(2)(a)
    return Model(hidden, L.Dense(2)(hidden))


def disconnected():
    a, b = ok.Input((4,), name="a"), ok.Input((4,), name="b")
    return Model(a, L.Dense(2, name="uses_b")(b))


def set_layer_weights(shapes):
    layer = L.Dense(2, name="dl")
    layer(ok.Input((4,)))
    layer.set_weights([np.zeros(s) for s in shapes])


CASES = [
    case("sequential-add-a-number", lambda: Sequential().add(3), TypeError, "layer",
         "Layer", "layer=3"),
    case("sequential-list-with-a-string", lambda: Sequential([L.Dense(2), "relu"]), TypeError,
         "layer", "Layer", "'relu'"),
    case("sequential-pop-empty", lambda: Sequential(name="empty").pop(), TypeError,
         "no layers", "model"),
    case("sequential-summary-unbuilt", lambda: Sequential([L.Dense(2)]).summary(), ValueError,
         "not yet been built", "input_shape"),
    case("functional-duplicate-layer-names", duplicate_names, ValueError, '"d"', "2 times",
         "unique"),
    case("functional-outputs-not-tensors", lambda: Model(ok.Input((4,)), 3), TypeError,
         "outputs", "tensors", "3"),
    case("functional-input-not-from-input", input_from_a_layer, ValueError, "input",
         "`Input`", "KerasTensor"),
    case("functional-graph-disconnected", disconnected, ValueError, "Graph disconnected",
         "'b'", '"uses_b"'),
    case("get-layer-unknown-name", lambda: functional().get_layer("nope"), ValueError, "nope",
         "dense_out"),
    case("get-layer-index-too-large", lambda: functional().get_layer(index=10), ValueError,
         "index 10", "2 layers"),
    case("model-set-weights-wrong-count", lambda: functional().set_weights([np.zeros((4, 2))]),
         ValueError, '"f"', "length 1", "expecting 2"),
    case("model-set-weights-wrong-shape",
         lambda: functional().set_weights([np.zeros((4, 3)), np.zeros(2)]), ValueError,
         "f", "(4, 2)", "(4, 3)"),
    case("layer-set-weights-wrong-shape", lambda: set_layer_weights([(3, 2), (2,)]),
         ValueError, "dl", "(4, 2)", "(3, 2)"),
    case("layer-set-weights-wrong-count", lambda: set_layer_weights([(4, 2)]), ValueError,
         "dl", "expecting 2", "length 1"),
    case("model-called-on-two-inputs",
         lambda: functional()([np.zeros((2, 4)), np.zeros((2, 4))]), ValueError, '"f"',
         "1 input(s)", "2 input tensors"),
    case("model-from-config-unknown-layer",
         lambda: ok.models.model_from_config({"class_name": "Sequential", "config": [
             {"class_name": "Densee", "config": {}}]}), ValueError, "layer", "'Densee'", "Dense"),
    case("model-from-json-given-a-dict", lambda: ok.models.model_from_json({"a": 1}), TypeError,
         "json_string", "str", "dict"),
    case("model-unknown-keyword-in-layer-config",
         lambda: L.deserialize({"class_name": "Dense", "config": {"units": 2, "unitz": 3}}),
         TypeError, "unitz", "Dense"),
]


@pytest.mark.parametrize("fn,exc_type,must_mention", CASES)
def test_model_misuse(fn, exc_type, must_mention):
    assert_clear_error(fn, exc_type, must_mention)


def test_save_of_a_subclassed_model_points_to_save_weights(tmp_path):
    class Net(Model):
        def call(self, x):
            return x

    assert_clear_error(lambda: Net().save(tmp_path / "s.h5"), NotImplementedError,
                       ["subclassed", "'Net'", "save_weights"])
