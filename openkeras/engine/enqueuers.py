"""Keras 2's public enqueuers (``keras.utils.data_utils``), read by ``engine.prefetch``.

``OrderedEnqueuer`` yields a Sequence's batches in order, epoch after epoch, forever;
``GeneratorEnqueuer`` yields a generator's until it ends. Both read ahead as ``fit`` does:
a background thread, a thread pool for a Sequence with ``workers`` > 1, and ``workers``
processes with ``use_multiprocessing=True`` (a generator is then copied into each process,
as in Keras 2, with Keras 2.3.1's warning). Worker processes are made in the thread that
calls ``start()`` / ``get()``, a new pool each epoch after ``on_epoch_end``, so they see the
Sequence as it is then (Keras 2.2.4 made its pool each epoch too).
"""

import itertools
import multiprocessing
import random
import threading
import warnings

import numpy as np

from openkeras.engine import prefetch

# uid -> Sequence or generator of a running enqueuer (Keras 2's ``_SHARED_SEQUENCES``, read by
# ``get_index`` / ``next_sample`` for code that drives its own pool with them).
_SHARED_SEQUENCES = {}
_UIDS = itertools.count()


def init_pool(seqs):
    """Make ``seqs`` (``{uid: sequence}``) visible to ``get_index`` (a pool initializer).

    Args:
        seqs: dict from enqueuer uid to Sequence.
    """
    _SHARED_SEQUENCES.update(seqs)


def get_index(uid, i):
    """Item ``i`` of the Sequence registered under ``uid``.

    Args:
        uid: the enqueuer's ``uid``.
        i: the batch index.
    """
    return _SHARED_SEQUENCES[uid][i]


def init_pool_generator(gens, random_seed=None):
    """Register generators for ``next_sample``; seed NumPy with ``random_seed`` plus the
    process id, so that each worker process draws its own numbers (as Keras 2 did).

    Args:
        gens: dict from enqueuer uid to generator.
        random_seed: None, or the base seed.
    """
    _SHARED_SEQUENCES.update(gens)
    if random_seed is not None:
        np.random.seed((random_seed + multiprocessing.current_process().ident) % 2 ** 32)


def next_sample(uid):
    """The next item of the generator registered under ``uid``.

    Args:
        uid: the enqueuer's ``uid``.
    """
    return next(_SHARED_SEQUENCES[uid])


class _SeededGenerator:
    """A generator that, in each worker process, seeds NumPy before its first item."""

    def __init__(self, generator, random_seed):
        self.generator = generator
        self.random_seed = random_seed
        self.seeded = False

    def __next__(self):
        if not self.seeded:  # runs in the worker: the parent's numbers stay as they were
            init_pool_generator({}, self.random_seed)
            self.seeded = True
        return next(self.generator)


class SequenceEnqueuer:
    """Base class: ``start(workers, max_queue_size)``, ``get()`` (a generator), ``stop()``.

    Args:
        sequence: a ``keras.utils.Sequence`` (OrderedEnqueuer) or a generator.
        use_multiprocessing: read in ``workers`` processes instead of threads.
    """

    def __init__(self, sequence, use_multiprocessing=False):
        self.sequence = sequence
        self.use_multiprocessing = use_multiprocessing
        self.uid = next(_UIDS)
        self.workers = 0
        self.max_queue_size = 10
        self.stop_signal = None
        self.reader = None  # the prefetch.Prefetcher of the current pass

    def is_running(self):
        return self.stop_signal is not None and not self.stop_signal.is_set()

    def start(self, workers=1, max_queue_size=10):
        """Start reading ahead.

        Args:
            workers: number of worker threads (or processes), >= 1.
            max_queue_size: the most batches kept ready.
        """
        if workers < 1:
            raise ValueError(f"{type(self).__name__}.start: `workers` must be >= 1. "
                             f"Received: workers={workers!r}")
        self.workers = workers
        self.max_queue_size = max_queue_size
        self.stop_signal = threading.Event()
        _SHARED_SEQUENCES[self.uid] = self.sequence
        self.reader = prefetch.Prefetcher(self._items(), max_queue_size)

    def stop(self, timeout=None):
        """Stop the workers (threads end after the item they are reading; processes are
        terminated) and wait for them.

        Args:
            timeout: the most seconds to wait for the reading thread (None: until it ends).
        """
        if self.stop_signal is None:
            return
        self.stop_signal.set()
        if self.reader is not None:
            self.reader.close(timeout)
            self.reader = None
        _SHARED_SEQUENCES.pop(self.uid, None)

    def __del__(self):
        if getattr(self, "stop_signal", None) is not None and self.is_running():
            self.stop_signal.set()
            if self.reader is not None:
                self.reader.close(0)

    def _items(self):
        """A generator (ours, so that closing it never closes the user's) of one pass."""
        raise NotImplementedError

    def _next_pass(self):
        """A reader of the next pass, or None when the source has ended."""
        return None

    def get(self):
        """Yield the batches (items that are None are skipped, as in Keras 2) until stopped or
        the source ends; a worker's exception stops the enqueuer and is raised here."""
        try:
            while self.is_running():
                try:
                    item = next(self.reader)
                except StopIteration:
                    self.reader = self._next_pass() if self.is_running() else None
                    if self.reader is None:
                        return
                    continue
                if item is not None:
                    yield item
        except Exception:
            self.stop()
            raise


class OrderedEnqueuer(SequenceEnqueuer):
    """Reads a ``Sequence`` ahead and yields its batches in order, looping over epochs.

    ``sequence.on_epoch_end()`` runs between epochs; with ``shuffle`` each epoch visits the
    batches in a new order (Python's ``random``, as in Keras 2).

    Args:
        sequence: a ``keras.utils.Sequence``.
        use_multiprocessing: read in ``workers`` processes (forked with the Sequence).
        shuffle: shuffle the batch order at each epoch.
    """

    def __init__(self, sequence, use_multiprocessing=False, shuffle=False):
        super().__init__(sequence, use_multiprocessing)
        self.shuffle = shuffle
        self.end_of_epoch_signal = threading.Event()

    def _items(self):
        order = list(range(len(self.sequence)))
        if self.shuffle:
            random.shuffle(order)
        if self.use_multiprocessing:
            pool = prefetch.process_pool(self.sequence, self.workers)
            return prefetch.pool_sequence_items(pool, order, self.workers + self.max_queue_size)
        return prefetch.sequence_items(self.sequence, order, self.workers)

    def _next_pass(self):
        self.sequence.on_epoch_end()
        self.end_of_epoch_signal.set()
        return prefetch.Prefetcher(self._items(), self.max_queue_size)

    def join_end_of_epoch(self):
        """Wait (at most 30 s) until an epoch has ended (Keras 2.3.1)."""
        self.end_of_epoch_signal.wait(timeout=30)
        self.end_of_epoch_signal.clear()


class GeneratorEnqueuer(SequenceEnqueuer):
    """Reads a generator ahead into a queue until it ends.

    With threads one background thread calls ``next`` (so the generator needs no lock);
    with ``use_multiprocessing=True`` each of the ``workers`` processes holds a copy of the
    generator, which duplicates its data as in Keras 2.

    Args:
        sequence: the generator (``generator=`` is accepted, tf.keras's name).
        use_multiprocessing: read copies of the generator in ``workers`` processes.
        wait_time: unused (Keras 2 deprecated it).
        random_seed: with processes, each worker seeds NumPy with it plus its process id.
    """

    def __init__(self, sequence=None, use_multiprocessing=False, wait_time=None,
                 random_seed=None, generator=None):
        if (sequence is None) == (generator is None):
            raise ValueError("GeneratorEnqueuer: pass the generator once, as `sequence` or "
                             f"`generator`. Received: sequence={sequence!r}, "
                             f"generator={generator!r}")
        super().__init__(generator if sequence is None else sequence, use_multiprocessing)
        self.random_seed = random_seed
        if wait_time is not None:
            warnings.warn("`wait_time` is not used anymore.", DeprecationWarning, stacklevel=2)

    def _items(self):
        if not self.use_multiprocessing:
            return (item for item in self.sequence)
        prefetch.warn_generator_processes(self.workers, True, self.sequence)
        source = self.sequence
        if self.random_seed is not None:
            source = _SeededGenerator(source, self.random_seed)
        pool = prefetch.process_pool(source, self.workers)
        return prefetch.pool_generator_items(pool, self.workers)
