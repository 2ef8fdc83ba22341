"""Keras 2 HDF5 files: round trips, tf_keras golden files, weights by name, errors, optimizer."""

import gzip
import json
import os
import shutil

import h5py
import numpy as np
import pytest
import torch
from golden_cases import check_golden_case, model_case

import openkeras
from openkeras import layers, saving
from openkeras.saving import hdf5_format
from openkeras.saving.json_utils import get_json_type
from openkeras.utils.generic_utils import CustomObjectScope, register_keras_serializable

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures", "h5")
with open(os.path.join(FIXTURES, "index.json")) as _f:
    GOLDEN = json.load(_f)


def _mlp():
    return openkeras.Sequential([layers.Dense(8, activation="relu", input_shape=(4,), name="d1"),
                                 layers.Dropout(0.3), layers.Dense(3, name="d2")])


def _x(*shape):
    return np.random.default_rng(3).uniform(-1, 1, shape).astype(np.float32)


def _np(y):
    return [t.detach().numpy() for t in y] if isinstance(y, (list, tuple)) else y.detach().numpy()


def _per_layer_weights(model):
    return [w for layer in model.layers for w in layer.get_weights()]


def _golden_path(name, tmp_path):
    path = os.path.join(FIXTURES, GOLDEN[name]["file"])
    if path.endswith(".gz"):
        with gzip.open(path) as src, open(tmp_path / "m.h5", "wb") as dst:
            shutil.copyfileobj(src, dst)
        path = str(tmp_path / "m.h5")
    return path


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_tf_keras_file_loads_and_predicts(name, tmp_path):
    model = saving.load_model(_golden_path(name, tmp_path))
    case = model_case(f"h5/{name}.npz")
    check_golden_case(model, case, rtol=1e-7, atol=1e-5, build=False, weights=False)
    if case.weights:  # tf.keras's model.get_weights() lists the weights layer by layer
        for w, want in zip(_per_layer_weights(model), case.weights, strict=True):
            np.testing.assert_array_equal(w, want)


@pytest.mark.parametrize("name", ["mlp_bn", "two_io_shared"])
def test_tf_keras_weights_file_loads(name, tmp_path):
    model = saving.load_model(_golden_path(name, tmp_path), compile=False)
    fresh = openkeras.models.model_from_json(model.to_json())
    saving.load_weights(fresh, os.path.join(FIXTURES, GOLDEN[name]["save_weights_file"]))
    for w, want in zip(_per_layer_weights(fresh), model_case(f"h5/{name}.npz").weights, strict=True):
        np.testing.assert_array_equal(w, want)


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_round_trip_through_our_own_file(name, tmp_path):
    model = saving.load_model(_golden_path(name, tmp_path))
    saving.save_model(model, tmp_path / "ours.h5")
    again = saving.load_model(tmp_path / "ours.h5")
    check_golden_case(again, model_case(f"h5/{name}.npz"), rtol=1e-7, atol=1e-5, build=False,
                      weights=False)


def test_file_layout_is_keras2(tmp_path):
    model = _mlp()
    model.compile("adam", "mse", metrics=["mae"])
    model.fit(_x(8, 4), _x(8, 3), epochs=1, verbose=0)
    saving.save_model(model, tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "r") as f:
        assert {"keras_version", "backend", "model_config", "training_config"} <= set(f.attrs)
        config = json.loads(f.attrs["model_config"])
        assert config["class_name"] == "Sequential"
        training = json.loads(f.attrs["training_config"])
        assert training["loss"] == "mse" and training["metrics"] == ["mae"]
        assert training["optimizer_config"]["class_name"] == "Adam"
        group = f["model_weights"]
        assert hdf5_format.load_attributes(group, "layer_names") == ["d1", "dropout", "d2"]
        assert hdf5_format.load_attributes(group["d1"], "weight_names") == ["d1/kernel:0",
                                                                            "d1/bias:0"]
        assert hdf5_format.load_attributes(group["dropout"], "weight_names") == []
        np.testing.assert_array_equal(group["d1"]["d1/kernel:0"], model.layers[0].get_weights()[0])
        names = hdf5_format.load_attributes(f["optimizer_weights"], "weight_names")
        assert names[0] == "Adam/iter:0" and "Adam/d1/kernel/m:0" in names


def test_training_continues_exactly_after_reload(tmp_path):
    x, y = _x(16, 4), _x(16, 3)
    torch.manual_seed(0)
    model = _mlp()
    model.layers[1].rate = 0.0
    model.compile(openkeras.optimizers.Adam(0.01), "mse")
    model.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0)
    saving.save_model(model, tmp_path / "m.h5")
    loaded = saving.load_model(tmp_path / "m.h5")
    np.testing.assert_array_equal(loaded.optimizer.get_weights()[0], 8)
    h1 = model.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0).history["loss"]
    h2 = loaded.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(h2, h1, rtol=1e-6)
    for a, b in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_allclose(b, a, atol=1e-6)


def test_include_optimizer_false_writes_no_training_state(tmp_path):
    model = _mlp()
    model.compile("sgd", "mse")
    saving.save_model(model, tmp_path / "m.h5", include_optimizer=False)
    with h5py.File(tmp_path / "m.h5", "r") as f:
        assert "training_config" not in f.attrs and "optimizer_weights" not in f


def test_weights_topological_and_by_name_fine_tuning(tmp_path):
    """The FAQ example: only the layer whose name matches is loaded."""
    old = openkeras.Sequential([layers.Dense(2, input_shape=(3,), name="dense_1"),
                                layers.Dense(3, name="dense_2")])
    saving.save_weights(old, tmp_path / "w.h5")
    same = openkeras.Sequential([layers.Dense(2, input_shape=(3,), name="a"),
                                 layers.Dense(3, name="b")])
    saving.load_weights(same, tmp_path / "w.h5")  # topological: names do not matter
    for a, b in zip(old.get_weights(), same.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    new = openkeras.Sequential([layers.Dense(2, input_shape=(3,), name="dense_1"),
                                layers.Dense(10, name="new_dense")])
    before = new.layers[1].get_weights()
    saving.load_weights(new, tmp_path / "w.h5", by_name=True)
    np.testing.assert_array_equal(new.layers[0].get_weights()[0], old.layers[0].get_weights()[0])
    np.testing.assert_array_equal(new.layers[1].get_weights()[0], before[0])


def test_shape_mismatch_is_a_clear_error_unless_skipped(tmp_path):
    old = openkeras.Sequential([layers.Dense(2, input_shape=(3,), name="dense_1"),
                                layers.Dense(3, name="dense_2")])
    saving.save_weights(old, tmp_path / "w.h5")
    other = openkeras.Sequential([layers.Dense(2, input_shape=(3,), name="dense_1"),
                                  layers.Dense(5, name="dense_2")])
    kept = other.get_weights()
    with pytest.raises(ValueError, match=r"dense_2.*\(2, 5\).*\(2, 3\)"):
        saving.load_weights(other, tmp_path / "w.h5", by_name=True)
    for a, b in zip(kept, other.get_weights(), strict=True):  # nothing half-loaded
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="w.h5"):
        saving.load_weights(other, tmp_path / "w.h5")
    with pytest.warns(UserWarning, match="Skipping"):  # topological order skips the same way
        saving.load_weights(other, tmp_path / "w.h5", skip_mismatch=True)
    np.testing.assert_array_equal(other.layers[1].get_weights()[0], kept[2])
    with pytest.warns(UserWarning, match="Skipping loading weights for layer #1"):
        saving.load_weights(other, tmp_path / "w.h5", by_name=True, skip_mismatch=True)
    np.testing.assert_array_equal(other.layers[0].get_weights()[0], old.layers[0].get_weights()[0])
    np.testing.assert_array_equal(other.layers[1].get_weights()[0], kept[2])


def test_layer_count_mismatch_message(tmp_path):
    saving.save_weights(_mlp(), tmp_path / "w.h5")
    small = openkeras.Sequential([layers.Dense(8, input_shape=(4,))])
    with pytest.raises(ValueError, match="containing 2 layers into a model with 1 layers"):
        saving.load_weights(small, tmp_path / "w.h5")


def test_big_attributes_are_chunked(tmp_path):
    names = [f"layer_with_a_rather_long_name_{i:05d}" for i in range(3000)]
    with h5py.File(tmp_path / "a.h5", "w") as f:
        hdf5_format.save_attributes(f, "layer_names", names)
        assert "layer_names" not in f.attrs and "layer_names0" in f.attrs
        assert hdf5_format.load_attributes(f, "layer_names") == names


@pytest.mark.parametrize("content", [b"", b"garbage that is no hdf5" * 10, b'{"class_name": 1}'])
def test_foreign_files_give_clear_errors(tmp_path, content):
    path = tmp_path / "bad.h5"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="bad.h5"):
        saving.load_model(path)


def test_truncated_and_missing_files(tmp_path):
    model = _mlp()
    saving.save_model(model, tmp_path / "m.h5")
    data = (tmp_path / "m.h5").read_bytes()
    (tmp_path / "cut.h5").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="cut.h5"):
        saving.load_model(tmp_path / "cut.h5")
    with pytest.raises(OSError, match="No file or directory found"):
        saving.load_model(tmp_path / "nope.h5")
    with pytest.raises(ValueError, match="directory"):
        saving.load_model(tmp_path)
    saving.save_weights(model, tmp_path / "w.h5")
    with pytest.raises(ValueError, match="No model found in config file"):
        saving.load_model(tmp_path / "w.h5")


def test_damaged_layer_list_is_reported(tmp_path):
    saving.save_weights(_mlp(), tmp_path / "w.h5")
    with h5py.File(tmp_path / "w.h5", "a") as f:
        del f["d2"]
    with pytest.raises(ValueError, match="damaged.*d2"):
        saving.load_weights(_mlp(), tmp_path / "w.h5")


def test_lambda_code_refused_by_default(tmp_path):
    x = openkeras.Input((3,))
    model = openkeras.Model(x, layers.Lambda(lambda t: t * 2 + 1)(x))
    saving.save_model(model, tmp_path / "lam.h5")
    with pytest.raises(ValueError, match="safe_mode=False"):
        saving.load_model(tmp_path / "lam.h5")
    loaded = saving.load_model(tmp_path / "lam.h5", safe_mode=False)
    np.testing.assert_allclose(_np(loaded(_x(2, 3))), _x(2, 3) * 2 + 1, atol=1e-6)


class Scale(layers.Layer):
    """A custom layer multiplying by a trainable scalar."""

    def __init__(self, init=2.0, **kwargs):
        super().__init__(**kwargs)
        self.init = init

    def build(self, input_shape):
        self.alpha = self.add_weight("alpha", (1,), initializer=openkeras.initializers.Constant(
            self.init))

    def call(self, inputs):
        return inputs * self.alpha

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "init": self.init}


def test_custom_objects_scope_and_registration(tmp_path):
    model = openkeras.Sequential([Scale(3.0, input_shape=(2,))])
    saving.save_model(model, tmp_path / "c.h5")
    with pytest.raises(ValueError, match="Scale"):
        saving.load_model(tmp_path / "c.h5")
    x = _x(2, 2)
    for loaded in (saving.load_model(tmp_path / "c.h5", custom_objects={"Scale": Scale}),):
        np.testing.assert_allclose(_np(loaded(x)), 3 * x, atol=1e-6)
    with CustomObjectScope({"Scale": Scale}):
        np.testing.assert_allclose(_np(saving.load_model(tmp_path / "c.h5")(x)), 3 * x, atol=1e-6)
    registered = register_keras_serializable("Tests")(type("Doubler", (Scale,), {}))
    saving.save_model(openkeras.Sequential([registered(input_shape=(2,))]), tmp_path / "r.h5")
    with h5py.File(tmp_path / "r.h5", "r") as f:
        assert "Tests>Doubler" in hdf5_format.attr_text(f.attrs, "model_config")
    np.testing.assert_allclose(_np(saving.load_model(tmp_path / "r.h5")(x)), 2 * x, atol=1e-6)


def test_shapes_and_dtypes_of_any_origin_serialize(tmp_path):
    """The 'Save Model: TypeError' story: numpy/torch shapes and dtypes in configs."""
    model = openkeras.Sequential([
        layers.Dense(np.int64(4), input_shape=torch.Size([np.int32(3)])),
        layers.Reshape((np.int64(2), np.int64(2))),
    ])
    saving.save_model(model, tmp_path / "s.h5")
    loaded = saving.load_model(tmp_path / "s.h5")
    assert loaded.output_shape == (None, 2, 2)
    assert get_json_type(np.dtype("float32")) == "float32"
    assert get_json_type(np.float32) == "float32"
    assert get_json_type(torch.float16) == "float16"
    assert get_json_type(torch.Size([2, 3])) == [2, 3]
    assert get_json_type(np.int64(5)) == 5 and isinstance(get_json_type(np.int64(5)), int)

    class Dimension:  # TF 1.x's shape entries
        value = 7

    assert get_json_type(Dimension()) == 7
    with pytest.raises(TypeError, match="Not JSON Serializable"):
        get_json_type(object())


def test_save_refuses_overwrite_when_asked(tmp_path):
    saving.save_model(_mlp(), tmp_path / "m.h5")
    with pytest.raises(FileExistsError):
        saving.save_model(_mlp(), tmp_path / "m.h5", overwrite=False)
    with pytest.raises(ValueError, match="SavedModel"):
        saving.save_model(_mlp(), tmp_path / "m", save_format="tf")
