import sys
import types

import pytest
import torch

from openkeras.utils import progbar as progbar_module
from openkeras.utils.progbar import Progbar, _format_time


@pytest.fixture
def clock(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(progbar_module.time, "time", lambda: now[0])
    monkeypatch.delenv("PYCHARM_HOSTED", raising=False)
    return now


def test_terminal_output_matches_keras_format(clock, capsys):
    bar = Progbar(1875)
    bar._dynamic_display = True
    clock[0] = 100.5
    bar.update(1, [("loss", 0.5), ("accuracy", 0.75)])
    first = "   1/1875 [" + "." * 30 + "] - ETA: 15:37 - loss: 0.5000 - accuracy: 0.7500"
    assert capsys.readouterr().out == "\r" + first

    clock[0] = 128.0
    bar.update(937, [("loss", 0.5), ("accuracy", 0.75)])
    middle = capsys.readouterr().out
    assert middle.startswith("\b" * len(first) + "\r 937/1875 [" + "=" * 13 + ">" + "." * 16 + "]")
    assert " - ETA: 27s - loss: 0.5000" in middle  # (128 - 100.5) / 936 s per step

    clock[0] = 155.4
    bar.update(1875, [("loss", 0.4), ("accuracy", 0.9)])
    loss = (0.5 * 937 + 0.4 * 938) / 1875
    acc = (0.75 * 937 + 0.9 * 938) / 1875
    last = f"1875/1875 [{'=' * 30}] - 55s 29ms/step - loss: {loss:.4f} - accuracy: {acc:.4f}"
    assert middle.endswith("7500  ")  # padded over the longer previous line
    prev = len(middle.rstrip(" ")) - len(first) - 1
    out = capsys.readouterr().out
    assert out == "\b" * prev + "\r" + last + " " * max(0, prev - len(last)) + "\n"


def test_log_file_output_prints_only_final_line(clock, capsys):
    bar = Progbar(100)
    assert not bar._dynamic_display  # pytest captures stdout: not a terminal
    for step in range(1, 100):
        clock[0] = 100.0 + step * 0.1
        bar.update(step, [("loss", 1.0)])
    assert capsys.readouterr().out == ""
    clock[0] = 110.0
    bar.update(100, [("loss", 1.0)])
    assert capsys.readouterr().out == f"100/100 [{'=' * 30}] - 10s 100ms/step - loss: 1.0000\n"


def test_log_file_output_gives_sparse_whole_lines(clock, capsys):
    bar = Progbar(10)
    clock[0] += progbar_module.LOG_INTERVAL + 1
    bar.update(5, [("loss", 2.0)])
    out = capsys.readouterr().out
    assert out.startswith(" 5/10 [==============>...............] - ETA: ")
    assert out.endswith(" - loss: 2.0000\n") and "\r" not in out and "\b" not in out


def test_verbose_2_prints_summary_at_the_end(clock, capsys):
    bar = Progbar(1875, verbose=2)
    clock[0] = 110.0
    bar.update(1000, [("loss", 0.4)])
    assert capsys.readouterr().out == ""
    clock[0] = 155.4
    bar.update(1875, [("loss", 0.4)])
    assert capsys.readouterr().out == "1875/1875 - 55s - loss: 0.4000 - 55s/epoch - 30ms/step\n"


def test_small_values_use_scientific_notation_and_stateful_metrics(clock, capsys):
    bar = Progbar(2, stateful_metrics=["acc"])
    clock[0] = 101.0
    bar.update(1, [("loss", 0.0004), ("acc", 0.2)])
    clock[0] = 102.0
    bar.update(2, [("loss", 0.0006), ("acc", 0.6)])
    out = capsys.readouterr().out
    assert out.endswith(" - loss: 5.0000e-04 - acc: 0.6000\n")


def test_tensor_values_are_converted_only_when_printed(clock, capsys):
    bar = Progbar(3, interval=1e9)
    bar.update(1, [("loss", torch.tensor(3.0))])
    bar.update(2, [("loss", torch.tensor(1.0))])
    assert isinstance(bar._values["loss"][0], torch.Tensor)
    assert capsys.readouterr().out == ""
    clock[0] = 103.0
    bar.add(1, [("loss", torch.tensor(2.0))])
    assert capsys.readouterr().out.endswith(" - loss: 2.0000\n")


def test_unknown_target(clock, capsys):
    bar = Progbar(None)
    bar._dynamic_display = True
    clock[0] = 105.0
    bar.update(10, [("loss", 1.0)])
    assert capsys.readouterr().out == "\r     10/Unknown - 5s 500ms/step - loss: 1.0000"


def test_verbose_0_is_silent(clock, capsys):
    bar = Progbar(5, verbose=0)
    bar.update(5, [("loss", 1.0)])
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("seconds, text", [(0, " 0s/step"), (2.4, " 2s/step"),
                                            (0.0291, " 29ms/step"), (5e-5, " 50us/step")])
def test_format_time(seconds, text):
    assert _format_time(seconds, "step") == text


def test_notebook_redraws_one_line_with_carriage_returns(clock, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    bar = Progbar(100)  # pytest's captured stdout is not a terminal, like a kernel's
    assert bar._dynamic_display
    for step in range(1, 101):
        clock[0] = 100.0 + step * 0.1
        bar.update(step, [("loss", 1.0)])
    out = capsys.readouterr().out
    assert "\b" not in out  # notebook front ends print backspaces as boxes
    assert out.count("\n") == 1 and out.endswith(" - loss: 1.0000\n")
    assert out.count("\r") == 100  # every 0.1 s update redraws the same line
    assert out.rsplit("\r", 1)[1].startswith(f"100/100 [{'=' * 30}] - 10s 100ms/step")


def test_log_file_epoch_of_many_steps_stays_short(clock, capsys):
    bar = Progbar(10000)
    for step in range(1, 10001):
        clock[0] = 100.0 + step * 0.05  # 500 s for the epoch
        bar.update(step, [("loss", 1.0)])
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 9  # one line a minute (8) and the final one
    assert all("\r" not in line and "\b" not in line for line in lines)


@pytest.mark.parametrize("verbose, expected", [("auto", 1), (0, 0), (1, 1), (2, 2), (True, 1)])
def test_resolve_verbose(verbose, expected):
    assert progbar_module.resolve_verbose(verbose) == expected


def test_verbose_auto_in_fit_evaluate_predict(capsys):
    from openkeras.engine.sequential import Sequential
    from openkeras.layers.core import Dense

    model = Sequential([Dense(1, input_shape=(2,))])
    model.compile("sgd", "mse")
    x = torch.rand(4, 2).numpy()
    model.fit(x, x[:, :1], epochs=1, verbose="auto")
    model.evaluate(x, x[:, :1], verbose="auto")
    model.predict(x, verbose="auto")
    out = capsys.readouterr().out
    assert out.count("1/1 [") == 3 and "Epoch 1/1" not in out
    with pytest.raises(ValueError, match="verbose must be 0, 1, 2 or 'auto'. Received: "
                                         "verbose='loud'"):
        model.fit(x, x[:, :1], verbose="loud")
