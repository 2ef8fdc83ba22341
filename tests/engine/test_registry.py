"""engine.registry (one registry for every kind, the allow-list) and engine.aliases (renames)."""

import math
import warnings

import numpy as np
import pytest

import openkeras
from openkeras import activations, initializers, layers, losses, metrics, optimizers
from openkeras import backend as K
from openkeras.engine import aliases, registry
from openkeras.engine.base_layer import Layer
from openkeras.legacy import interfaces
from openkeras.models import model_from_json
from openkeras.optimizers import schedules


class MyDense(layers.Dense):
    """A user subclass of an openkeras layer (defined outside openkeras)."""


class Twice(Layer):
    def call(self, inputs):
        return inputs * 2.0


def test_one_registry_serves_every_kind_in_its_own_namespace():
    assert registry.deserialize("activation", "relu") is activations.relu
    assert registry.deserialize("loss", "mse") is losses.mean_squared_error
    assert registry.deserialize("metric", "mse") is metrics.mean_squared_error
    assert registry.deserialize("layer", "Dense") is layers.Dense
    assert registry.deserialize("initializer", "glorot_uniform") is initializers.GlorotUniform
    assert registry.deserialize("optimizer", "Adam") is optimizers.Adam
    assert registry.deserialize("schedule", "ExponentialDecay") is schedules.ExponentialDecay
    assert registry.backend_function("square") is K.square
    # a name of one kind is unknown as another kind, with Keras 2's message
    with pytest.raises(ValueError, match="Unknown layer: 'relu'.*custom_objects"):
        registry.deserialize("layer", "relu")
    with pytest.raises(ValueError, match="Unknown loss function: 'relu'"):
        losses.get("relu")
    with pytest.raises(ValueError, match="Unknown activation function: 'mse'"):
        activations.get("mse")
    # get: names of classes make default instances, callables pass through, None stays None
    assert isinstance(registry.get("initializer", "zeros"), initializers.Zeros)
    assert registry.get("loss", None) is None
    assert registry.get("activation", math.tanh) is math.tanh


def test_public_module_functions_go_through_the_registry():
    adam = optimizers.get({"class_name": "ADAM", "config": {"learning_rate": 0.5}})
    assert isinstance(adam, optimizers.Adam) and math.isclose(adam.get_config()["learning_rate"], 0.5)
    leaky = activations.deserialize({"class_name": "LeakyReLU", "config": {"alpha": 0.25}})
    assert isinstance(leaky, layers.LeakyReLU)
    with pytest.raises(ValueError, match="Unknown activation function: 'LeakyReLU'"):
        activations.get("LeakyReLU")  # a layer class is not an activation by bare name
    assert isinstance(metrics.get("AUC"), metrics.AUC)
    assert isinstance(layers.deserialize({"class_name": "Sequential", "config": {"layers": []}}),
                      openkeras.Sequential)


def test_openkeras_classes_join_by_themselves_and_user_classes_do_not():
    # a class defined inside openkeras (its module says so) joins on definition
    own = type("RegistryProbeLayer", (Layer,), {"__module__": "openkeras.layers.probe"})
    try:
        assert registry.deserialize("layer", "RegistryProbeLayer") is own
        assert registry.builtin("metric", "RegistryProbeLayer") is None  # only its own kind
    finally:
        registry._BUILTINS["layer"].pop("RegistryProbeLayer")
    # a user class is reachable from a config only through custom objects or registration
    assert registry.builtin("layer", "Twice") is None
    config = {"class_name": "Twice", "config": {"name": "t"}}
    with pytest.raises(ValueError, match="Unknown layer: 'Twice'.*custom_objects"):
        layers.deserialize(config)
    assert isinstance(layers.deserialize(config, custom_objects={"Twice": Twice}), Twice)
    with registry.CustomObjectScope({"Twice": Twice}):
        assert isinstance(layers.deserialize(config), Twice)
    with pytest.raises(ValueError, match="Unknown layer"):
        layers.deserialize(config)  # the scope is closed again


def test_the_allow_list_refuses_objects_from_outside_openkeras():
    with pytest.raises(registry.DisallowedObjectError, match="not an openkeras object"):
        registry.register("activation", math.sqrt)
    with pytest.raises(registry.DisallowedObjectError, match="not an openkeras object"):
        openkeras.utils.deserialize_keras_object("sqrt", module_objects={"sqrt": math.sqrt})
    assert registry.backend_function("print_tensor") is None
    assert registry.backend_function("clear_session") is None
    assert registry.backend_function("__import__") is None


def test_a_subclass_serializes_under_its_own_name_and_round_trips():
    layer = MyDense(3, name="mine")
    assert layers.serialize(layer)["class_name"] == "MyDense"
    model = openkeras.Sequential([MyDense(3, input_shape=(4,), name="mine")])
    x = np.random.RandomState(0).rand(2, 4).astype("float32")
    text = model.to_json()
    assert '"class_name": "MyDense"' in text
    with pytest.raises(ValueError, match="Unknown layer: 'MyDense'"):
        model_from_json(text)  # never silently loaded as its parent
    clone = model_from_json(text, custom_objects={"MyDense": MyDense})
    assert type(clone.layers[0]) is MyDense
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6, atol=1e-6)


def test_a_subclass_of_a_registered_class_keeps_its_own_name():
    base = registry.register_keras_serializable("RegistryTest")(
        type("RegBase", (layers.Dense,), {}))
    child = type("RegChild", (base,), {})
    try:
        assert layers.serialize(base(2))["class_name"] == "RegistryTest>RegBase"
        assert layers.serialize(child(2))["class_name"] == "RegChild"
        # the engine's same-named functional variant of a registered class keeps its name
        made = type("RegBase", (base,), {"__module__": base.__module__,
                                         "__qualname__": base.__qualname__})
        assert registry.registered_name(made) == "RegistryTest>RegBase"
        assert layers.deserialize(layers.serialize(base(2))).__class__ is base
        loss_cls = type("MyLoss", (losses.MeanSquaredError,), {})
        assert losses.serialize(loss_cls())["class_name"] == "MyLoss"
    finally:
        registry.get_custom_objects().pop("RegistryTest>RegBase")


def test_class_renames_resolve_through_the_alias_table():
    conv = layers.deserialize({"class_name": "Convolution2D",
                               "config": {"filters": 2, "kernel_size": 3}})
    assert type(conv) is layers.Conv2D
    pool = layers.deserialize({"class_name": "MaxPool2D", "config": {}})
    assert type(pool) is layers.MaxPooling2D
    assert aliases.class_name("layer", "Model") == "Functional"
    assert aliases.class_name("loss", "Convolution2D") == "Convolution2D"  # per kind


def test_argument_renames_warn_convert_and_refuse_old_with_new():
    with pytest.warns(DeprecationWarning, match="Dense: `output_dim` is deprecated, use `units`"):
        dense = layers.Dense(output_dim=3, init="zeros")
    assert dense.units == 3 and isinstance(dense.kernel_initializer, initializers.Zeros)
    for call in (lambda: layers.Dense(3, output_dim=4),
                 lambda: layers.Dense(units=3, output_dim=4)):
        with pytest.raises(TypeError, match="both the legacy argument `output_dim`.*`units`"):
            call()
    with pytest.warns(DeprecationWarning, match="`dim_ordering` is deprecated"):
        conv = layers.Conv2D(2, 3, dim_ordering="th")
    assert conv.data_format == "channels_first"
    with pytest.warns(DeprecationWarning, match="`consume_less` is deprecated"):
        lstm = layers.LSTM(2, consume_less="gpu")
    assert lstm.implementation == 2


def test_rename_kwargs_for_training_methods():
    kwargs = {"nb_epoch": 3, "verbose": 0}
    with pytest.warns(DeprecationWarning, match="fit: `nb_epoch` is deprecated, use `epochs`"):
        aliases.rename_kwargs(kwargs, "fit")
    assert kwargs == {"epochs": 3, "verbose": 0}
    with pytest.raises(TypeError, match="fit_generator: received both.*`nb_worker`.*`workers`"):
        aliases.rename_kwargs({"nb_worker": 2, "workers": 1}, "fit_generator")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing to rename: no warning
        assert aliases.rename_kwargs({"epochs": 1}, "fit") == {"epochs": 1}


def test_keras2_legacy_interfaces_read_the_same_table():
    class Old:
        @interfaces.legacy_dense_support
        def __init__(self, units, **kwargs):
            self.units, self.kwargs = units, kwargs

    with pytest.warns(UserWarning, match="Update your `Old` call to the Keras 2 API"):
        old = Old(output_dim=4, W_regularizer="l2")
    assert old.units == 4 and old.kwargs == {"kernel_regularizer": "l2"}
    with pytest.raises(TypeError, match="both the legacy keyword argument `output_dim`"):
        Old(units=3, output_dim=4)
