import numpy as np
import pytest

from openkeras import callbacks
from openkeras.callbacks.batch_hooks import enable_hooks
from openkeras.engine.sequential import Sequential
from openkeras.layers.core import Dense


def _model():
    model = Sequential([Dense(1, input_shape=(3,))])
    model.compile("sgd", "mse")
    return model


def _xy(n=16):
    rng = np.random.default_rng(0)
    return rng.random((n, 3)).astype("float32"), rng.random((n, 1)).astype("float32")


def test_lambda_callback_calls_the_given_functions_with_keras_arguments():
    calls = []
    cb = callbacks.LambdaCallback(
        on_train_begin=lambda logs: calls.append(("train_begin",)),
        on_epoch_begin=lambda epoch, logs: calls.append(("epoch_begin", epoch)),
        on_batch_begin=lambda batch, logs: calls.append(("batch_begin", batch)),
        on_batch_end=lambda batch, logs: calls.append(("batch_end", batch, "loss" in logs)),
        on_epoch_end=lambda epoch, logs: calls.append(("epoch_end", epoch, sorted(logs))),
        on_train_end=lambda logs: calls.append(("train_end",)),
        on_test_end=lambda logs: calls.append(("test_end", sorted(logs))))
    model = _model()
    x, y = _xy()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0, validation_data=(x, y), callbacks=[cb])
    assert calls == [("train_begin",), ("epoch_begin", 0), ("batch_begin", 0),
                     ("batch_end", 0, True), ("batch_begin", 1), ("batch_end", 1, True),
                     ("test_end", ["loss"]), ("epoch_end", 0, ["loss", "val_loss"]),
                     ("train_end",)]


def test_lambda_callback_batch_hooks_only_when_given():
    epoch_only = callbacks.LambdaCallback(on_epoch_end=lambda e, logs: None)
    with_batch = callbacks.LambdaCallback(on_batch_end=lambda b, logs: None)
    test_batch = callbacks.LambdaCallback(on_test_batch_end=lambda b, logs: None)
    assert not callbacks.CallbackList([epoch_only]).has_batch_hooks("train")
    assert callbacks.CallbackList([with_batch]).has_batch_hooks("train")
    assert callbacks.CallbackList([test_batch]).has_batch_hooks("test")
    assert not callbacks.CallbackList([test_batch]).has_batch_hooks("train")
    assert all(isinstance(cb, callbacks.LambdaCallback) for cb in (epoch_only, with_batch))
    assert type(with_batch) is type(callbacks.LambdaCallback(on_batch_end=print))  # cached


def test_lambda_callback_rejects_unknown_hooks_and_non_callables():
    with pytest.raises(TypeError, match="unknown hooks \\['on_epoch_ends'\\]"):
        callbacks.LambdaCallback(on_epoch_ends=print)
    with pytest.raises(TypeError, match="on_epoch_end must be callable. Received: 3"):
        callbacks.LambdaCallback(on_epoch_end=3)


def test_enable_hooks_keeps_other_instances_unchanged():
    class Mine(callbacks.Callback):
        def _hook(self, batch, logs=None):
            self.seen = batch

    plain, hooked = Mine(), Mine()
    enable_hooks(hooked, {"on_train_batch_end": Mine._hook})
    hooked.on_train_batch_end(4)
    assert hooked.seen == 4 and isinstance(hooked, Mine) and type(plain) is Mine
    assert not callbacks.CallbackList([plain]).has_batch_hooks("train")
    assert callbacks.CallbackList([hooked]).has_batch_hooks("train")


def test_terminate_on_nan_stops_at_the_first_bad_batch(capsys):
    model = _model()
    x, y = _xy()
    y[9, 0] = np.nan  # second batch of 8
    history = model.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0,
                        callbacks=[callbacks.TerminateOnNaN()])
    assert "Batch 1: Invalid loss, terminating training" in capsys.readouterr().out
    assert len(history.history["loss"]) == 1 and np.isnan(history.history["loss"][0])
    assert model.optimizer.iterations.item() == 2


def test_terminate_on_nan_lets_finite_training_run():
    model = _model()
    x, y = _xy()
    history = model.fit(x, y, epochs=2, batch_size=8, verbose=0,
                        callbacks=[callbacks.TerminateOnNaN()])
    assert len(history.history["loss"]) == 2
