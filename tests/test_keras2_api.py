"""Every public module path and name of Keras 2.2.4 and 2.3.1 exists in openkeras and via `keras`.

The list is ``openkeras/compat/keras2_api.json``, made by ``tools/keras2_api_list.py`` from the
Keras sources (parsed, not imported). Names that exist but only raise a clear error
(TensorFlow-only features, Keras's internal TF training loop helpers) are listed below by the
object they resolve to, and each one is called to check its error.
"""

import importlib
import json
import sys
import types

import pytest

from openkeras.compat import check
from openkeras.compat.alias import AliasModule, install_keras_alias, uninstall_keras_alias

DATA = check.keras2_api()

# The objects (by their own name) that exist only to raise a clear error when used.
UNSUPPORTED = {
    # Keras 2's TensorFlow training-loop internals (openkeras has its own loop).
    "call_metric_function", "check_loss_and_target_compatibility",
    "collect_per_output_metric_info", "get_metric_function", "get_output_sample_weight_and_mode",
    "prepare_loss_functions", "prepare_loss_weights", "prepare_sample_weights",
    "standardize_class_weights", "standardize_input_data", "standardize_sample_or_class_weights",
    "standardize_sample_weights", "standardize_weights", "weighted_masked_objective",
    "fit_loop", "test_loop", "predict_loop",
    # TensorFlow / Theano only.
    "get_graph", "pattern_broadcast",
    "tf_file_io_proxy",
    # No pickle anywhere in openkeras.
    "pickle_model", "unpickle_model",
    # Helpers of Keras 2.3's numpy reference backend.
    "conv", "conv_transpose", "depthwise_conv", "normalize_conv", "pool", "separable_conv",
    # Not implemented yet (needs pandas).
    "DataFrameIterator",
}


def _paths():
    for module, names in sorted(DATA["modules"].items()):
        for name in names:
            yield module, name


def test_the_list_covers_both_versions():
    assert DATA["versions"] == ["2.2.4", "2.3.1"]
    modules = DATA["modules"]
    # A few entries the issue names, as a check that the parse found them.
    assert {"Layer", "InputSpec", "Input", "InputLayer", "Model", "get_source_inputs"} <= set(
        modules["keras.engine"])
    assert {"CuDNNLSTM", "CuDNNGRU", "MaxPooling2D"} <= set(modules["keras.layers"])
    assert "MaxPooling2D" in modules["keras.layers.convolutional"]
    assert {"func_dump", "func_load", "Progbar"} <= set(modules["keras.utils.generic_utils"])
    assert {"rmsprop", "sgd", "adam", "nadam"} <= set(modules["keras.optimizers"])
    assert "RemoteMonitor" in modules["keras.callbacks"]
    assert "keras.utils.losses_utils" in modules and "keras.legacy.interfaces" in modules
    assert DATA["only_in"]["keras.utils.losses_utils"] == "2.3.1"
    # Third-party modules imported by Keras are not API.
    assert not {"np", "six", "tf", "h5py", "K"} & set(modules["keras.layers.core"])


def _unsupported_reason(value):
    return getattr(value, "_openkeras_unsupported", None)


def _check_unsupported(path, value):
    name = getattr(value, "__name__", type(value).__name__)
    assert name in UNSUPPORTED, f"{path} resolves to an unsupported stub {name!r} not listed"
    # (K.get_session predates this list and raises RuntimeError.)
    with pytest.raises((NotImplementedError, RuntimeError), match=r"openkeras|TensorFlow|PyTorch"):
        value()


def test_every_name_exists_in_openkeras():
    missing, stubs = [], set()
    for module, name in _paths():
        target = importlib.import_module("openkeras" + module[len("keras"):])
        if not hasattr(target, name):
            missing.append(f"{module}.{name}")
            continue
        value = getattr(target, name)
        if isinstance(_unsupported_reason(value), str):
            _check_unsupported(f"{module}.{name}", value)
            stubs.add(getattr(value, "__name__", name))
    assert missing == []
    assert stubs == UNSUPPORTED  # every listed stub is still needed


def test_every_name_exists_through_the_keras_alias():
    install_keras_alias()
    try:
        missing, different = [], []
        for module, names in sorted(DATA["modules"].items()):
            alias = importlib.import_module(module)
            assert isinstance(alias, AliasModule) and alias.__name__ == module
            own = importlib.import_module("openkeras" + module[len("keras"):])
            assert alias._openkeras_target is own
            for name in names:
                try:
                    value = getattr(alias, name)
                except AttributeError:
                    missing.append(f"{module}.{name}")
                    continue
                expected = getattr(own, name)
                if isinstance(value, types.ModuleType):
                    value = value._openkeras_target
                # numpy_backend builds a numpy-returning wrapper at each attribute access.
                if module != "keras.backend.numpy_backend" and value is not expected:
                    different.append(f"{module}.{name}")
        assert missing == [] and different == []
        exec("from keras.engine.topology import Layer, Network, get_source_inputs", {})
        exec("from keras.layers.convolutional import MaxPooling2D", {})
        exec("from keras.utils.generic_utils import Progbar", {})
    finally:
        uninstall_keras_alias()


def test_keras_wrappers_is_an_attribute_after_import_keras():
    import openkeras

    # `import openkeras` imports every subpackage Keras 2's `import keras` did.
    assert isinstance(openkeras.wrappers, types.ModuleType)
    install_keras_alias()
    try:
        import keras

        assert keras.wrappers.scikit_learn.KerasClassifier is (
            openkeras.wrappers.scikit_learn.KerasClassifier)
        assert keras.models.Input is openkeras.layers.Input
    finally:
        uninstall_keras_alias()


def test_private_attributes_keras2_code_reads():
    import openkeras
    from openkeras import initializers

    x = openkeras.Input((3,))
    dense = openkeras.layers.Dense(2)
    y = dense(x)
    assert x._keras_shape == (None, 3) and y._keras_shape == (None, 2)
    assert y._keras_history[0] is dense
    assert dense._inbound_nodes and x._keras_history[0]._outbound_nodes
    assert initializers._compute_fans((4, 5)) == initializers.compute_fans((4, 5))


def test_openkeras_check_reports_no_missing_keras2_name(capsys):
    assert check.check_keras2_api() == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith("Keras 2.2.4 and 2.3.1: ") and " 0 missing," in last


def test_openkeras_check_reports_a_missing_name(monkeypatch, capsys, tmp_path):
    data = json.loads(json.dumps(DATA))
    data["modules"]["keras.layers"].append("NoSuchKeras2Layer")
    path = tmp_path / "api.json"
    path.write_text(json.dumps(data))
    monkeypatch.setattr(check, "KERAS2_API_FILE", str(path))
    assert check.check_keras2_api() == 1
    out = capsys.readouterr().out
    assert "MISSING      keras.layers.NoSuchKeras2Layer" in out and " 1 missing," in out


def test_the_tool_parses_a_package_by_the_documented_rule(tmp_path):
    sys.path.insert(0, str(importlib.import_module("pathlib").Path(__file__).parents[1] / "tools"))
    try:
        tool = importlib.import_module("keras2_api_list")
    finally:
        sys.path.pop(0)
    root = tmp_path / "keras"
    (root / "layers").mkdir(parents=True)
    (root / "_private").mkdir()
    (root / "__init__.py").write_text("from . import layers\nfrom .layers import *\n")
    (root / "layers" / "__init__.py").write_text(
        "import numpy as np\nfrom .. import backend as K\nfrom .core import Dense, _hidden\n"
        "try:\n    import h5py\nexcept ImportError:\n    h5py = None\n"
        "from six import moves\nMaxPool = Dense\n_private = 1\n")
    (root / "layers" / "core.py").write_text("class Dense:\n    pass\ndef _hidden():\n    pass\n")
    (root / "backend.py").write_text("def epsilon():\n    return 1e-7\n")
    (root / "_private" / "x.py").write_text("y = 1\n")
    api = tool.api_of(str(root))
    assert api == {"keras": ["Dense", "MaxPool", "layers"], "keras.backend": ["epsilon"],
                   "keras.layers": ["Dense", "MaxPool"], "keras.layers.core": ["Dense"]}
