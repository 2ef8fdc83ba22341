import os
import re

import numpy as np
import pytest

from openkeras import callbacks
from openkeras.engine.sequential import Sequential
from openkeras.layers.core import Dense
from openkeras.models import load_model


def _model():
    model = Sequential([Dense(2, input_shape=(3,)), Dense(1)])
    model.compile("sgd", "mse", metrics=["mae"])
    return model


def _xy(n=16):
    rng = np.random.default_rng(0)
    return rng.random((n, 3)).astype("float32"), rng.random((n, 1)).astype("float32")


class Scripted(callbacks.Callback):
    """Overwrites 'val_loss' in the epoch logs with scripted values; records the weights."""

    def __init__(self, values):
        super().__init__()
        self.values = values
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        logs["val_loss"] = self.values[epoch]
        self.weights.append(self.model.get_weights())


def _fit(cbs, epochs=3, validation=True, batch_size=8):
    model = _model()
    x, y = _xy()
    history = model.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0, callbacks=cbs,
                        validation_data=(x, y) if validation else None)
    return model, history


def test_template_file_names_use_the_logs_and_a_1_based_epoch(tmp_path):
    template = str(tmp_path / "model-ep{epoch:03d}-loss{loss:.3f}-val_loss{val_loss:.3f}.h5")
    model, history = _fit([callbacks.ModelCheckpoint(template)])
    h = history.history
    want = sorted(f"model-ep{e + 1:03d}-loss{h['loss'][e]:.3f}-val_loss{h['val_loss'][e]:.3f}.h5"
                  for e in range(3))
    assert sorted(os.listdir(tmp_path)) == want
    restored = load_model(tmp_path / want[-1])
    for got, expected in zip(restored.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(got, expected)


def test_save_best_only_keeps_improvements_and_prints_keras_messages(tmp_path, capsys):
    template = str(tmp_path / "weights.{epoch:02d}.h5")
    cb = callbacks.ModelCheckpoint(template, save_best_only=True, verbose=1)
    _fit([Scripted([0.5, 0.7, 0.3, 0.3]), cb], epochs=4)
    assert sorted(os.listdir(tmp_path)) == ["weights.01.h5", "weights.03.h5"]
    out = capsys.readouterr().out
    assert (f"\nEpoch 00001: val_loss improved from inf to 0.50000, saving model to "
            f"{tmp_path / 'weights.01.h5'}") in out
    assert "\nEpoch 00002: val_loss did not improve from 0.50000" in out
    assert "Epoch 00003: val_loss improved from 0.50000 to 0.30000" in out
    assert "\nEpoch 00004: val_loss did not improve from 0.30000" in out
    assert cb.best == 0.3


def test_mode_max_and_save_weights_only(tmp_path):
    path = tmp_path / "best.h5"
    cb = callbacks.ModelCheckpoint(path, monitor="val_loss", mode="max", save_best_only=True,
                                   save_weights_only=True)
    script = Scripted([0.1, 0.9, 0.2])
    _fit([script, cb])
    fresh = _model()
    fresh.load_weights(path)
    for got, want in zip(fresh.get_weights(), script.weights[1], strict=True):  # the max
        np.testing.assert_array_equal(got, want)


def test_initial_value_threshold(tmp_path):
    cb = callbacks.ModelCheckpoint(str(tmp_path / "m{epoch}.h5"), save_best_only=True,
                                   initial_value_threshold=0.4)
    _fit([Scripted([0.5, 0.3, 0.35]), cb])
    assert os.listdir(tmp_path) == ["m2.h5"]


def test_auto_mode_maximizes_accuracies():
    assert callbacks.ModelCheckpoint("m.h5", monitor="val_accuracy").maximize
    assert callbacks.ModelCheckpoint("m.h5", monitor="val_acc").best == -np.inf
    assert not callbacks.ModelCheckpoint("m.h5").maximize


def test_template_key_that_is_not_logged_raises_naming_the_key(tmp_path):
    cb = callbacks.ModelCheckpoint(str(tmp_path / "m-{epoch:02d}-{val_los:.2f}.h5"))
    with pytest.raises(KeyError, match=re.escape("Failed to format this callback filepath")
                       + ".*key \"val_los\" is not in the logs. Available keys: epoch, loss, mae, "
                         "val_loss, val_mae"):
        _fit([cb], epochs=1)
    assert os.listdir(tmp_path) == []
    cb = callbacks.ModelCheckpoint(str(tmp_path / "m-{loss:03d}.h5"))
    with pytest.raises(ValueError, match="Failed to format this callback filepath.*format code"):
        _fit([cb], epochs=1)


def test_unknown_monitor_with_save_best_only_warns_and_skips(tmp_path):
    cb = callbacks.ModelCheckpoint(str(tmp_path / "m.h5"), monitor="val_los",
                                   save_best_only=True)
    with pytest.warns(RuntimeWarning, match="Can save best model only with val_los available, "
                                            "skipping. Available metrics are: loss,mae"):
        _fit([cb], epochs=1, validation=False)
    assert not (tmp_path / "m.h5").exists()


def test_period_is_deprecated_and_saves_every_n_epochs(tmp_path):
    with pytest.warns(DeprecationWarning, match="`period` is deprecated"):
        cb = callbacks.ModelCheckpoint(str(tmp_path / "m{epoch}.h5"), period=2)
    _fit([cb], epochs=5)
    assert sorted(os.listdir(tmp_path)) == ["m2.h5", "m4.h5"]


def test_save_freq_in_batches(tmp_path, capsys):
    cb = callbacks.ModelCheckpoint(str(tmp_path / "m-{epoch}-{batch}.h5"), save_freq=3,
                                   verbose=1)
    _fit([cb], epochs=2, batch_size=4, validation=False)  # 4 batches an epoch, 8 in all
    assert sorted(os.listdir(tmp_path)) == ["m-1-3.h5", "m-2-2.h5"]
    assert "Epoch 00001: saving model to" in capsys.readouterr().out


def test_batch_hooks_only_with_an_integer_save_freq():
    epoch_cb = callbacks.ModelCheckpoint("m.h5")
    batch_cb = callbacks.ModelCheckpoint("m.h5", save_freq=10)
    assert not callbacks.CallbackList([epoch_cb]).has_batch_hooks("train")
    assert callbacks.CallbackList([batch_cb]).has_batch_hooks("train")
    assert isinstance(batch_cb, callbacks.ModelCheckpoint)
    assert type(batch_cb).__name__ == "ModelCheckpoint"
    assert type(epoch_cb) is callbacks.ModelCheckpoint


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="Unrecognized save_freq: 'batch'"):
        callbacks.ModelCheckpoint("m.h5", save_freq="batch")
    with pytest.raises(TypeError, match="unrecognized keyword arguments: \\['nonsense'\\]"):
        callbacks.ModelCheckpoint("m.h5", nonsense=1)
    with pytest.raises(ValueError, match="TensorFlow-only"):
        callbacks.ModelCheckpoint("m.h5", options=object())
    (tmp_path / "adir").mkdir()
    with pytest.raises(OSError, match="non-directory filepath"):
        _fit([callbacks.ModelCheckpoint(str(tmp_path / "adir"))], epochs=1)


def test_missing_parent_directories_are_created(tmp_path):
    _fit([callbacks.ModelCheckpoint(str(tmp_path / "a" / "b" / "m.h5"))], epochs=1)
    assert (tmp_path / "a" / "b" / "m.h5").is_file()
