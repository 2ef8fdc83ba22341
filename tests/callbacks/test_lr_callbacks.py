import numpy as np
import pytest
import torch

from openkeras import callbacks
from openkeras.engine.sequential import Sequential
from openkeras.layers.core import Dense
from openkeras.optimizers.schedules import ExponentialDecay
from openkeras.optimizers.sgd_optimizer import SGD


def _model(lr=0.01):
    model = Sequential([Dense(1, input_shape=(3,))])
    model.compile(SGD(learning_rate=lr), "mse")
    return model


def _xy(n=16):
    rng = np.random.default_rng(0)
    return rng.random((n, 3)).astype("float32"), rng.random((n, 1)).astype("float32")


class Scripted(callbacks.Callback):
    """Sets logs['val_loss'] to scripted values and records what later callbacks see."""

    def __init__(self, values):
        super().__init__()
        self.values = values

    def on_epoch_end(self, epoch, logs=None):
        logs["val_loss"] = self.values[epoch]


class Seen(callbacks.Callback):
    """Records the optimizer's rate at each epoch start and the epoch logs."""

    def __init__(self):
        super().__init__()
        self.rates, self.logs = [], []

    def on_epoch_begin(self, epoch, logs=None):
        self.rates.append(float(self.model.optimizer.lr))

    def on_epoch_end(self, epoch, logs=None):
        self.logs.append(dict(logs))


def _fit(model, cbs, epochs):
    x, y = _xy()
    return model.fit(x, y, epochs=epochs, batch_size=8, verbose=0, callbacks=cbs)


def test_scheduler_sets_the_rate_each_epoch_and_logs_it(capsys):
    model = _model(0.1)
    seen = Seen()
    sched = callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5, verbose=1)
    _fit(model, [sched, seen], epochs=3)
    np.testing.assert_allclose(seen.rates, [0.05, 0.025, 0.0125], rtol=1e-6)
    assert [logs["lr"] for logs in seen.logs] == [0.05, 0.025, 0.0125]
    assert model.optimizer.lr.dtype == torch.float32 and model.optimizer.lr.dim() == 0
    assert "\nEpoch 00001: LearningRateScheduler setting learning rate to 0.05." in (
        capsys.readouterr().out)


def test_scheduler_changes_the_update_size():
    # with lr 0 from the second epoch the weights stop moving
    model = _model(0.1)
    sched = callbacks.LearningRateScheduler(lambda epoch: 0.1 if epoch == 0 else 0.0)
    initial = model.get_weights()[0]
    w = []
    record = callbacks.LambdaCallback(on_epoch_end=lambda e, logs: w.append(model.get_weights()))
    _fit(model, [sched, record], epochs=3)
    assert not np.array_equal(w[0][0], initial)
    np.testing.assert_array_equal(w[0][0], w[1][0])
    np.testing.assert_array_equal(w[1][0], w[2][0])


def test_scheduler_output_must_be_a_float():
    model = _model()
    with pytest.raises(ValueError, match='"schedule" function should be float. Received: 1'):
        _fit(model, [callbacks.LearningRateScheduler(lambda epoch: 1)], epochs=1)
    _fit(model, [callbacks.LearningRateScheduler(lambda e, lr: torch.tensor(0.5))], epochs=1)
    assert float(model.optimizer.lr) == 0.5
    with pytest.raises(TypeError, match="must be callable"):
        callbacks.LearningRateScheduler(0.1)


def test_schedule_objects_cannot_be_changed():
    model = Sequential([Dense(1, input_shape=(3,))])
    model.compile(SGD(learning_rate=ExponentialDecay(0.1, 10, 0.5)), "mse")
    with pytest.raises(TypeError, match="cannot change a learning rate that is a schedule"):
        _fit(model, [callbacks.ReduceLROnPlateau(monitor="loss")], epochs=1)


def test_reduce_on_plateau_follows_patience_cooldown_and_min_lr(capsys):
    model = _model(0.1)
    seen = Seen()
    reduce = callbacks.ReduceLROnPlateau(factor=0.5, patience=2, cooldown=1, min_lr=0.02,
                                         verbose=1)
    # best 1.0, then flat: reductions after 2 bad epochs; as in Keras the cooldown epoch resets
    # the count and is itself counted, so later reductions come every 2 epochs
    values = [1.0] * 9
    _fit(model, [Scripted(values), reduce, seen], epochs=len(values))
    lrs = [logs["lr"] for logs in seen.logs]  # the rate in use during each epoch
    assert lrs == [0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.02, 0.02]
    assert float(model.optimizer.lr) == pytest.approx(0.02)
    out = capsys.readouterr().out
    assert "\nEpoch 00003: ReduceLROnPlateau reducing learning rate to 0.05." in out
    assert "\nEpoch 00005: ReduceLROnPlateau reducing learning rate to 0.025." in out
    assert "\nEpoch 00007: ReduceLROnPlateau reducing learning rate to 0.02." in out
    assert out.count("reducing") == 3  # min_lr reached: no more reductions


def test_reduce_on_plateau_min_delta_and_message_format(capsys):
    model = _model(0.001)
    reduce = callbacks.ReduceLROnPlateau(factor=0.1, patience=1, min_delta=0.1, verbose=1)
    _fit(model, [Scripted([1.0, 0.95, 0.5]), reduce], epochs=3)  # 0.95 is within min_delta
    assert "Epoch 00002: ReduceLROnPlateau reducing learning rate to 0.0001." in (
        capsys.readouterr().out)
    assert float(model.optimizer.lr) == pytest.approx(1e-4)


def test_reduce_on_plateau_mode_and_bad_arguments():
    assert callbacks.ReduceLROnPlateau(monitor="val_accuracy").maximize
    assert not callbacks.ReduceLROnPlateau(monitor="val_loss", mode="auto").maximize
    with pytest.raises(ValueError, match="factor >= 1.0. Received: factor=2"):
        callbacks.ReduceLROnPlateau(factor=2)
    with pytest.warns(DeprecationWarning, match="`epsilon` is deprecated"):
        assert callbacks.ReduceLROnPlateau(epsilon=0.5).min_delta == 0.5


def test_reduce_on_plateau_unknown_monitor_warns():
    model = _model()
    with pytest.warns(RuntimeWarning, match="Learning rate reduction is conditioned on metric "
                                            "`val_los` which is not available. Available "
                                            "metrics are: loss,lr"):
        _fit(model, [callbacks.ReduceLROnPlateau(monitor="val_los", patience=0)], epochs=2)
    assert float(model.optimizer.lr) == pytest.approx(0.01)


def test_lr_callbacks_have_no_batch_hooks():
    cbs = callbacks.CallbackList([callbacks.ReduceLROnPlateau(),
                                  callbacks.LearningRateScheduler(lambda e, lr: lr)])
    assert not cbs.has_batch_hooks("train")
