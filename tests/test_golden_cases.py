"""The golden-case helper passes on sound layers and fails (AssertionError) on broken ones."""

import copy

import pytest
from golden_cases import FIXTURES, GoldenCase, check_golden_case, layer_cases, model_case

from openkeras.layers.convolutional import Conv2D
from openkeras.layers.embeddings import Embedding
from openkeras.layers.normalization import BatchNormalization
from openkeras.models import model_from_json

CONV = layer_cases("conv")["conv2d_valid"]
EMBEDDING = layer_cases("embeddings")["embedding_mask_zero"]
BN_TRAINING = layer_cases("normalization")["batchnorm_training"]


def changed(case, **arrays):
    """A copy of ``case`` with some arrays replaced."""
    return GoldenCase(case.name, {**case.arrays, **arrays}, copy.deepcopy(case.entry))


def conv(cls=Conv2D):
    return cls.from_config(CONV.entry["config"])


def check_conv(layer, case=CONV):
    check_golden_case(layer, case, rtol=1e-5, atol=1e-5, config_ignore=(), weight_names=True)


def test_sound_cases_pass():
    check_conv(conv())
    check_golden_case(Embedding.from_config(EMBEDDING.entry["config"]), EMBEDDING, rtol=1e-5,
                      atol=1e-5, config_ignore=(), weight_names=True)
    check_golden_case(BatchNormalization.from_config(BN_TRAINING.entry["config"]), BN_TRAINING,
                      rtol=1e-5, atol=1e-5)


def test_fails_on_a_perturbed_weight():
    kernel = CONV.arrays["w0"].copy()
    kernel.flat[0] += 1e-3
    with pytest.raises(AssertionError, match="conv2d_valid: output 0"):
        check_conv(conv(), changed(CONV, w0=kernel))


def test_fails_on_a_perturbed_golden_output():
    y = CONV.arrays["y0"].copy()
    y.flat[-1] += 5e-5  # above atol + rtol * |y| for these magnitudes
    with pytest.raises(AssertionError, match="output 0"):
        check_conv(conv(), changed(CONV, y0=y))


class ConfigDropsPadding(Conv2D):
    def get_config(self):
        config = super().get_config()
        del config["padding"]
        return config


class LyingOutputShape(Conv2D):
    def compute_output_shape(self, input_shape):
        shape = super().compute_output_shape(input_shape)
        return shape[:-1] + (shape[-1] + 1,)


class IgnoresSetWeights(Conv2D):
    def set_weights(self, weights):
        pass


class LosesMask(Embedding):
    def compute_mask(self, inputs, mask=None):
        return None


class FrozenStatistics(BatchNormalization):
    """Never updates its moving mean/variance in training."""

    def call(self, inputs, training=None):
        return super().call(inputs, training=False)


def test_fails_when_get_config_drops_an_argument():
    with pytest.raises(AssertionError, match="config keys"):
        check_conv(conv(ConfigDropsPadding))


def test_fails_when_compute_output_shape_lies():
    with pytest.raises(AssertionError, match="output shapes"):
        check_conv(conv(LyingOutputShape))


def test_fails_when_set_weights_ignores_values():
    with pytest.raises(AssertionError, match="output 0"):
        check_conv(conv(IgnoresSetWeights))


def test_fails_when_weight_names_differ():
    layer = Conv2D.from_config({**CONV.entry["config"], "name": "renamed"})
    with pytest.raises(AssertionError, match="weight names"):
        check_golden_case(layer, CONV, rtol=1e-5, atol=1e-5, weight_names=True)


def test_fails_when_the_output_mask_is_lost():
    layer = LosesMask.from_config(EMBEDDING.entry["config"])
    with pytest.raises(AssertionError, match="no mask on output 0"):
        check_golden_case(layer, EMBEDDING, rtol=1e-5, atol=1e-5)


def test_fails_when_moving_statistics_do_not_move():
    layer = FrozenStatistics.from_config(BN_TRAINING.entry["config"])
    with pytest.raises(AssertionError, match="batchnorm_training: output 0|weight 2 after"):
        check_golden_case(layer, BN_TRAINING, rtol=1e-5, atol=1e-5)


def test_fails_on_a_model_with_a_perturbed_weight():
    case = model_case("configs/mlp.npz")
    text = (FIXTURES / "configs" / "mlp.json").read_text()
    check_golden_case(model_from_json(text), case, rtol=1e-5, atol=1e-5, build=False)
    bias = case.arrays["w1"] + 1e-2
    with pytest.raises(AssertionError, match="mlp: output 0"):
        check_golden_case(model_from_json(text), changed(case, w1=bias), rtol=1e-5, atol=1e-5,
                          build=False)
