"""Misuse of model files: wrong paths and arguments to save / load (not damaged contents)."""

import base64
import marshal

import numpy as np
import pytest
from reliability.misuse_utils import assert_clear_error, assert_clear_warning, case

import openkeras as ok
from openkeras import layers as L
from openkeras.models import Sequential, load_model
from openkeras.saving import FileFormatError


def model(name="m"):
    m = Sequential([L.Dense(2, input_shape=(4,), name="dense_a")], name=name)
    m.compile("sgd", "mse")
    return m


def other_model():
    return Sequential([L.Dense(3, input_shape=(4,), name="first"), L.Dense(2, name="second")],
                      name="other")


CASES = [
    case("save-into-missing-directory", lambda p: model().save(p / "no" / "m.h5"),
         FileNotFoundError, "m.h5", "does not exist"),
    case("save-weights-into-missing-directory",
         lambda p: model().save_weights(p / "no" / "w.h5"), FileNotFoundError, "w.h5",
         "does not exist"),
    case("save-onto-a-directory", lambda p: model().save(p), IsADirectoryError, "save_model",
         "is a directory", "model.h5"),
    case("save-weights-onto-a-directory", lambda p: model().save_weights(p), IsADirectoryError,
         "save_weights", "is a directory"),
    case("save-unknown-format", lambda p: model().save(p / "m.h5", save_format="pb"),
         ValueError, "save_format", "'h5' or 'keras'", "'pb'"),
    case("save-tensorflow-format", lambda p: model().save(p / "m", save_format="tf"),
         ValueError, "SavedModel", "'tf'", "h5"),
    case("save-weights-keras-format", lambda p: model().save_weights(p / "w.h5",
                                                                    save_format="keras"),
         ValueError, "save_weights", "'h5'", "'keras'"),
    case("save-path-a-number", lambda p: model().save(3), TypeError, "filepath", "str", "int"),
    case("save-no-overwrite-non-interactive",
         lambda p: (model().save(p / "m.h5"), model().save(p / "m.h5", overwrite=False)),
         FileExistsError, "m.h5", "overwrite=False"),
    case("load-missing-file", lambda p: load_model(p / "none.h5"), OSError, "none.h5",
         "No file"),
    case("load-weights-missing-file", lambda p: model().load_weights(p / "none.h5"), OSError,
         "none.h5", "No file"),
    case("load-a-directory", lambda p: load_model(p), FileFormatError, "is a directory",
         "SavedModel", "model.save"),
    case("load-a-text-file", lambda p: (p.joinpath("t.h5").write_text("hello"),
                                        load_model(p / "t.h5")), FileFormatError, "t.h5",
         "Keras HDF5", "b'hello'"),
    case("load-a-json-architecture", lambda p: (p.joinpath("a.json").write_text(
        model().to_json()), load_model(p / "a.json")), FileFormatError, "a.json",
         "model_from_json"),
    case("load-model-from-a-weights-file",
         lambda p: (model().save_weights(p / "w.h5"), load_model(p / "w.h5")), ValueError,
         "w.h5", "model_config", "load_weights"),
    case("load-path-a-number", lambda p: load_model(3), TypeError, "load_model", "filepath",
         "int"),
    case("load-weights-path-none", lambda p: model().load_weights(None), TypeError,
         "load_weights", "filepath", "None"),
    case("load-weights-into-other-topology",
         lambda p: (model().save_weights(p / "w.h5"), other_model().load_weights(p / "w.h5")),
         ValueError, "w.h5", "1 layers", "2 layers", "by_name"),
    case("load-weights-by-name-wrong-shape",
         lambda p: (model().save_weights(p / "w.h5"),
                    Sequential([L.Dense(5, input_shape=(4,), name="dense_a")])
                    .load_weights(p / "w.h5", by_name=True)),
         ValueError, "dense_a", "(4, 5)", "(4, 2)", "skip_mismatch"),
]


@pytest.mark.parametrize("fn,exc_type,must_mention", CASES)
def test_file_misuse(fn, exc_type, must_mention, tmp_path):
    assert_clear_error(lambda: fn(tmp_path), exc_type, must_mention)


def test_load_weights_by_name_matching_no_layer_warns(tmp_path):
    model().save_weights(tmp_path / "w.h5")
    target = other_model()
    before = target.get_weights()
    assert_clear_warning(lambda: target.load_weights(tmp_path / "w.h5", by_name=True),
                         UserWarning, ["by_name=True", "w.h5", "['dense_a']",
                                       "['first', 'second']", "no weights were loaded"])
    for a, b in zip(before, target.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def _keras3_lambda_config():
    code = base64.b64encode(marshal.dumps((lambda x: x * 2).__code__)).decode("ascii")
    return {"module": "keras", "class_name": "Sequential", "registered_name": None, "config": {
        "name": "s", "layers": [
            {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
             "config": {"batch_shape": [None, 3], "dtype": "float32", "name": "in"}},
            {"module": "keras.layers", "class_name": "Lambda", "registered_name": None,
             "config": {"name": "double", "trainable": True, "dtype": "float32", "arguments": {},
                        "function": {"class_name": "__lambda__", "config": {
                            "code": code, "defaults": None, "closure": None}}}}]}}


def test_keras3_lambda_config_is_refused_clearly_in_safe_mode():
    assert_clear_error(lambda: ok.saving.model_from_config(_keras3_lambda_config()), ValueError,
                       ["'double'", "bytecode", "safe_mode=False"])


def test_keras3_lambda_config_loads_with_safe_mode_off():
    with ok.utils.generic_utils.SafeModeScope(False):
        m = ok.saving.model_from_config(_keras3_lambda_config())
    np.testing.assert_array_equal(m.predict(np.ones((1, 3), "float32")), [[2.0, 2.0, 2.0]])
