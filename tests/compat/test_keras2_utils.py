"""Keras 2 helpers add-on code imports: generic_utils, data_utils enqueuers, io_utils H5Dict,
conv/layer utils, training_utils, legacy interfaces, RemoteMonitor, optimizer aliases."""

import sys
import types
import warnings

import numpy as np
import pytest

import openkeras
from openkeras import optimizers
from openkeras.engine import training_utils
from openkeras.legacy import interfaces
from openkeras.utils import conv_utils, generic_utils, layer_utils
from openkeras.utils.io_utils import H5Dict


def test_lowercase_optimizer_aliases_are_callable_as_in_keras2():
    with pytest.warns(DeprecationWarning):
        opt = optimizers.rmsprop(lr=0.001)
    assert type(opt) is optimizers.RMSprop and opt.get_config()["learning_rate"] == pytest.approx(0.001)
    for name, cls in [("sgd", "SGD"), ("adagrad", "Adagrad"), ("adadelta", "Adadelta"),
                      ("adam", "Adam"), ("adamax", "Adamax"), ("nadam", "Nadam")]:
        assert isinstance(getattr(optimizers, name)(), getattr(optimizers, cls))
    from openkeras.optimizers.rmsprop_optimizer import RMSprop  # our own submodules still import

    assert RMSprop is optimizers.RMSprop


def test_func_dump_and_load_respect_safe_mode():
    scale = 3.0

    def f(x, y=2):
        return x * y * scale

    dumped = generic_utils.func_dump(f)
    with pytest.raises(ValueError, match="safe mode"):
        generic_utils.func_load(dumped)
    g = generic_utils.func_load(dumped, safe_mode=False)
    assert g(2) == 12.0 and g(1, y=5) == 15.0
    with generic_utils.SafeModeScope(False):
        assert generic_utils.func_load(*dumped)(1) == 6.0


def test_generic_helpers():
    def fn(a, b=1, **kwargs):
        return a

    assert generic_utils.has_arg(fn, "b") and not generic_utils.has_arg(fn, "c")
    assert generic_utils.has_arg(fn, "c", accept_all=True)
    assert generic_utils.is_all_none([None, None]) and not generic_utils.is_all_none([None, 1])
    arrays = [np.arange(5), None]
    assert generic_utils.slice_arrays(arrays, 1, 3)[0].tolist() == [1, 2]
    assert generic_utils.slice_arrays(np.arange(5), [0, 4]).tolist() == [0, 4]
    assert generic_utils.transpose_shape((5, 6, 3), "channels_first", spatial_axes=(0, 1)) == (3, 5, 6)
    a, b = object(), object()
    assert generic_utils.object_list_uid([a, b]) == f"{id(a)}, {id(b)}"
    from openkeras.utils.generic_utils import Progbar

    assert Progbar is openkeras.utils.Progbar


def test_h5dict_files_groups_and_dicts(tmp_path):
    path = tmp_path / "d.h5"
    with H5Dict(str(path)) as d:
        d["weights"] = np.arange(6.0).reshape(2, 3)
        d["name"] = "model"
        d["names"] = ["a", "b"]
        d["group"]["value"] = np.ones(2)
        assert "weights" in d and len(d) == 4
    with H5Dict(str(path), mode="r") as d:
        assert d["weights"].tolist() == [[0, 1, 2], [3, 4, 5]]
        assert d["name"] == "model" and d["names"] == ["a", "b"]
        assert d["group"]["value"].tolist() == [1.0, 1.0]
        with pytest.raises(ValueError, match="read-only"):
            d["other"] = 1
        with pytest.raises(KeyError, match="missing"):
            d["missing"]
    memory = {}
    d = H5Dict(memory)
    d["a"] = 1
    d["sub"]["b"] = 2
    assert memory == {"a": 1, "sub": {"b": 2}}


def test_conv_and_layer_utils():
    assert conv_utils.conv_input_length(3, 3, "valid", 2) == 7
    assert conv_utils.conv_output_length(7, 3, "valid", 2) == 3
    assert conv_utils.deconv_length(4, 2, 3, "valid") == 9
    kernel = np.arange(2 * 2 * 1 * 1).reshape(2, 2, 1, 1)
    assert conv_utils.convert_kernel(kernel)[:, :, 0, 0].tolist() == [[3, 2], [1, 0]]
    model = openkeras.Sequential([openkeras.Input((4, 4, 1)), openkeras.layers.Conv2D(1, 2)])
    before = model.layers[0].get_weights()[0]
    layer_utils.convert_all_kernels_in_model(model)
    np.testing.assert_array_equal(model.layers[0].get_weights()[0], before[::-1, ::-1])


def test_training_utils_helpers():
    assert training_utils.make_batches(5, 2) == [(0, 2), (2, 4), (4, 5)]
    assert training_utils.should_run_validation(2, 1) and not training_utils.should_run_validation(2, 0)
    assert training_utils.should_run_validation([1, 3], 2)
    np.random.seed(0)
    shuffled = training_utils.batch_shuffle(np.arange(7), 2)
    assert sorted(shuffled.tolist()) == list(range(7)) and shuffled[-1] == 6
    assert training_utils.check_num_samples([np.zeros((4, 2))], batch_size=2) == 4
    with pytest.raises(ValueError, match="same number of samples"):
        training_utils.check_array_length_consistency([np.zeros(3)], [np.zeros(4)])
    with pytest.raises(NotImplementedError, match="model.fit"):
        training_utils.standardize_input_data([1])


def test_legacy_interfaces_convert_keras1_arguments():
    class Legacy:
        @interfaces.legacy_dense_support
        def __init__(self, units, kernel_initializer="glorot_uniform", **kwargs):
            self.units, self.init, self.kwargs = units, kernel_initializer, kwargs

    with pytest.warns(UserWarning, match=r"Update your `Legacy` call to the Keras 2 API"):
        layer = Legacy(output_dim=3, init="zeros")
    assert (layer.units, layer.init) == (3, "zeros")
    with pytest.raises(TypeError, match="legacy keyword argument `output_dim`"):
        Legacy(2, output_dim=3, units=4)

    class Pool:
        @interfaces.legacy_pooling2d_support
        def __init__(self, pool_size=2, data_format=None):
            self.data_format = data_format

    with pytest.warns(UserWarning):
        assert Pool(dim_ordering="th").data_format == "channels_first"


def test_remote_monitor_posts_epoch_logs_to_a_local_mock(monkeypatch):
    posts = []
    fake = types.ModuleType("requests")
    fake.exceptions = types.SimpleNamespace(RequestException=OSError)
    fake.post = lambda url, data=None, json=None, headers=None: posts.append((url, data, json))
    monkeypatch.setitem(sys.modules, "requests", fake)
    monitor = openkeras.callbacks.RemoteMonitor(root="http://mock", send_as_json=True)
    monitor.on_epoch_end(0, {"loss": np.float32(0.5)})
    assert posts == [("http://mock/publish/epoch/end/", None, {"epoch": 0, "loss": 0.5})]
    form = openkeras.callbacks.RemoteMonitor(root="http://mock")
    form.on_epoch_end(1, {"loss": 0.25})
    assert posts[1][1] == {"data": '{"epoch": 1, "loss": 0.25}'}

    def unreachable(*args, **kwargs):
        raise OSError("refused")

    fake.post = unreachable
    with pytest.warns(UserWarning, match="could not reach RemoteMonitor root server"):
        form.on_epoch_end(2, {})
    monkeypatch.setitem(sys.modules, "requests", None)  # not installed
    with pytest.raises(ImportError, match="requires the `requests` library"):
        form.on_epoch_end(3, {})


def test_keras2_modules_hold_the_same_objects():
    from openkeras.engine import topology

    assert topology.Network is openkeras.engine.functional.Functional
    from openkeras.callbacks.callbacks import History, RemoteMonitor

    assert History is openkeras.callbacks.History and RemoteMonitor is openkeras.callbacks.RemoteMonitor
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from openkeras.layers.convolutional import MaxPooling2D
    assert MaxPooling2D is openkeras.layers.MaxPooling2D


def test_legacy_conv_preprocessors_gather_kernel_sizes():
    class Conv:
        @interfaces.legacy_conv2d_support
        def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None):
            self.filters, self.kernel_size = filters, kernel_size
            self.padding, self.data_format = padding, data_format

    with pytest.warns(UserWarning):
        conv = Conv(8, 3, 5, border_mode="same", dim_ordering="tf")
    assert (conv.filters, conv.kernel_size, conv.padding, conv.data_format) == (
        8, (3, 5), "same", "channels_last")
    with pytest.warns(UserWarning):
        assert Conv(nb_filter=4, nb_row=2, nb_col=3).kernel_size == (2, 3)
    assert Conv(4, (2, 2)).kernel_size == (2, 2)  # Keras 2 call: unchanged, no warning
    with pytest.raises(ValueError, match="pass `strides` as a keyword"):
        Conv(4, 3, 3, strides=2)
