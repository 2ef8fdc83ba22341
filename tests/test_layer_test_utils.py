"""The shared layer test passes on sound layers and fails (AssertionError) on broken ones."""

import numpy as np
import pytest
from layer_test_utils import run_layer_test

from openkeras import layers


def test_run_layer_test_on_dense():
    out = run_layer_test(layers.Dense, {"units": 3}, input_shape=(2, 4),
                         expected_output_shape=(None, 3), expected_num_weights=2,
                         expected_num_trainable_weights=2, expected_num_non_trainable_weights=0)
    assert out.shape == (2, 3)


def test_several_inputs_with_expected_output():
    a, b, c = (np.random.default_rng(i).standard_normal((3, 4)).astype("float32") for i in range(3))
    out = run_layer_test(layers.Add, input_data=[a, b, c], expected_output_shape=(None, 4),
                         expected_output=a + b + c)
    np.testing.assert_allclose(out, a + b + c, rtol=1e-6)


def test_call_arguments_become_model_inputs():
    x = np.random.default_rng(0).standard_normal((2, 5, 4)).astype("float32")
    h0, c0 = (np.random.default_rng(i).standard_normal((2, 3)).astype("float32") for i in (1, 2))
    out, h, c = run_layer_test(layers.LSTM, {"units": 3, "return_state": True}, input_data=x,
                               call_kwargs={"initial_state": [h0, c0]},
                               expected_output_shape=[(None, 3), (None, 3), (None, 3)],
                               expected_num_weights=3)
    np.testing.assert_array_equal(out, h)
    assert not np.allclose(c, 0)


def test_masks_reach_the_layer_in_the_model():
    x = np.random.default_rng(0).standard_normal((2, 4, 3)).astype("float32")
    mask = np.array([[1, 1, 0, 0], [1, 1, 1, 0]], bool)
    expected = (x * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
    run_layer_test(layers.GlobalAveragePooling1D, input_data=x, input_mask=mask,
                   expected_output_shape=(None, 3), expected_output=expected)
    run_layer_test(layers.Masking, input_data=x, expected_output_mask=np.ones((2, 4), bool))


def test_non_trainable_weight_counts():
    run_layer_test(layers.BatchNormalization, input_shape=(3, 5), expected_num_weights=4,
                   expected_num_trainable_weights=2, expected_num_non_trainable_weights=2)
    with pytest.raises(AssertionError, match="non-trainable weights"):
        run_layer_test(layers.BatchNormalization, input_shape=(3, 5),
                       expected_num_non_trainable_weights=0)


class TimesTwo(layers.Layer):
    """A user layer (not registered) with one argument."""

    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, inputs):
        return inputs * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def test_custom_objects_are_used_for_deserialization():
    x = np.ones((2, 3), "float32")
    run_layer_test(TimesTwo, {"factor": 3.0}, input_data=x, expected_output=3 * x,
                   custom_objects={"TimesTwo": TimesTwo})
    with pytest.raises(ValueError, match="TimesTwo"):
        run_layer_test(TimesTwo, {"factor": 3.0}, input_data=x)


# ------------------------------------------------------------------ broken layers
class ConfigDropsActivation(layers.Dense):
    def get_config(self):
        config = super().get_config()
        del config["activation"]
        return config


class LyingOutputShape(layers.Dense):
    def compute_output_shape(self, input_shape):
        return input_shape[:-1] + (self.units + 1,)


class IgnoresSetWeights(layers.Dense):
    def set_weights(self, weights):
        pass


class WrongDtype(layers.Dense):
    def call(self, inputs):
        return super().call(inputs).double()


class DotDropsNormalize(layers.Dot):
    def get_config(self):
        config = super().get_config()
        del config["normalize"]
        return config


class MaskIgnored(layers.Layer):
    """Claims to support masks but drops them (so the output carries no mask)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def compute_mask(self, inputs, mask=None):
        return None


BROKEN = {c.__name__: c for c in (ConfigDropsActivation, LyingOutputShape, IgnoresSetWeights,
                                  WrongDtype, DotDropsNormalize, MaskIgnored)}


@pytest.mark.parametrize("cls,match", [
    (ConfigDropsActivation, "from_config clone"),
    (LyingOutputShape, "eager shape"),
    (IgnoresSetWeights, "get_weights after set_weights"),
    (WrongDtype, "dtype"),
])
def test_fails_on_a_broken_dense(cls, match):
    run_layer_test(layers.Dense, {"units": 3, "activation": "tanh"}, input_shape=(2, 4),
                   expected_num_weights=2)  # the sound layer passes
    with pytest.raises(AssertionError, match=match):
        run_layer_test(cls, {"units": 3, "activation": "tanh"}, input_shape=(2, 4),
                       custom_objects=BROKEN)


def test_fails_on_a_broken_layer_with_several_inputs():
    shapes = [(2, 4), (2, 4)]
    run_layer_test(layers.Dot, {"axes": 1, "normalize": True}, input_shape=shapes)
    with pytest.raises(AssertionError, match="from_config clone"):
        run_layer_test(DotDropsNormalize, {"axes": 1, "normalize": True}, input_shape=shapes,
                       custom_objects=BROKEN)


def test_fails_on_wrong_expectations():
    with pytest.raises(AssertionError, match="output shapes"):
        run_layer_test(layers.Dense, {"units": 3}, input_shape=(2, 4), expected_output_shape=(None, 4))
    with pytest.raises(AssertionError, match="2 weights, expected 1"):
        run_layer_test(layers.Dense, {"units": 3}, input_shape=(2, 4), expected_num_weights=1)
    x = np.ones((2, 3), "float32")
    with pytest.raises(AssertionError, match="expected output"):
        run_layer_test(layers.Activation, {"activation": "relu"}, input_data=x,
                       expected_output=x + 1e-3)


def test_fails_when_the_mask_is_lost():
    x = np.random.default_rng(0).standard_normal((2, 4, 3)).astype("float32")
    with pytest.raises(AssertionError, match="no mask"):
        run_layer_test(MaskIgnored, input_data=x, input_mask=np.ones((2, 4), bool),
                       expected_output_mask=np.ones((2, 4), bool), custom_objects=BROKEN)


class UnusedWeight(layers.Layer):
    """Creates a trainable weight that its call never reads."""

    def build(self, input_shape):
        self.scale = self.add_weight("scale", (input_shape[-1],))
        self.unused = self.add_weight("unused", (1,))
        super().build(input_shape)

    def call(self, inputs):
        return inputs * self.scale


def test_fails_when_a_trainable_weight_gets_no_gradient():
    with pytest.raises(AssertionError, match="no gradient for .*unused"):
        run_layer_test(UnusedWeight, input_shape=(2, 3), expected_num_weights=2,
                       custom_objects={"UnusedWeight": UnusedWeight})
