import numpy as np
import pytest
import torch

from openkeras import callbacks
from openkeras.callbacks.base import LazyLogs
from openkeras.engine.sequential import Sequential
from openkeras.layers.core import Dense


def _model():
    model = Sequential([Dense(1, input_shape=(3,))])
    model.compile("sgd", "mse", metrics=["mae"])
    return model


def _xy(n=20):
    rng = np.random.default_rng(0)
    return rng.random((n, 3)), rng.random((n, 1))


def test_every_keras2_hook_is_called_with_logs():
    calls = []

    class Spy(callbacks.Callback):
        pass

    hooks = ["on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
             "on_train_batch_begin", "on_train_batch_end", "on_test_begin", "on_test_end",
             "on_test_batch_begin", "on_test_batch_end", "on_predict_begin", "on_predict_end",
             "on_predict_batch_begin", "on_predict_batch_end"]
    for hook in hooks:
        def record(self, *args, _hook=hook):
            calls.append((_hook, args[-1]))
        setattr(Spy, hook, record)
    model = _model()
    x, y = _xy()
    spy = Spy()
    model.fit(x, y, batch_size=10, epochs=1, verbose=0, validation_data=(x, y), callbacks=[spy])
    model.evaluate(x, y, batch_size=10, verbose=0, callbacks=[spy])
    model.predict(x, batch_size=10, callbacks=[spy])
    names = [c[0] for c in calls]
    assert names[:4] == ["on_train_begin", "on_epoch_begin", "on_train_batch_begin",
                         "on_train_batch_end"]
    assert names.count("on_test_batch_end") == 4 and names.count("on_predict_batch_end") == 2
    epoch_logs = dict(calls)["on_epoch_end"]
    assert sorted(epoch_logs) == ["loss", "mae", "val_loss", "val_mae"]
    assert isinstance(dict(calls)["on_train_batch_end"]["loss"], float)
    outputs = [c[1]["outputs"] for c in calls if c[0] == "on_predict_batch_end"]
    assert isinstance(outputs[0][0], torch.Tensor) and outputs[0][0].shape == (10, 1)
    assert spy.model is model and spy.params["verbose"] == 0


def test_legacy_batch_hooks_are_aliases_of_train_batch_hooks():
    seen = []

    class Old(callbacks.Callback):
        def on_batch_begin(self, batch, logs=None):
            seen.append(("begin", batch))

        def on_batch_end(self, batch, logs=None):
            seen.append(("end", batch, round(logs["loss"], 6) >= 0))

    model = _model()
    x, y = _xy()
    model.fit(x, y, batch_size=10, verbose=0, callbacks=[Old()])
    assert seen == [("begin", 0), ("end", 0, True), ("begin", 1), ("end", 1, True)]


def test_batch_hooks_go_only_to_callbacks_that_define_them():
    class Quiet(callbacks.Callback):
        pass

    class Loud(callbacks.Callback):
        def on_test_batch_end(self, batch, logs=None):
            pass

    cbs = callbacks.CallbackList([Quiet(), Loud()])
    assert not cbs.has_batch_hooks("train") and cbs.has_batch_hooks("test")
    with pytest.raises(TypeError, match="Callback instance"):
        callbacks.CallbackList([object()])


def test_history_and_base_logger():
    model = _model()
    x, y = _xy()
    history = model.fit(x, y, epochs=3, verbose=0)
    assert history.epoch == [0, 1, 2] and len(history.history["mae"]) == 3
    logger = callbacks.BaseLogger(stateful_metrics=["s"])
    logger.on_epoch_begin(0)
    logger.on_batch_end(0, {"size": 2, "extra": 1.0, "s": 5.0})
    logger.on_batch_end(1, {"size": 6, "extra": 3.0, "s": 7.0})
    logs = {}
    logger.on_epoch_end(0, logs)
    assert logs == {"extra": pytest.approx(2.5), "s": 7.0}


def test_lazy_logs_compute_only_when_read():
    calls = []

    def compute():
        calls.append(1)
        return [torch.tensor(0.5), 2.0]

    logs = LazyLogs(["loss", "acc"], compute)
    assert list(logs) == ["loss", "acc"] and len(logs) == 2 and calls == []
    assert logs["acc"] == 2.0 and dict(logs) == {"loss": 0.5, "acc": 2.0} and calls == [1]


def test_progbar_logger_count_mode_is_checked():
    with pytest.raises(ValueError, match="count_mode"):
        callbacks.ProgbarLogger(count_mode="epochs")


def test_hooks_assigned_on_an_instance_are_called():
    # Keras 2 code: cb = Callback(); cb.on_epoch_end = f (a plain function of (epoch, logs))
    calls = []
    cb = callbacks.Callback()
    cb.on_epoch_end = lambda epoch, logs: calls.append(("epoch_end", epoch, sorted(logs)))
    cb.on_batch_end = lambda batch, logs: calls.append(("batch_end", batch, logs["loss"] > 0))
    cb.on_test_batch_end = lambda batch, logs: calls.append(("test_batch_end", batch))
    cb.on_predict_batch_begin = lambda batch, logs: calls.append(("predict_batch_begin", batch))
    model = _model()
    x, y = _xy()
    model.fit(x, y + 1.0, batch_size=10, epochs=2, verbose=0, validation_data=(x, y),
              callbacks=[cb])
    model.predict(x, batch_size=10, callbacks=[cb])
    assert [c for c in calls if c[0] == "batch_end"] == [("batch_end", b, True)
                                                          for b in (0, 1, 0, 1)]
    assert [c[1] for c in calls if c[0] == "epoch_end"] == [0, 1]
    assert calls[2] == ("test_batch_end", 0)  # validation of epoch 0, before its epoch end
    assert calls[4] == ("epoch_end", 0, ["loss", "mae", "val_loss", "val_mae"])
    assert [c for c in calls if c[0] == "predict_batch_begin"] == [
        ("predict_batch_begin", 0), ("predict_batch_begin", 1)]
    # an instance without assigned hooks still costs nothing per batch
    assert not callbacks.CallbackList([callbacks.Callback()]).has_batch_hooks("train")


def test_a_batch_hook_assigned_during_training_is_picked_up_at_the_next_epoch():
    seen = []

    class Late(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.on_train_batch_end = lambda batch, logs: seen.append((epoch, batch))

    model = _model()
    x, y = _xy()
    model.fit(x, y, batch_size=10, epochs=2, verbose=0, callbacks=[Late()])
    assert seen == [(0, 0), (0, 1)]
