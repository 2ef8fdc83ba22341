"""multi_gpu_model: Keras 2's checks, and a model sharing the template's weights.

This machine has no GPU: the CUDA path of `DataParallel` is not run here. The batch splitting
itself (`split_apply`) is checked on CPU devices, through the same code.
"""

from unittest import mock

import numpy as np
import pytest
import torch

from openkeras import layers
from openkeras.engine.functional import Functional
from openkeras.engine.input_layer import Input
from openkeras.engine.training import Model
from openkeras.utils.multi_gpu_utils import DataParallel, multi_gpu_model, split_apply

CPU = torch.device("cpu")


def _template(batch_norm=True):
    inputs = Input((4,))
    x = layers.Dense(8, activation="relu", name="hidden")(inputs)
    if batch_norm:
        x = layers.BatchNormalization(name="bn")(x)
    outputs = layers.Dense(3, activation="softmax", name="probs")(x)
    return Model(inputs, outputs, name="template")


def _two_io_template():
    a, b = Input((4,), name="a"), Input((2,), name="b")
    joined = layers.Concatenate()([layers.Dense(3, name="da")(a), b])
    return Model([a, b], [layers.Dense(2, name="out_x")(joined),
                          layers.Dense(1, name="out_y")(joined)])


def _data(n=10, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, n)]
    return x, y


@pytest.fixture
def two_gpus():
    with mock.patch("torch.cuda.device_count", return_value=2):
        yield


# -------------------------------------------------------------------- validation
@pytest.mark.parametrize("gpus, message", [
    (1, r"call `multi_gpu_model` with `gpus >= 2`. Received: `gpus=1`"),
    ([0], r"with `len\(gpus\) >= 2`. Received: `gpus=\[0\]`"),
    (None, r"with `gpus >= 2`. Received: `gpus=0`"),  # None: every visible GPU (none here)
])
def test_too_few_gpus(gpus, message):
    with mock.patch("torch.cuda.device_count", return_value=0), \
            pytest.raises(ValueError, match=message):
        multi_gpu_model(_template(), gpus=gpus)


def test_exact_error_for_one_gpu():
    with pytest.raises(ValueError) as info:
        multi_gpu_model(_template(), gpus=1)
    assert str(info.value) == ("For multi-gpu usage to be effective, call `multi_gpu_model` "
                               "with `gpus >= 2`. Received: `gpus=1`")


@pytest.mark.parametrize("count, gpus, target, available", [
    (0, 2, "['/cpu:0', '/gpu:0', '/gpu:1']", "['/cpu:0']"),
    (2, 3, "['/cpu:0', '/gpu:0', '/gpu:1', '/gpu:2']", "['/cpu:0', '/gpu:0', '/gpu:1']"),
    (2, [0, 2], "['/cpu:0', '/gpu:0', '/gpu:2']", "['/cpu:0', '/gpu:0', '/gpu:1']"),
])
def test_more_gpus_than_available(count, gpus, target, available):
    with mock.patch("torch.cuda.device_count", return_value=count), \
            pytest.raises(ValueError) as info:
        multi_gpu_model(_template(), gpus=gpus)
    assert str(info.value) == (
        f"To call `multi_gpu_model` with `gpus={gpus}`, we expect the following devices to be "
        f"available: {target}. However this machine only has: {available}. "
        "Try reducing `gpus`.")


# ----------------------------------------------------------------- the new model
def test_parallel_model_shares_the_template_weights(two_gpus):
    template = _template()
    parallel = multi_gpu_model(template)  # None: both (mocked) GPUs
    assert isinstance(parallel, Functional)
    assert parallel.output_names == ["probs"]
    assert parallel.input_shape == template.input_shape
    assert parallel.output_shape == template.output_shape
    assert len(parallel.weights) == len(template.weights) == 8
    assert all(p is t for p, t in zip(parallel.weights, template.weights, strict=True))
    assert parallel.count_params() == template.count_params()
    wrapper = parallel.get_layer(index=1)
    assert isinstance(wrapper, DataParallel) and wrapper.device_ids == [0, 1]
    x, _ = _data()
    np.testing.assert_allclose(parallel.predict(x), template.predict(x), rtol=1e-6, atol=1e-6)


def test_fitting_the_parallel_model_trains_the_template(two_gpus, tmp_path):
    template = _template()
    parallel = multi_gpu_model(template, gpus=2)
    parallel.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
    x, y = _data(16)
    before = [w.copy() for w in template.get_weights()]
    history = parallel.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert set(history.history) == {"loss", "accuracy"}
    after = template.get_weights()
    assert any(np.abs(a - b).max() > 1e-6 for a, b in zip(after, before, strict=True))
    for p, t in zip(parallel.get_weights(), after, strict=True):
        np.testing.assert_array_equal(p, t)
    # Save through the template, as Keras recommends; a fresh template predicts the same.
    path = str(tmp_path / "template.h5")
    template.save_weights(path)
    fresh = _template()
    fresh.load_weights(path)
    np.testing.assert_allclose(fresh.predict(x), parallel.predict(x), rtol=1e-6, atol=1e-6)


def test_multi_io_and_siamese_output_names(two_gpus):
    parallel = multi_gpu_model(_two_io_template(), gpus=[0, 1])
    assert parallel.input_names == ["a", "b"]
    assert parallel.output_names == ["out_x", "out_y"]
    shared = layers.Dense(2, name="shared")
    a, b = Input((3,)), Input((3,))
    siamese = Model([a, b], [shared(a), shared(b)])
    assert siamese.output_names == ["shared", "shared"]
    assert multi_gpu_model(siamese, gpus=2).output_names == ["shared_1", "shared_2"]


def test_data_parallel_config_round_trip():
    wrapper = DataParallel(_template(), [1, 3], name="replicas")
    config = wrapper.get_config()
    assert config["device_ids"] == [1, 3] and config["layer"]["class_name"] == "Functional"
    clone = DataParallel.from_config(config)
    assert clone.device_ids == [1, 3] and clone.name == "replicas"
    assert [w.shape for w in clone.weights] == [w.shape for w in wrapper.weights]


# ------------------------------------------------------------ the batch splitting
@pytest.mark.parametrize("n, devices", [(10, 3), (2, 2), (1, 2)])
def test_split_apply_matches_the_unsplit_model(n, devices):
    model = _template(batch_norm=False)
    x = torch.tensor(_data(n)[0])
    expected = model(x)
    out = split_apply(model, x, [CPU] * devices)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(),
                               rtol=1e-6, atol=1e-6)
    # Gradients reach the template's own weights, as from one unsplit batch.
    expected.square().sum().backward()
    reference = [w.grad.clone() for w in model.trainable_weights]
    model.zero_grad()
    out.square().sum().backward()
    for w, ref in zip(model.trainable_weights, reference, strict=True):
        np.testing.assert_allclose(w.grad.numpy(), ref.numpy(), rtol=1e-5, atol=1e-6)


def test_split_apply_multi_io_and_batch_norm_statistics():
    model = _two_io_template()
    a = torch.randn(5, 4)
    b = torch.randn(5, 2)
    outs = split_apply(model, [a, b], [CPU, CPU])
    for got, want in zip(outs, model([a, b]), strict=True):
        np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), atol=1e-6)
    # Training mode: the moving statistics are updated from the first slice only.
    bn_model = _template()
    x = torch.tensor(_data(8)[0])
    split_apply(bn_model, x, [CPU, CPU], training=True)
    hidden = torch.relu(x[:4] @ bn_model.get_layer("hidden").kernel
                        + bn_model.get_layer("hidden").bias)
    expected_mean = 0.01 * hidden.mean(dim=0)  # momentum 0.99 from zeros
    np.testing.assert_allclose(bn_model.get_layer("bn").moving_mean.detach().numpy(),
                               expected_mean.detach().numpy(), rtol=1e-5, atol=1e-6)
