import numpy as np
import pytest

import openkeras as ok
from openkeras import losses, metrics, optimizers
from openkeras.engine.input_layer import Input
from openkeras.engine.sequential import Sequential
from openkeras.layers.core import Dense


def _model(units=1, activation=None):
    return Sequential([Dense(units, activation=activation, input_shape=(3,))])


def _metric_fn(model, index=0):
    return model._runner.metrics[index].metric._fn


def test_optimizer_by_name_or_instance():
    model = _model()
    model.compile("adam", "mse")
    assert isinstance(model.optimizer, optimizers.Adam)
    sgd = optimizers.SGD(0.5)
    model.compile(sgd, "mse")
    assert model.optimizer is sgd
    assert model.metrics_names == ["loss"]


def test_unknown_names_fail_at_compile_with_the_valid_names():
    model = _model()
    with pytest.raises(ValueError, match="Unknown loss function: 'nope'.*mean_squared_error"):
        model.compile("sgd", "nope")
    with pytest.raises(ValueError, match="Unknown metric function: 'bogus'.*accuracy"):
        model.compile("sgd", "mse", metrics=["bogus"])
    with pytest.raises(ValueError, match="Unknown optimizer"):
        model.compile("nadamax", "mse")
    with pytest.raises(ValueError, match='Unknown entry in loss dictionary: "other"'):
        model.compile("sgd", {"other": "mse"})
    with pytest.raises(TypeError, match="Invalid keyword argument"):
        model.compile("sgd", "mse", bogus=1)


@pytest.mark.parametrize("loss, units, expected", [
    ("binary_crossentropy", 1, metrics.binary_accuracy),
    ("mse", 1, metrics.binary_accuracy),
    ("binary_crossentropy", 4, metrics.binary_accuracy),
    ("sparse_categorical_crossentropy", 4, metrics.sparse_categorical_accuracy),
    ("categorical_crossentropy", 4, metrics.categorical_accuracy),
    (losses.CategoricalCrossentropy(), 4, metrics.categorical_accuracy),
    (losses.SparseCategoricalCrossentropy(), 4, metrics.sparse_categorical_accuracy),
])
def test_accuracy_resolution_follows_keras2(loss, units, expected):
    model = _model(units, "softmax" if units > 1 else "sigmoid")
    model.compile("sgd", loss, metrics=["acc", "accuracy"])
    assert model.metrics_names == ["loss", "acc", "accuracy"]
    assert _metric_fn(model, 0) is expected and _metric_fn(model, 1) is expected


def test_metric_names_as_written_functions_and_objects():
    model = _model(3, "softmax")
    model.compile("sgd", "categorical_crossentropy",
                  metrics=["mse", metrics.mean_absolute_error, metrics.TopKCategoricalAccuracy(k=2),
                           "crossentropy"])
    assert model.metrics_names == ["loss", "mse", "mean_absolute_error",
                                   "top_k_categorical_accuracy", "crossentropy"]
    assert _metric_fn(model, 3) is losses.categorical_crossentropy
    x = np.random.default_rng(0).random((5, 3)).astype("float32")
    y = np.eye(3, dtype="float32")[[0, 1, 2, 0, 1]]
    loss, mse, mae, top2, ce = model.evaluate(x, y, verbose=0)
    p = model.predict(x)
    np.testing.assert_allclose(mse, np.mean((p - y) ** 2), rtol=1e-5)
    np.testing.assert_allclose(mae, np.mean(np.abs(p - y)), rtol=1e-5)
    np.testing.assert_allclose(ce, loss, rtol=1e-6)
    ranks = (p > p[np.arange(5), [0, 1, 2, 0, 1]][:, None]).sum(1)
    np.testing.assert_allclose(top2, np.mean(ranks < 2), rtol=1e-6)


def test_loss_as_callable_list_and_loss_object():
    def my_loss(y_true, y_pred):
        return ((y_true - y_pred) ** 4).mean(dim=-1)

    a = Input((3,), name="a")
    model = ok.Model(a, [Dense(1, name="o1")(a), Dense(1, name="o2")(a)])
    model.compile(optimizers.SGD(0.0), [my_loss, losses.MeanAbsoluteError()], loss_weights=[1.0, 3.0])
    x = np.random.default_rng(1).random((4, 3)).astype("float32")
    y1, y2 = np.ones((4, 1), "float32"), np.zeros((4, 1), "float32")
    p1, p2 = model.predict(x)
    total, l1, l2 = model.evaluate(x, [y1, y2], verbose=0)
    np.testing.assert_allclose(l1, np.mean((y1 - p1) ** 4), rtol=1e-5)
    np.testing.assert_allclose(l2, np.mean(np.abs(p2)), rtol=1e-5)
    np.testing.assert_allclose(total, l1 + 3 * l2, rtol=1e-5)


def test_output_missing_from_loss_dict_takes_no_targets():
    a = Input((3,), name="a")
    model = ok.Model(a, [Dense(1, name="o1")(a), Dense(1, name="o2")(a)])
    with pytest.warns(UserWarning, match='Output "o2" missing from loss dictionary'):
        model.compile("sgd", {"o1": "mse"})
    assert model.metrics_names == ["loss", "o1_loss"]
    x = np.ones((4, 3), "float32")
    h = model.fit(x, np.zeros((4, 1), "float32"), verbose=0)
    assert list(h.history) == ["loss", "o1_loss"]


def test_per_output_metric_lists_and_duplicate_names():
    a = Input((3,), name="a")
    model = ok.Model(a, [Dense(1, name="o1")(a), Dense(1, name="o2")(a)])
    model.compile("sgd", "mse", metrics=[["mae"], ["mse"]])
    assert model.metrics_names == ["loss", "o1_loss", "o2_loss", "o1_mae", "o2_mse"]
    single = _model()
    single.compile("sgd", "mse", metrics=["mae"], weighted_metrics=["mae"])
    assert single.metrics_names == ["loss", "mae", "weighted_mae"]


def test_weighted_metrics_use_sample_weights():
    model = _model()
    model.compile(optimizers.SGD(0.0), "mse", metrics=["mae"], weighted_metrics=["mae"])
    x = np.random.default_rng(2).random((6, 3)).astype("float32")
    y = np.zeros((6, 1), "float32")
    w = np.array([0, 1, 2, 0, 1, 2], "float32")
    _, mae, wmae = model.evaluate(x, y, sample_weight=w, verbose=0)
    err = np.abs(model.predict(x))[:, 0]
    np.testing.assert_allclose(mae, err.mean(), rtol=1e-5)
    np.testing.assert_allclose(wmae, np.sum(err * w) / w.sum(), rtol=1e-5)


def test_recompile_resets_and_metrics_property():
    model = _model()
    model.compile("sgd", "mse", metrics=["mae"])
    assert [m.name for m in model.metrics] == ["loss", "mae"]
    model.compile("sgd", "mse")
    assert model.metrics_names == ["loss"]
