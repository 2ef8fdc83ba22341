import glob
import io
import json
import os
import sys

import numpy as np
import pytest
from google.protobuf import text_format
from PIL import Image
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.projector import projector_config_pb2

from openkeras import callbacks, demo
from openkeras.callbacks.tensorboard import graph, images
from openkeras.engine.sequential import Sequential
from openkeras.layers import Embedding, Flatten
from openkeras.layers.core import Dense
from openkeras.optimizers.schedules import ExponentialDecay
from openkeras.optimizers.sgd_optimizer import SGD


def _model(optimizer="sgd"):
    model = Sequential([Dense(3, input_shape=(4,)), Dense(1)])
    model.compile(optimizer, "mse", metrics=["mae"])
    return model


def _xy(n=24):
    rng = np.random.default_rng(0)
    return rng.random((n, 4)).astype("float32"), rng.random((n, 1)).astype("float32")


def _read(run_dir):
    acc = EventAccumulator(str(run_dir), size_guidance={"scalars": 0, "histograms": 0,
                                                        "images": 0, "tensors": 0})
    acc.Reload()
    return acc


def _projector(run_dir):
    config = projector_config_pb2.ProjectorConfig()
    text_format.Parse((run_dir / "projector_config.pbtxt").read_text(), config)
    return config


def _fit(tmp_path, epochs=3, validation=True, model=None, write_graph=False, **kwargs):
    model = model or _model()
    x, y = _xy()
    tb = callbacks.TensorBoard(log_dir=tmp_path / "logs", write_graph=write_graph, **kwargs)
    history = model.fit(x, y, epochs=epochs, batch_size=8, verbose=0, callbacks=[tb],
                        validation_data=(x[:8], y[:8]) if validation else None)
    return model, history, tmp_path / "logs"


def test_missing_tensorboard_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)  # import fails
    with pytest.raises(ImportError, match=r"pip install 'openkeras\[tensorboard\]'"):
        callbacks.TensorBoard()


def test_weight_images():
    kernel = np.arange(12.0).reshape(4, 3)  # taller than wide: transposed, as Keras 2
    (img,) = images.weight_images(kernel)
    np.testing.assert_allclose(img, kernel.T / 11.0)
    assert images.weight_images(np.zeros(5))[0].shape == (5, 1)
    assert len(images.weight_images(np.ones((2, 2, 5)))) == 3
    assert images.weight_images(np.ones((3, 3, 2, 8))) == []


# -- scalars ---------------------------------------------------------------------------------

def test_scalars_for_every_log_key_equal_the_history(tmp_path):
    _, history, logs = _fit(tmp_path)
    assert sorted(os.listdir(logs)) == ["train", "validation"]
    train, val = _read(logs / "train"), _read(logs / "validation")
    assert sorted(train.Tags()["scalars"]) == ["epoch_loss", "epoch_mae"]
    assert set(val.Tags()["scalars"]) >= {"epoch_loss", "epoch_mae"}
    for acc, prefix in ((train, ""), (val, "val_")):
        for key in ("loss", "mae"):
            events = acc.Scalars("epoch_" + key)
            assert [e.step for e in events] == [0, 1, 2]
            np.testing.assert_allclose([e.value for e in events], history.history[prefix + key],
                                       rtol=1e-6)
    assert train.Tags()["histograms"] == [] and train.Tags()["tensors"] == []
    assert not train.Tags()["graph"]


@pytest.mark.parametrize("update_freq, steps", [("batch", [1, 2, 3, 4, 5, 6]), (2, [2, 4, 6])])
def test_batch_scalars_with_update_freq(tmp_path, update_freq, steps):
    _, history, logs = _fit(tmp_path, epochs=2, update_freq=update_freq, validation=False)
    acc = _read(logs / "train")
    events = acc.Scalars("batch_loss")
    assert [e.step for e in events] == steps
    assert "batch_mae" in acc.Tags()["scalars"]
    if update_freq == "batch":  # the last batch of an epoch reports the epoch's average
        np.testing.assert_allclose([events[2].value, events[5].value], history.history["loss"],
                                   rtol=1e-6)


def test_evaluate_writes_evaluation_scalars_at_the_iteration(tmp_path):
    model = _model()
    x, y = _xy()
    tb = callbacks.TensorBoard(log_dir=tmp_path)
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    result = model.evaluate(x, y, batch_size=8, verbose=0, callbacks=[tb], return_dict=True)
    (event,) = _read(tmp_path / "validation").Scalars("evaluation_loss_vs_iterations")
    assert event.step == 3
    np.testing.assert_allclose(event.value, result["loss"], rtol=1e-6)


def test_learning_rate_schedule_and_steps_per_second(tmp_path):
    schedule = ExponentialDecay(0.1, decay_steps=3, decay_rate=0.5)
    _, _, logs = _fit(tmp_path, epochs=2, model=_model(SGD(learning_rate=schedule)),
                      validation=False, write_steps_per_second=True)
    acc = _read(logs / "train")
    lrs = [e.value for e in acc.Scalars("epoch_learning_rate")]
    np.testing.assert_allclose(lrs, [0.1 * 0.5 ** 1, 0.1 * 0.5 ** 2], rtol=1e-6)
    assert all(e.value > 0 for e in acc.Scalars("epoch_steps_per_second"))


# -- histograms, gradients, images -----------------------------------------------------------

def test_weight_histograms_every_histogram_freq_epochs(tmp_path):
    model, _, logs = _fit(tmp_path, epochs=3, histogram_freq=2, validation=False)
    acc = _read(logs / "train")
    names = ["dense/kernel_0", "dense/bias_0", "dense_1/kernel_0", "dense_1/bias_0"]
    tags = [name + "/histogram" for name in names]
    assert acc.Tags()["histograms"] == tags
    final = dict(zip(tags, model.get_weights(), strict=True))  # epoch 2 is the last epoch
    for tag in tags:
        events = acc.Histograms(tag)
        assert [e.step for e in events] == [0, 2]
        h = events[-1].histogram_value
        w = final[tag].astype(np.float64)
        assert h.num == w.size and sum(h.bucket) == w.size
        np.testing.assert_allclose([h.min, h.max, h.sum, h.sum_squares],
                                   [w.min(), w.max(), w.sum(), (w ** 2).sum()], rtol=1e-5,
                                   atol=1e-7)
    assert not (logs / "validation").exists()


def test_gradient_histograms_are_the_validation_loss_gradient(tmp_path):
    model = Sequential([Dense(2, input_shape=(4,))])
    model.compile("sgd", "mse")
    x, y = _xy(16)
    y2 = np.concatenate([y, 1 - y], axis=1)
    tb = callbacks.TensorBoard(tmp_path, histogram_freq=1, write_grads=True, batch_size=3,
                               write_graph=False)
    model.fit(x, y2, epochs=1, batch_size=8, verbose=0, callbacks=[tb],
              validation_data=(x[:7], y2[:7]))
    kernel, bias = (w.astype(np.float64) for w in model.get_weights())
    xv, yv = x[:7].astype(np.float64), y2[:7].astype(np.float64)
    residual = xv @ kernel + bias - yv  # mse = mean over samples and the 2 outputs
    expected = {"dense/kernel_0_grad": xv.T @ residual * 2 / residual.size,
                "dense/bias_0_grad": residual.sum(0) * 2 / residual.size}
    acc = _read(tmp_path / "train")
    for tag, grad in expected.items():
        (event,) = acc.Histograms(tag)
        h = event.histogram_value
        np.testing.assert_allclose([h.min, h.max, h.sum, h.num],
                                   [grad.min(), grad.max(), grad.sum(), grad.size], rtol=1e-4)


def test_layer_output_histograms_with_validation_data_keras_224(tmp_path):
    model, _, logs = _fit(tmp_path, epochs=1, histogram_freq=1, batch_size=5)
    acc = _read(logs / "train")
    first, second = model.layers
    assert [t for t in acc.Tags()["histograms"] if t.endswith("_out")] == [
        f"{first.name}_out", f"{second.name}_out"]
    x, _ = _xy()
    expected = model.predict(x[:5], verbose=0).astype(np.float64)  # validation_data is x[:8]
    (event,) = acc.Histograms(f"{second.name}_out")
    h = event.histogram_value
    np.testing.assert_allclose([h.num, h.min, h.max, h.sum],
                               [5, expected.min(), expected.max(), expected.sum()], rtol=1e-5)


def test_write_grads_without_validation_data_warns(tmp_path):
    with pytest.warns(RuntimeWarning, match="write_grads needs validation data"):
        _, _, logs = _fit(tmp_path, epochs=1, validation=False, histogram_freq=1,
                          write_grads=True)
    assert not any(t.endswith("_grad") for t in _read(logs / "train").Tags()["histograms"])


def test_write_images_with_the_histograms(tmp_path):
    model, _, logs = _fit(tmp_path, epochs=1, histogram_freq=1, write_images=True,
                          validation=False)
    acc = _read(logs / "train")
    assert sorted(acc.Tags()["images"]) == ["dense/bias_0/image", "dense/kernel_0/image",
                                            "dense_1/kernel_0/image"]
    (event,) = acc.Images("dense/kernel_0/image")
    assert (event.height, event.width) == (3, 4)
    pixels = np.asarray(Image.open(io.BytesIO(event.encoded_image_string)).convert("L"))
    kernel = model.layers[0].get_weights()[0].T
    expected = (kernel - kernel.min()) / (kernel.max() - kernel.min()) * 255
    np.testing.assert_allclose(pixels, expected, atol=1.0)


# -- graphs ----------------------------------------------------------------------------------

def test_graph_traced_from_the_torch_module_and_the_keras_config(tmp_path):
    model, _, logs = _fit(tmp_path, epochs=1, validation=False, write_graph=True)
    acc = _read(logs / "train")
    ops = {node.op for node in acc.Graph().node}
    assert "aten::linear" in ops or "aten::addmm" in ops or "aten::matmul" in ops, ops
    assert any(node.name.startswith("Sequential/") for node in acc.Graph().node)
    (event,) = acc.Tensors("keras")
    assert event.step == 0
    assert json.loads(event.tensor_proto.string_val[0]) == json.loads(model.to_json())
    assert acc.PluginTagToContent("graph_keras_model") == {"keras": b"1"}


def test_a_model_that_cannot_be_traced_warns_and_trains(tmp_path, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("cannot trace this model")

    monkeypatch.setattr(graph._Traceable, "forward", fail)
    with pytest.warns(RuntimeWarning, match="graph is not written: torch.jit.trace failed "
                                            r"\(RuntimeError: cannot trace this model\)"):
        model, history, logs = _fit(tmp_path, epochs=2, validation=False, write_graph=True)
    assert len(history.history["loss"]) == 2
    assert all(p.requires_grad for p in model.parameters())  # restored after the trace
    assert not _read(logs / "train").Tags()["graph"]


# -- projector -------------------------------------------------------------------------------

def test_embeddings_of_layer_outputs_with_metadata_keras_224(tmp_path):
    x, y = _xy(10)
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "meta.tsv").write_text("label\tindex\n" + "".join(
        f"{'ab'[i % 2]}\t{i}\n" for i in range(10)))
    model, _, logs = _fit(tmp_path, epochs=2, validation=False, embeddings_freq=2,
                          embeddings_layer_names=["dense"], embeddings_data=x,
                          embeddings_metadata="meta.tsv", batch_size=4)
    config = _projector(logs / "train")
    (embedding,) = config.embeddings  # epoch 0 only
    assert embedding.tensor_name == "dense:00000"
    kernel, bias = model.layers[0].get_weights()
    points = np.loadtxt(logs / "train" / embedding.tensor_path, delimiter="\t")
    assert points.shape == (10, 3)
    assert not np.allclose(points, x @ kernel + bias)  # epoch 0's, before the last epoch
    metadata = (logs / "train" / embedding.metadata_path).read_text().splitlines()
    assert metadata[0] == "label\tindex" and metadata[1:3] == ["a\t0", "b\t1"]


def test_embeddings_are_the_final_layer_outputs(tmp_path):
    x, _ = _xy(6)
    model, _, logs = _fit(tmp_path, epochs=1, validation=False, embeddings_freq=1,
                          embeddings_layer_names="dense_1", embeddings_data=x)
    (embedding,) = _projector(logs / "train").embeddings
    points = np.loadtxt(logs / "train" / embedding.tensor_path, delimiter="\t").reshape(6, 1)
    np.testing.assert_allclose(points, model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_embeddings_of_embedding_layers_tf_keras(tmp_path):
    model = Sequential([Embedding(5, 3, input_length=2, name="words"), Flatten(), Dense(1)])
    model.compile("sgd", "mse")
    words = tmp_path / "words.tsv"
    words.write_text("".join(f"w{i}\n" for i in range(5)))
    tb = callbacks.TensorBoard(tmp_path / "logs", embeddings_freq=1, write_graph=False,
                               embeddings_metadata={"words": str(words)})
    x = np.arange(8).reshape(4, 2) % 5
    model.fit(x, np.ones((4, 1), "float32"), epochs=1, verbose=0, callbacks=[tb])
    (embedding,) = _projector(tmp_path / "logs" / "train").embeddings
    assert embedding.tensor_name == "words:00000"
    points = np.loadtxt(tmp_path / "logs" / "train" / embedding.tensor_path, delimiter="\t")
    np.testing.assert_allclose(points, model.get_layer("words").get_weights()[0], rtol=1e-5)
    labels = (tmp_path / "logs" / "train" / embedding.metadata_path).read_text().split()
    assert labels == [f"w{i}" for i in range(5)]


def test_nothing_to_project_warns_once(tmp_path):
    with pytest.warns(RuntimeWarning, match="nothing to project: the model has no Embedding") as w:
        _fit(tmp_path, epochs=2, validation=False, embeddings_freq=1)
    assert sum("nothing to project" in str(m.message) for m in w) == 1
    assert not (tmp_path / "logs" / "train" / "projector_config.pbtxt").exists()


def test_embedding_errors_name_the_problem(tmp_path):
    x, _ = _xy(4)
    with pytest.raises(ValueError, match="'dense' in embeddings_layer_names is a Dense, not an "
                                         "Embedding layer"):
        _fit(tmp_path, epochs=1, validation=False, embeddings_freq=1,
             embeddings_layer_names=["dense"])
    (tmp_path / "short.tsv").write_text("a\nb\n")
    model = _model()
    name = model.layers[0].name
    with pytest.raises(ValueError, match=f"embeddings_metadata of layer '{name}' has 2 rows but "
                                         "the layer has 4 points"):
        _fit(tmp_path, epochs=1, validation=False, embeddings_freq=1, embeddings_data=x,
             model=model, embeddings_layer_names=[name],
             embeddings_metadata=str(tmp_path / "short.tsv"))


# -- profiling -------------------------------------------------------------------------------

def test_profile_batch_writes_a_torch_profiler_trace(tmp_path):
    _fit(tmp_path, epochs=1, validation=False, profile_batch=2)
    (trace,) = glob.glob(str(tmp_path / "logs" / "train" / "plugins" / "profile" /
                             "*.pt.trace.json"))
    with open(trace) as f:
        events = json.load(f)["traceEvents"]
    assert any("linear" in str(e.get("name", "")) or "addmm" in str(e.get("name", ""))
               for e in events)


def test_batch_hooks_only_when_needed():
    assert not callbacks.CallbackList([callbacks.TensorBoard()]).has_batch_hooks("train")
    tb = callbacks.TensorBoard(update_freq="batch")
    assert callbacks.CallbackList([tb]).has_batch_hooks("train") and tb.update_freq == 1
    tb = callbacks.TensorBoard(profile_batch=(2, 4))
    assert callbacks.CallbackList([tb]).has_batch_hooks("train")
    assert (tb._start_batch, tb._stop_batch) == (2, 4)
    assert callbacks.TensorBoard(profile_batch="3,5")._stop_batch == 5


def test_bad_arguments():
    with pytest.raises(ValueError, match="update_freq must be 'epoch', 'batch' or a positive "
                                         "integer. Received: update_freq='often'"):
        callbacks.TensorBoard(update_freq="often")
    with pytest.raises(ValueError, match="Unrecognized arguments in `TensorBoard` Callback"):
        callbacks.TensorBoard(logdir="x")
    with pytest.raises(ValueError, match="histogram_freq"):
        callbacks.TensorBoard(histogram_freq=-1)
    with pytest.raises(ValueError, match=r"profile_batch must be .* Received: profile_batch=\(5, 2\)"):
        callbacks.TensorBoard(profile_batch=(5, 2))
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        callbacks.TensorBoard(batch_size=0)
    with pytest.warns(RuntimeWarning, match="with histogram_freq=0 there are none"):
        callbacks.TensorBoard(write_grads=True)


def test_keras_224_positional_arguments_and_embeddings_data_array():
    data = np.zeros((3, 4))  # used to fail: "truth value of an array is ambiguous"
    tb = callbacks.TensorBoard("./logs", 1, 16, False, True, True, 1, ["dense"], None, data)
    assert (tb.histogram_freq, tb.batch_size, tb.write_graph, tb.write_grads) == (1, 16, False, True)
    assert tb.write_images and tb.embeddings_freq == 1 and tb.embeddings_data is data


# -- acceptance: the seed MNIST CNN ----------------------------------------------------------

@pytest.fixture(scope="module")
def mnist_run(tmp_path_factory):
    """One TensorBoard run of the seed MNIST CNN (small random data) with every writer on."""
    log_dir = tmp_path_factory.mktemp("mnist")
    model = demo.build_model()
    model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x = rng.random((16, 28, 28, 1), dtype=np.float32)
    y = np.eye(10, dtype="float32")[rng.integers(0, 10, 16)]
    (log_dir / "labels.tsv").write_text("".join(f"{c}\n" for c in y[:8].argmax(1)))
    tb = callbacks.TensorBoard(log_dir, histogram_freq=1, write_graph=True, write_images=True,
                               embeddings_freq=1, embeddings_layer_names=["dense"],
                               embeddings_data=x[:8], embeddings_metadata="labels.tsv")
    model.fit(x, y, epochs=1, batch_size=8, verbose=0, callbacks=[tb], validation_split=0.25)
    return model, log_dir, _read(log_dir / "train")


def test_seed_mnist_cnn_scalars_histograms_images(mnist_run):
    model, log_dir, acc = mnist_run
    tags = acc.Tags()
    assert set(tags["scalars"]) == {"epoch_loss", "epoch_accuracy"}
    assert {"epoch_loss", "epoch_accuracy"} <= set(_read(log_dir / "validation").Tags()["scalars"])
    weights = [w.name.replace(":", "_") + "/histogram" for w in model.weights]
    outputs = [layer.name + "_out" for layer in model.layers]  # validation_split: Keras 2.2.4
    assert sorted(tags["histograms"]) == sorted(weights + outputs)
    # Conv2D kernels (3, 3, 1, 32) squeeze to 3-D: one image per channel, at most 3.
    assert set(tags["images"]) == {"conv2d/kernel_0/image/0", "conv2d/kernel_0/image/1",
                                   "conv2d/kernel_0/image/2", "conv2d/bias_0/image",
                                   "conv2d_1/bias_0/image", "dense/kernel_0/image",
                                   "dense/bias_0/image", "dense_1/kernel_0/image",
                                   "dense_1/bias_0/image"}


def test_seed_mnist_cnn_graph_and_projector(mnist_run):
    model, log_dir, acc = mnist_run
    assert acc.Tags()["graph"] and acc.Tags()["tensors"] == ["keras"]
    ops = {node.op for node in acc.Graph().node}
    assert {"aten::_convolution", "aten::max_pool2d", "aten::addmm"} <= ops, ops
    (embedding,) = _projector(log_dir / "train").embeddings
    assert embedding.tensor_name == "dense:00000"
    points = np.loadtxt(log_dir / "train" / embedding.tensor_path, delimiter="\t")
    assert points.shape == (8, 128) and (points >= 0).all()  # relu outputs
    labels = (log_dir / "train" / embedding.metadata_path).read_text().split()
    assert labels == (log_dir / "labels.tsv").read_text().split()
