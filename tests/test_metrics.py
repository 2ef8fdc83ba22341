import json
from pathlib import Path

import numpy as np
import pytest
import torch
from numeric_utils import assert_close  # noqa: E402

from openkeras import losses, metrics

FIXTURES = Path(__file__).parent / "fixtures"
GOLDEN = np.load(FIXTURES / "losses_metrics.npz")
INDEX = json.loads((FIXTURES / "losses_metrics.json").read_text())["index"]
FN_KEYS = sorted(k for k in INDEX if k.startswith("metric_fn__"))
CLASS_KEYS = sorted(k for k in INDEX if k.startswith("metric__"))


def t(name):
    return torch.from_numpy(GOLDEN[name])


@pytest.mark.parametrize("key", FN_KEYS)
def test_metric_functions_match_keras_golden(key):
    entry = INDEX[key]
    fn = metrics.get(entry["fn"].rsplit(".", 1)[1])
    assert_close(fn(t(entry["y_true"]), t(entry["y_pred"]), **entry["kwargs"]), GOLDEN[key])


@pytest.mark.parametrize("key", CLASS_KEYS)
def test_metric_classes_match_keras_golden(key):
    entry = INDEX[key]
    metric = metrics.deserialize({"class_name": entry["class_name"], "config": entry["config"]})
    assert metric.get_config() == entry["config"]
    y_true, y_pred = t(entry["y_true"]), t(entry["y_pred"])
    metric.update_state(y_true[:3], y_pred[:3])
    assert_close(metric.result(), GOLDEN[key + "__after_first_half"])
    metric.update_state(y_true[3:], y_pred[3:])
    assert_close(metric.result(), GOLDEN[key])
    metric.reset_state()
    metric.update_state(y_true, y_pred, sample_weight=t("sample_weight"))
    assert_close(metric.result(), GOLDEN[key + "__weighted"])


def test_every_loss_function_is_a_metric_under_its_name():
    for name in ["mse", "MSE", "mae", "mape", "msle", "hinge", "squared_hinge",
                 "categorical_hinge", "logcosh", "kld", "poisson", "binary_crossentropy",
                 "categorical_crossentropy", "sparse_categorical_crossentropy",
                 "mean_squared_error", "kullback_leibler_divergence"]:
        assert metrics.get(name) is losses.get(name)
    assert metrics.get("acc") is metrics.get("accuracy") is metrics.accuracy
    # tf.keras 2: the cosine metric is positive, the loss negative
    a, b = torch.tensor([[1.0, 2.0]]), torch.tensor([[2.0, 4.0]])
    assert_close(metrics.get("cosine_similarity")(a, b), [1.0])
    assert_close(metrics.get("cosine_proximity")(a, b), [1.0])
    assert_close(losses.cosine_similarity(a, b), [-1.0])


def test_accuracy_functions_against_hand_values():
    y_pred = torch.tensor([[0.1, 0.6, 0.3], [0.5, 0.2, 0.3], [0.3, 0.3, 0.4]])
    onehot = torch.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    sparse = torch.tensor([1, 2, 2])
    assert_close(metrics.categorical_accuracy(onehot, y_pred), [1, 0, 1])
    assert_close(metrics.sparse_categorical_accuracy(sparse, y_pred), [1, 0, 1])
    assert_close(metrics.sparse_categorical_accuracy(sparse[:, None].float(), y_pred), [1, 0, 1])
    assert_close(metrics.top_k_categorical_accuracy(onehot, y_pred, k=2), [1, 1, 1])
    assert_close(metrics.top_k_categorical_accuracy(onehot, y_pred, k=1), [1, 0, 1])
    assert_close(metrics.sparse_top_k_categorical_accuracy(sparse, y_pred, k=1), [1, 0, 1])
    # ties at the k-th score count as inside (tf.nn.in_top_k)
    tied = torch.tensor([[0.3, 0.3, 0.4]])
    assert_close(metrics.sparse_top_k_categorical_accuracy(torch.tensor([0]), tied, k=2), [1])
    assert_close(metrics.sparse_top_k_categorical_accuracy(torch.tensor([1]), tied, k=2), [1])
    assert_close(metrics.binary_accuracy(torch.tensor([[1.0, 0.0, 1.0]]),
                                  torch.tensor([[0.7, 0.4, 0.5]])), [2 / 3])
    assert_close(metrics.binary_accuracy(torch.tensor([[1.0, 0.0, 1.0]]),
                                  torch.tensor([[0.7, 0.4, 0.5]]), threshold=0.75), [1 / 3])
    assert_close(metrics.accuracy(torch.tensor([1, 2, 3]), torch.tensor([1, 0, 3])), [1, 0, 1])


def test_mean_and_sum_with_sample_weights():
    values = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    mean = metrics.Mean()
    mean.update_state(values, sample_weight=torch.tensor([1.0, 3.0]))
    # weights (2,) expand to (2, 1) and broadcast to every value (count = 1 + 1 + 3 + 3)
    assert_close(mean.result(), (1 + 2 + 9 + 12) / 8)
    mean.update_state(5.0)
    assert_close(mean.result(), (24 + 5) / 9)
    total = metrics.Sum()
    total.update_state([1.0, 2.0, 3.0], sample_weight=[1.0, 0.0, 2.0])
    assert_close(total.result(), 7.0)
    # weights that do not broadcast reduce the values to their rank first
    mean = metrics.Mean()
    mean.update_state(torch.ones(2, 3, 4), sample_weight=torch.tensor([[1.0, 2.0, 3.0]] * 2))
    assert_close(mean.result(), 1.0)


def test_result_before_any_update_is_zero_and_reset_states_alias():
    m = metrics.Mean()
    assert_close(m.result(), 0.0)
    m.update_state([2.0, 4.0])
    assert_close(m(6.0), 4.0)
    m.reset_states()
    assert_close(m.result(), 0.0)
    assert [v.shape for v in m.variables] == [(), ()]


def test_mean_metric_wrapper_config_and_call():
    wrapper = metrics.MeanMetricWrapper(metrics.binary_accuracy, threshold=0.7)
    assert wrapper.name == "binary_accuracy"
    value = wrapper(torch.tensor([[1.0, 1.0]]), torch.tensor([[0.8, 0.6]]))
    assert_close(value, 0.5)
    config = wrapper.get_config()
    assert config == {"name": "binary_accuracy", "dtype": "float32", "threshold": 0.7,
                      "fn": "binary_accuracy"}
    clone = metrics.MeanMetricWrapper.from_config(config)
    assert_close(clone(torch.tensor([[1.0, 1.0]]), torch.tensor([[0.8, 0.6]])), 0.5)
    restored = metrics.deserialize(metrics.serialize(metrics.TopKCategoricalAccuracy(k=3)))
    assert isinstance(restored, metrics.TopKCategoricalAccuracy)
    assert restored.get_config()["k"] == 3


def test_loss_named_metric_classes_average_the_loss():
    torch.manual_seed(0)
    logits = torch.randn(8, 4)
    labels = torch.randint(0, 4, (8,))
    cce = metrics.SparseCategoricalCrossentropy(from_logits=True)
    cce.update_state(labels[:5], logits[:5])
    cce.update_state(labels[5:], logits[5:])
    assert_close(cce.result(), torch.nn.functional.cross_entropy(logits, labels))
    onehot = torch.nn.functional.one_hot(labels, 4).float()
    assert_close(metrics.CategoricalCrossentropy(from_logits=True)(onehot, logits),
          torch.nn.functional.cross_entropy(logits, labels))
    mse = metrics.MeanSquaredError()
    assert_close(mse(torch.zeros(2, 2), torch.tensor([[1.0, 3.0], [2.0, 2.0]])), 4.5)
    assert metrics.BinaryCrossentropy(label_smoothing=0.1).get_config()["label_smoothing"] == 0.1


def _numpy_confusion(y_true, y_pred, thresholds, weights=None):
    weights = np.ones_like(y_pred) if weights is None else weights
    tp, fp, tn, fn = [], [], [], []
    for th in thresholds:
        pos, lab = y_pred > th, y_true > 0
        tp.append((weights * (pos & lab)).sum())
        fp.append((weights * (pos & ~lab)).sum())
        tn.append((weights * (~pos & ~lab)).sum())
        fn.append((weights * (~pos & lab)).sum())
    return map(np.asarray, (tp, fp, tn, fn))


def test_precision_recall_with_thresholds_class_id_and_top_k():
    rng = np.random.default_rng(3)
    y_true = rng.integers(0, 2, (20, 4)).astype(np.float32)
    y_pred = rng.uniform(size=(20, 4)).astype(np.float32)
    ths = [0.2, 0.5, 0.9]
    tp, fp, _, fn = _numpy_confusion(y_true, y_pred, ths)
    assert_close(metrics.Precision(thresholds=ths)(y_true, y_pred), tp / (tp + fp))
    assert_close(metrics.Recall(thresholds=ths)(y_true, y_pred), tp / (tp + fn))
    tp, fp, _, fn = _numpy_confusion(y_true[:, 2], y_pred[:, 2], [0.5])
    assert_close(metrics.Precision(class_id=2)(y_true, y_pred), tp[0] / (tp[0] + fp[0]))
    top1 = (y_pred == y_pred.max(-1, keepdims=True)).astype(np.float32)
    tp, fp, _, fn = _numpy_confusion(y_true, top1, [0.5])
    assert_close(metrics.Precision(top_k=1)(y_true, y_pred), tp[0] / (tp[0] + fp[0]))
    assert_close(metrics.Recall(top_k=1)(y_true, y_pred), tp[0] / (tp[0] + fn[0]))
    with pytest.raises(ValueError, match=r"Threshold values must be in \[0, 1\]"):
        metrics.Precision(thresholds=[0.5, 1.5])


def _numpy_roc_auc(tp, fp, tn, fn):
    tpr = np.divide(tp, tp + fn, out=np.zeros_like(tp), where=(tp + fn) != 0)
    fpr = np.divide(fp, fp + tn, out=np.zeros_like(fp), where=(fp + tn) != 0)
    return np.sum((fpr[:-1] - fpr[1:]) * (tpr[:-1] + tpr[1:]) / 2)


def test_auc_threshold_placement_and_roc_formula_against_numpy():
    rng = np.random.default_rng(5)
    y_true = rng.integers(0, 2, (50,)).astype(np.float32)
    y_pred = rng.uniform(size=(50,)).astype(np.float32)
    weights = rng.uniform(size=(50,)).astype(np.float32)
    auc = metrics.AUC(num_thresholds=7)
    eps = 1e-7
    expected_th = [-eps] + [(i + 1) / 6 for i in range(5)] + [1 + eps]
    assert_close(auc.thresholds, expected_th, rtol=0, atol=1e-12)
    auc.update_state(y_true, y_pred, sample_weight=weights)
    counts = _numpy_confusion(y_true, y_pred, np.float32(expected_th), weights)
    assert_close(auc.result(), _numpy_roc_auc(*counts), rtol=1e-5)
    # explicit (uneven) thresholds go through the general counting path
    explicit = metrics.AUC(thresholds=[0.3, 0.1, 0.8])
    assert explicit.num_thresholds == 5 and explicit.get_config()["thresholds"] == [0.1, 0.3, 0.8]
    explicit.update_state(y_true, y_pred)
    counts = _numpy_confusion(y_true, y_pred, np.float32([-eps, 0.1, 0.3, 0.8, 1 + eps]))
    assert_close(explicit.result(), _numpy_roc_auc(*counts), rtol=1e-5)


def test_auc_separable_scores_and_multi_label_average():
    perfect = metrics.AUC()
    perfect.update_state([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])
    assert_close(perfect.result(), 1.0, atol=1e-6)
    rng = np.random.default_rng(7)
    y_true = rng.integers(0, 2, (40, 3)).astype(np.float32)
    y_pred = rng.uniform(size=(40, 3)).astype(np.float32)
    per_label = []
    for j in range(3):
        single = metrics.AUC(num_thresholds=50)
        single.update_state(y_true[:, j], y_pred[:, j])
        per_label.append(float(single.result()))
    multi = metrics.AUC(num_thresholds=50, multi_label=True)
    multi.update_state(y_true, y_pred)
    assert_close(multi.result(), np.mean(per_label), rtol=1e-5)
    weighted = metrics.AUC(num_thresholds=50, multi_label=True, label_weights=[1.0, 0.0, 3.0])
    weighted.update_state(y_true, y_pred)
    assert_close(weighted.result(), (per_label[0] + 3 * per_label[2]) / 4, rtol=1e-5)
    logits = metrics.AUC(num_thresholds=50, multi_label=True, from_logits=True)
    logits.update_state(y_true, torch.logit(torch.from_numpy(y_pred)))
    assert_close(logits.result(), multi.result(), rtol=1e-4)


def test_auc_argument_errors():
    with pytest.raises(ValueError, match="Invalid AUC curve value"):
        metrics.AUC(curve="XY")
    with pytest.raises(ValueError, match="num_thresholds=1"):
        metrics.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match="only when `multi_label` is True"):
        metrics.AUC(num_labels=3)


def test_state_follows_the_inputs_device():
    m = metrics.AUC(num_thresholds=10)
    m.update_state([0.0, 1.0], [0.2, 0.7])
    assert m.true_positives.device.type == "cpu"
    # meta tensors have no data: this also proves update_state never reads values on the host
    m.update_state(torch.empty(4, device="meta"), torch.empty(4, device="meta"))
    assert m.true_positives.device.type == "meta" and m.result().device.type == "meta"


def test_update_state_never_reads_device_values():
    y2d = torch.empty(6, 4, device="meta")
    weights = torch.empty(6, device="meta")
    labels = torch.empty(6, device="meta")
    for metric, y_true in [
        (metrics.BinaryAccuracy(), y2d), (metrics.CategoricalAccuracy(), y2d),
        (metrics.SparseCategoricalAccuracy(), labels), (metrics.TopKCategoricalAccuracy(2), y2d),
        (metrics.SparseTopKCategoricalAccuracy(2), labels), (metrics.Precision(), y2d),
        (metrics.Recall(top_k=2), y2d), (metrics.AUC(curve="PR"), y2d),
        (metrics.AUC(multi_label=True), y2d), (metrics.MeanSquaredError(), y2d),
    ]:
        metric.update_state(y_true, y2d, sample_weight=weights)
        assert metric.result().device.type == "meta"


def test_get_unknown_metric_lists_names():
    with pytest.raises(ValueError, match="Unknown metric function: 'acuracy'.*accuracy"):
        metrics.get("acuracy")
    assert isinstance(metrics.get("AUC"), metrics.AUC)
    assert isinstance(metrics.get({"class_name": "Recall", "config": {}}), metrics.Recall)
