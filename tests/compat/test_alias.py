import importlib
import sys
import types

import pytest

import openkeras
from openkeras.compat import install_keras_alias, is_installed, uninstall_keras_alias
from openkeras.compat.alias import AliasModule


@pytest.fixture
def alias():
    install_keras_alias()
    yield
    uninstall_keras_alias()
    assert not is_installed() and "keras" not in sys.modules


def test_keras_names_are_the_openkeras_objects(alias):
    import keras
    from keras import backend as K
    from keras.layers import Dense
    from keras.models import Sequential

    assert keras.__name__ == "keras" and isinstance(keras, AliasModule)
    assert Dense is openkeras.layers.Dense and Sequential is openkeras.models.Sequential
    assert keras.layers.Conv2D is openkeras.layers.Conv2D
    assert K.epsilon() == openkeras.backend.epsilon()
    assert isinstance(K, AliasModule) and K.__name__ == "keras.backend"


@pytest.mark.parametrize("module, name, expected", [
    ("keras.layers.core", "Dense", "openkeras.layers.Dense"),
    ("keras.layers.convolutional", "Conv2D", "openkeras.layers.Conv2D"),
    ("keras.layers.recurrent", "LSTM", "openkeras.layers.LSTM"),
    ("keras.layers.merge", "concatenate", "openkeras.layers.concatenate"),
    ("keras.layers.embeddings", "Embedding", "openkeras.layers.Embedding"),
    ("keras.layers.normalization", "BatchNormalization", "openkeras.layers.BatchNormalization"),
    ("keras.layers.pooling", "MaxPooling2D", "openkeras.layers.MaxPooling2D"),
    ("keras.layers.wrappers", "TimeDistributed", "openkeras.layers.TimeDistributed"),
    ("keras.layers.advanced_activations", "LeakyReLU", "openkeras.layers.LeakyReLU"),
    ("keras.layers.noise", "GaussianNoise", "openkeras.layers.GaussianNoise"),
    ("keras.layers.convolutional_recurrent", "ConvLSTM2D", "openkeras.layers.ConvLSTM2D"),
    ("keras.utils.np_utils", "to_categorical", "openkeras.utils.to_categorical"),
    ("keras.utils.generic_utils", "Progbar", "openkeras.utils.Progbar"),
    ("keras.utils.generic_utils", "CustomObjectScope", "openkeras.utils.CustomObjectScope"),
    ("keras.utils.data_utils", "Sequence", "openkeras.utils.Sequence"),
    ("keras.engine.topology", "Layer", "openkeras.layers.Layer"),
    ("keras.engine.topology", "Input", "openkeras.layers.Input"),
    ("keras.engine.topology", "InputLayer", "openkeras.layers.InputLayer"),
    ("keras.engine.topology", "Container", "openkeras.engine.functional.Functional"),
    ("keras.engine.training", "Model", "openkeras.Model"),
    ("keras.engine.base_layer", "Layer", "openkeras.layers.Layer"),
    ("keras.engine", "Model", "openkeras.Model"),
    ("keras.backend.tensorflow_backend", "epsilon", "openkeras.backend.epsilon"),
    ("keras.objectives", "mean_squared_error", "openkeras.losses.mean_squared_error"),
    ("keras.optimizers", "Adam", "openkeras.optimizers.Adam"),
    ("keras.callbacks", "History", "openkeras.callbacks.History"),
    ("keras.datasets.mnist", "load_data", "openkeras.datasets.mnist.load_data"),
    ("keras.preprocessing.sequence", "pad_sequences",
     "openkeras.preprocessing.sequence.pad_sequences"),
])
def test_legacy_paths_resolve(alias, module, name, expected):
    namespace = {}
    exec(f"from {module} import {name} as found", namespace)
    owner, _, attr = expected.rpartition(".")
    assert namespace["found"] is getattr(importlib.import_module(owner), attr)
    assert sys.modules[module].__name__ == module


def test_submodules_reached_as_attributes_stay_aliases(alias):
    import keras

    assert keras.utils.np_utils.__name__ == "keras.utils.np_utils"
    assert keras.layers.core is sys.modules["keras.layers.core"]
    assert keras.engine.topology.Network is openkeras.engine.functional.Functional


def test_assignment_reaches_the_openkeras_module(alias):
    import keras

    def my_loss(y_true, y_pred):
        return (y_true - y_pred).abs().mean()

    keras.losses.my_loss = my_loss
    try:
        assert openkeras.losses.my_loss is my_loss and keras.losses.my_loss is my_loss
        assert "my_loss" not in vars(keras.losses)
    finally:
        del openkeras.losses.my_loss


def test_star_import_brings_the_public_names(alias):
    namespace = {}
    exec("from keras.layers import *", namespace)
    assert namespace["Dense"] is openkeras.layers.Dense and "_missing" not in namespace


def test_missing_attribute_names_the_keras_api(alias):
    import keras

    with pytest.raises(AttributeError, match=r"openkeras does not implement keras\.layers\.Foo "
                       r"\(module 'keras\.layers' has no attribute 'Foo'\)"):
        keras.layers.Foo  # noqa: B018
    assert not hasattr(keras.layers, "Foo")
    assert getattr(keras.layers, "Foo", 42) == 42


def test_missing_from_import_names_the_keras_api(alias):
    with pytest.raises(ImportError, match=r"openkeras does not implement keras\.layers\.EinsumDense"
                       r" \(cannot import name 'EinsumDense' from 'keras\.layers'"):
        exec("from keras.layers import EinsumDense", {})
    with pytest.raises(ImportError, match=r"keras\.layers\.core\.Foo"):
        exec("from keras.layers.core import Dense, Foo", {})


def test_missing_module_names_the_keras_api(alias):
    with pytest.raises(ImportError, match=r"openkeras does not implement keras\.backend\."
                       r"theano_backend .*one backend, PyTorch"):
        exec("import keras.backend.theano_backend", {})
    with pytest.raises(ImportError, match="No module named 'keras.layers.Dense'"):
        exec("import keras.layers.Dense", {})


def test_applications_resolve_through_the_alias(alias):
    import openkeras.applications

    namespace = {}
    exec("from keras.applications.vgg16 import VGG16, preprocess_input\n"
         "from keras.applications import ResNet50", namespace)
    assert namespace["VGG16"] is openkeras.applications.VGG16
    assert namespace["ResNet50"] is openkeras.applications.ResNet50
    assert sys.modules["keras.applications"].__name__ == "keras.applications"


def test_install_is_idempotent_and_uninstall_removes_everything():
    install_keras_alias()
    install_keras_alias()
    try:
        assert sum(type(f).__name__ == "KerasAliasFinder" for f in sys.meta_path) == 1
        exec("import keras.layers.core", {})
        assert "keras.layers.core" in sys.modules
    finally:
        uninstall_keras_alias()
    assert not any(name == "keras" or name.startswith("keras.") for name in sys.modules)
    with pytest.raises(ImportError):
        exec("import keras", {})


def test_refuses_when_a_real_keras_is_imported(monkeypatch):
    real = types.ModuleType("keras")
    real.__file__ = "/site-packages/keras/__init__.py"
    monkeypatch.setitem(sys.modules, "keras", real)
    with pytest.raises(RuntimeError, match=r"real `keras` package is already imported \(from "
                       r"/site-packages/keras/__init__.py\)"):
        install_keras_alias()
    assert not is_installed()


def test_tensorflow_is_not_aliased(alias):
    from openkeras.compat.alias import KerasAliasFinder

    assert KerasAliasFinder().find_spec("tensorflow.keras") is None
    assert KerasAliasFinder().find_spec("kerastuner") is None
