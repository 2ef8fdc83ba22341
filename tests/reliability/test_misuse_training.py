"""Misuse of compile, fit / evaluate / predict, optimizers and callbacks."""

import numpy as np
import pytest
from reliability.misuse_utils import assert_clear_error, assert_clear_warning, case

import openkeras as ok
from openkeras import layers as L
from openkeras.utils import to_categorical

X = np.random.default_rng(0).random((10, 4), dtype=np.float32)
Y = np.random.default_rng(1).random((10, 2), dtype=np.float32)
ONE_HOT = to_categorical([0, 1] * 5)


def model(loss="mse", compile=True):
    m = ok.Sequential([L.Dense(2, input_shape=(4,), name="out")], name="seq")
    if compile:
        m.compile("sgd", loss)
    return m


def fit(**kwargs):
    args = {"x": X, "y": Y, "verbose": 0, **kwargs}
    return model(args.pop("loss", "mse")).fit(**args)


def cb_fit(callback):
    return fit(callbacks=[callback])


CASES = [
    # --- compile
    case("compile-unknown-loss", lambda: model().compile("sgd", "mse_loss"), ValueError,
         "loss", "'mse_loss'", "MeanSquaredError"),
    case("compile-unknown-optimizer", lambda: model().compile("sgdd", "mse"), ValueError,
         "optimizer", "'sgdd'", "sgd"),
    case("compile-unknown-metric", lambda: model().compile("sgd", "mse", metrics=["acuracy"]),
         ValueError, "metric", "'acuracy'", "Accuracy"),
    case("compile-metrics-a-string", lambda: model().compile("sgd", "mse", metrics="accuracy"),
         TypeError, "metrics", "list", "'accuracy'"),
    case("compile-loss-weights-too-long",
         lambda: (model(compile=False).compile("sgd", "mse", loss_weights=[1, 2]), fit()),
         ValueError, "loss_weights", "1 outputs", "[1, 2]"),
    case("compile-loss-dict-unknown-output",
         lambda: model(compile=False).compile("sgd", {"nope": "mse"}), ValueError,
         "loss dictionary", '"nope"', "['out']"),
    case("compile-unknown-keyword", lambda: model().compile("sgd", "mse", foo=1), TypeError,
         "compile()", "['foo']", "loss_weights"),
    case("compile-loss-list-too-long",
         lambda: model(compile=False).compile("sgd", ["mse", "mae"]), ValueError, "loss",
         "1 outputs", "['mse', 'mae']"),
    case("optimizer-negative-learning-rate", lambda: ok.optimizers.SGD(learning_rate=-1),
         ValueError, "SGD", "learning_rate", ">= 0", "-1"),
    case("optimizer-unknown-keyword", lambda: ok.optimizers.Adam(lrr=1), TypeError, "Adam",
         "lrr"),
    case("optimizer-negative-momentum", lambda: ok.optimizers.SGD(momentum=-1), ValueError,
         "momentum", "[0, 1]", "-1"),
    case("optimizer-negative-clipnorm", lambda: ok.optimizers.SGD(clipnorm=-1.0), ValueError,
         "clipnorm", ">= 0", "-1.0"),
    case("optimizers-get-a-number", lambda: ok.optimizers.get(3), ValueError, "optimizer",
         "identifier", "3"),
    # --- fit arguments
    case("fit-before-compile", lambda: model(compile=False).fit(X, Y, verbose=0), RuntimeError,
         "compile", "before training"),
    case("fit-batch-size-zero", lambda: fit(batch_size=0), ValueError, "batch_size",
         "positive", "batch_size=0"),
    case("fit-batch-size-float", lambda: fit(batch_size=3.5), TypeError, "batch_size",
         "integer", "3.5"),
    case("fit-batch-size-negative", lambda: fit(batch_size=-2), ValueError, "batch_size",
         "positive", "-2"),
    case("fit-epochs-negative", lambda: fit(epochs=-1), ValueError, "epochs", ">= 0",
         "epochs=-1"),
    case("fit-epochs-float", lambda: fit(epochs=2.5), TypeError, "epochs", "integer", "2.5"),
    case("fit-epochs-string", lambda: fit(epochs="2"), TypeError, "epochs", "integer", "'2'"),
    case("fit-initial-epoch-negative", lambda: fit(initial_epoch=-1), ValueError,
         "initial_epoch", ">= 0", "-1"),
    case("fit-steps-per-epoch-zero", lambda: fit(steps_per_epoch=0), ValueError,
         "steps_per_epoch", "positive", "steps_per_epoch=0"),
    case("fit-steps-per-epoch-negative", lambda: fit(steps_per_epoch=-1), ValueError,
         "steps_per_epoch", "positive", "-1"),
    case("fit-shuffle-a-string", lambda: fit(shuffle="yes"), ValueError, "shuffle",
         "'batch'", "'yes'"),
    case("fit-unknown-keyword", lambda: fit(epoch=3), TypeError, "keyword", "['epoch']"),
    case("fit-validation-split-above-one", lambda: fit(validation_split=1.5), ValueError,
         "validation_split", "(0, 1)", "1.5"),
    case("fit-validation-split-negative", lambda: fit(validation_split=-0.1), ValueError,
         "validation_split", "(0, 1)", "-0.1"),
    case("fit-validation-split-one", lambda: fit(validation_split=1.0), ValueError,
         "validation_split", "(0, 1)", "1.0"),
    case("fit-validation-data-an-array", lambda: fit(validation_data=X), ValueError,
         "validation_data", "(x_val, y_val)", "ndarray"),
    case("fit-validation-data-one-item", lambda: fit(validation_data=(X,)), ValueError,
         "validation_data", "(x_val, y_val)", "1 items"),
    case("fit-validation-data-a-dict", lambda: fit(validation_data={"x": X}), ValueError,
         "validation_data", "(x_val, y_val)", "dict"),
    case("fit-validation-data-wrong-width", lambda: fit(validation_data=(X[:, :3], Y)),
         ValueError, "out_input", "(4,)", "(3,)"),
    case("fit-validation-freq-zero", lambda: fit(validation_data=(X, Y), validation_freq=0),
         ValueError, "validation_freq", "less than 1", "0"),
    case("fit-validation-batch-size-zero",
         lambda: fit(validation_data=(X, Y), validation_batch_size=0), ValueError,
         "validation_batch_size", "positive", "0"),
    # --- fit data
    case("fit-inputs-of-wrong-width", lambda: fit(x=np.zeros((10, 5))), ValueError,
         "out_input", "(4,)", "(5,)"),
    case("fit-targets-of-wrong-width", lambda: fit(y=np.zeros((10, 3))), ValueError,
         "`out`", "(None, 2)", "(10, 3)"),
    case("fit-x-y-lengths-differ", lambda: fit(y=Y[:5]), ValueError, "same number of samples",
         "10 input samples", "5 target samples"),
    case("fit-two-inputs-for-one", lambda: fit(x=[X, X]), ValueError, "input",
         "1 array(s)", "2 arrays"),
    case("fit-without-targets", lambda: fit(y=None), ValueError, "`y`", "Target data"),
    case("fit-strings-as-inputs", lambda: fit(x=np.array(["a"] * 10)), TypeError, "out_input",
         "numbers", "<U1"),
    case("fit-dict-with-unknown-key", lambda: fit(x={"wrong": X}), ValueError, "out_input",
         "Need data for each key"),
    case("fit-no-samples", lambda: fit(x=np.zeros((0, 4)), y=np.zeros((0, 2))), ValueError,
         "empty", "0 samples"),
    case("fit-callbacks-not-a-list", lambda: fit(callbacks=ok.callbacks.History()), TypeError,
         "callbacks", "list", "History"),
    case("fit-callbacks-holding-a-number", lambda: fit(callbacks=[3]), TypeError, "Callback",
         "3", "int"),
    case("fit-class-weight-a-list", lambda: fit(class_weight=[1, 2]), TypeError,
         "class_weight", "dict", "list"),
    case("fit-class-weight-missing-classes",
         lambda: fit(loss="categorical_crossentropy", y=ONE_HOT, class_weight={0: 2.0}),
         ValueError, "class_weight", "all classes", "{1}"),
    case("fit-class-weight-unknown-class",
         lambda: fit(loss="categorical_crossentropy", y=ONE_HOT,
                     class_weight={0: 1.0, 1: 1.0, 5: 2.0}), ValueError, "class_weight",
         "0 to 1", "[5]"),
    case("fit-class-weight-string-key",
         lambda: fit(loss="categorical_crossentropy", y=ONE_HOT, class_weight={"cat": 1.0}),
         ValueError, "class_weight", "class indices", "['cat']"),
    case("fit-sample-weight-wrong-length", lambda: fit(sample_weight=np.ones(5)), ValueError,
         "sample_weight", "(5,)", "10 samples"),
    case("fit-sample-weight-2d-without-temporal", lambda: fit(sample_weight=np.ones((10, 2))),
         ValueError, "sample_weight", "1D", "(10, 2)"),
    case("fit-one-hot-labels-for-sparse-loss",
         lambda: fit(loss="sparse_categorical_crossentropy", y=ONE_HOT), ValueError,
         "sparse_categorical_crossentropy", "integer targets", "(10, 2)"),
    case("fit-integer-labels-for-categorical-loss",
         lambda: fit(loss="categorical_crossentropy", y=np.array([0, 1] * 5)), ValueError,
         "categorical_crossentropy", "(samples, classes)", "(10, 1)"),
    case("fit-sparse-label-out-of-range",
         lambda: fit(loss="sparse_categorical_crossentropy", y=np.array([0, 5] * 5)),
         ValueError, '"out"', "[0, 2)", "5"),
    # --- evaluate / predict / *_on_batch
    case("evaluate-before-compile", lambda: model(compile=False).evaluate(X, Y, verbose=0),
         RuntimeError, "compile", "testing"),
    case("evaluate-batch-size-zero", lambda: model().evaluate(X, Y, batch_size=0, verbose=0),
         ValueError, "evaluate", "batch_size", "0"),
    case("evaluate-inputs-of-wrong-width", lambda: model().evaluate(np.zeros((3, 7)), Y[:3],
                                                                     verbose=0),
         ValueError, "out_input", "(4,)", "(7,)"),
    case("evaluate-steps-negative", lambda: model().evaluate(X, Y, steps=-2, verbose=0),
         ValueError, "steps", "positive", "-2"),
    case("predict-inputs-of-wrong-width", lambda: model().predict(np.zeros((3, 7))), ValueError,
         "out_input", "(4,)", "(7,)"),
    case("predict-batch-size-zero", lambda: model().predict(X, batch_size=0), ValueError,
         "predict", "batch_size", "0"),
    case("predict-steps-negative", lambda: model().predict(X, steps=-1), ValueError, "steps",
         "positive", "-1"),
    case("predict-without-inputs", lambda: model().predict(None), ValueError, "`x`",
         "No input data"),
    case("predict-a-string", lambda: model().predict("abc"), TypeError, "out_input",
         "numbers", "'abc'"),
    case("predict-unbuilt-model-on-wrong-rank",
         lambda: ok.Sequential([L.Conv2D(2, 3, name="conv")]).predict(np.zeros((2, 4))),
         ValueError, "conv", "ndim=4", "(None, 4)"),
    case("predict-callbacks-not-a-list",
         lambda: model().predict(X, callbacks=ok.callbacks.History()), TypeError, "callbacks",
         "list", "History"),
    case("train-on-batch-wrong-width", lambda: model().train_on_batch(np.zeros((3, 7)), Y[:3]),
         ValueError, "out_input", "(4,)", "(7,)"),
    # --- callbacks
    case("early-stopping-negative-patience", lambda: ok.callbacks.EarlyStopping(patience=-1),
         ValueError, "patience", ">= 0", "-1"),
    case("model-checkpoint-unknown-save-freq",
         lambda: ok.callbacks.ModelCheckpoint("a.h5", save_freq="batch"), ValueError,
         "save_freq", "'epoch'", "'batch'"),
    case("model-checkpoint-key-not-in-logs",
         lambda: cb_fit(ok.callbacks.ModelCheckpoint("{val_loss:.2f}.h5")), KeyError,
         "val_loss", "Available keys", "loss"),
    case("model-checkpoint-options", lambda: ok.callbacks.ModelCheckpoint("a.h5", options=1),
         ValueError, "options", "None", "options=1"),
    case("reduce-lr-factor-above-one", lambda: ok.callbacks.ReduceLROnPlateau(factor=1.5),
         ValueError, "factor", "1.0", "1.5"),
    case("lr-scheduler-not-callable", lambda: ok.callbacks.LearningRateScheduler(0.1),
         TypeError, "schedule", "callable", "0.1"),
    case("lr-scheduler-returns-a-string",
         lambda: cb_fit(ok.callbacks.LearningRateScheduler(lambda e: "a")), ValueError,
         "schedule", "float", "'a'"),
    case("csv-logger-directory-missing",
         lambda: cb_fit(ok.callbacks.CSVLogger("/nonexistent/dir/log.csv")), FileNotFoundError,
         "CSVLogger", "/nonexistent/dir/log.csv", "does not exist"),
    case("lambda-callback-not-callable", lambda: ok.callbacks.LambdaCallback(on_epoch_end=3),
         TypeError, "on_epoch_end", "callable", "3"),
    case("backup-and-restore-empty-dir", lambda: ok.callbacks.BackupAndRestore(""), ValueError,
         "backup_dir", "non-empty", "''"),
]


@pytest.mark.parametrize("fn,exc_type,must_mention", CASES)
def test_training_misuse(fn, exc_type, must_mention, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # checkpoints a case might write land in tmp_path
    assert_clear_error(fn, exc_type, must_mention)


@pytest.mark.parametrize("make,mention", [
    (lambda: ok.callbacks.EarlyStopping(mode="maximum"), ["EarlyStopping", "maximum", "auto"]),
    (lambda: ok.callbacks.ModelCheckpoint("a.h5", mode="best"),
     ["ModelCheckpoint", "best", "auto"]),
])
def test_callback_unknown_mode_warns_and_falls_back(make, mention):
    assert_clear_warning(make, RuntimeWarning, mention)
