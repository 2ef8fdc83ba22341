"""model.export: TorchScript, torch.export and ONNX artifacts reproduce the model's outputs."""

import sys

import numpy as np
import onnx
import pytest
import torch
from numeric_utils import assert_close

import openkeras as ok
from openkeras.applications import MobileNet
from openkeras.export import ExportCheckError, export_model, format_for_path, formats
from openkeras.layers import (
    LSTM,
    Conv2D,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    Input,
    Lambda,
    MaxPooling2D,
    concatenate,
)


def mnist_cnn():
    """The seed tutorial's MNIST CNN (shared/seeds 004)."""
    return ok.Sequential([
        Conv2D(32, kernel_size=(3, 3), activation="relu", input_shape=(28, 28, 1)),
        Conv2D(32, (3, 3), activation="relu"), MaxPooling2D(pool_size=(2, 2)), Dropout(0.25),
        Flatten(), Dense(128, activation="relu"), Dropout(0.5), Dense(10, activation="softmax")])


def masked_lstm():
    return ok.Sequential([Embedding(20, 8, mask_zero=True, input_length=7), LSTM(6), Dense(3)])


def two_in_two_out():
    a, b = Input((4,), name="numbers"), Input((6,), name="more")
    h = concatenate([Dense(5, activation="relu")(a), Dense(5, activation="tanh")(b)])
    return ok.Model([a, b], [Dense(2, name="score")(h), Dense(1, activation="sigmoid", name="prob")(h)])


def mobilenet():
    return MobileNet(input_shape=(32, 32, 3), alpha=0.25, weights=None, classes=10)


MODELS = {"mnist_cnn": mnist_cnn, "masked_lstm": masked_lstm, "two_in_two_out": two_in_two_out,
          "mobilenet": mobilenet}
EXTENSIONS = {"torchscript": "pt", "torch_export": "pt2", "onnx": "onnx"}


@pytest.fixture(scope="module")
def models():
    ok.utils.set_random_seed(7)
    return {name: make() for name, make in MODELS.items()}


@pytest.mark.parametrize("fmt", list(EXTENSIONS))
@pytest.mark.parametrize("name", list(MODELS))
def test_export_matches_the_model(models, name, fmt, tmp_path, capsys):
    model = models[name]
    path = tmp_path / f"{name}.{EXTENSIONS[fmt]}"
    result = model.export(path)
    assert path.exists() and result.format == fmt
    assert result.checked and result.batch_sizes == (2, 3)
    assert result.max_difference <= formats.TOLERANCES[fmt]
    assert "output check passed" in capsys.readouterr().out


@pytest.mark.parametrize("fmt", list(EXTENSIONS))
def test_artifact_runs_a_fresh_batch_like_the_model(fmt, tmp_path):
    # independently of the built-in check: other inputs, another batch size, through the file
    model = two_in_two_out()
    path = str(tmp_path / f"m.{EXTENSIONS[fmt]}")
    model.export(path, verbose=False)
    xs = [torch.randn(7, 4), torch.randn(7, 6)]
    (actual,) = formats.RUNNERS[fmt](path, [xs])
    expected = model(xs)
    for a, e in zip(actual, expected, strict=True):
        assert a.shape == (7, e.shape[1])
        assert_close(a, e.detach(), rtol=formats.TOLERANCES[fmt], atol=formats.TOLERANCES[fmt])


def test_masked_lstm_traced_without_padding_still_masks(tmp_path):
    # The fused kernel branches on the mask's values; a trace must not bake in the branch
    # its sample took, so traced RNNs with a mask take the general per-step path (torch.export
    # refuses the branch outright: it is data-dependent).
    fmt = "torchscript"
    model = masked_lstm()
    unpadded = np.arange(1, 15).reshape(2, 7).astype("float32")
    model.export(tmp_path / f"m.{EXTENSIONS[fmt]}", sample_input=unpadded, verbose=False)
    padded = torch.tensor([[3, 4, 5, 0, 0, 0, 0], [1, 2, 3, 4, 5, 6, 7], [0, 9, 0, 9, 9, 0, 0]],
                          dtype=torch.float32)
    out = formats.RUNNERS[fmt](str(tmp_path / f"m.{EXTENSIONS[fmt]}"), [[padded]])[0][0]
    assert_close(out, model(padded).detach(), atol=1e-5, rtol=1e-5)
    # the padding changes the result, so the mask really was applied
    assert not np.allclose(out[0], model(torch.tensor([[3., 4., 5., 1., 1., 1., 1.]])).detach().numpy()[0])


def test_sample_input_as_dict_and_onnx_names(tmp_path):
    model = two_in_two_out()
    sample = {"more": np.random.rand(4, 6), "numbers": np.random.rand(4, 4)}
    result = model.export(tmp_path / "m.onnx", sample_input=sample, verbose=False)
    assert result.batch_sizes == (4, 5)
    graph = onnx.load(str(tmp_path / "m.onnx")).graph
    assert [i.name for i in graph.input] == ["numbers", "more"]
    assert [o.name for o in graph.output] == ["score", "prob"]
    assert graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"


def test_format_from_extension_and_errors(tmp_path):
    assert [format_for_path(f"m.{e}") for e in ("pt", "ts", "pt2", "onnx")] == \
        ["torchscript", "torchscript", "torch_export", "onnx"]
    with pytest.raises(ValueError, match=r"\.pt2 \(torch_export\)"):
        format_for_path("model.bin")
    with pytest.raises(ValueError, match="Unknown export format 'tflite'"):
        export_model(two_in_two_out(), tmp_path / "m.pt", format="tflite")


def test_unsupported_layers_are_named(tmp_path):
    model = ok.Sequential([Dense(3, input_shape=(2,)), Lambda(lambda x: x * 2, name="doubler")])
    with pytest.raises(ValueError, match=r"layer 'doubler' \(Lambda\) is not supported"):
        model.export(tmp_path / "m.pt")
    stateful = ok.Sequential([LSTM(3, stateful=True, batch_input_shape=(2, 4, 1), name="memory")])
    with pytest.raises(ValueError, match=r"layer 'memory' \(LSTM\).*stateful=True"):
        stateful.export(tmp_path / "s.pt2")
    assert not (tmp_path / "m.pt").exists() and not list(tmp_path.iterdir())


def test_a_failing_trace_names_the_unlisted_layers(tmp_path):
    class SignFlip(ok.layers.Layer):
        def call(self, x):
            return -x if float(x.sum()) > 0 else x  # branches on a value: torch.export refuses

    model = ok.Sequential([Dense(3, input_shape=(2,)), SignFlip(name="flip")])
    expected = r"to torch_export failed\. .*outside the supported list.*: flip \(SignFlip\)\. torch said"
    with pytest.raises(ValueError, match=expected):
        model.export(tmp_path / "m.pt2")


def test_a_differing_artifact_fails_the_check(tmp_path, monkeypatch):
    run = formats.RUNNERS["torchscript"]
    monkeypatch.setitem(formats.RUNNERS, "torchscript",
                        lambda path, batches: [[o + 1e-3 for o in out] for out in run(path, batches)])
    with pytest.raises(ExportCheckError, match=r"does not reproduce output 0 .* 1\.000e-03 > tolerance 1e-05"):
        two_in_two_out().export(tmp_path / "m.pt", verbose=False)


def test_onnx_without_onnxruntime_writes_and_skips_the_check(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import onnxruntime now fails
    result = two_in_two_out().export(tmp_path / "m.onnx")
    assert not result.checked and "onnxruntime is not installed" in result.reason
    assert "output check skipped" in capsys.readouterr().out
    onnx.checker.check_model(onnx.load(str(tmp_path / "m.onnx")))


def test_onnx_falls_back_to_the_torch_export_based_exporter(tmp_path, monkeypatch):
    real_export = torch.onnx.export
    used = []

    def export(*args, dynamo=True, **kwargs):
        used.append(dynamo)
        if not dynamo:
            raise RuntimeError("the TorchScript-based exporter is gone")
        return real_export(*args, dynamo=dynamo, **kwargs)

    monkeypatch.setattr(torch.onnx, "export", export)
    model = ok.Sequential([Dense(3, activation="relu", input_shape=(4,)), Dense(2)])
    result = model.export(tmp_path / "m.onnx", verbose=False)
    assert used == [False, True] and result.checked and result.batch_sizes == (2, 3)


def test_onnx_without_onnx_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r"pip install 'openkeras\[onnx\]'"):
        two_in_two_out().export(tmp_path / "m.onnx")
    assert not list(tmp_path.iterdir())


def test_subclassed_model_needs_sample_input(tmp_path):
    class Net(ok.Model):
        def __init__(self):
            super().__init__()
            self.hidden = Dense(4, activation="relu")
            self.out = Dense(2)

        def call(self, x):
            return self.out(self.hidden(x))

    net = Net()
    net(np.zeros((1, 3), "float32"))
    with pytest.raises(ValueError, match="pass sample_input="):
        net.export(tmp_path / "n.pt2")
    result = net.export(tmp_path / "n.pt2", sample_input=np.random.rand(2, 3), verbose=False)
    assert result.checked
