import numpy as np
import pytest

from openkeras import callbacks
from openkeras.engine.sequential import Sequential
from openkeras.layers.core import Dense


def _model():
    model = Sequential([Dense(2, input_shape=(3,)), Dense(1)])
    model.compile("sgd", "mse", metrics=["mae"])
    return model


def _xy(n=16):
    rng = np.random.default_rng(0)
    return rng.random((n, 3)).astype("float32"), rng.random((n, 1)).astype("float32")


class Scripted(callbacks.Callback):
    """Puts a scripted 'score' into the epoch logs and records the weights at each epoch end."""

    def __init__(self, scores):
        super().__init__()
        self.scores = scores
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        logs["score"] = self.scores[epoch]
        self.weights.append(self.model.get_weights())


def _run(scores, epochs=None, **kwargs):
    model = _model()
    x, y = _xy()
    script = Scripted(scores)
    stopper = callbacks.EarlyStopping(monitor="score", **kwargs)
    history = model.fit(x, y, epochs=epochs or len(scores), batch_size=8, verbose=0,
                        callbacks=[script, stopper])
    return model, history, script, stopper


# expected epochs cross-checked with tf_keras 2.21 on the same scripted values
@pytest.mark.parametrize("scores, patience, mode, epochs_run", [
    ([5, 4, 3, 3.5, 3.2, 3.1, 1, 1], 2, "auto", 5),   # best at epoch 2, two bad epochs after it
    ([5, 4, 3, 3.5, 3.2, 2.9, 1, 1], 3, "min", 8),    # improves again within patience
    ([5, 6, 1, 1, 1, 1], 0, "min", 2),                # patience 0: first bad epoch stops
    ([0.1, 0.5, 0.4, 0.3, 0.9], 2, "max", 4),
])
def test_stops_after_patience_epochs_without_improvement(scores, patience, mode, epochs_run):
    _, history, _, stopper = _run(scores, patience=patience, mode=mode)
    assert len(history.history["loss"]) == epochs_run
    if epochs_run < len(scores):
        assert stopper.stopped_epoch == epochs_run - 1


def test_min_delta_and_auto_mode_for_accuracies():
    # improvements smaller than min_delta do not count
    _, history, _, stopper = _run([1.0, 0.95, 0.92, 0.91], patience=2, min_delta=0.1)
    assert len(history.history["loss"]) == 3 and stopper.best == 1.0
    assert callbacks.EarlyStopping(monitor="val_accuracy").maximize
    assert not callbacks.EarlyStopping(monitor="val_loss").maximize
    with pytest.warns(RuntimeWarning, match="EarlyStopping mode middle is unknown"):
        assert not callbacks.EarlyStopping(mode="middle").maximize


def test_restore_best_weights_sets_the_weights_of_the_best_epoch():
    model, history, script, stopper = _run([3.0, 1.0, 2.0, 2.5, 0.5], patience=2,
                                           restore_best_weights=True)
    assert len(history.history["loss"]) == 4 and stopper.best_epoch == 1
    for got, want in zip(model.get_weights(), script.weights[1], strict=True):
        np.testing.assert_array_equal(got, want)
    # the weights did change after the best epoch, so the restore is visible
    assert not np.array_equal(script.weights[3][0], script.weights[1][0])


def test_without_restore_the_last_weights_are_kept():
    model, _, script, _ = _run([3.0, 1.0, 2.0, 2.5], patience=2)
    for got, want in zip(model.get_weights(), script.weights[-1], strict=True):
        np.testing.assert_array_equal(got, want)


def test_restore_best_weights_only_when_training_is_stopped():
    # Keras 2.2.4 / 2.3.1 restore inside on_epoch_end of the stopping epoch; a run that
    # reaches its last epoch keeps the last weights (tf.keras 2.11+ would restore here).
    model, history, script, stopper = _run([3.0, 1.0, 2.0], patience=5,
                                           restore_best_weights=True)
    assert len(history.history["loss"]) == 3 and stopper.stopped_epoch == 0
    assert stopper.best_epoch == 1 and stopper.best_weights is not None
    for got, want in zip(model.get_weights(), script.weights[-1], strict=True):
        np.testing.assert_array_equal(got, want)
    assert not np.array_equal(script.weights[-1][0], script.weights[1][0])


def test_restore_happens_at_the_stopping_epoch_before_later_callbacks():
    # Keras 2 restores in on_epoch_end, so a callback after EarlyStopping in the list
    # already sees the best weights at the stopping epoch.
    model = _model()
    x, y = _xy()
    script = Scripted([3.0, 1.0, 2.0, 2.5])
    seen = []
    after = callbacks.LambdaCallback(on_epoch_end=lambda e, logs: seen.append(model.get_weights()))
    stopper = callbacks.EarlyStopping(monitor="score", patience=2, restore_best_weights=True)
    model.fit(x, y, epochs=4, batch_size=8, verbose=0, callbacks=[script, stopper, after])
    assert stopper.stopped_epoch == 3 and len(seen) == 4
    for got, want in zip(seen[-1], script.weights[1], strict=True):
        np.testing.assert_array_equal(got, want)


def test_baseline():
    # Keras 2: the baseline is the starting best value, so epochs that do not beat it count
    # towards patience even while they improve (rule of keras 2.3.1's callbacks.py).
    _, history, _, stopper = _run([3.0, 2.0, 1.0, 0.9, 0.8], patience=3, baseline=0.5)
    assert len(history.history["loss"]) == 3 and stopper.stopped_epoch == 2
    assert stopper.best == 0.5
    _, history, _, _ = _run([3.0, 3.5, 3.6, 2.0], patience=2, baseline=0.5)
    assert len(history.history["loss"]) == 2
    _, history, _, _ = _run([3.0, 3.5, 3.6, 2.0], patience=2)
    assert len(history.history["loss"]) == 3
    # once beaten, the baseline no longer matters: best and wait follow the values
    _, history, _, stopper = _run([0.6, 0.4, 0.45, 0.3, 0.35, 0.36], patience=2, baseline=0.5)
    assert len(history.history["loss"]) == 6 and stopper.best == 0.3 and stopper.best_epoch == 3
    # patience 0 with a baseline that epoch 0 misses stops at once (stopped_epoch 0)
    _, history, _, stopper = _run([0.9, 0.1], patience=0, baseline=0.5)
    assert len(history.history["loss"]) == 1


def test_restore_with_a_baseline_never_beaten_keeps_the_weights_and_warns():
    with pytest.warns(RuntimeWarning, match="no epoch improved on the baseline"):
        model, history, script, _ = _run([0.9, 0.8, 0.7], patience=1, baseline=0.5,
                                         restore_best_weights=True)
    assert len(history.history["loss"]) == 1
    for got, want in zip(model.get_weights(), script.weights[-1], strict=True):
        np.testing.assert_array_equal(got, want)


def test_start_from_epoch_skips_the_first_epochs():
    _, history, _, _ = _run([1, 2, 3, 4, 5, 6], patience=1, start_from_epoch=3)
    assert len(history.history["loss"]) == 5


def test_verbose_message(capsys):
    _run([2, 3, 4, 5], patience=1, verbose=1, restore_best_weights=True)
    out = capsys.readouterr().out
    assert "Epoch 00002: early stopping" in out
    # Keras 2's message, printed at the stopping epoch (before the end-of-training line)
    assert out.index("Restoring model weights from the end of the best epoch\n") < out.index(
        "Epoch 00002: early stopping")


def test_unknown_monitor_warns_with_the_available_keys_and_does_not_stop():
    model = _model()
    x, y = _xy()
    with pytest.warns(RuntimeWarning, match="Early stopping conditioned on metric `val_los` "
                                            "which is not available. Available metrics are: "
                                            "loss,mae,val_loss,val_mae"):
        history = model.fit(x, y, epochs=3, verbose=0, validation_data=(x, y),
                            callbacks=[callbacks.EarlyStopping(monitor="val_los")])
    assert len(history.history["loss"]) == 3


def test_reusable_across_fits_and_no_batch_hooks():
    stopper = callbacks.EarlyStopping(monitor="loss", patience=0)
    model = _model()
    x, y = _xy()
    model.fit(x, y, epochs=2, verbose=0, callbacks=[stopper])
    stopper.best, stopper.wait = 0.0, 3
    stopper.on_train_begin()
    assert stopper.best == np.inf and stopper.wait == 0 and stopper.best_weights is None
    assert not callbacks.CallbackList([stopper]).has_batch_hooks("train")
    with pytest.raises(ValueError, match="patience=-1"):
        callbacks.EarlyStopping(patience=-1)
