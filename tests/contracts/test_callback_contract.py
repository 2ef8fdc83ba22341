"""The Keras 2 Callback contract: params, validation_data, model, hooks set on the instance."""

import numpy as np

import openkeras as keras


class ValidationScorer(keras.callbacks.Callback):
    """Computes a score on ``self.validation_data`` at each epoch end, as Keras 2 era
    callbacks (F1 / ROC-AUC loggers) do, and records ``self.params``."""

    def __init__(self):
        super(ValidationScorer, self).__init__()
        self.scores = []
        self.params_seen = None

    def on_train_begin(self, logs=None):
        self.params_seen = dict(self.params)

    def on_epoch_end(self, epoch, logs=None):
        x_val, y_val = self.validation_data[0], self.validation_data[1]
        pred = self.model.predict(x_val)
        self.scores.append(float(np.mean((pred > 0.5) == y_val)))
        logs["val_match"] = self.scores[-1]


def _model():
    model = keras.models.Sequential([keras.layers.Dense(1, activation="sigmoid", input_shape=(3,))])
    model.compile("sgd", "binary_crossentropy", metrics=["acc"])
    return model


def _data():
    rng = np.random.RandomState(0)
    x = rng.rand(40, 3).astype("float32")
    return x, (x[:, :1] > 0.5).astype("float32")


def test_params_and_validation_data_as_keras_224():
    model = _model()
    x, y = _data()
    cb = ValidationScorer()
    hist = model.fit(x[:30], y[:30], batch_size=10, epochs=2, verbose=0, callbacks=[cb],
                     validation_data=(x[30:], y[30:]))
    p = cb.params_seen
    assert p["epochs"] == 2 and p["verbose"] == 0 and p["samples"] == 30
    assert p["batch_size"] == 10 and p["steps"] == 3 and p["do_validation"] is True
    assert p["metrics"] == ["loss", "acc", "val_loss", "val_acc"]
    assert cb.model is model
    x_val, y_val, sw_val = cb.validation_data
    assert isinstance(x_val, np.ndarray) and isinstance(y_val, np.ndarray)
    np.testing.assert_array_equal(x_val, x[30:])
    np.testing.assert_array_equal(y_val, y[30:])
    np.testing.assert_array_equal(sw_val, np.ones(10))  # Keras 2: ones when none were given
    want = float(np.mean((model.predict(x[30:]) > 0.5) == y[30:]))
    assert cb.scores[-1] == want and hist.history["val_match"][-1] == want


def test_params_without_validation():
    model = _model()
    x, y = _data()
    cb = ValidationScorer()
    model.fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[_Recorder(cb)])
    assert cb.params_seen["do_validation"] is False
    assert cb.params_seen["metrics"] == ["loss", "acc"]
    assert cb.params_seen["samples"] == 40 and cb.params_seen["steps"] == 3


class _Recorder(keras.callbacks.Callback):
    """Forwards only ``on_train_begin`` (no validation data: the scorer's epoch end is skipped)."""

    def __init__(self, target):
        super().__init__()
        self.target = target

    def on_train_begin(self, logs=None):
        self.target.params = self.params
        self.target.on_train_begin(logs)


def test_hooks_set_on_the_instance_are_called():
    model = _model()
    x, y = _data()
    calls = []
    cb = keras.callbacks.Callback()
    cb.on_epoch_end = lambda epoch, logs=None: calls.append(("epoch", epoch, sorted(logs)))
    cb.on_batch_end = lambda batch, logs=None: calls.append(("batch", batch))
    model.fit(x, y, batch_size=20, epochs=2, verbose=0, callbacks=[cb])
    assert calls == [("batch", 0), ("batch", 1), ("epoch", 0, ["acc", "loss"]),
                     ("batch", 0), ("batch", 1), ("epoch", 1, ["acc", "loss"])]


def test_lambda_callback_and_stop_training_from_a_callback():
    model = _model()
    x, y = _data()

    class StopAfterOne(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.model.stop_training = True

    ends = []
    hist = model.fit(x, y, epochs=5, verbose=0, callbacks=[
        StopAfterOne(), keras.callbacks.LambdaCallback(on_train_end=lambda logs: ends.append(1))])
    assert len(hist.history["loss"]) == 1 and ends == [1]
