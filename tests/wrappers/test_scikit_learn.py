import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.base import clone, is_classifier, is_regressor  # noqa: E402
from sklearn.metrics import r2_score  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from openkeras import optimizers  # noqa: E402
from openkeras.engine.sequential import Sequential  # noqa: E402
from openkeras.layers.core import Dense  # noqa: E402
from openkeras.wrappers.scikit_learn import KerasClassifier, KerasRegressor  # noqa: E402


def _blobs(n=90, n_classes=2, seed=0):
    """Well separated Gaussian blobs in 4-D, classes 0..n_classes-1 in equal numbers."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % n_classes
    centers = rng.standard_normal((n_classes, 4)) * 4.0
    x = centers[y] + rng.standard_normal((n, 4)) * 0.5
    return x.astype("float32"), y


def _softmax_model(hidden_units=8, n_classes=2, learning_rate=0.05, loss="sparse_categorical_crossentropy",
                   output_initializer="glorot_uniform"):
    model = Sequential([
        Dense(hidden_units, activation="relu", input_shape=(4,)),
        Dense(n_classes, activation="softmax", kernel_initializer=output_initializer),
    ])
    model.compile(optimizers.Adam(learning_rate), loss, metrics=["accuracy"])
    return model


def _sigmoid_model():
    model = Sequential([Dense(1, activation="sigmoid", input_shape=(4,))])
    model.compile(optimizers.Adam(0.1), "binary_crossentropy", metrics=["accuracy"])
    return model


def test_cross_val_score_on_a_small_classification_problem():
    x, y = _blobs()
    clf = KerasClassifier(build_fn=_softmax_model, epochs=10, batch_size=16, verbose=0)
    assert is_classifier(clf)
    scores = cross_val_score(clf, x, y, cv=3)
    assert scores.shape == (3,)
    assert np.all((scores >= 0.0) & (scores <= 1.0))
    assert scores.mean() > 0.9


def test_grid_search_picks_the_better_build_fn_parameter():
    x, y = _blobs()
    # With zero output weights and learning_rate=0 every prediction is the same class: 50%.
    clf = KerasClassifier(build_fn=_softmax_model, output_initializer="zeros", epochs=10,
                          batch_size=16, verbose=0)
    search = GridSearchCV(clf, {"learning_rate": [0.0, 0.05]}, cv=3)
    search.fit(x, y)
    assert search.best_params_ == {"learning_rate": 0.05}
    means = search.cv_results_["mean_test_score"]
    np.testing.assert_allclose(means[0], 0.5, atol=1e-6)
    assert means[1] > 0.9
    refit = search.best_estimator_
    assert refit.sk_params["learning_rate"] == 0.05
    assert np.mean(refit.predict(x) == y) > 0.9


def test_pipeline_with_scaler_and_regressor():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((120, 4)) * [100.0, 0.01, 5.0, 1.0] + [500.0, 0.0, -3.0, 0.0]
    z = (x - x.mean(0)) / x.std(0)
    y = (1.5 * z[:, 0] - 2.0 * z[:, 1] + 0.5 * z[:, 2]).astype("float32")

    def linear(learning_rate=0.1):
        model = Sequential([Dense(1, input_shape=(4,))])
        model.compile(optimizers.Adam(learning_rate), "mse")
        return model

    reg = KerasRegressor(build_fn=linear, epochs=40, batch_size=16, verbose=0)
    assert is_regressor(reg)
    pipe = Pipeline([("scale", StandardScaler()), ("net", reg)])
    pipe.fit(x.astype("float32"), y)
    pred = pipe.predict(x.astype("float32"))
    assert pred.shape == (120,)
    assert r2_score(y, pred) > 0.99
    # Keras 2's regressor score is the negative loss: -MSE here.
    np.testing.assert_allclose(pipe.score(x.astype("float32"), y), -np.mean((pred - y) ** 2),
                               rtol=1e-4, atol=1e-6)


def test_string_labels_predict_proba_and_score():
    x, y_int = _blobs(n=60)
    labels = np.array(["cat", "dog"])[y_int]
    clf = KerasClassifier(_softmax_model, epochs=10, batch_size=16, verbose=0)
    clf.fit(x, labels)
    np.testing.assert_array_equal(clf.classes_, ["cat", "dog"])
    pred = clf.predict(x)
    assert pred.shape == (60,) and set(pred) <= {"cat", "dog"}
    proba = clf.predict_proba(x)
    assert proba.shape == (60, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(pred, clf.classes_[proba.argmax(axis=1)])
    np.testing.assert_allclose(clf.score(x, labels), np.mean(pred == labels), atol=1e-6)


def test_sigmoid_classifier_has_two_probability_columns():
    x, y = _blobs(n=60, seed=3)
    clf = KerasClassifier(_sigmoid_model, epochs=10, batch_size=16, verbose=0)
    clf.fit(x, y + 5)  # labels 5 and 6
    proba = clf.predict_proba(x)
    p1 = clf.model.predict(x, verbose=0)[:, 0]
    np.testing.assert_allclose(proba, np.stack([1 - p1, p1], axis=1), rtol=1e-6)
    np.testing.assert_array_equal(clf.predict(x), np.where(p1 > 0.5, 6, 5))
    assert clf.score(x, y + 5) > 0.9


def test_categorical_crossentropy_gets_one_hot_targets():
    x, y = _blobs(n=90, n_classes=3)
    clf = KerasClassifier(_softmax_model, n_classes=3, loss="categorical_crossentropy",
                          epochs=10, batch_size=16, verbose=0)
    clf.fit(x, y)
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.score(x, y) > 0.9
    # One-hot y: classes are the column indices.
    clf.fit(x, np.eye(3)[y])
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    np.testing.assert_array_equal(clf.predict(x)[:5], clf.model.predict(x[:5], verbose=0)
                                  .argmax(axis=1))


def test_sk_params_are_split_between_build_fn_and_fit():
    seen = {}

    def build(hidden_units=3):
        seen["hidden_units"] = hidden_units
        return _softmax_model(hidden_units=hidden_units)

    x, y = _blobs(n=32)
    clf = KerasClassifier(build, hidden_units=5, epochs=3, batch_size=8, verbose=0)
    history = clf.fit(x, y)
    assert seen == {"hidden_units": 5}
    assert clf.model.layers[0].units == 5
    assert history.params["epochs"] == 3 and history.params["steps"] == 4
    # Arguments of fit() override sk_params.
    assert len(clf.fit(x, y, epochs=1).history["loss"]) == 1


def test_get_params_set_params_and_clone():
    clf = KerasClassifier(_softmax_model, hidden_units=4, epochs=2, verbose=0)
    assert clf.get_params() == {"build_fn": _softmax_model, "hidden_units": 4, "epochs": 2,
                                "verbose": 0}
    assert clf.set_params(epochs=7) is clf and clf.sk_params["epochs"] == 7
    twin = clone(clf)
    assert twin is not clf and twin.get_params() == clf.get_params()
    assert not hasattr(twin, "model")
    with pytest.raises(ValueError, match="units_typo is not a legal parameter"):
        KerasClassifier(_softmax_model, units_typo=3)
    with pytest.raises(ValueError, match="not a legal parameter"):
        clf.set_params(units_typo=3)


def test_build_fn_object_and_subclass_call():
    class Builder:
        def __call__(self, hidden_units=2):
            return _softmax_model(hidden_units=hidden_units)

    class MyClassifier(KerasClassifier):
        def __call__(self, hidden_units=2):
            return _softmax_model(hidden_units=hidden_units)

    x, y = _blobs(n=16)
    for clf in (KerasClassifier(Builder(), hidden_units=6, epochs=1, verbose=0),
                MyClassifier(hidden_units=6, epochs=1, verbose=0)):
        clf.fit(x, y)
        assert clf.model.layers[0].units == 6
    with pytest.raises(ValueError, match="build_fn=None"):
        KerasClassifier(epochs=1)


def test_score_needs_an_accuracy_metric():
    def no_metrics():
        model = Sequential([Dense(2, activation="softmax", input_shape=(4,))])
        model.compile("adam", "sparse_categorical_crossentropy")
        return model

    x, y = _blobs(n=16)
    clf = KerasClassifier(no_metrics, epochs=1, verbose=0)
    clf.fit(x, y)
    with pytest.raises(ValueError, match="not configured to compute accuracy"):
        clf.score(x, y)
