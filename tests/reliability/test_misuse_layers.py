"""Misuse of layers: wrong constructor arguments and layers called on inputs they cannot take."""

import numpy as np
import pytest
from reliability.misuse_utils import assert_clear_error, case

import openkeras as ok
from openkeras import layers as L


def inp(*shape, name=None):
    return ok.Input(shape, name=name)


def call_twice(layer, first, second):
    layer(inp(*first))
    layer(inp(*second))


CASES = [
    # --- Dense and core layers
    case("dense-negative-units", lambda: L.Dense(-3), ValueError, "units", "positive", "-3"),
    case("dense-zero-units", lambda: L.Dense(0), ValueError, "units", "positive", "units=0"),
    case("dense-float-units", lambda: L.Dense(3.5), ValueError, "units", "integer", "3.5"),
    case("dense-unknown-activation", lambda: L.Dense(3, activation="relux"), ValueError,
         "activation", "'relux'", "relu"),
    case("dense-unknown-initializer", lambda: L.Dense(3, kernel_initializer="glorot_unifrom"),
         ValueError, "initializer", "'glorot_unifrom'", "GlorotUniform"),
    case("dense-unknown-regularizer", lambda: L.Dense(3, kernel_regularizer="l3"), ValueError,
         "regularizer", "'l3'", "l2"),
    case("dense-unknown-constraint", lambda: L.Dense(3, kernel_constraint="nonnegative"),
         ValueError, "constraint", "'nonnegative'", "non_neg"),
    case("dense-unknown-keyword", lambda: L.Dense(3, unitz=4), TypeError, "unitz", "Dense"),
    case("dense-zero-size-input", lambda: L.Dense(3, name="d0")(inp(0)), ValueError,
         '"d0"', "positive", "(None, 0)"),
    case("dense-called-on-other-width", lambda: call_twice(L.Dense(3, name="d1"), (4,), (5,)),
         ValueError, '"d1"', "value 4", "(None, 5)"),
    case("dense-on-1d-input", lambda: L.Dense(3, name="d2")(ok.Input(batch_shape=(4,))),
         ValueError, "d2", "ndim=2", "(4,)"),
    case("activation-unknown-name", lambda: L.Activation("sigmoidd"), ValueError,
         "activation", "'sigmoidd'", "sigmoid"),
    case("dropout-rate-above-one", lambda: L.Dropout(1.5), ValueError, "rate", "between 0 and 1",
         "1.5"),
    case("dropout-rate-negative", lambda: L.Dropout(-0.1), ValueError, "rate", "-0.1"),
    case("reshape-incompatible-size", lambda: L.Reshape((3, 3), name="r")(inp(4)), ValueError,
         '"r"', "[4]", "[3, 3]"),
    case("reshape-two-unknown-dims", lambda: L.Reshape((-1, -1), name="r2"), ValueError,
         "r2", "at most one", "(-1, -1)"),
    case("reshape-target-not-tuple", lambda: L.Reshape(4, name="r3"), ValueError,
         "target_shape", "tuple", "target_shape=4"),
    case("permute-not-consecutive", lambda: L.Permute((1, 3))(inp(4, 5)), ValueError,
         "dims", "consecutive", "(1, 3)"),
    case("permute-repeated-axis", lambda: L.Permute((1, 1))(inp(4, 5)), ValueError,
         "dims", "(1, 1)"),
    case("repeat-vector-negative", lambda: L.RepeatVector(-1), ValueError, "n", "positive",
         "n=-1"),
    case("repeat-vector-on-3d", lambda: L.RepeatVector(3, name="rv")(inp(4, 5)), ValueError,
         '"rv"', "ndim=2", "(None, 4, 5)"),
    case("lambda-not-callable", lambda: L.Lambda(3, name="lam"), TypeError, "'lam'",
         "callable", "function=3"),
    case("layer-called-on-a-string", lambda: L.Dense(3, name="ds")("abc"), TypeError,
         "ds", "'abc'"),
    # --- convolution, pooling, padding
    case("conv-kernel-larger-than-input", lambda: L.Conv2D(4, 5, name="c")(inp(3, 3, 1)),
         ValueError, '"c"', "kernel_size=(5, 5)", "(None, 3, 3, 1)"),
    case("conv-negative-filters", lambda: L.Conv2D(-1, 3), ValueError, "filters",
         "positive", "filters=-1"),
    case("conv-zero-kernel", lambda: L.Conv2D(4, 0), ValueError, "kernel_size", "positive",
         "kernel_size=0"),
    case("conv-unknown-padding", lambda: L.Conv2D(4, 3, padding="full"), ValueError,
         "padding", "'valid', 'same'", "'full'"),
    case("conv-zero-strides", lambda: L.Conv2D(4, 3, strides=0), ValueError, "strides",
         "strides=0"),
    case("conv-kernel-wrong-length", lambda: L.Conv2D(4, (3, 3, 3)), ValueError,
         "kernel_size", "2 integers", "(3, 3, 3)"),
    case("conv2d-on-3d-input", lambda: L.Conv2D(4, 3, name="c2")(inp(8, 8)), ValueError,
         '"c2"', "min_ndim=4", "(None, 8, 8)"),
    case("conv1d-on-2d-input", lambda: L.Conv1D(4, 3, name="c1")(inp(8)), ValueError,
         '"c1"', "min_ndim=3", "(None, 8)"),
    case("conv-unknown-data-format", lambda: L.Conv2D(4, 3, data_format="nhwc"), ValueError,
         "data_format", "channels_last", "'nhwc'"),
    case("pool-larger-than-input", lambda: L.MaxPooling2D(4, name="p")(inp(3, 3, 1)),
         ValueError, '"p"', "(4, 4)", "(None, 3, 3, 1)"),
    case("pool-unknown-padding", lambda: L.MaxPooling2D(2, padding="full"), ValueError,
         "padding", "'full'"),
    case("pool-zero-size", lambda: L.MaxPooling2D(0), ValueError, "pool_size", "positive",
         "pool_size=0"),
    case("zero-padding-negative", lambda: L.ZeroPadding2D(-1), ValueError, "padding",
         "non-negative", "padding=-1"),
    case("cropping-more-than-input", lambda: L.Cropping2D(3, name="crop")(inp(4, 4, 1)),
         ValueError, '"crop"', "smaller than the input", "(None, 4, 4, 1)"),
    case("upsampling-zero-size", lambda: L.UpSampling2D(0), ValueError, "size", "positive",
         "size=0"),
    # --- recurrent, embeddings, wrappers
    case("lstm-negative-units", lambda: L.LSTM(-2), ValueError, "units", "positive", "-2"),
    case("lstm-on-2d-input", lambda: L.LSTM(3, name="lstm")(inp(4)), ValueError, '"lstm"',
         "ndim=3", "(None, 4)"),
    case("lstm-dropout-above-one", lambda: L.LSTM(3, dropout=2.0), ValueError, "dropout",
         "[0, 1]", "2.0"),
    case("gru-unknown-activation", lambda: L.GRU(3, activation="tanhh"), ValueError,
         "activation", "'tanhh'", "tanh"),
    case("embedding-zero-input-dim", lambda: L.Embedding(0, 3), ValueError, "input_dim",
         "positive", "input_dim=0"),
    case("embedding-negative-output-dim", lambda: L.Embedding(10, -3), ValueError,
         "output_dim", "positive", "output_dim=-3"),
    case("embedding-input-length-mismatch",
         lambda: L.Embedding(10, 3, input_length=5, name="emb")(inp(4)), ValueError,
         '"emb"', "input_length", "(None, 4)"),
    case("bidirectional-on-dense", lambda: L.Bidirectional(L.Dense(3, name="dd")), ValueError,
         "Bidirectional", "go_backwards", "'dd'"),
    case("bidirectional-unknown-merge-mode", lambda: L.Bidirectional(L.LSTM(3), merge_mode="max"),
         ValueError, "merge mode", "concat", "max"),
    case("bidirectional-on-a-string", lambda: L.Bidirectional("lstm"), ValueError,
         "Bidirectional", "Layer", "'lstm'"),
    case("time-distributed-on-a-number", lambda: L.TimeDistributed(3), ValueError,
         "TimeDistributed", "Layer", "3"),
    case("time-distributed-on-2d-input", lambda: L.TimeDistributed(L.Dense(3), name="td")(inp(4)),
         ValueError, '"td"', "at least 3 dimensions", "(None, 4)"),
    case("batchnorm-axis-out-of-range", lambda: L.BatchNormalization(axis=5, name="bn")(inp(4)),
         ValueError, '"bn"', "axis", "axis=5"),
    # --- merge layers
    case("concatenate-mismatched-shapes",
         lambda: L.Concatenate(name="cat")([inp(4, 3), inp(5, 3)]), ValueError, '"cat"',
         "matching shapes", "[(None, 4, 3), (None, 5, 3)]"),
    case("concatenate-single-tensor", lambda: L.Concatenate(name="cat1")(inp(4)), ValueError,
         '"cat1"', "list", "(None, 4)"),
    case("add-mismatched-shapes", lambda: L.Add(name="add")([inp(4), inp(5)]), ValueError,
         '"add"', "compatible shapes", "[(None, 4), (None, 5)]"),
    case("dot-mismatched-axes", lambda: L.Dot(axes=1, name="dot")([inp(4), inp(5)]),
         ValueError, '"dot"', "4", "5"),
    case("subtract-three-inputs", lambda: L.Subtract(name="sub")([inp(4), inp(4), inp(4)]),
         ValueError, '"sub"', "exactly 2 inputs", "[(None, 4), (None, 4), (None, 4)]"),
    # --- Input
    case("input-shape-a-string", lambda: ok.Input("4"), ValueError, "shape", "tuple",
         "shape='4'"),
    case("input-negative-dimension", lambda: ok.Input((-4,)), ValueError, "shape",
         "non-negative", "(-4,)"),
    case("input-float-dimension", lambda: ok.Input((4.5,)), ValueError, "shape", "integers",
         "(4.5,)"),
    case("input-without-shape", lambda: ok.Input(), ValueError, "shape", "batch_shape"),
]


@pytest.mark.parametrize("fn,exc_type,must_mention", CASES)
def test_layer_misuse(fn, exc_type, must_mention):
    assert_clear_error(fn, exc_type, must_mention)


def test_layer_call_on_numpy_of_wrong_width_names_the_layer():
    layer = L.Dense(2, name="head")
    layer(inp(4))
    # torch's RuntimeError is kept (so out-of-memory handling still sees its type), with the
    # layer named
    assert_clear_error(lambda: layer(np.zeros((2, 5), "float32")), RuntimeError,
                       ['"head"', "4x2", "(2, 5)"])
