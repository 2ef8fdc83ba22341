"""Reading batches ahead: a background thread, a thread pool or worker processes.

Keras 2's ``fit_generator`` defaults (``workers=1, max_queue_size=10,
use_multiprocessing=False``) mean one background thread keeping up to ten batches ready, so
producing the next batch overlaps with the train step. ``workers=0`` reads in the training
thread. With ``use_multiprocessing=True`` a Sequence is read by a pool of ``workers``
processes in order (Keras 2's ``OrderedEnqueuer``), and a generator is copied into each worker
process, which duplicates its data as it did in Keras 2.3.1 (with the same warning).

Every reader ends when its source does, on an error (re-raised in the training thread with
the producer's traceback), or on ``close()``, which ``fit`` / ``evaluate`` / ``predict`` call
when they end.
"""

import collections
import multiprocessing
import queue
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor

import torch

_ITEM, _END, _ERROR = 0, 1, 2
_JOIN_TIMEOUT = 10.0  # seconds to wait for a producer that is inside a slow user call

# The source a worker process reads (set by the pool initializer in each process).
_WORKER_SOURCE = [None]

def put_unless_stopped(q, stop, item):
    """Put ``item`` on the bounded queue ``q`` unless the event ``stop`` is set meanwhile;
    returns False when stopped (a producer thread then ends)."""
    while not stop.is_set():
        try:
            q.put(item, timeout=0.05)
            return True
        except queue.Full:
            continue
    return False


GENERATOR_WARNING = ("Using a generator with `use_multiprocessing=True` and multiple workers "
                     "may duplicate your data. Please consider using the `keras.utils.Sequence` "
                     "class.")


class Prefetcher:
    """An iterator over ``items`` (a generator) run in a background thread, a queue ahead.

    Args:
        items: a generator of ready batches; it is iterated, and closed, by the thread.
        max_queue_size: how many batches may wait ready.
    """

    def __init__(self, items, max_queue_size=10):
        self._queue = queue.Queue(max(int(max_queue_size or 1), 1))
        self._stop = threading.Event()
        self._done = False
        self._thread = threading.Thread(target=self._work, args=(items,), daemon=True,
                                        name="openkeras-prefetch")
        self._thread.start()

    def _work(self, items):
        try:
            for item in items:
                if not self._put((_ITEM, item)):
                    return
            self._put((_END, None))
        except BaseException as e:  # noqa: B036 - handed to the training thread, which raises it
            self._put((_ERROR, e))
        finally:
            items.close()  # our own generator: ends a pool it holds, never the user's source

    def _put(self, entry):
        return put_unless_stopped(self._queue, self._stop, entry)

    def __iter__(self):
        return self

    def __next__(self):
        if self._done:
            raise StopIteration
        kind, value = self._queue.get()
        if kind == _ITEM:
            return value
        self.close()
        if kind == _ERROR:
            raise value  # its traceback still holds the producer's frames
        raise StopIteration

    def close(self, timeout=_JOIN_TIMEOUT):
        """Stop the thread (after the batch it is producing, if any) and wait for it (at most
        ``timeout`` seconds; None: until it ends)."""
        self._done = True
        self._stop.set()
        with self._queue.mutex:  # unblock a producer waiting for room
            self._queue.queue.clear()
            self._queue.not_full.notify_all()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout)


def converted(iterator, convert, owned=False):
    """``convert(raw)`` for each raw batch of ``iterator``; closing it closes ``iterator``
    only when ``owned`` (one of ours: a user's generator stays usable after ``fit``)."""
    try:
        for raw in iterator:
            yield convert(raw)
    finally:
        if owned:
            iterator.close()


def sequence_items(sequence, order, workers):
    """``sequence[i]`` for ``i`` in ``order``; ``workers`` > 1 threads read ahead, in order."""
    if workers <= 1:
        for i in order:
            yield sequence[i]
        return
    with ThreadPoolExecutor(workers) as pool:
        pending = collections.deque()
        try:
            for i in order:
                pending.append(pool.submit(sequence.__getitem__, i))
                if len(pending) > workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


def process_pool(source, workers):
    """A pool of ``workers`` processes, each holding ``source`` (forked where possible, as
    Keras 2's ``multiprocessing.Pool`` was, so the source need not be picklable)."""
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    return context.Pool(workers, initializer=_init_worker, initargs=(source,))


def _init_worker(source):
    _WORKER_SOURCE[0] = source
    torch.set_num_threads(1)  # the workers share the cores with training


def _worker_item(index):
    return _WORKER_SOURCE[0][index]


def _worker_next():
    return next(_WORKER_SOURCE[0])


def pool_sequence_items(pool, order, ahead):
    """``sequence[i]`` for ``i`` in ``order``, read by ``pool``'s processes, in order."""
    pending = collections.deque()
    try:
        for i in order:
            pending.append(pool.apply_async(_worker_item, (i,)))
            if len(pending) >= ahead:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()
    finally:
        pool.terminate()
        pool.join()


def pool_generator_items(pool, ahead):
    """Items of the copies of a generator held by ``pool``'s processes (each copy yields the
    same data: Keras 2.3.1's behaviour), until one copy is exhausted."""
    pending = collections.deque()
    try:
        while True:
            while len(pending) < ahead:
                pending.append(pool.apply_async(_worker_next))
            try:
                item = pending.popleft().get()
            except StopIteration:
                return
            yield item
    finally:
        pool.terminate()
        pool.join()


def warn_generator_processes(workers, use_multiprocessing, source):
    """Keras 2.3.1's warning for a generator copied into several processes."""
    if use_multiprocessing and workers > 1 and hasattr(source, "__next__"):
        warnings.warn(GENERATOR_WARNING, UserWarning, stacklevel=4)


def pins_memory(device):
    """Whether batches made on the host go through pinned memory to ``device`` (CUDA only),
    so that their copy is asynchronous (``non_blocking=True``)."""
    return device is not None and torch.device(device).type == "cuda" \
        and torch.cuda.is_available()


def to_device(tensors, device):
    """Host tensors (None entries kept) pinned, then copied to ``device`` without waiting."""
    out = []
    for t in tensors:
        if t is not None and t.device.type == "cpu":
            t = (t if t.is_pinned() else t.pin_memory()).to(device, non_blocking=True)
        out.append(t)
    return out
