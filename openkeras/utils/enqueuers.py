"""Keras 2's enqueuers: read batches from a Sequence or a generator ahead, in worker threads.

``OrderedEnqueuer`` fetches ``sequence[i]`` for upcoming indices on a thread pool and yields
them in order; ``GeneratorEnqueuer`` pulls from a generator on worker threads (a lock keeps
the generator itself single-threaded). Both feed a bounded queue, as Keras 2's did.
``use_multiprocessing=True`` is accepted and runs the same work in threads (torch tensors and
CUDA do not survive forked workers well), with a warning.
"""

import queue
import random
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np

# uid -> Sequence or generator being read by an enqueuer (Keras 2's worker-side globals).
_SHARED_SEQUENCES = {}
_UID_LOCK = threading.Lock()
_NEXT_UID = [0]


def init_pool(seqs):
    """Make ``seqs`` (``{uid: sequence}``) visible to ``get_index`` (a pool initializer)."""
    _SHARED_SEQUENCES.update(seqs)


def get_index(uid, i):
    """Item ``i`` of the sequence registered under ``uid``."""
    return _SHARED_SEQUENCES[uid][i]


def init_pool_generator(gens, random_seed=None):
    """Register generators for ``next_sample`` and seed NumPy/Python in the worker."""
    _SHARED_SEQUENCES.update(gens)
    if random_seed is not None:
        np.random.seed(random_seed)
        random.seed(random_seed)


def next_sample(uid):
    """The next item of the generator registered under ``uid``."""
    return next(_SHARED_SEQUENCES[uid])


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


def _new_uid():
    with _UID_LOCK:
        _NEXT_UID[0] += 1
        return _NEXT_UID[0]


class SequenceEnqueuer:
    """Base class: ``start(workers, max_queue_size)``, ``get()`` (a generator), ``stop()``.

    Args:
        sequence: a ``keras.utils.Sequence`` (OrderedEnqueuer) or a generator.
        use_multiprocessing: accepted for Keras 2 code; the workers are threads.
    """

    def __init__(self, sequence, use_multiprocessing=False):
        self.sequence = sequence
        self.use_multiprocessing = use_multiprocessing
        if use_multiprocessing:
            warnings.warn("openkeras enqueuers run their workers in threads; "
                          "use_multiprocessing=True is treated as False.", stacklevel=3)
        self.uid = _new_uid()
        self.workers = 0
        self.queue = None
        self.stop_signal = None
        self.run_thread = None
        self.executor = None

    def is_running(self):
        return self.stop_signal is not None and not self.stop_signal.is_set()

    def start(self, workers=1, max_queue_size=10):
        """Start filling the queue.

        Args:
            workers: number of worker threads (>= 1).
            max_queue_size: the most batches read ahead.
        """
        if workers < 1:
            raise ValueError(f"{type(self).__name__}.start: `workers` must be >= 1. "
                             f"Received: workers={workers}")
        self.workers = workers
        self.queue = queue.Queue(max(1, max_queue_size))
        self.stop_signal = threading.Event()
        _SHARED_SEQUENCES[self.uid] = self.sequence
        self.executor = ThreadPoolExecutor(workers)
        self.run_thread = threading.Thread(target=self._run, daemon=True)
        self.run_thread.start()

    def _put(self, item):
        return put_unless_stopped(self.queue, self.stop_signal, item)

    def stop(self, timeout=None):
        """Stop the workers and wait for the feeding thread (at most ``timeout`` seconds)."""
        if self.stop_signal is None:
            return
        self.stop_signal.set()
        with self.queue.mutex:
            self.queue.queue.clear()
            self.queue.not_full.notify_all()
        if self.run_thread is not None:
            self.run_thread.join(timeout)
        if self.executor is not None:
            self.executor.shutdown(wait=False, cancel_futures=True)
        _SHARED_SEQUENCES.pop(self.uid, None)
        self.run_thread = None

    def __del__(self):
        if self.is_running():
            self.stop_signal.set()

    def _run(self):
        raise NotImplementedError

    def get(self):
        """Yield the queued batches until stopped (re-raising a worker's exception)."""
        ended = 0
        while self.is_running() or (self.queue is not None and not self.queue.empty()):
            try:
                kind, value = self.queue.get(timeout=0.05)
            except queue.Empty:
                continue
            if kind == "error":
                self.stop()
                raise value
            if kind == "end":  # one per generator worker: the others may still hold an item
                ended += 1
                if ended >= self.workers:
                    return
                continue
            yield value


class OrderedEnqueuer(SequenceEnqueuer):
    """Reads a ``Sequence`` ahead on worker threads and yields its batches in order.

    Args:
        sequence: a ``keras.utils.Sequence``.
        use_multiprocessing: accepted; workers are threads.
        shuffle: shuffle the batch order at each epoch.
    """

    def __init__(self, sequence, use_multiprocessing=False, shuffle=False):
        super().__init__(sequence, use_multiprocessing)
        self.shuffle = shuffle

    def _run(self):
        while not self.stop_signal.is_set():
            order = list(range(len(self.sequence)))
            if self.shuffle:
                random.shuffle(order)
            # Submit at most `workers + queue size` reads ahead so memory stays bounded.
            pending = []
            ahead = self.workers + self.queue.maxsize
            it = iter(order)
            for i in it:
                pending.append(self.executor.submit(get_index, self.uid, i))
                if len(pending) >= ahead:
                    break
            while pending:
                try:
                    item = pending.pop(0).result()
                except Exception as e:  # a failing __getitem__ ends the enqueuer
                    self._put(("error", e))
                    return
                if not self._put(("item", item)):
                    return
                nxt = next(it, None)
                if nxt is not None and not self.stop_signal.is_set():
                    pending.append(self.executor.submit(get_index, self.uid, nxt))
            if self.stop_signal.is_set():
                return
            self.sequence.on_epoch_end()


class GeneratorEnqueuer(SequenceEnqueuer):
    """Pulls batches from a generator on worker threads into a queue.

    Args:
        generator: a Python generator (or iterator) of batches; it is read under a lock.
        use_multiprocessing: accepted; workers are threads.
        wait_time: accepted for Keras 2 compatibility (unused).
        random_seed: seeds NumPy and Python's random at start.
    """

    def __init__(self, generator, use_multiprocessing=False, wait_time=None, random_seed=None,
                 sequence=None):
        super().__init__(generator if sequence is None else sequence, use_multiprocessing)
        self.random_seed = random_seed
        self._lock = threading.Lock()

    def _pull(self):
        with self._lock:
            return next(self.sequence)

    def _run(self):
        if self.random_seed is not None:
            init_pool_generator({}, self.random_seed)

        def worker():
            while not self.stop_signal.is_set():
                try:
                    item = self._pull()
                except StopIteration:
                    self._put(("end", None))
                    return
                except Exception as e:
                    self._put(("error", e))
                    return
                if not self._put(("item", item)):
                    return

        futures = [self.executor.submit(worker) for _ in range(self.workers)]
        for f in futures:
            f.result()
