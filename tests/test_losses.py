import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from numeric_utils import assert_close  # noqa: E402

from openkeras import config, losses

FIXTURES = Path(__file__).parent / "fixtures"
GOLDEN = np.load(FIXTURES / "losses_metrics.npz")
INDEX = json.loads((FIXTURES / "losses_metrics.json").read_text())["index"]
FUNCTION_KEYS = sorted(k for k, v in INDEX.items() if k.startswith("loss__") and "fn" in v)
CLASS_KEYS = sorted(k for k, v in INDEX.items() if k.startswith("loss__") and "config" in v)


def t(name):
    return torch.from_numpy(GOLDEN[name])


@pytest.mark.parametrize("key", FUNCTION_KEYS)
def test_loss_functions_match_keras_golden(key):
    entry = INDEX[key]
    fn = losses.get(key[len("loss__"):])
    assert_close(fn(t(entry["y_true"]), t(entry["y_pred"])), GOLDEN[key])


@pytest.mark.parametrize("key", CLASS_KEYS)
def test_loss_classes_match_keras_golden_for_every_reduction(key):
    entry = INDEX[key]
    cfg = entry["config"]
    y_true, y_pred = t(entry["y_true"]), t(entry["y_pred"])
    loss = losses.deserialize({"class_name": entry["class_name"], "config": cfg})
    assert loss.get_config() == cfg
    assert_close(loss(y_true, y_pred), GOLDEN[key + "__mean"])
    assert_close(loss(y_true, y_pred, sample_weight=t("sample_weight")), GOLDEN[key + "__weighted"])
    for reduction in ("none", "sum"):
        other = type(loss).from_config({**cfg, "reduction": reduction})
        assert_close(other(y_true, y_pred), GOLDEN[f"{key}__{reduction}"])


def test_aliases_name_the_same_functions():
    assert losses.mse is losses.MSE is losses.mean_squared_error
    assert losses.mae is losses.mean_absolute_error
    assert losses.mape is losses.mean_absolute_percentage_error
    assert losses.msle is losses.mean_squared_logarithmic_error
    assert losses.kld is losses.KLD is losses.kullback_leibler_divergence is losses.kl_divergence
    assert losses.logcosh is losses.log_cosh
    assert losses.get("cosine_proximity") is losses.cosine_similarity


def test_regression_losses_against_numpy():
    rng = np.random.default_rng(0)
    a, b = rng.uniform(0.1, 2, (5, 4)), rng.uniform(0.1, 2, (5, 4))
    ta, tb = torch.tensor(a), torch.tensor(b)
    assert_close(losses.mse(ta, tb), ((b - a) ** 2).mean(-1))
    assert_close(losses.mae(ta, tb), np.abs(b - a).mean(-1))
    assert_close(losses.mape(ta, tb), 100 * np.abs((a - b) / a).mean(-1))
    assert_close(losses.msle(ta, tb), ((np.log1p(b) - np.log1p(a)) ** 2).mean(-1))
    assert_close(losses.log_cosh(ta, tb), np.log(np.cosh(b - a)).mean(-1))
    assert_close(losses.poisson(ta, tb), (b - a * np.log(b + 1e-7)).mean(-1))
    err = b - a
    huber = np.where(np.abs(err) <= 0.3, 0.5 * err**2, 0.3 * np.abs(err) - 0.045).mean(-1)
    assert_close(losses.huber(ta, tb, delta=0.3), huber)
    cos = (a * b).sum(-1) / np.linalg.norm(a, axis=-1) / np.linalg.norm(b, axis=-1)
    assert_close(losses.cosine_similarity(ta, tb), -cos)


def test_hinge_converts_zero_one_labels_but_not_signed_labels():
    y_pred = torch.tensor([[0.3, -0.8, 1.5]])
    zero_one = torch.tensor([[1.0, 0.0, 1.0]])
    signed = torch.tensor([[1.0, -1.0, 1.0]])
    assert_close(losses.hinge(zero_one, y_pred), losses.hinge(signed, y_pred))
    assert_close(losses.hinge(signed, y_pred), np.mean([0.7, 0.2, 0.0]))
    assert_close(losses.squared_hinge(signed, y_pred), np.mean([0.49, 0.04, 0.0]))
    # Labels outside {0, 1} are used as they are.
    assert_close(losses.hinge(torch.tensor([[2.0, 0.0, 0.0]]), y_pred), np.mean([0.4, 1.0, 1.0]))


def test_crossentropies_against_torch_references():
    torch.manual_seed(0)
    logits = torch.randn(6, 5)
    labels = torch.randint(0, 5, (6,))
    onehot = F.one_hot(labels, 5).float()
    probs = torch.softmax(logits, -1)
    ref = F.cross_entropy(logits, labels, reduction="none")
    assert_close(losses.categorical_crossentropy(onehot, logits, from_logits=True), ref)
    assert_close(losses.categorical_crossentropy(onehot, probs), ref, rtol=1e-4)
    assert_close(losses.sparse_categorical_crossentropy(labels, logits, from_logits=True), ref)
    assert_close(losses.sparse_categorical_crossentropy(labels[:, None], probs), ref, rtol=1e-4)
    # categorical_crossentropy renormalises y_pred by its sum
    assert_close(losses.categorical_crossentropy(onehot, probs * 3.0), ref, rtol=1e-4)
    smoothed = onehot * 0.8 + 0.2 / 5
    assert_close(losses.categorical_crossentropy(onehot, logits, from_logits=True, label_smoothing=0.2),
          -(smoothed * torch.log_softmax(logits, -1)).sum(-1))
    targets = torch.randint(0, 2, (6, 5)).float()
    bce_ref = F.binary_cross_entropy_with_logits(logits, targets, reduction="none").mean(-1)
    assert_close(losses.binary_crossentropy(targets, logits, from_logits=True), bce_ref)
    assert_close(losses.binary_crossentropy(targets, torch.sigmoid(logits)), bce_ref, rtol=1e-4)


def test_channels_first_axis_for_categorical_losses():
    torch.manual_seed(1)
    logits = torch.randn(2, 4, 3, 3)  # classes on axis 1
    labels = torch.randint(0, 4, (2, 3, 3))
    ref = F.cross_entropy(logits, labels, reduction="none")
    onehot = F.one_hot(labels, 4).permute(0, 3, 1, 2).float()
    assert_close(losses.categorical_crossentropy(onehot, logits, from_logits=True, axis=1), ref)
    assert_close(losses.sparse_categorical_crossentropy(labels, logits, from_logits=True, axis=1), ref)


def test_probability_losses_clip_with_config_epsilon():
    y_true = torch.tensor([[0.0, 1.0]])
    y_pred = torch.tensor([[1.0, 0.0]])
    eps = config.epsilon()
    assert_close(losses.categorical_crossentropy(y_true, y_pred), -math.log(eps), rtol=1e-4)
    assert_close(losses.sparse_categorical_crossentropy(torch.tensor([1]), y_pred),
          -math.log(eps / (1 - eps + eps)), rtol=1e-4)
    e, one = np.float32(eps), np.float32(1.0)
    # Keras 2.2.4's formula: clip to [eps, 1 - eps], then -(t log p + (1 - t) log(1 - p))
    # (tf.keras 2 would add eps inside both logarithms: 15.379 here instead of 16.030).
    expected = (-np.log(one - (one - e)) - np.log(e)) / 2
    assert_close(losses.binary_crossentropy(y_true, y_pred), expected, rtol=1e-5)
    config.set_epsilon(1e-3)
    try:
        assert_close(losses.categorical_crossentropy(y_true, y_pred), -math.log(1e-3), rtol=1e-4)
    finally:
        config.set_epsilon(eps)


def test_sparse_labels_of_shape_n_and_n_1_agree_in_class_form():
    probs = torch.softmax(torch.randn(5, 3), -1)
    labels = torch.tensor([0, 2, 1, 1, 0])
    loss = losses.SparseCategoricalCrossentropy()
    assert_close(loss(labels, probs), loss(labels[:, None], probs))
    assert_close(loss(labels.float()[:, None], probs), loss(labels, probs))


def test_sparse_ignore_class_averages_over_valid_entries_only():
    logits = torch.randn(6, 4)
    labels = torch.tensor([0, 3, -1, 2, -1, 1])
    per_sample = losses.sparse_categorical_crossentropy(labels, logits, from_logits=True,
                                                        ignore_class=-1)
    assert per_sample[2] == 0 and per_sample[4] == 0
    valid = labels != -1
    ref = F.cross_entropy(logits[valid], labels[valid])
    loss = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)
    assert_close(loss(labels, logits), ref)


def test_sample_weight_rank_matching_and_sum_over_batch_size():
    y_true, y_pred = torch.zeros(4, 3), torch.arange(12.0).reshape(4, 3)
    weights = torch.tensor([1.0, 0.0, 2.0, 0.5])
    per_sample = (y_pred**2).mean(-1)
    expected = (per_sample * weights).sum() / 4
    loss = losses.MeanSquaredError()
    assert_close(loss(y_true, y_pred, sample_weight=weights), expected)
    assert_close(loss(y_true, y_pred, sample_weight=weights[:, None]), expected)
    assert_close(loss(y_true, y_pred, sample_weight=2.0), 2 * per_sample.mean())
    assert_close(losses.MeanSquaredError(reduction="sum")(y_true, y_pred), per_sample.sum())
    assert losses.MeanSquaredError(reduction="none")(y_true, y_pred).shape == (4,)


def test_loss_wrapper_squeezes_trailing_unit_dimension():
    y_true = torch.tensor([1.0, 2.0, 3.0])
    y_pred = torch.tensor([[1.5], [2.0], [2.0]])
    assert_close(losses.MeanSquaredError()(y_true, y_pred), (0.25 + 0.0 + 1.0) / 3)


def test_loss_classes_accept_numpy_inputs():
    value = losses.MeanAbsoluteError()(np.ones((2, 2)), np.zeros((2, 2), np.float32))
    assert torch.is_tensor(value)
    assert_close(value, 1.0)


def test_invalid_reduction_names_the_value():
    with pytest.raises(ValueError, match="reduction='mean'"):
        losses.MeanSquaredError(reduction="mean")


def test_get_serialize_deserialize_round_trip():
    assert losses.get("mse") is losses.mean_squared_error
    assert losses.get(None) is None
    assert losses.serialize(losses.mse) == "mean_squared_error"
    assert isinstance(losses.get("CategoricalCrossentropy"), losses.CategoricalCrossentropy)
    original = losses.Huber(delta=0.5, reduction="sum", name="h")
    restored = losses.deserialize(losses.serialize(original))
    assert isinstance(restored, losses.Huber) and restored.get_config() == original.get_config()
    wrapper = losses.LossFunctionWrapper(losses.huber, name="w", delta=2.0)
    clone = losses.LossFunctionWrapper.from_config(wrapper.get_config())
    assert clone.fn is losses.huber and clone.get_config() == wrapper.get_config()

    def custom(y_true, y_pred):
        return (y_pred - y_true).sum(-1)

    assert losses.get(custom) is custom
    assert losses.deserialize("custom", custom_objects={"custom": custom}) is custom


def test_unknown_loss_lists_valid_names():
    with pytest.raises(ValueError, match="Unknown loss function: 'msee'.*mean_squared_error"):
        losses.get("msee")
    with pytest.raises(ValueError, match="Could not interpret loss function identifier"):
        losses.get(3)


def test_check_target_shape_integer_labels_with_categorical_crossentropy():
    for shape in [(10,), (10, 1)]:
        with pytest.raises(ValueError) as info:
            losses.check_target_shape("categorical_crossentropy", shape, (None, 5), "dense_2")
        message = str(info.value)
        assert message.startswith("You are passing a target array of shape (10, 1) while using "
                                  "as loss `categorical_crossentropy`.")
        assert "to_categorical" in message and "`sparse_categorical_crossentropy`" in message
    with pytest.raises(ValueError, match="You are passing a target array"):
        losses.check_target_shape(losses.CategoricalCrossentropy(), (10, 1), (None, 5), "out")


def test_check_target_shape_mismatch_names_the_output():
    with pytest.raises(ValueError, match=r"\(10, 4\) was passed for output `main` of shape "
                                         r"\(None, 3\) while using as loss `mean_squared_error`"):
        losses.check_target_shape("mse", (10, 4), (None, 3), "main")
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
        losses.check_target_shape("sparse_categorical_crossentropy", (10, 5), (None, 5), "o")
    # compatible shapes pass silently
    losses.check_target_shape("categorical_crossentropy", (10, 5), (None, 5), "o")
    losses.check_target_shape("sparse_categorical_crossentropy", (10, 1), (None, 5), "o")
    losses.check_target_shape("sparse_categorical_crossentropy", (10,), (None, 5), "o")
    losses.check_target_shape("binary_crossentropy", (10,), (None, 1), "o")


def test_losses_run_without_reading_device_values():
    # Tensors on the meta device have no data: any host read (.item(), bool()) would raise.
    y = torch.empty(4, 3, device="meta")
    for name in ["mse", "mae", "mape", "msle", "hinge", "squared_hinge", "categorical_hinge",
                 "log_cosh", "huber", "categorical_crossentropy", "binary_crossentropy", "kld",
                 "poisson", "cosine_similarity"]:
        assert losses.get(name)(y, y).shape == (4,)
    labels = torch.empty(4, dtype=torch.long, device="meta")
    assert losses.sparse_categorical_crossentropy(labels, y).shape == (4,)
    weighted = losses.SparseCategoricalCrossentropy(ignore_class=0)(
        labels, y, sample_weight=torch.empty(4, device="meta"))
    assert weighted.shape == () and weighted.device.type == "meta"
