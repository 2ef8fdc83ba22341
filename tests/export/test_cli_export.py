"""`openkeras export`: any file openkeras loads, to each format, with the check printed."""

import os

import h5py
import numpy as np
import pytest
import torch

import openkeras as ok
from openkeras import cli
from openkeras.layers import Dense

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KERAS_FILES = os.path.join(REPO, "..", "shared", "keras_files")
# Keras 2.0.6 (TensorFlow backend): Sequential LSTM(50) -> Dense(1), input (None, 1, 1)
REAL_FILE = os.path.join(KERAS_FILES, "dl4j__simple_lstm_tf_keras_2_model.h5")


@pytest.mark.parametrize("ext", ["pt", "onnx"])
def test_export_a_real_keras2_file(ext, tmp_path, capsys):
    assert os.path.exists(REAL_FILE), f"the real Keras files are missing: {REAL_FILE}"
    with h5py.File(REAL_FILE, "r") as f:
        assert f.attrs["keras_version"] in (b"2.0.6", "2.0.6")
    out = tmp_path / f"lstm.{ext}"
    assert cli.main(["export", REAL_FILE, str(out)]) == 0
    printed = capsys.readouterr().out
    assert "output check passed" in printed and out.exists()
    # the artifact against the reference predictions tf_keras made from the same file
    ref = np.load(REAL_FILE.replace(".h5", ".ref.npz"))
    x = ref[[k for k in ref.files if k.startswith("input")][0]]
    expected = ref[[k for k in ref.files if k.startswith("output")][0]]
    if ext == "pt":
        got = torch.jit.load(str(out))(torch.as_tensor(x, dtype=torch.float32)).detach().numpy()
    else:
        import onnxruntime

        session = onnxruntime.InferenceSession(str(out), providers=["CPUExecutionProvider"])
        got = session.run(None, {session.get_inputs()[0].name: x.astype("float32")})[0]
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=1e-5)


def test_export_a_keras1_file_and_a_keras_archive(tmp_path, capsys):
    keras1 = os.path.join(KERAS_FILES, "dl4j__simple_lstm_tf_keras_1_model.h5")  # Keras 1.2.2
    assert cli.main(["export", keras1, str(tmp_path / "k1.pt")]) == 0
    model = ok.Sequential([Dense(2, input_shape=(3,), activation="softmax")])
    model.save(tmp_path / "m.keras")
    assert cli.main(["export", str(tmp_path / "m.keras"), str(tmp_path / "m.pt")]) == 0
    assert capsys.readouterr().out.count("output check passed") == 2
    x = torch.randn(4, 3)
    assert np.allclose(torch.jit.load(str(tmp_path / "m.pt"))(x).detach().numpy(), model.predict(x.numpy()),
                       atol=1e-6)


def test_export_errors_are_reported(tmp_path, capsys):
    model = ok.Sequential([Dense(2, input_shape=(3,))])
    model.save(tmp_path / "m.h5")
    assert cli.main(["export", str(tmp_path / "m.h5"), str(tmp_path / "m.zip")]) == 1
    assert "Cannot tell the export format" in capsys.readouterr().err
    assert cli.main(["export", str(tmp_path / "m.h5"), str(tmp_path / "m.bin"), "--format", "torch_export",
                     "--no-check"]) == 0
    assert "check skipped: check=False" in capsys.readouterr().out
