"""models.from_torch_export: a deployed .pt2 program as a predict-only Keras model."""

import numpy as np
import pytest
import torch
from numeric_utils import assert_close

import openkeras as ok
from openkeras.layers import Dense, Input, concatenate
from openkeras.models import from_torch_export


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    ok.utils.set_random_seed(3)
    a, b = Input((4,), name="numbers"), Input((6,), name="more")
    h = concatenate([Dense(5, activation="relu")(a), Dense(5)(b)])
    model = ok.Model([a, b], [Dense(2, name="score")(h), Dense(1, activation="sigmoid", name="prob")(h)])
    path = tmp_path_factory.mktemp("pt2") / "model.pt2"
    model.export(path, verbose=False)
    return model, path


def _data(n=50):
    rng = np.random.default_rng(0)
    x = [rng.random((n, 4), dtype=np.float32), rng.random((n, 6), dtype=np.float32)]
    y = [rng.random((n, 2), dtype=np.float32), (rng.random((n, 1)) > 0.5).astype("float32")]
    return x, y


def test_predict_matches_the_original_model(exported):
    model, path = exported
    program = from_torch_export(path)
    x, _ = _data()
    for got, want in zip(program.predict(x, batch_size=16), model.predict(x), strict=True):
        assert_close(got, want, atol=1e-6, rtol=1e-6)
    assert program.input_names == ["numbers", "more"] and program.output_names == ["score", "prob"]


def test_evaluate_with_keras_metrics_gives_the_original_results(exported):
    model, path = exported
    program = from_torch_export(path)
    x, y = _data()
    for m in (program, model):
        m.compile("sgd", loss=["mse", "binary_crossentropy"], metrics={"prob": ["accuracy"]})
    got = program.evaluate(x, y, batch_size=16, verbose=0)
    assert program.metrics_names == ["loss", "score_loss", "prob_loss", "prob_accuracy"]
    assert_close(got, model.evaluate(x, y, batch_size=16, verbose=0), rtol=1e-6, atol=1e-6)


def test_summary_lists_inputs_and_outputs(exported):
    lines = []
    from_torch_export(exported[1]).summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "numbers                      (None, 4)                 float32" in text
    assert "prob                         (None, 1)                 float32" in text
    assert "Parameters in the program: 93" in text


def test_training_is_refused(exported):
    program = from_torch_export(exported[1])
    program.compile("sgd", loss=["mse", "mse"])
    x, y = _data(8)
    with pytest.raises(RuntimeError, match="can predict and evaluate, but not train"):
        program.fit(x, y, verbose=0)
    with pytest.raises(RuntimeError, match="not train"):
        program.train_on_batch(x, y)


def test_a_plain_torch_export_file_loads_too(tmp_path):
    class Net(torch.nn.Module):
        def forward(self, x):
            return torch.tanh(x) * 2

    batch = torch.export.Dim("batch")
    program = torch.export.export(Net(), (torch.randn(3, 5),), dynamic_shapes=({0: batch},))
    torch.export.save(program, tmp_path / "net.pt2")
    model = from_torch_export(tmp_path / "net.pt2", name="net")
    x = np.random.rand(4, 5).astype("float32")
    assert_close(model.predict(x), np.tanh(x) * 2, atol=1e-6, rtol=1e-6)
    assert model.inputs[0].shape == (None, 5) and model.name == "net"


def test_missing_or_bad_file(tmp_path):
    with pytest.raises(OSError, match="No file found"):
        from_torch_export(tmp_path / "none.pt2")
    (tmp_path / "bad.pt2").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="Cannot load .* as a torch.export program"):
        from_torch_export(tmp_path / "bad.pt2")
