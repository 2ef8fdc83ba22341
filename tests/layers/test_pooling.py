import itertools
import math

import numpy as np
import pytest
import torch
from golden_cases import check_golden_case, layer_cases
from layer_test_utils import run_layer_test

import openkeras as ok
from openkeras.layers import pooling
from openkeras.layers.core import Masking
from openkeras.utils.generic_utils import custom_object_scope

CLASSES = {name: obj for name, obj in vars(pooling).items()
           if isinstance(obj, type) and issubclass(obj, pooling.Layer)}


@pytest.fixture(autouse=True)
def _registered():
    with custom_object_scope(CLASSES):
        yield


@pytest.mark.parametrize("case", layer_cases("pooling").values(), ids=str)
def test_matches_tf_keras_golden(case):
    layer = CLASSES[case.entry["class_name"]].from_config(case.entry["config"])
    check_golden_case(layer, case, rtol=1e-5, atol=1e-5, config_ignore=(), weight_names=True)


@pytest.mark.parametrize("cls, kwargs, input_shape, output_shape", [
    (pooling.MaxPooling1D, {}, (2, 7, 3), (None, 3, 3)),
    (pooling.MaxPooling1D, {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 8, 3),
     (None, 4, 3)),
    (pooling.AveragePooling1D, {"pool_size": 2, "strides": 1, "padding": "same",
                                "data_format": "channels_first"}, (2, 3, 5), (None, 3, 5)),
    (pooling.MaxPooling2D, {"pool_size": (2, 3)}, (2, 6, 7, 3), (None, 3, 2, 3)),
    (pooling.AveragePooling2D, {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 6, 7, 3),
     (None, 3, 4, 3)),
    (pooling.MaxPooling3D, {"pool_size": 2, "padding": "same",
                            "data_format": "channels_first"}, (2, 3, 3, 4, 5), (None, 3, 2, 2, 3)),
    (pooling.AveragePooling3D, {"pool_size": (1, 2, 2), "strides": 1}, (2, 3, 4, 5, 2),
     (None, 3, 3, 4, 2)),
    (pooling.GlobalMaxPooling1D, {}, (2, 5, 3), (None, 3)),
    (pooling.GlobalAveragePooling1D, {"keepdims": True}, (2, 5, 3), (None, 1, 3)),
    (pooling.GlobalMaxPooling2D, {"data_format": "channels_first"}, (2, 3, 4, 5), (None, 3)),
    (pooling.GlobalAveragePooling2D, {"keepdims": True}, (2, 4, 5, 3), (None, 1, 1, 3)),
    (pooling.GlobalMaxPooling3D, {"keepdims": True, "data_format": "channels_first"},
     (2, 3, 2, 2, 2), (None, 3, 1, 1, 1)),
    (pooling.GlobalAveragePooling3D, {}, (2, 2, 3, 2, 4), (None, 4)),
])
def test_run_layer_test(cls, kwargs, input_shape, output_shape):
    run_layer_test(cls, kwargs, input_shape=input_shape, expected_output_shape=output_shape,
                   expected_num_weights=0)


def _tf_pool_1d(x, k, s, padding, reduce):
    """Reference pooling over axis 1 of (batch, steps, channels), TensorFlow's rules."""
    n = x.shape[1]
    if padding == "valid":
        out_len, before = (n - k) // s + 1, 0
    else:
        out_len = math.ceil(n / s)
        before = max((out_len - 1) * s + k - n, 0) // 2
    cols = []
    for i in range(out_len):
        start = i * s - before
        window = x[:, max(start, 0):min(start + k, n)]  # padded elements never count
        cols.append(reduce(window, axis=1))
    return np.stack(cols, axis=1)


@pytest.mark.parametrize("n, k, s, padding", [
    c for c in itertools.product(range(1, 10), (1, 2, 3, 4), (1, 2, 3), ("valid", "same"))
    if c[3] == "same" or c[1] <= c[0]])
def test_1d_pooling_matches_reference(n, k, s, padding):
    x = np.random.default_rng(n * 100 + k * 10 + s).standard_normal((2, n, 3)).astype("float32")
    for cls, reduce in ((pooling.MaxPooling1D, np.max), (pooling.AveragePooling1D, np.mean)):
        out = cls(k, s, padding)(torch.from_numpy(x)).numpy()
        np.testing.assert_allclose(out, _tf_pool_1d(x, k, s, padding, reduce), rtol=1e-5,
                                   atol=1e-6, err_msg=f"{cls.__name__} n={n} k={k} s={s}")


@pytest.mark.parametrize("cls, reduce", [(pooling.MaxPooling2D, np.max),
                                         (pooling.AveragePooling2D, np.mean)])
def test_2d_asymmetric_same_padding(cls, reduce):
    """7x6 input, pool (4, 2), strides 2: TF pads rows (1, 2) and columns (0, 0)."""
    x = np.random.default_rng(3).standard_normal((2, 7, 6, 3)).astype("float32")
    out = cls((4, 2), 2, "same")(torch.from_numpy(x)).numpy()
    assert out.shape == (2, 4, 3, 3)
    expected = np.zeros_like(out)
    for i, j in itertools.product(range(4), range(3)):
        window = x[:, max(2 * i - 1, 0):2 * i + 3, 2 * j:2 * j + 2]
        expected[:, i, j] = reduce(window, axis=(1, 2))
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)


def test_valid_pooling_matches_torch_nn():
    x = torch.randn(2, 3, 9, 8, 7)
    torch.testing.assert_close(
        pooling.MaxPooling3D((2, 3, 2), (2, 2, 3), data_format="channels_first")(x),
        torch.nn.MaxPool3d((2, 3, 2), (2, 2, 3))(x))
    torch.testing.assert_close(
        pooling.AveragePooling2D((3, 2), data_format="channels_first")(x[:, :, 0]),
        torch.nn.AvgPool2d((3, 2))(x[:, :, 0]), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cls, kwargs", [
    (pooling.MaxPooling2D, {"pool_size": 3, "strides": 2, "padding": "same"}),
    (pooling.AveragePooling2D, {"pool_size": (2, 3), "strides": 2, "padding": "same"}),
    (pooling.AveragePooling3D, {"pool_size": 2, "strides": (1, 2, 2), "padding": "same"}),
    (pooling.MaxPooling3D, {"pool_size": 2}),
    (pooling.GlobalAveragePooling2D, {"keepdims": True}),
    (pooling.GlobalMaxPooling3D, {}),
])
def test_channels_first_equals_channels_last(cls, kwargs):
    rank = 3 if "3D" in cls.__name__ else 2
    x = torch.randn((2,) + (5, 6, 4)[:rank] + (3,))
    to_first = (0, rank + 1) + tuple(range(1, rank + 1))
    out_last = cls(data_format="channels_last", **kwargs)(x)
    out_first = cls(data_format="channels_first", **kwargs)(x.permute(to_first))
    if out_last.dim() > 2:
        out_first = out_first.permute((0,) + tuple(range(2, rank + 2)) + (1,))
    torch.testing.assert_close(out_first, out_last, rtol=1e-5, atol=1e-6)


def test_global_average_pooling_1d_uses_the_mask():
    x = np.random.default_rng(0).standard_normal((2, 5, 3)).astype("float32")
    x[0, 3:] = 0.0
    x[1, 1] = 0.0
    inputs = ok.Input((5, 3))
    outputs = pooling.GlobalAveragePooling1D()(Masking(0.0)(inputs))
    assert outputs._keras_mask is None
    model = ok.Model(inputs, outputs)
    out = model(torch.from_numpy(x)).detach().numpy()
    keep = np.any(x != 0, axis=-1)
    expected = np.stack([x[i][keep[i]].mean(axis=0) for i in range(2)])
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    layer = pooling.GlobalAveragePooling1D(data_format="channels_first", keepdims=True)
    xt = torch.from_numpy(x).transpose(1, 2)
    out = layer(xt, mask=torch.from_numpy(keep)).numpy()
    np.testing.assert_allclose(out[:, :, 0], expected, rtol=1e-5, atol=1e-6)


def test_global_max_pooling_refuses_a_mask():
    inputs = ok.Input((5, 3))
    with pytest.raises(TypeError, match="does not support masking"):
        pooling.GlobalMaxPooling1D()(Masking(0.0)(inputs))


def test_errors_name_the_layer():
    with pytest.raises(ValueError, match=r'layer "max_pooling2d".*expected ndim=4, found ndim=3'):
        pooling.MaxPooling2D()(ok.Input((28, 28)))
    with pytest.raises(ValueError, match=r'"average_pooling2d".*does not fit'):
        pooling.AveragePooling2D(3)(ok.Input((2, 5, 3)))
    with pytest.raises(ValueError, match=r'layer "global_average_pooling1d".*expected ndim=3'):
        pooling.GlobalAveragePooling1D()(ok.Input((4, 4, 4)))
    with pytest.raises(ValueError, match="padding='full'"):
        pooling.MaxPooling2D(padding="full")
    with pytest.raises(ValueError, match="pool_size"):
        pooling.MaxPooling2D((2, 0))


def test_keras1_arguments_and_aliases():
    with pytest.warns(DeprecationWarning, match="pool_length"):
        layer = pooling.MaxPooling1D(pool_length=3, stride=1, border_mode="same")
    assert (layer.pool_size, layer.strides, layer.padding) == ((3,), (1,), "same")
    with pytest.warns(DeprecationWarning, match="dim_ordering"):
        layer = pooling.AveragePooling2D(dim_ordering="th")
    assert layer.data_format == "channels_first" and layer.strides == (2, 2)
    assert pooling.MaxPool2D is pooling.MaxPooling2D
    assert pooling.AvgPool3D is pooling.AveragePooling3D
    assert pooling.GlobalAvgPool2D is pooling.GlobalAveragePooling2D
    assert pooling.GlobalMaxPool1D is pooling.GlobalMaxPooling1D
