"""Reading generators, Sequences and DataLoaders ahead of the train step."""

import multiprocessing
import os
import threading
import time
import traceback

import numpy as np
import pytest
import torch

import openkeras
from openkeras.engine import prefetch
from openkeras.engine.data_handler import DataHandler
from openkeras.layers import Dense
from openkeras.models import Sequential
from openkeras.utils.data_utils import Sequence

X = np.random.RandomState(0).rand(8, 3).astype("float32")
Y = np.random.RandomState(1).rand(8, 1).astype("float32")


def make_model():
    model = Sequential([Dense(1, input_shape=(3,))])
    model.compile("sgd", "mse")
    return model


class Numbered(Sequence):
    """Batch ``i`` is ``i`` everywhere; later batches come back faster, to tempt reordering."""

    def __len__(self):
        return 6

    def __getitem__(self, i):
        time.sleep(0.002 * (6 - i))
        return np.full((2, 3), float(i), "float32"), np.full((2, 1), float(os.getpid()), "float32")


def test_sequence_order_kept_with_worker_threads_and_processes():
    model = make_model()
    for processes in (False, True):
        preds = model.predict(Numbered(), workers=3, use_multiprocessing=processes)
        assert preds.shape == (12, 1)
        ramp = model.predict(np.repeat(np.arange(6.0, dtype="float32"), 2)[:, None]
                             .repeat(3, axis=1), workers=0)
        np.testing.assert_allclose(preds, ramp, rtol=0, atol=1e-6)


def test_processes_read_the_sequence():
    pids = []
    model = make_model()
    handler_adapter = DataHandler(model, workers=2, use_multiprocessing=True).adapter(
        Numbered(), mode="train")
    try:
        for _, ys, _ in handler_adapter.batches():
            pids.append(int(ys[0][0, 0]))
    finally:
        handler_adapter.close()
    assert len(pids) == 6 and os.getpid() not in pids
    assert multiprocessing.active_children() == []  # the pool ended with the pass


def _failing():
    yield X, Y
    raise KeyError("broken batch 2")


@pytest.mark.parametrize("workers", [0, 1, 2])
def test_producer_error_reaches_fit_with_its_traceback(workers):
    before = threading.active_count()
    with pytest.raises(KeyError, match="broken batch 2") as info:
        make_model().fit(_failing(), steps_per_epoch=3, epochs=1, verbose=0, workers=workers)
    frames = [f.name for f in traceback.extract_tb(info.value.__traceback__)]
    assert "_failing" in frames
    assert threading.active_count() == before


def _endless():
    while True:
        yield X, Y


def test_no_thread_left_after_fit_evaluate_predict():
    before = threading.active_count()
    model = make_model()
    model.fit(_endless(), steps_per_epoch=2, epochs=2, verbose=0,
              validation_data=_endless(), validation_steps=1)
    model.evaluate(_endless(), steps=2, verbose=0)
    model.predict(_endless(), steps=2)
    model.fit_generator(Numbered(), epochs=1, verbose=0, workers=2)
    model.fit(torch.utils.data.DataLoader(torch.utils.data.TensorDataset(
        torch.from_numpy(X), torch.from_numpy(Y)), batch_size=4), epochs=2, verbose=0)
    assert threading.active_count() == before


def test_a_slow_producer_overlaps_with_training():
    """The reader makes batch k+1 while step k trains: some batch is produced after a step
    began and before it ended (ordering of timestamps, not durations)."""
    made, steps = [], []

    def slow():
        while True:
            time.sleep(0.01)
            made.append(time.perf_counter())
            yield X, Y

    class Stamp(openkeras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            steps.append([time.perf_counter(), None])
            time.sleep(0.01)  # a step as long as producing a batch

        def on_train_batch_end(self, batch, logs=None):
            steps[-1][1] = time.perf_counter()

    make_model().fit(slow(), steps_per_epoch=6, epochs=1, verbose=0, callbacks=[Stamp()])
    overlapped = [any(b < t < e for t in made) for b, e in steps]
    assert sum(overlapped) >= 3, (made, steps)
    made.clear()
    steps.clear()
    make_model().fit(slow(), steps_per_epoch=6, epochs=1, verbose=0, callbacks=[Stamp()],
                     workers=0)  # in the training thread nothing is made during a step
    assert not any(any(b < t < e for t in made) for b, e in steps)


def test_generator_in_several_processes_warns_as_keras_2_3_1():
    def gen():
        while True:
            yield X, Y

    with pytest.warns(UserWarning, match="may duplicate your data"):
        make_model().fit(gen(), steps_per_epoch=2, epochs=1, verbose=0, workers=2,
                         use_multiprocessing=True)


def test_user_generator_stays_usable_after_fit():
    gen = _endless()
    make_model().fit(gen, steps_per_epoch=2, epochs=1, verbose=0)
    assert next(gen)[0] is X


def test_pinned_copies_only_for_cuda(monkeypatch):
    assert not prefetch.pins_memory(torch.device("cpu"))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert not prefetch.pins_memory(torch.device("cuda", 0))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert prefetch.pins_memory(torch.device("cuda", 0))
    assert prefetch.pins_memory("cuda")


def test_cuda_batches_go_through_pinned_copies(monkeypatch):
    """With CUDA the reader makes host tensors and hands them to ``to_device`` (pinned,
    non_blocking); tested on the CPU by standing in for the decision and the copy."""
    copied = []

    def record(tensors, device):
        copied.append([None if t is None else t.device.type for t in tensors])
        return tensors

    monkeypatch.setattr(prefetch, "pins_memory", lambda device: True)
    monkeypatch.setattr(prefetch, "to_device", record)
    make_model().fit(_endless(), steps_per_epoch=2, epochs=1, verbose=0)
    assert copied and all(kind == "cpu" for batch in copied for kind in batch if kind)
    assert ["cpu"] in copied  # the inputs


def test_bad_workers_argument_is_named():
    with pytest.raises(ValueError, match=r"workers.*Received: workers=-1"):
        make_model().fit(_endless(), steps_per_epoch=1, verbose=0, workers=-1)
