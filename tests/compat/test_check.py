import json
import sys
import textwrap

import pytest

from openkeras import cli
from openkeras.compat import check, is_installed

SCRIPT = textwrap.dedent("""\
    import keras
    import keras.layers as L
    from keras.models import Sequential
    from keras.layers.core import Dense
    from keras import backend as K
    from keras.layers import EinsumDense
    import numpy as np

    model = Sequential([Dense(2, input_shape=(3,)), L.Dropout(0.5)])
    x = K.epsilon() + np.zeros(3).sum()
    y = keras.layers.NoSuchLayer(3)
    z = keras.utils.np_utils.to_categorical([0, 1])
    model.layers.append(None)
""")


def _uses(source):
    return {(u.api, u.via_tf): u.lines for u in check.collect_uses(source)}


def test_collects_imports_and_attribute_chains():
    uses = _uses(SCRIPT)
    assert uses == {
        ("keras", False): [1], ("keras.layers", False): [2],
        ("keras.models.Sequential", False): [3], ("keras.layers.core.Dense", False): [4],
        ("keras.backend", False): [5], ("keras.layers.EinsumDense", False): [6],
        ("keras.layers.Dropout", False): [9], ("keras.backend.epsilon", False): [10],
        ("keras.layers.NoSuchLayer", False): [11],
        ("keras.utils.np_utils.to_categorical", False): [12],
    }


def test_tf_keras_uses_are_mapped_and_marked():
    uses = _uses(textwrap.dedent("""\
        import tensorflow as tf
        from tensorflow import keras
        from tensorflow.keras.layers import Dense
        x = tf.keras.layers.LSTM(3)
        y = keras.optimizers.Adam()
        z = tf.constant(1)
    """))
    assert uses == {("keras", True): [2], ("keras.layers.Dense", True): [3],
                    ("keras.layers.LSTM", True): [4], ("keras.optimizers.Adam", True): [5]}


def test_resolution_marks_what_openkeras_lacks():
    uses = check.resolve_uses(check.collect_uses(SCRIPT))
    status = {u.api: u.supported for u in uses}
    assert status.pop("keras.layers.EinsumDense") is False
    assert status.pop("keras.layers.NoSuchLayer") is False
    assert all(status.values())
    assert not is_installed() and "keras" not in sys.modules


def test_unsupported_marker_is_honoured(monkeypatch):
    import openkeras.backend

    def get_session():
        raise NotImplementedError

    get_session._openkeras_unsupported = "no TensorFlow sessions in openkeras"
    monkeypatch.setattr(openkeras.backend, "get_session", get_session, raising=False)
    [use] = check.resolve_uses([check.Use("keras.backend.get_session", [1])])
    assert (use.supported, use.detail) == (False, "no TensorFlow sessions in openkeras")


def test_cli_check_prints_a_table_and_fails_on_unsupported(tmp_path, capsys):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    assert cli.main(["check", str(script)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"Keras APIs used by {script}:"
    row = next(line for line in out if "keras.layers.EinsumDense" in line)
    assert row.split()[0] == "6" and "NOT supported: openkeras does not implement" in row
    assert any(line.split()[1:] == ["keras.models.Sequential", "supported"] for line in out[2:])
    assert out[-1] == "10 Keras APIs used: 8 supported, 2 NOT supported."


def test_cli_check_json_report(tmp_path, capsys):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    assert cli.main(["check", "--json", str(script)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["script"] == str(script)
    assert (report["supported"], report["unsupported"]) == (8, 2)
    uses = {u["api"]: u for u in report["uses"]}
    assert len(uses) == 10 and uses["keras.layers.core.Dense"] == {
        "api": "keras.layers.core.Dense", "lines": [4], "via_tf": False, "supported": True,
        "detail": ""}
    assert uses["keras.layers.EinsumDense"]["supported"] is False
    assert "openkeras does not implement" in uses["keras.layers.EinsumDense"]["detail"]


def test_cli_check_passes_a_supported_script(tmp_path, capsys):
    script = tmp_path / "ok.py"
    script.write_text("from tensorflow.keras.layers import Dense\nimport os\n")
    assert cli.main(["check", str(script)]) == 0
    out = capsys.readouterr().out
    assert "keras.layers.Dense (tf.keras)  supported" in out
    assert "`openkeras run` does not alias" in out
    assert out.splitlines()[-1] == "1 Keras APIs used: 1 supported, 0 NOT supported."


def test_cli_check_reports_a_syntax_error(tmp_path, capsys):
    script = tmp_path / "bad.py"
    script.write_text("import keras\nx = (\n")
    assert cli.main(["check", str(script)]) == 1
    assert "cannot parse" in capsys.readouterr().err


@pytest.mark.parametrize("source", ["import os\n", "import tensorflow as tf\ntf.constant(1)\n"])
def test_no_keras_use(tmp_path, capsys, source):
    script = tmp_path / "plain.py"
    script.write_text(source)
    assert check.check_script(str(script)) == 0
    assert capsys.readouterr().out == f"{script}: no Keras APIs used.\n"
