import json
import os
import re
import struct
import zlib

import numpy as np
import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.compat.tensorflow_stub import pywrap_tensorflow

from openkeras import callbacks
from openkeras.callbacks.tensorboard import event_file, images, summary_proto
from openkeras.engine.sequential import Sequential
from openkeras.layers.core import Dense
from openkeras.optimizers.schedules import ExponentialDecay
from openkeras.optimizers.sgd import SGD


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


# -- file format -----------------------------------------------------------------------------

def test_crc32c_matches_known_values_and_tensorboards_reader():
    assert event_file.crc32c(b"123456789") == 0xE3069283
    assert event_file.crc32c(b"") == 0
    rng = np.random.default_rng(1)
    for n in (1, 7, 300):
        data = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
        assert event_file.masked_crc32c(data) == pywrap_tensorflow.masked_crc32c(data)


def test_tfrecord_framing():
    record = event_file.tfrecord(b"abc")
    assert struct.unpack("<Q", record[:8])[0] == 3 and record[12:15] == b"abc"
    assert struct.unpack("<I", record[8:12])[0] == event_file.masked_crc32c(record[:8])
    assert struct.unpack("<I", record[15:])[0] == event_file.masked_crc32c(b"abc")


def test_protobuf_encoding_parses_with_tensorboards_protos():
    values = np.array([-1.0, 0.5, 0.25, 3.0, 3.0])
    raw = summary_proto.event(12.5, 7, values=[
        summary_proto.scalar_value("epoch_loss", 0.25),
        summary_proto.histogram_value("w", values, bins=4)])
    event = event_pb2.Event.FromString(raw)
    assert event.wall_time == 12.5 and event.step == 7
    scalar, histo_value = event.summary.value
    assert scalar.tag == "epoch_loss" and scalar.simple_value == 0.25
    histo = histo_value.histo
    counts, edges = np.histogram(values, bins=4)
    assert (histo.min, histo.max, histo.num) == (-1.0, 3.0, 5)
    assert histo.sum == pytest.approx(values.sum()) and histo.sum_squares == pytest.approx(
        (values ** 2).sum())
    np.testing.assert_allclose(histo.bucket_limit, edges[1:])
    np.testing.assert_array_equal(histo.bucket, counts)
    first = event_pb2.Event.FromString(summary_proto.event(1.0, 0, file_version="brain.Event:2"))
    assert first.file_version == "brain.Event:2"
    assert event_pb2.Event.FromString(summary_proto.event(0.0, -3)).step == -3
    constant = summary_pb2.Summary.Value.FromString(summary_proto.histogram_value("c", [2, 2]))
    assert list(constant.histo.bucket) == [2.0] and list(constant.histo.bucket_limit) == [2.0]


def _decode_png(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        assert struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0] == zlib.crc32(
            kind + body)
        chunks[kind] = body
        pos += 12 + length
    width, height = struct.unpack(">II", chunks[b"IHDR"][:8])
    rows = zlib.decompress(chunks[b"IDAT"])
    return np.frombuffer(rows, np.uint8).reshape(height, width + 1)[:, 1:]


def test_weight_images():
    kernel = np.arange(12.0).reshape(4, 3)  # taller than wide: transposed, as tf.keras
    (img,) = images.weight_images(kernel)
    assert img.shape == (3, 4) and img.min() == 0 and img.max() == 255
    np.testing.assert_array_equal(_decode_png(images.png_gray(img)), img)
    assert images.weight_images(np.zeros(5))[0].shape == (5, 1)
    assert len(images.weight_images(np.ones((2, 2, 5)))) == 3
    assert images.weight_images(np.ones((3, 3, 2, 8))) == []


# -- the callback ----------------------------------------------------------------------------

def _fit(tmp_path, epochs=3, validation=True, model=None, **kwargs):
    model = model or _model()
    x, y = _xy()
    tb = callbacks.TensorBoard(log_dir=tmp_path / "logs", **kwargs)
    history = model.fit(x, y, epochs=epochs, batch_size=8, verbose=0, callbacks=[tb],
                        validation_data=(x[:8], y[:8]) if validation else None)
    return model, history, tmp_path / "logs"


def test_scalars_for_every_log_key_equal_the_history(tmp_path):
    _, history, logs = _fit(tmp_path, write_graph=False)
    assert sorted(os.listdir(logs)) == ["train", "validation"]
    for run in ("train", "validation"):
        (name,) = os.listdir(logs / run)
        assert re.fullmatch(r"events\.out\.tfevents\.\d{10}\..+\.v2", name)
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
                                   [w.min(), w.max(), w.sum(), (w ** 2).sum()], rtol=1e-6,
                                   atol=1e-7)
    assert not (logs / "validation").exists()


def test_write_images_with_the_histograms(tmp_path):
    model, _, logs = _fit(tmp_path, epochs=1, histogram_freq=1, write_images=True,
                          validation=False)
    acc = _read(logs / "train")
    assert sorted(acc.Tags()["images"]) == ["dense/bias_0/image", "dense/kernel_0/image",
                                            "dense_1/kernel_0/image"]
    (event,) = acc.Images("dense/kernel_0/image")
    assert (event.height, event.width) == (3, 4)
    pixels = _decode_png(event.encoded_image_string)
    kernel = model.layers[0].get_weights()[0].T
    np.testing.assert_array_equal(np.argsort(pixels.ravel(), kind="stable")[[0, -1]],
                                  np.argsort(kernel.ravel(), kind="stable")[[0, -1]])


@pytest.mark.parametrize("update_freq, steps", [("batch", [1, 2, 3, 4, 5, 6]), (2, [2, 4, 6])])
def test_batch_scalars_with_update_freq(tmp_path, update_freq, steps):
    _, history, logs = _fit(tmp_path, epochs=2, update_freq=update_freq, validation=False,
                            write_graph=False)
    acc = _read(logs / "train")
    events = acc.Scalars("batch_loss")
    assert [e.step for e in events] == steps
    assert "batch_mae" in acc.Tags()["scalars"]
    # the last batch of an epoch reports the epoch's average
    if update_freq == "batch":
        np.testing.assert_allclose([events[2].value, events[5].value], history.history["loss"],
                                   rtol=1e-6)
    assert len(history.history["loss"]) == 2


def test_graph_is_the_keras_model_config(tmp_path):
    model, _, logs = _fit(tmp_path, epochs=1, validation=False)
    acc = _read(logs / "train")
    (event,) = acc.Tensors("keras")
    assert event.step == 0
    assert json.loads(event.tensor_proto.string_val[0]) == json.loads(model.to_json())
    assert acc.PluginTagToContent("graph_keras_model") == {"keras": b"1"}


def test_evaluate_writes_evaluation_scalars_at_the_iteration(tmp_path):
    model = _model()
    x, y = _xy()
    tb = callbacks.TensorBoard(log_dir=tmp_path)
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    result = model.evaluate(x, y, batch_size=8, verbose=0, callbacks=[tb], return_dict=True)
    acc = _read(tmp_path / "validation")
    (event,) = acc.Scalars("evaluation_loss_vs_iterations")
    assert event.step == 3
    np.testing.assert_allclose(event.value, result["loss"], rtol=1e-6)


def test_learning_rate_schedule_and_steps_per_second(tmp_path):
    schedule = ExponentialDecay(0.1, decay_steps=3, decay_rate=0.5)
    model = _model(SGD(learning_rate=schedule))
    _, _, logs = _fit(tmp_path, epochs=2, model=model, validation=False,
                      write_steps_per_second=True)
    acc = _read(logs / "train")
    lrs = [e.value for e in acc.Scalars("epoch_learning_rate")]
    np.testing.assert_allclose(lrs, [0.1 * 0.5 ** 1, 0.1 * 0.5 ** 2], rtol=1e-6)
    assert all(e.value > 0 for e in acc.Scalars("epoch_steps_per_second"))


def test_batch_hooks_only_with_batch_updates():
    assert not callbacks.CallbackList([callbacks.TensorBoard()]).has_batch_hooks("train")
    tb = callbacks.TensorBoard(update_freq="batch")
    assert callbacks.CallbackList([tb]).has_batch_hooks("train") and tb.update_freq == 1


def test_bad_and_legacy_arguments():
    with pytest.raises(ValueError, match="update_freq must be 'epoch', 'batch' or a positive "
                                         "integer. Received: update_freq='often'"):
        callbacks.TensorBoard(update_freq="often")
    with pytest.raises(ValueError, match="Unrecognized arguments in `TensorBoard` Callback"):
        callbacks.TensorBoard(logdir="x")
    with pytest.raises(ValueError, match="histogram_freq"):
        callbacks.TensorBoard(histogram_freq=-1)
    with pytest.warns(RuntimeWarning, match="`write_grads` will be ignored"):
        callbacks.TensorBoard(write_grads=True, batch_size=0)
    with pytest.warns(RuntimeWarning, match="embedding projector"):
        callbacks.TensorBoard(embeddings_freq=1)
