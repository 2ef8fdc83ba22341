import os
import subprocess
import sys
import textwrap

from openkeras import cli
from openkeras.compat import is_installed

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

KERAS2_SCRIPT = textwrap.dedent("""\
    import sys

    import numpy as np

    import keras
    from keras import backend as K
    from keras.layers.core import Dense, Dropout
    from keras.models import Sequential
    from keras.utils import np_utils

    import helper  # a module next to the script: the script's folder is on sys.path

    np.random.seed(0)
    x = np.random.rand(16, 4).astype("float32")
    y = np_utils.to_categorical(np.arange(16) % 3, 3)
    model = Sequential()
    model.add(Dense(8, activation="relu", input_dim=4))
    model.add(Dropout(0.5))
    model.add(Dense(3, activation="softmax"))
    model.compile(loss="categorical_crossentropy", optimizer="sgd", metrics=["accuracy"])
    history = model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    print("name", __name__, "argv", sys.argv[1:], "helper", helper.VALUE)
    print("keras", keras.__name__, "epsilon", K.epsilon())
    print("loss", sorted(history.history), len(history.history["loss"]))
    sys.exit(3)
""")


def _write(tmp_path, source, name="script.py"):
    path = tmp_path / name
    path.write_text(source)
    return str(path)


def test_python_m_openkeras_runs_a_keras2_script(tmp_path):
    script = _write(tmp_path, KERAS2_SCRIPT)
    _write(tmp_path, "VALUE = 'found'\n", "helper.py")
    env = {**os.environ, "PYTHONPATH": ROOT}
    done = subprocess.run([sys.executable, "-m", "openkeras", "run", script, "arg1", "--flag"],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert done.returncode == 3, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "name __main__ argv ['arg1', '--flag'] helper found"
    assert lines[1] == "keras keras epsilon 1e-07"
    assert lines[2] == "loss ['accuracy', 'loss'] 1"


def test_uncaught_exception_prints_the_scripts_traceback(tmp_path, capsys):
    script = _write(tmp_path, "import sys\nprint(sys.argv)\nfrom keras.layers import EinsumDense\n")
    assert cli.main(["run", script, "x"]) == 1
    captured = capsys.readouterr()
    assert captured.out == f"{[script, 'x']}\n"
    assert captured.err.startswith(f'Traceback (most recent call last):\n  File "{script}", line 3')
    assert captured.err.rstrip().splitlines()[-1].startswith(
        "ModuleNotFoundError: openkeras does not implement keras.layers.EinsumDense")
    assert not is_installed() and "keras" not in sys.modules


def test_missing_attribute_error_names_the_api(tmp_path, capsys):
    script = _write(tmp_path, "import keras\nkeras.layers.Foo(3)\n")
    assert cli.main(["run", script]) == 1
    assert capsys.readouterr().err.rstrip().splitlines()[-1] == (
        "AttributeError: openkeras does not implement keras.layers.Foo "
        "(module 'keras.layers' has no attribute 'Foo')")


def test_exit_codes_and_restored_state(tmp_path, capsys):
    argv, path = list(sys.argv), list(sys.path)
    assert cli.main(["run", _write(tmp_path, "print('ok')\n")]) == 0
    assert cli.main(["run", _write(tmp_path, "raise SystemExit('bye')\n")]) == 1
    assert cli.main(["run", _write(tmp_path, "import sys\nsys.exit(None)\n")]) == 0
    assert capsys.readouterr() == ("ok\n", "bye\n")
    assert sys.argv == argv and sys.path == path and not is_installed()


def test_syntax_error_and_missing_file(tmp_path, capsys):
    script = _write(tmp_path, "x = (\n")
    assert cli.main(["run", script]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f'  File "{script}", line 1') and "SyntaxError" in err
    assert cli.main(["run", str(tmp_path / "nope.py")]) == 1
    assert "openkeras run: error: can't open file" in capsys.readouterr().err
