import os
import shutil

from openkeras import demo

MNIST = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "datasets", "mnist.npz")


def test_demo_on_digits_trains_saves_and_reloads(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("OPENKERAS_HOME", str(tmp_path))  # empty cache: the digits fallback
    accuracy = demo.run(epochs=3, verbose=0)
    out = capsys.readouterr().out
    assert "scikit-learn digits" in out and "Total params: 600,810" in out
    assert "predictions identical" in out
    assert accuracy >= 0.9


def test_demo_uses_mnist_from_the_cache(tmp_path, monkeypatch, capsys):
    os.makedirs(tmp_path / "datasets")
    shutil.copy(MNIST, tmp_path / "datasets" / "mnist.npz")
    monkeypatch.setenv("OPENKERAS_HOME", str(tmp_path))
    accuracy = demo.run(epochs=1, max_train=2000, verbose=0)
    out = capsys.readouterr().out
    assert "Data: MNIST" in out and "2000 training and 10000 test images" in out
    assert accuracy > 0.8
