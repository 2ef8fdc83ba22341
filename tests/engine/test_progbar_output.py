import re
import time

import numpy as np

from openkeras.callbacks import Callback
from openkeras.engine.sequential import Sequential
from openkeras.layers.core import Dense
from openkeras.utils import progbar


def _fit(verbose, epochs=2, n=64, batch_size=32, **kwargs):
    model = Sequential([Dense(1, input_shape=(3,))])
    model.compile("sgd", "mse", metrics=["mae"])
    rng = np.random.default_rng(0)
    x, y = rng.random((n, 3)), rng.random((n, 1))
    model.fit(x, y, epochs=epochs, verbose=verbose, batch_size=batch_size, **kwargs)
    return model, x, y


STEP_LINE = r"(\d+)/\1 \[==============================\] - \d+s \d+(?:us|ms|s)/step"
VALUE = r"\d\.\d{4}(?:e[+-]\d+)?"


def test_verbose_1_without_terminal_prints_one_line_per_epoch(capsys):
    _fit(1, validation_split=0.25)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2"
    pattern = (STEP_LINE + f" - loss: {VALUE} - mae: {VALUE} - val_loss: {VALUE} "
               f"- val_mae: {VALUE}$")
    assert re.match(pattern, lines[1]) and re.match(pattern, lines[3])
    assert len(lines) == 4 and "\r" not in lines[1] and "\b" not in lines[1]


def test_single_epoch_has_no_header_and_many_steps_do_not_flood(capsys):
    _fit(1, epochs=1, n=400, batch_size=4)
    out = capsys.readouterr().out
    assert "Epoch" not in out
    assert len(out.splitlines()) == 1 and out.startswith("100/100 [")


def test_verbose_2_prints_one_summary_line_per_epoch(capsys):
    _fit(2)
    lines = capsys.readouterr().out.splitlines()
    pattern = rf"^2/2 - \d+s - loss: {VALUE} - mae: {VALUE} - \d+(?:us|ms|s)/epoch - \d+(?:us|ms|s)/step$"
    assert lines[0] == "Epoch 1/2" and re.match(pattern, lines[1]) and re.match(pattern, lines[3])


def test_verbose_0_is_silent_and_evaluate_predict_bars(capsys):
    model, x, y = _fit(0)
    assert capsys.readouterr().out == ""
    model.evaluate(x, y, verbose=1)
    model.predict(x, verbose=1)
    lines = capsys.readouterr().out.splitlines()
    assert re.match(STEP_LINE + f" - loss: {VALUE} - mae: {VALUE}$", lines[0])
    assert re.match(STEP_LINE + "$", lines[1])


def test_terminal_shows_eta_while_running(capsys, monkeypatch):
    monkeypatch.setattr(progbar, "_interactive_stdout", lambda: True)

    class Slow(Callback):
        def on_train_batch_end(self, batch, logs=None):
            time.sleep(0.06)

    _fit(1, epochs=1, n=12, batch_size=4, callbacks=[Slow()])
    out = capsys.readouterr().out
    assert "ETA: " in out and "\r" in out
    assert re.search(STEP_LINE.replace(r"(\d+)/\1", "3/3") + f" - loss: {VALUE}", out)
    assert out.endswith("\n")
