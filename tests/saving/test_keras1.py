"""Keras 1 -> Keras 2 conversion of configs and weights, and tolerant weight-name matching."""

import numpy as np
import pytest

import openkeras
from openkeras import layers
from openkeras.saving import keras1, model_from_config, normalize_model_config
from openkeras.saving.weight_matching import order_by_name, weight_key


def _layer(class_name, **config):
    return keras1.convert_layer_config({"class_name": class_name, "config": config}, first=True)


def test_dense_keras1_arguments():
    out = _layer("Dense", name="d", output_dim=5, init="glorot_uniform", bias=False, input_dim=3,
                 W_regularizer={"name": "WeightRegularizer", "l1": 0.0, "l2": 0.1},
                 W_constraint={"name": "MaxNorm", "m": 2, "axis": 0}, input_dtype="float32")
    assert out == {"class_name": "Dense", "config": {
        "name": "d", "units": 5, "kernel_initializer": "glorot_uniform", "use_bias": False,
        "kernel_regularizer": {"class_name": "L1L2", "config": {"l1": 0.0, "l2": 0.1}},
        "kernel_constraint": {"class_name": "MaxNorm", "config": {"max_value": 2, "axis": 0}},
        "dtype": "float32", "batch_input_shape": [None, 3]}}


def test_convolution2d_keras1_arguments():
    out = _layer("Convolution2D", name="c", nb_filter=6, nb_row=3, nb_col=2, border_mode="same",
                 subsample=[1, 2], dim_ordering="th", atrous_rate=[1, 1])
    assert out["class_name"] == "Conv2D"
    assert out["config"] == {"name": "c", "filters": 6, "kernel_size": [3, 2], "padding": "same",
                             "strides": [1, 2], "data_format": "channels_first",
                             "dilation_rate": [1, 1]}
    assert _layer("Convolution1D", filter_length=4, subsample_length=2, nb_filter=3)["config"] == {
        "kernel_size": 4, "strides": 2, "filters": 3}
    assert "data_format" not in _layer("MaxPooling2D", dim_ordering="default")["config"]
    assert _layer("MaxPooling1D", pool_length=3, stride=2)["config"] == {"pool_size": 3,
                                                                         "strides": 2}


def test_recurrent_keras1_arguments():
    out = _layer("LSTM", output_dim=4, inner_init="orthogonal", inner_activation="hard_sigmoid",
                 forget_bias_init="one", consume_less="gpu", dropout_W=0.2, dropout_U=0.1,
                 U_regularizer=None, input_dim=3, input_length=7)["config"]
    assert out == {"units": 4, "recurrent_initializer": "orthogonal",
                   "recurrent_activation": "hard_sigmoid", "unit_forget_bias": True,
                   "implementation": 2, "dropout": 0.2, "recurrent_dropout": 0.1,
                   "recurrent_regularizer": None, "batch_input_shape": [None, 7, 3]}


def test_input_dim_of_later_layers_is_dropped():
    out = keras1.convert_layer_config({"class_name": "Dense", "config": {"output_dim": 2,
                                                                         "input_dim": 50}})
    assert "batch_input_shape" not in out["config"] and "input_dim" not in out["config"]


def test_batchnorm_mode_and_removed_layers():
    assert _layer("BatchNormalization", mode=0, beta_init="zero")["config"] == {
        "beta_initializer": "zero"}
    with pytest.raises(ValueError, match="mode=2"):
        _layer("BatchNormalization", mode=2)
    td = _layer("TimeDistributedDense", name="t", output_dim=3, input_dim=2, input_length=5)
    assert td["class_name"] == "TimeDistributed"
    assert td["config"]["batch_input_shape"] == [None, 5, 2]
    assert td["config"]["layer"]["config"]["units"] == 3
    assert _layer("Dropout", p=0.3)["config"] == {"rate": 0.3}


@pytest.mark.parametrize("mode,cls", [("sum", "Add"), ("mul", "Multiply"), ("ave", "Average"),
                                      ("max", "Maximum"), ("concat", "Concatenate"),
                                      ("dot", "Dot"), ("cos", "Dot")])
def test_merge_modes(mode, cls):
    out = _layer("Merge", name="m", mode=mode, concat_axis=1, dot_axes=1)
    assert out["class_name"] == cls
    if mode == "concat":
        assert out["config"]["axis"] == 1
    if cls == "Dot":
        assert out["config"]["normalize"] == (mode == "cos")


def test_merge_with_a_function_is_refused():
    with pytest.raises(ValueError, match="cannot be converted"):
        _layer("Merge", name="m", mode=["code", None, None], mode_type="lambda")


def test_keras1_functional_config_builds_a_model():
    config = {"class_name": "Model", "keras_version": "1.1.0", "config": {
        "name": "m", "input_layers": [["a", 0, 0], ["b", 0, 0]], "output_layers": [["s", 0, 0]],
        "layers": [
            {"class_name": "InputLayer", "name": "a", "inbound_nodes": [],
             "config": {"batch_input_shape": [None, 3], "input_dtype": "float32", "name": "a"}},
            {"class_name": "InputLayer", "name": "b", "inbound_nodes": [],
             "config": {"batch_input_shape": [None, 3], "input_dtype": "float32", "name": "b"}},
            {"class_name": "Merge", "name": "s", "inbound_nodes": [[["a", 0, 0], ["b", 0, 0]]],
             "config": {"name": "s", "mode": "sum", "concat_axis": -1, "dot_axes": -1}}]}}
    assert keras1.is_keras1_config(config)
    model = model_from_config(config)
    x = np.ones((2, 3), np.float32)
    np.testing.assert_allclose(model([x, 2 * x]).detach().numpy(), 3 * x)


def test_keras2_and_keras3_configs_are_left_alone():
    model = openkeras.Sequential([layers.Dense(2, input_shape=(3,))])
    config = {"class_name": "Sequential", "config": model.get_config()}
    assert not keras1.is_keras1_config(config)
    assert normalize_model_config(config) == config


def test_lstm_gates_are_fused_in_keras2_order():
    layer = layers.LSTM(2)
    layer.build((None, 4, 3))
    per_gate = []
    for gate in range(4):  # stored order i, c, f, o
        per_gate += [np.full((3, 2), gate, np.float32), np.full((2, 2), 10 + gate, np.float32),
                     np.full((2,), 20 + gate, np.float32)]
    kernel, recurrent, bias = keras1.preprocess_weights(layer, per_gate, "1.2.2", None)
    np.testing.assert_array_equal(kernel[0], [0, 0, 2, 2, 1, 1, 3, 3])  # i, f, c, o
    np.testing.assert_array_equal(recurrent[0], [10, 10, 12, 12, 11, 11, 13, 13])
    np.testing.assert_array_equal(bias, [20, 20, 22, 22, 21, 21, 23, 23])


def test_gru_gates_are_fused():
    layer = layers.GRU(2, reset_after=False)
    layer.build((None, 4, 3))
    per_gate = []
    for gate in range(3):  # z, r, h
        per_gate += [np.full((3, 2), gate, np.float32), np.full((2, 2), gate, np.float32),
                     np.full((2,), gate, np.float32)]
    kernel, _, bias = keras1.preprocess_weights(layer, per_gate, "1", None)
    np.testing.assert_array_equal(bias, [0, 0, 1, 1, 2, 2])
    assert kernel.shape == (3, 6)


def test_theano_kernels_are_flipped_and_transposed():
    kernel = np.arange(2 * 3 * 3 * 3, dtype=np.float32).reshape(3, 3, 3, 2)  # (kh, kw, in, out)
    np.testing.assert_array_equal(keras1.convert_kernel(kernel), kernel[::-1, ::-1])
    conv = layers.Conv2D(2, 3)
    conv.build((None, 5, 5, 3))
    flipped, _ = keras1.preprocess_weights(conv, [kernel, np.zeros(2)], "2.1.3", "theano")
    np.testing.assert_array_equal(flipped, kernel[::-1, ::-1])
    kept, _ = keras1.preprocess_weights(conv, [kernel, np.zeros(2)], "2.1.3", "tensorflow")
    np.testing.assert_array_equal(kept, kernel)
    th = np.transpose(kernel, (3, 2, 0, 1))  # Keras 1 'th' layout (out, in, kh, kw)
    cf = layers.Conv2D(2, 3, data_format="channels_first")
    cf.build((None, 3, 5, 5))
    converted, _ = keras1.preprocess_weights(cf, [th, np.zeros(2)], "1", None)
    np.testing.assert_array_equal(converted, kernel)
    with pytest.raises(ValueError, match="3D to 5D"):
        keras1.convert_kernel(np.zeros((2, 2)))


def test_weight_keys_and_matching():
    assert weight_key("conv2d_1_1/kernel:0") == "kernel"
    assert weight_key("lstm/lstm_cell/kernel:0", 2) == "lstm_cell/kernel"
    assert weight_key("sequential/dense/bias") == "bias"
    bn = layers.BatchNormalization()
    bn.build((None, 3))
    values = [np.full(3, i, np.float32) for i in range(4)]
    stored = ["bn_1/beta:0", "bn_1/gamma:0", "bn_1/moving_mean:0", "bn_1/moving_variance:0"]
    ordered = order_by_name(bn, stored, values)
    np.testing.assert_array_equal(ordered[0], values[1])  # gamma first
    np.testing.assert_array_equal(ordered[1], values[0])
    keras1 = ["bn_gamma:0", "bn_beta:0", "bn_running_mean:0", "bn_running_std:0"]
    assert [v[0] for v in order_by_name(bn, keras1, values)] == [0, 1, 2, 3]  # by order
