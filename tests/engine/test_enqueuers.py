"""Keras 2's public enqueuers, read through engine.prefetch (threads, or worker processes)."""

import multiprocessing
import os
import random
import threading
import time

import numpy as np
import pytest

import openkeras
from openkeras.engine import enqueuers
from openkeras.utils.data_utils import GeneratorEnqueuer, OrderedEnqueuer, Sequence

PARENT = os.getpid()


class Numbered(Sequence):
    """Batch ``i`` is ``(x filled with i, y = [epoch, pid])``; later batches are faster, to
    tempt reordering; ``fail_at`` raises there."""

    def __init__(self, n=6, fail_at=None):
        self.n, self.fail_at, self.epochs = n, fail_at, 0

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i == self.fail_at:
            raise KeyError(f"bad item {i}")
        time.sleep(0.002 * (self.n - i))
        return np.full((2, 3), i), np.array([self.epochs, os.getpid()])

    def on_epoch_end(self):
        self.epochs += 1


def take(enqueuer, count):
    batches = enqueuer.get()
    return [next(batches) for _ in range(count)]


def assert_all_ended(threads_before):
    """No thread started since ``threads_before`` and no child process is alive."""
    left = [t for t in threading.enumerate() if t not in threads_before and t.is_alive()]
    assert left == [], left
    assert multiprocessing.active_children() == []


def test_keras2_loop_with_threads_and_shuffle():
    before = set(threading.enumerate())
    enq = OrderedEnqueuer(Numbered(), use_multiprocessing=False, shuffle=True)
    enq.start(workers=2, max_queue_size=10)
    gen = enq.get()
    x, y = next(gen)  # the (x, y) tuple, as the Sequence returned it
    assert x.shape == (2, 3) and y[1] == PARENT and enq.is_running()
    enq.stop()
    assert not enq.is_running()
    assert_all_ended(before)


def test_workers_keep_order_over_shuffled_epochs_and_call_on_epoch_end_between():
    seq = Numbered()
    random.seed(3)
    expected = []
    for _ in range(3):  # the enqueuer shuffles with Python's random, as Keras 2 did
        order = list(range(6))
        random.shuffle(order)
        expected += order
    random.seed(3)
    enq = OrderedEnqueuer(seq, shuffle=True)
    enq.start(workers=3, max_queue_size=2)
    got = take(enq, 18)
    enq.stop()
    assert [int(x[0, 0]) for x, _ in got] == expected
    assert [int(y[0]) for _, y in got] == [0] * 6 + [1] * 6 + [2] * 6  # read after on_epoch_end
    assert expected[:6] != expected[6:12]


@pytest.mark.parametrize("processes", [False, True])
def test_threads_or_processes_read_in_order_and_see_on_epoch_end(processes):
    before = set(threading.enumerate())
    seq = Numbered()
    enq = OrderedEnqueuer(seq, use_multiprocessing=processes)
    enq.start(workers=3, max_queue_size=2)
    got = take(enq, 14)
    enq.stop()
    assert [int(x[0, 0]) for x, _ in got] == list(range(6)) * 2 + [0, 1]
    pids = {int(y[1]) for _, y in got}
    if processes:
        assert PARENT not in pids and len(pids) >= 2
    else:
        assert pids == {PARENT}
    # Each epoch's pool is forked after on_epoch_end, so it sees the Sequence as it is then.
    assert [int(y[0]) for _, y in got] == [0] * 6 + [1] * 6 + [2] * 2
    assert seq.epochs == 2
    assert_all_ended(before)


@pytest.mark.parametrize("workers,processes", [(1, False), (2, False), (2, True)])
def test_worker_error_is_raised_by_get_and_stops(workers, processes):
    before = set(threading.enumerate())
    enq = OrderedEnqueuer(Numbered(fail_at=3), use_multiprocessing=processes)
    enq.start(workers=workers, max_queue_size=2)
    batches = enq.get()
    assert [int(next(batches)[0][0, 0]) for _ in range(3)] == [0, 1, 2]
    with pytest.raises(KeyError, match="bad item 3"):
        next(batches)
    assert not enq.is_running()
    assert_all_ended(before)


def test_stop_midway_ends_threads_and_processes_and_leaves_the_generator_usable():
    before = set(threading.enumerate())
    for processes in (False, True):
        enq = OrderedEnqueuer(Numbered(), use_multiprocessing=processes)
        enq.start(workers=3, max_queue_size=2)
        take(enq, 2)
        time.sleep(0.05)  # let the readers fill the queue and block on it
        enq.stop()
        assert_all_ended(before)

    def endless():
        i = 0
        while True:
            yield i
            i += 1

    source = endless()
    enq = GeneratorEnqueuer(source)
    enq.start(workers=2, max_queue_size=3)
    assert take(enq, 4) == [0, 1, 2, 3]
    enq.stop(timeout=5)
    assert_all_ended(before)
    assert next(source) > 3  # read ahead, but not closed: the user's generator goes on


def test_generator_items_are_read_once_by_a_thread_or_copied_into_one_process():
    for processes in (False, True):
        enq = GeneratorEnqueuer((i for i in range(20)), use_multiprocessing=processes)
        enq.start(workers=3 if not processes else 1, max_queue_size=4)
        assert list(enq.get()) == list(range(20))  # a finite generator ends get()
        enq.stop()


def test_generator_in_processes_seeds_each_worker_and_warns():
    def draws():
        for _ in range(3):
            yield os.getpid(), np.random.rand()

    state = np.random.get_state()[1].copy()
    before = set(threading.enumerate())
    with pytest.warns(UserWarning, match="duplicate your data"):
        enq = GeneratorEnqueuer(draws(), use_multiprocessing=True, random_seed=7)
        enq.start(workers=2, max_queue_size=4)
    got = list(enq.get())  # ends when a copy of the generator is exhausted
    enq.stop()
    assert_all_ended(before)
    assert len(got) >= 3 and all(pid != PARENT for pid, _ in got)
    for pid in {pid for pid, _ in got}:
        values = [value for p, value in got if p == pid]
        # Keras 2: each worker seeds NumPy with random_seed + its process id.
        expected = np.random.RandomState(7 + pid).rand(len(values))
        np.testing.assert_allclose(values, expected, rtol=0, atol=0)
    np.testing.assert_array_equal(np.random.get_state()[1], state)  # the parent's is untouched


def test_generator_errors_none_items_and_keras2_arguments():
    def failing():
        yield 1
        yield None  # skipped, as Keras 2 did
        yield 2
        raise ValueError("broken generator")

    enq = GeneratorEnqueuer(generator=failing())
    enq.start()
    batches = enq.get()
    assert [next(batches), next(batches)] == [1, 2]
    with pytest.raises(ValueError, match="broken generator"):
        next(batches)
    assert not enq.is_running()
    with pytest.warns(DeprecationWarning, match="wait_time"):
        GeneratorEnqueuer(iter([]), wait_time=0.05)
    with pytest.raises(ValueError, match="generator"):
        GeneratorEnqueuer()
    with pytest.raises(ValueError, match="workers"):
        OrderedEnqueuer(Numbered()).start(workers=0)


def test_names_resolve_to_the_engine_module():
    assert openkeras.utils.OrderedEnqueuer is enqueuers.OrderedEnqueuer
    assert openkeras.utils.data_utils.SequenceEnqueuer is enqueuers.SequenceEnqueuer
    from openkeras.utils.enqueuers import get_index, init_pool

    init_pool({"seq": Numbered()})
    assert int(get_index("seq", 2)[0][0, 0]) == 2
    enqueuers._SHARED_SEQUENCES.pop("seq")
    with pytest.raises(AttributeError, match="no attribute 'Nothing'"):
        openkeras.utils.data_utils.Nothing  # noqa: B018
