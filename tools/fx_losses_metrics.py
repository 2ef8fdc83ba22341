"""Family ``losses_metrics``: per-sample loss values and metric results on fixed arrays."""

import numpy as np
from fixture_utils import FIXTURES, keras, reset, write_json, write_npz

LO = keras.losses
ME = keras.metrics

# Loss functions by input kind: "reg" (positive regression), "hinge" (labels in {-1, 1}),
# "cat" (one-hot vs probabilities), "sparse" (int labels vs probabilities),
# "bin" (0/1 labels vs probabilities).
FUNCTIONS = {
    "mean_squared_error": "reg",
    "mean_absolute_error": "reg",
    "mean_absolute_percentage_error": "reg",
    "mean_squared_logarithmic_error": "reg",
    "squared_hinge": "hinge",
    "hinge": "hinge",
    "categorical_hinge": "cat",
    "logcosh": "reg",
    "categorical_crossentropy": "cat",
    "sparse_categorical_crossentropy": "sparse",
    "binary_crossentropy": "bin",
    "kullback_leibler_divergence": "cat",
    "poisson": "reg",
    "cosine_similarity": "reg",
}

# Class forms: (key, kind, factory, uses logits).
CLASSES = [
    ("Huber", "reg", lambda **kw: LO.Huber(**kw), False),
    ("Huber_delta0.5", "reg", lambda **kw: LO.Huber(delta=0.5, **kw), False),
    ("CategoricalCrossentropy", "cat", lambda **kw: LO.CategoricalCrossentropy(**kw), False),
    ("CategoricalCrossentropy_from_logits", "cat",
     lambda **kw: LO.CategoricalCrossentropy(from_logits=True, **kw), True),
    ("CategoricalCrossentropy_label_smoothing", "cat",
     lambda **kw: LO.CategoricalCrossentropy(label_smoothing=0.1, **kw), False),
    ("CategoricalCrossentropy_from_logits_label_smoothing", "cat",
     lambda **kw: LO.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1, **kw), True),
    ("SparseCategoricalCrossentropy_from_logits", "sparse",
     lambda **kw: LO.SparseCategoricalCrossentropy(from_logits=True, **kw), True),
    ("BinaryCrossentropy", "bin", lambda **kw: LO.BinaryCrossentropy(**kw), False),
    ("BinaryCrossentropy_from_logits", "bin",
     lambda **kw: LO.BinaryCrossentropy(from_logits=True, **kw), True),
    ("BinaryCrossentropy_label_smoothing", "bin",
     lambda **kw: LO.BinaryCrossentropy(label_smoothing=0.1, **kw), False),
    ("BinaryCrossentropy_from_logits_label_smoothing", "bin",
     lambda **kw: LO.BinaryCrossentropy(from_logits=True, label_smoothing=0.1, **kw), True),
    ("CosineSimilarity", "reg", lambda **kw: LO.CosineSimilarity(**kw), False),
    ("MeanSquaredError", "reg", lambda **kw: LO.MeanSquaredError(**kw), False),
]


def _data(rng) -> dict:
    n, c = 6, 4
    logits_cat = rng.normal(size=(n, c)).astype(np.float32) * 2
    logits_bin = rng.normal(size=(n, c)).astype(np.float32) * 2
    sparse = rng.integers(0, c, n)
    return {
        "reg_true": rng.uniform(0.1, 2.0, (n, c)).astype(np.float32),
        "reg_pred": rng.uniform(0.1, 2.0, (n, c)).astype(np.float32),
        "hinge_true": rng.choice([-1.0, 1.0], (n, c)).astype(np.float32),
        "hinge_pred": rng.normal(size=(n, c)).astype(np.float32),
        "cat_true": np.eye(c, dtype=np.float32)[sparse],
        "cat_logits": logits_cat,
        "cat_pred": np.exp(logits_cat) / np.exp(logits_cat).sum(-1, keepdims=True),
        "sparse_true": sparse.astype(np.int64),
        "sparse_logits": logits_cat,
        "sparse_pred": np.exp(logits_cat) / np.exp(logits_cat).sum(-1, keepdims=True),
        "bin_true": rng.integers(0, 2, (n, c)).astype(np.float32),
        "bin_logits": logits_bin,
        "bin_pred": (1 / (1 + np.exp(-logits_bin))).astype(np.float32),
        "sample_weight": rng.uniform(0.0, 2.0, n).astype(np.float32),
    }


def _losses(d: dict, arrays: dict, index: dict) -> None:
    for name, kind in FUNCTIONS.items():
        fn = LO.get(name)
        value = fn(d[f"{kind}_true"], d[f"{kind}_pred"]).numpy()
        arrays[f"loss__{name}"] = value
        index[f"loss__{name}"] = {"fn": f"keras.losses.{name}", "y_true": f"{kind}_true",
                                  "y_pred": f"{kind}_pred", "reduction": "per-sample"}
    for key, kind, factory, logits in CLASSES:
        y_true = d[f"{kind}_true"]
        y_pred = d[f"{kind}_logits" if logits else f"{kind}_pred"]
        per_sample = factory(reduction="none")(y_true, y_pred).numpy()
        loss = factory()
        arrays[f"loss__{key}__none"] = per_sample
        arrays[f"loss__{key}__mean"] = loss(y_true, y_pred).numpy()
        arrays[f"loss__{key}__weighted"] = loss(y_true, y_pred,
                                                sample_weight=d["sample_weight"]).numpy()
        arrays[f"loss__{key}__sum"] = factory(reduction="sum")(y_true, y_pred).numpy()
        index[f"loss__{key}"] = {
            "config": loss.get_config(), "class_name": loss.__class__.__name__,
            "y_true": f"{kind}_true", "y_pred": f"{kind}_logits" if logits else f"{kind}_pred",
            "suffixes": {"__none": "reduction='none'", "__mean": "default (sum_over_batch_size)",
                         "__weighted": "default with sample_weight", "__sum": "reduction='sum'"},
        }


def _metric_fns(d: dict, arrays: dict, index: dict) -> None:
    fns = [
        ("binary_accuracy", ME.binary_accuracy, "bin", {}),
        ("binary_accuracy_threshold0.3", ME.binary_accuracy, "bin", {"threshold": 0.3}),
        ("categorical_accuracy", ME.categorical_accuracy, "cat", {}),
        ("sparse_categorical_accuracy", ME.sparse_categorical_accuracy, "sparse", {}),
        ("top_k_categorical_accuracy_k2", ME.top_k_categorical_accuracy, "cat", {"k": 2}),
        ("sparse_top_k_categorical_accuracy_k2", ME.sparse_top_k_categorical_accuracy,
         "sparse", {"k": 2}),
    ]
    for key, fn, kind, kwargs in fns:
        arrays[f"metric_fn__{key}"] = np.asarray(fn(d[f"{kind}_true"], d[f"{kind}_pred"],
                                                    **kwargs))
        index[f"metric_fn__{key}"] = {"fn": f"keras.metrics.{fn.__name__}", "kwargs": kwargs,
                                      "y_true": f"{kind}_true", "y_pred": f"{kind}_pred",
                                      "reduction": "per-sample"}


def _metric_classes(d: dict, arrays: dict, index: dict) -> None:
    classes = [
        ("BinaryAccuracy", ME.BinaryAccuracy(), "bin"),
        ("CategoricalAccuracy", ME.CategoricalAccuracy(), "cat"),
        ("SparseCategoricalAccuracy", ME.SparseCategoricalAccuracy(), "sparse"),
        ("TopKCategoricalAccuracy_k2", ME.TopKCategoricalAccuracy(k=2), "cat"),
        ("Precision", ME.Precision(), "bin"),
        ("Precision_threshold0.3", ME.Precision(thresholds=0.3), "bin"),
        ("Recall", ME.Recall(), "bin"),
        ("Recall_top_k2", ME.Recall(top_k=2), "bin"),
        ("AUC_ROC", ME.AUC(curve="ROC"), "bin"),
        ("AUC_PR", ME.AUC(curve="PR"), "bin"),
        ("AUC_ROC_minoring", ME.AUC(curve="ROC", summation_method="minoring"), "bin"),
        ("AUC_ROC_10thresholds", ME.AUC(num_thresholds=10), "bin"),
        ("MeanSquaredError", ME.MeanSquaredError(), "reg"),
        ("MeanAbsoluteError", ME.MeanAbsoluteError(), "reg"),
    ]
    half = d["reg_true"].shape[0] // 2
    for key, metric, kind in classes:
        y_true, y_pred = d[f"{kind}_true"], d[f"{kind}_pred"]
        metric.update_state(y_true[:half], y_pred[:half])
        first = float(metric.result())
        metric.update_state(y_true[half:], y_pred[half:])
        arrays[f"metric__{key}__after_first_half"] = np.float32(first)
        arrays[f"metric__{key}"] = np.float32(metric.result())
        metric.reset_state()
        metric.update_state(y_true, y_pred, sample_weight=d["sample_weight"])
        arrays[f"metric__{key}__weighted"] = np.float32(metric.result())
        index[f"metric__{key}"] = {
            "class_name": metric.__class__.__name__, "config": metric.get_config(),
            "y_true": f"{kind}_true", "y_pred": f"{kind}_pred",
            "suffixes": {"": "update_state on rows [:3] then [3:], result()",
                         "__after_first_half": "result() after rows [:3] only",
                         "__weighted": "fresh state, one update with sample_weight"},
        }


def make() -> None:
    """Write losses_metrics.npz (arrays) and losses_metrics.json (what each key means)."""
    d = _data(reset(11))
    arrays, index = dict(d), {}
    _losses(d, arrays, index)
    _metric_fns(d, arrays, index)
    _metric_classes(d, arrays, index)
    write_npz(FIXTURES / "losses_metrics.npz", arrays)
    scalars = {k: float(v) for k, v in arrays.items() if np.ndim(v) == 0}
    write_json(FIXTURES / "losses_metrics.json", {"index": index, "scalars": scalars,
                                                  "inputs": sorted(d)})
    print(f"losses_metrics: {len(arrays)} arrays")
