"""LocallyConnected1D / LocallyConnected2D against tf_keras 2.21 (tools/fx_local.py): all three
implementation modes, both data formats, Keras weight layout, configs and .h5 files."""

import os

import numpy as np
import pytest
import torch
from golden_cases import check_golden_case, layer_cases, model_case
from layer_test_utils import run_layer_test

import openkeras as ok
from openkeras import layers
from openkeras.layers import local
from openkeras.models import load_model

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures")
CLASSES = {"LocallyConnected1D": layers.LocallyConnected1D,
           "LocallyConnected2D": layers.LocallyConnected2D}


@pytest.mark.parametrize("case", layer_cases("local").values(), ids=str)
def test_matches_tf_keras_golden(case):
    layer = CLASSES[case.entry["class_name"]].from_config(case.entry["config"])
    check_golden_case(layer, case, rtol=1e-5, atol=1e-5, config_ignore=(), weight_names=True)


@pytest.mark.parametrize("cls,kwargs,shape,out_shape,kernel_shape", [
    (layers.LocallyConnected1D, {"filters": 3, "kernel_size": 2}, (2, 5, 4), (None, 4, 3),
     (4, 8, 3)),
    (layers.LocallyConnected1D, {"filters": 3, "kernel_size": 2, "implementation": 2},
     (2, 5, 4), (None, 4, 3), (5, 4, 4, 3)),
    (layers.LocallyConnected2D, {"filters": 2, "kernel_size": 2, "implementation": 3,
                                 "padding": "same", "strides": 2}, (2, 4, 5, 3),
     (None, 2, 3, 2), None),
    (layers.LocallyConnected2D, {"filters": 2, "kernel_size": (2, 3), "implementation": 2,
                                 "data_format": "channels_first"}, (2, 3, 4, 5),
     (None, 2, 3, 3), (3, 4, 5, 2, 3, 3)),
])
def test_layer_contract(cls, kwargs, shape, out_shape, kernel_shape):
    run_layer_test(cls, kwargs, input_shape=shape, expected_output_shape=out_shape,
                   expected_num_weights=2)
    layer = cls(**kwargs)
    layer(ok.Input(batch_shape=(None,) + shape[1:]))
    if kernel_shape is not None:
        assert layer.get_weights()[0].shape == kernel_shape


def test_modes_compute_the_same_function():
    # One set of unshared weights, written in each mode's layout, gives one output.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 6, 5, 2)).astype(np.float32)
    m1 = layers.LocallyConnected2D(3, (3, 2), strides=(2, 1), implementation=1)
    m2 = layers.LocallyConnected2D(3, (3, 2), strides=(2, 1), implementation=2)
    m3 = layers.LocallyConnected2D(3, (3, 2), strides=(2, 1), implementation=3)
    for layer in (m1, m2, m3):
        layer(ok.Input((6, 5, 2)))
    kernel1, bias = m1.get_weights()  # (out positions 2*4, 3*2*2 patch entries, 3 filters)
    kernel2 = np.zeros(m2.get_weights()[0].shape, np.float32)  # (6, 5, 2, 2, 4, 3)
    entries = []
    for oi in range(2):
        for oj in range(4):
            for ki in range(3):
                for kj in range(2):
                    for c in range(2):
                        row = kernel1[oi * 4 + oj, (ki * 2 + kj) * 2 + c]
                        kernel2[oi * 2 + ki, oj + kj, c, oi, oj] = row
                        for f in range(3):
                            out_idx = (oi * 4 + oj) * 3 + f
                            in_idx = ((oi * 2 + ki) * 5 + oj + kj) * 2 + c
                            entries.append((out_idx, in_idx, row[f]))
    kernel3 = np.array([v for _, _, v in sorted(entries)], np.float32)
    m2.set_weights([kernel2, bias])
    m3.set_weights([kernel3, bias])
    expected = m1(torch.from_numpy(x)).detach().numpy()
    for layer in (m2, m3):
        np.testing.assert_allclose(layer(torch.from_numpy(x)).detach().numpy(), expected,
                                   rtol=1e-5, atol=1e-6)


def test_tf_keras_file_loads_and_predicts(tmp_path):
    case = model_case("h5/locally_connected.npz")
    model = load_model(os.path.join(FIXTURES, "h5", "locally_connected.h5"))
    kinds = [(type(lyr).__name__, getattr(lyr, "implementation", None)) for lyr in model.layers]
    assert kinds[:2] == [("LocallyConnected2D", 1), ("LocallyConnected2D", 2)]
    assert kinds[3] == ("LocallyConnected1D", 3)
    model.save(tmp_path / "again.h5")
    for loaded in (model, load_model(tmp_path / "again.h5")):
        check_golden_case(loaded, case, rtol=1e-5, atol=1e-6, build=False, weights=False,
                          call=lambda m, xs: m.predict(xs[0], verbose=0))
    model.fit(case.inputs[0], np.eye(3, dtype="float32")[[0, 1, 2, 0]], verbose=0)  # it trains


def test_import_paths_and_keras_1_arguments():
    assert local.LocallyConnected1D is layers.LocallyConnected1D
    with pytest.warns(DeprecationWarning):
        layer = layers.LocallyConnected1D(nb_filter=3, filter_length=2, input_shape=(5, 2))
    assert layer.filters == 3 and layer.kernel_size == (2,)
    config = layers.LocallyConnected1D(3, 2).get_config()
    config.pop("implementation")  # Keras 2.2.4 configs have no implementation: mode 1
    assert layers.LocallyConnected1D.from_config(config).implementation == 1


def test_bad_arguments_name_the_layer_and_value():
    with pytest.raises(ValueError, match="only \"valid\" is supported if implementation is 1"):
        layers.LocallyConnected2D(2, 3, padding="same")
    with pytest.raises(ValueError, match="Received: implementation=4"):
        layers.LocallyConnected1D(2, 3, implementation=4)
    with pytest.raises(ValueError, match="Received: filters=0"):
        layers.LocallyConnected1D(0, 3)
    with pytest.raises(ValueError, match="needs fully-defined spatial"):
        layers.LocallyConnected1D(2, 3)(ok.Input((None, 4)))
    built = layers.LocallyConnected1D(2, 3)
    built(ok.Input((7, 4)))
    with pytest.raises(ValueError, match="expected axis 1 of input shape to have value 7"):
        built(ok.Input((8, 4)))  # the weights are per position: the length is fixed
    with pytest.raises(ValueError, match="output .* is <= 0"):
        layers.LocallyConnected2D(2, 5)(ok.Input((3, 3, 1)))
