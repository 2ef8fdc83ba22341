"""Crafted files: a default-argument load never runs code, imports a module or touches a file.

Each test builds the file an attacker would publish (a real openkeras file with its config
rewritten and its checksum removed, as a forger would) and loads it with default arguments.
"""

import json
import os
import sys

import h5py
import numpy as np
import pytest

import openkeras
from openkeras import backend as K
from openkeras import layers, models, saving
from openkeras.engine import registry


def _lambda_model():
    return openkeras.Sequential([layers.Dense(2, input_shape=(3,), name="d"),
                                 layers.Lambda(K.square, name="lam")])


def _forge(path, edit):
    """Rewrite the model_config of an openkeras file with ``edit`` and drop its checksum."""
    with h5py.File(path, "r+") as f:
        config = json.loads(f.attrs["model_config"])
        edit(config)
        f.attrs["model_config"] = json.dumps(config).encode()
        del f.attrs["openkeras_digest"]


def _lambda_conf(config):
    return next(la["config"] for la in config["config"]["layers"] if la["class_name"] == "Lambda")


@pytest.mark.parametrize("module,function,arguments", [
    ("torch", "save", {"f": "{target}"}),            # the reported attack: torch.save(x, f=path)
    ("numpy", "save", {"file": "{target}"}),
    ("builtins", "open", {"file": "{target}", "mode": "w"}),
    ("os", "system", {"command": "touch {target}"}),
    ("builtins", "exec", {"source": "open('{target}', 'w')"}),
    ("antigravity", "fly", {}),                      # a module that must not be imported
    ("openkeras.backend", "set_floatx", {}),         # public, but not a tensor function
    ("openkeras.backend", "print_tensor", {}),
])
def test_lambda_naming_a_foreign_function_is_refused(tmp_path, module, function, arguments):
    path = str(tmp_path / "m.h5")
    target = str(tmp_path / "written_by_the_file")
    _lambda_model().save(path)

    def edit(config):
        conf = _lambda_conf(config)
        conf.update(function=function, function_type="function", module=module,
                    arguments={k: v.format(target=target) for k, v in arguments.items()})

    _forge(path, edit)
    before = set(os.listdir(tmp_path))
    with pytest.raises(saving.FileFormatError, match=rf"Lambda layer 'lam'.*unknown function "
                                                     rf"'{function}'") as info:
        saving.load_model(path)
    assert path in str(info.value)
    assert set(os.listdir(tmp_path)) == before and not os.path.exists(target)
    assert K.floatx() == "float32"
    assert "antigravity" not in sys.modules


def test_backend_function_by_name_still_loads(tmp_path):
    path = str(tmp_path / "m.h5")
    model = _lambda_model()
    assert _lambda_conf({"config": model.get_config()})["function"] == "square"  # not bytecode
    model.save(path)
    x = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_allclose(saving.load_model(path).predict(x, verbose=0),
                               model.predict(x, verbose=0), rtol=0, atol=0)


@pytest.mark.parametrize("place,value", [
    ("class_name", "system"), ("class_name", "__import__"), ("class_name", "eval"),
    ("activation", "eval"), ("activation", "system"), ("kernel_initializer", "save"),
    ("kernel_regularizer", "exec"), ("kernel_constraint", "getattr"), ("dtype", "save"),
    ("dtype", "__class__"),
])
def test_names_outside_the_allow_list_are_refused(tmp_path, place, value):
    path = str(tmp_path / "m.h5")
    openkeras.Sequential([layers.Dense(2, input_shape=(3,), name="d")]).save(path)

    def edit(config):
        layer = config["config"]["layers"][-1]
        if place == "class_name":
            layer["class_name"] = value
        else:
            layer["config"][place] = value

    _forge(path, edit)
    with pytest.raises(saving.FileFormatError, match=repr(value)) as info:
        saving.load_model(path)
    assert path in str(info.value)


def test_keras3_module_is_never_imported(tmp_path):
    assert "antigravity" not in sys.modules and "this" not in sys.modules
    config = {"module": "antigravity", "class_name": "Sequential", "registered_name": "this",
              "config": {"name": "s", "layers": [
                  {"module": "this", "class_name": "Dense", "registered_name": "antigravity",
                   "config": {"units": 2, "batch_input_shape": [None, 3]}},
                  {"module": "os", "class_name": "system", "registered_name": "os>system",
                   "config": {"command": "true"}}]}}
    with pytest.raises(ValueError, match="'system'"):
        models.model_from_config(config)
    assert "antigravity" not in sys.modules and "this" not in sys.modules


def test_keras3_lambda_bytecode_is_refused_by_default():
    config = {"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "InputLayer", "config": {"batch_shape": [None, 3], "name": "in"}},
        {"class_name": "Lambda", "config": {"name": "lam", "function": {
            "class_name": "__lambda__", "config": {"code": "4wAAAA==", "defaults": None,
                                                   "closure": None}}}}]}}
    with pytest.raises(ValueError, match="lam.*bytecode.*safe_mode=False"):
        models.model_from_config(config)


def test_marshalled_lambda_needs_safe_mode_false(tmp_path):
    path = str(tmp_path / "m.h5")
    model = openkeras.Sequential([layers.Lambda(lambda t: t * 3.0, input_shape=(2,))])
    model.save(path)
    with pytest.raises(saving.FileFormatError, match="safe_mode=False"):
        saving.load_model(path)
    loaded = saving.load_model(path, safe_mode=False)
    np.testing.assert_allclose(loaded.predict(np.ones((1, 2), "float32"), verbose=0), 3.0)


def test_oplambda_resolves_only_backend_tensor_functions():
    from openkeras.engine.op_layer import resolve_function

    assert resolve_function("openkeras.backend.square") is K.square.__wrapped__
    for name in ("openkeras.engine.symbolic_dispatch", "openkeras.backend.set_floatx",
                 "openkeras.backend.function", "openkeras.backend.__builtins__",
                 "operator.attrgetter", "os.system"):
        with pytest.raises(ValueError, match="OpLambda"):
            resolve_function(name)


def test_allow_list_tables_hold_only_openkeras_objects():
    import math

    with pytest.raises(registry.DisallowedObjectError, match="not an openkeras object"):
        registry.check_table_entry("sqrt", math.sqrt, "activation")
    assert registry.backend_function("square") is K.square
    assert registry.backend_function("save") is None
    assert registry.backend_function("clear_session") is None


def test_hdf5_external_link_is_refused(tmp_path):
    secret = tmp_path / "secret.h5"
    with h5py.File(secret, "w") as f:
        f.create_dataset("kernel:0", data=np.full((3, 2), 7.0, "float32"))
    path = str(tmp_path / "m.h5")
    openkeras.Sequential([layers.Dense(2, input_shape=(3,), name="d")]).save(path)
    with h5py.File(path, "r+") as f:
        del f["model_weights/d/d/kernel:0"]
        f["model_weights/d/d/kernel:0"] = h5py.ExternalLink(str(secret), "/kernel:0")
    for load in (lambda: saving.load_model(path),
                 lambda: _lambda_model().load_weights(path, by_name=True)):
        with pytest.raises(saving.UnsafeFileError, match="external link.*secret.h5"):
            load()


def test_hdf5_external_storage_is_refused(tmp_path):
    raw = tmp_path / "raw.bin"
    raw.write_bytes(np.full((3, 2), 7.0, "float32").tobytes())
    path = str(tmp_path / "w.h5")
    model = openkeras.Sequential([layers.Dense(2, input_shape=(3,), name="d")])
    model.save_weights(path)
    with h5py.File(path, "r+") as f:
        del f["d/d/kernel:0"]
        f["d"].create_dataset("d/kernel:0", (3, 2), "float32", external=[(str(raw), 0, 24)])
        del f["d"].attrs["openkeras_digest"]
    before = model.get_weights()
    with pytest.raises(saving.UnsafeFileError, match="outside the file"):
        model.load_weights(path)
    np.testing.assert_array_equal(model.get_weights()[0], before[0])


def test_hdf5_virtual_dataset_is_refused(tmp_path):
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f.create_dataset("x", data=np.full((3, 2), 7.0, "float32"))
    path = str(tmp_path / "w.h5")
    model = openkeras.Sequential([layers.Dense(2, input_shape=(3,), name="d")])
    model.save_weights(path)
    layout = h5py.VirtualLayout((3, 2), "float32")
    layout[:] = h5py.VirtualSource(str(other), "x", shape=(3, 2))
    with h5py.File(path, "r+") as f:
        del f["d/d/kernel:0"]
        f["d"].create_virtual_dataset("d/kernel:0", layout)
        del f["d"].attrs["openkeras_digest"]
    with pytest.raises(saving.UnsafeFileError, match="outside the file"):
        model.load_weights(path)
