"""Keras 2 spellings of metric names in logs, History, metrics_names and callbacks' monitor.

Keras 2.2.4 logs ``metrics=['accuracy']`` as 'acc' and ``metrics=['mae']`` as
'mean_absolute_error' (keras/engine/training.py of 2.2.4); Keras 2.3.1 and tf.keras log the
name written in compile. Scripts of either era must find their keys.
"""

import csv
import json
import os
import warnings

import numpy as np
import pytest

from openkeras import callbacks
from openkeras.engine.sequential import Sequential
from openkeras.layers import Dense, Input
from openkeras.metrics.names import Logs, MetricNames, canonical
from openkeras.models import Model


def _data(n=32, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 4)).astype("float32")
    y = (x[:, :1] + 0.3 * x[:, 1:2] > 0).astype("float32")
    return x, y


def _classifier(metrics):
    model = Sequential([Dense(8, activation="relu", input_shape=(4,)),
                        Dense(1, activation="sigmoid")])
    model.compile("sgd", "binary_crossentropy", metrics=metrics)
    return model


def _fit(model, epochs=3, cbs=None, **kwargs):
    x, y = _data()
    xv, yv = _data(16, seed=1)
    return model.fit(x, y, validation_data=(xv, yv), epochs=epochs, batch_size=8, verbose=0,
                     callbacks=cbs, **kwargs)


def test_history_after_accuracy_answers_to_acc_and_the_reverse():
    history = _fit(_classifier(["accuracy"]))
    h = history.history
    assert sorted(h) == ["accuracy", "loss", "val_accuracy", "val_loss"]  # each series once
    assert h["acc"] is h["accuracy"] and h["val_acc"] is h["val_accuracy"]
    assert "acc" in h and "val_acc" in h and h.get("val_acc") is h["val_accuracy"]
    assert len(h["acc"]) == 3
    assert sorted(json.loads(json.dumps(h))) == sorted(h)
    history = _fit(_classifier(["acc"]))
    assert sorted(history.history) == ["acc", "loss", "val_acc", "val_loss"]
    assert history.history["val_accuracy"] is history.history["val_acc"]
    with pytest.raises(KeyError, match="val_f1"):
        history.history["val_f1"]
    assert history.history.get("val_f1", "none") == "none" and "val_f1" not in history.history


def test_keras_224_long_names_of_short_metrics():
    model = Sequential([Dense(1, input_shape=(4,))])
    model.compile("sgd", "mse", metrics=["mae", "mean_squared_error", "mape", "msle"])
    h = _fit(model, epochs=2).history
    assert sorted(h) == ["loss", "mae", "mape", "mean_squared_error", "msle", "val_loss",
                         "val_mae", "val_mape", "val_mean_squared_error", "val_msle"]
    assert h["mean_absolute_error"] is h["mae"]
    assert h["val_mean_absolute_error"] is h["val_mae"]
    assert h["val_mse"] is h["val_mean_squared_error"] and h["MSE"] is h["mean_squared_error"]
    assert h["mean_absolute_percentage_error"] is h["mape"]
    assert h["val_mean_squared_logarithmic_error"] is h["val_msle"]
    # the mse metric of an mse-trained model equals its loss (nothing else is added)
    np.testing.assert_allclose(h["mse"], h["loss"], rtol=1e-6)


def test_metrics_names_and_evaluate_dict_accept_both_spellings():
    model = _classifier(["accuracy"])
    x, y = _data()
    model.fit(x, y, epochs=1, verbose=0)
    names = model.metrics_names
    assert names == ["loss", "accuracy"] and isinstance(names, MetricNames)
    assert "acc" in names and names.index("acc") == 1 and "val_acc" not in names
    scores = model.evaluate(x, y, verbose=0)
    assert scores[names.index("acc")] == scores[1]
    results = model.evaluate(x, y, verbose=0, return_dict=True)
    assert results["acc"] == results["accuracy"] == pytest.approx(scores[1])
    with pytest.raises(ValueError):
        names.index("mae")


def test_batch_logs_answer_to_both_spellings():
    seen = []
    cb = callbacks.LambdaCallback(on_batch_end=lambda batch, logs: seen.append(
        (logs["acc"], logs["accuracy"], "acc" in logs, sorted(logs))))
    _fit(_classifier(["accuracy"]), epochs=1, cbs=[cb])
    assert len(seen) == 4
    for acc, accuracy, found, keys in seen:
        assert acc == accuracy and found and keys == ["accuracy", "loss"]


def test_model_checkpoint_monitor_and_file_name_with_keras_224_spelling(tmp_path):
    model = _classifier(["accuracy"])
    path = os.path.join(tmp_path, "weights.{epoch:02d}-{val_acc:.2f}.h5")
    checkpoint = callbacks.ModelCheckpoint(path, monitor="val_acc", save_best_only=True,
                                           save_weights_only=True, mode="max")
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no 'not available' warning
        h = _fit(model, epochs=4, cbs=[checkpoint]).history
    expected, best = set(), -np.inf
    for epoch, value in enumerate(h["val_accuracy"]):
        if value > best:
            best = value
            expected.add(f"weights.{epoch + 1:02d}-{value:.2f}.h5")
    assert set(os.listdir(tmp_path)) == expected and checkpoint.best == max(h["val_acc"])


def test_tf_keras_spelling_after_keras_224_compile(tmp_path):
    # metrics=['acc'] (Keras 2.2.4 scripts) monitored as 'val_accuracy' (tf.keras scripts)
    model = _classifier(["acc"])
    stopper = callbacks.EarlyStopping(monitor="val_accuracy", patience=100)
    checkpoint = callbacks.ModelCheckpoint(os.path.join(tmp_path, "best.h5"),
                                           monitor="val_accuracy", save_best_only=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        h = _fit(model, epochs=3, cbs=[stopper, checkpoint]).history
    assert stopper.maximize and stopper.best == max(h["val_acc"])
    assert checkpoint.best == max(h["val_acc"]) and os.path.exists(tmp_path / "best.h5")


def test_early_stopping_on_val_acc_stops_on_the_accuracy_series():
    class Fixed(callbacks.Callback):
        """Overwrites val_accuracy with a scripted series (decreasing after epoch 1)."""

        def on_epoch_end(self, epoch, logs=None):
            logs["val_accuracy"] = [0.5, 0.8, 0.7, 0.6, 0.9][epoch]

    stopper = callbacks.EarlyStopping(monitor="val_acc", patience=2)
    h = _fit(_classifier(["accuracy"]), epochs=5, cbs=[Fixed(), stopper]).history
    assert len(h["loss"]) == 4 and stopper.stopped_epoch == 3 and stopper.best == 0.8
    assert h["val_acc"] == [0.5, 0.8, 0.7, 0.6]


def test_reduce_lr_on_plateau_monitors_val_acc():
    model = _classifier(["accuracy"])
    model.optimizer.lr = 0.01
    # min_delta=10: no epoch after the first can improve, so every later epoch reduces the rate
    reducer = callbacks.ReduceLROnPlateau(monitor="val_acc", factor=0.5, patience=1,
                                          min_delta=10, verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        h = _fit(model, epochs=3, cbs=[reducer]).history
    # logs['lr'] is the rate used in the epoch; the reduction applies from the next one
    np.testing.assert_allclose(h["lr"], [0.01, 0.01, 0.005], rtol=1e-6)
    assert float(model.optimizer.lr) == pytest.approx(0.0025)
    assert reducer.best == h["val_acc"][0]


def test_a_monitor_that_matches_nothing_warns_once_with_the_keys(tmp_path):
    model = _classifier(["accuracy"])
    cbs = [callbacks.EarlyStopping(monitor="val_f1", patience=0),
           callbacks.ModelCheckpoint(os.path.join(tmp_path, "m.h5"), monitor="val_f1",
                                     save_best_only=True),
           callbacks.ReduceLROnPlateau(monitor="val_f1", patience=0)]
    with pytest.warns(RuntimeWarning) as record:
        h = _fit(model, epochs=3, cbs=cbs).history
    messages = [str(w.message) for w in record if "val_f1" in str(w.message)]
    assert len(messages) == 3, messages  # one per callback, not one per epoch
    for m in messages:
        assert "loss,accuracy,val_loss,val_accuracy" in m
    assert len(h["loss"]) == 3 and not os.listdir(tmp_path)
    # a new fit warns again
    with pytest.warns(RuntimeWarning, match="Early stopping conditioned on metric `val_f1`"):
        _fit(model, epochs=1, cbs=cbs[:1])


def test_csv_logger_writes_each_series_once(tmp_path):
    path = os.path.join(tmp_path, "log.csv")
    _fit(_classifier(["accuracy"]), epochs=2, cbs=[callbacks.CSVLogger(path)])
    with open(path) as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert len(rows) == 3


def test_multi_output_names_resolve_with_their_prefix():
    inp = Input((4,))
    a = Dense(1, activation="sigmoid", name="a")(inp)
    b = Dense(1, name="b")(inp)
    model = Model(inp, [a, b])
    model.compile("sgd", ["binary_crossentropy", "mse"], metrics={"a": ["acc"], "b": ["mae"]})
    x, y = _data()
    h = model.fit(x, [y, y], validation_data=(x, [y, y]), epochs=1, verbose=0).history
    assert h["val_a_accuracy"] is h["val_a_acc"]
    assert h["b_mean_absolute_error"] is h["b_mae"]
    assert "a_accuracy" in model.metrics_names and "val_b_mae" not in model.metrics_names


def test_spellings_are_matched_on_whole_names():
    assert canonical("val_acc") == canonical("val_accuracy") == "val_accuracy"
    assert canonical("out_1_MAE") == "out_1_mean_absolute_error"
    assert canonical("val_loss") == "val_loss" and canonical("val_auc") == "val_auc"
    assert canonical("val_bce") == canonical("val_binary_crossentropy")
    logs = Logs({"binary_crossentropy": 1.0, "crossentropy": 2.0, "categorical_accuracy": 3.0,
                 "kl_divergence": 4.0, "cosine_proximity": 5.0})
    assert logs["bce"] == 1.0 and logs["ce"] == 2.0 and logs["kld"] == 4.0
    assert logs["cosine"] == 5.0 and logs["kullback_leibler_divergence"] == 4.0
    # another metric whose name ends in 'accuracy' is not the accuracy
    assert "acc" not in logs and "val_categorical_accuracy" not in logs
    with pytest.raises(KeyError):
        logs["accuracy"]
    assert "{val_acc:.1f}".format_map(Logs({"val_accuracy": 0.25})) == "0.2"
