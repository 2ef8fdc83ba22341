"""Thread settings that hold up when other processes share the CPU.

torch runs its CPU kernels on an OpenMP team of one thread per allowed core. Between parallel
regions GNU OpenMP (the runtime torch's Linux wheels ship) keeps the team's threads spinning,
so when another process holds a core, every region waits until the scheduler gives a spinning
thread its core back: a 100-32-10 MLP then trains 10-100x slower, the MNIST MLP ~40x
(benchmarks/bench_threads.py, docs/performance.md). Unless the user chose a thread count,
openkeras therefore runs fit / evaluate / predict (and ``*_on_batch``) of a small model on one
intra-op thread (a thread team costs more than it saves there, and one thread never waits for
a team) and other work on the allowed cores that other processes leave free, putting torch's
count back when the call returns.

It sets no OpenMP wait policy: ``OMP_WAIT_POLICY=PASSIVE`` makes a team robust to load but,
measured on a quiet 2-core VM, makes the MNIST MLP ~45% and the MNIST CNN ~2x slower (every
parallel region wakes a sleeping thread). Users who share a machine can still set it.

The user's choice wins: ``OMP_NUM_THREADS`` / ``MKL_NUM_THREADS``, ``torch.set_num_threads``
(called before or after importing openkeras, with a count other than torch's default) and
``openkeras.config.set_threads(n)`` (keras.json ``"threads"``) leave the thread count alone.
"""

import contextlib
import os
import time
import weakref

import torch

from openkeras import config

THREAD_COUNT_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS")

# Below this many multiply-adds per step (forward pass), one thread is as fast as two or
# faster: the 100-32-10 MLP at batch 32 does 0.11M. See the sweep in docs/performance.md.
SMALL_STEP = 4_000_000


def allowed_cores() -> int:
    """The cores this process may run on (its affinity mask)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


# torch's count when openkeras loaded (before keras.json's "threads", if any, fixed another).
BASELINE = config.threads_before() if config.threads() is not None else torch.get_num_threads()
# A count other than torch's default (one thread per allowed core) was set by the user.
_USER_COUNT = (any(os.environ.get(name) for name in THREAD_COUNT_VARS)
               or BASELINE != allowed_cores())


def _flat_shapes(shapes):
    if isinstance(shapes, (list, tuple)) and all(d is None or isinstance(d, int) for d in shapes):
        return [tuple(shapes)]
    if isinstance(shapes, (list, tuple)):
        return [s for item in shapes for s in _flat_shapes(item)]
    return []


def _positions(shapes):
    """How often a layer's weights are applied per sample: the product of the dims between
    batch and channels (image pixels, timesteps); None when one is unknown."""
    best = 1
    for shape in _flat_shapes(shapes):
        count = 1
        for dim in shape[1:-1]:
            if dim is None:
                return None
            count *= dim
        best = max(best, count)
    return best


def work_per_sample(model):
    """Multiply-adds per sample of a forward pass, roughly: each layer's weights times the
    positions they are applied at; None when a layer with weights has unknown shapes."""
    total = 0
    for layer in getattr(model, "layers", None) or []:
        if getattr(layer, "layers", None):
            inner = work_per_sample(layer)
            if inner is None:
                return None
            total += inner * max(1, len(getattr(layer, "_inbound_nodes", ())))
            continue
        params = sum(p.numel() for p in layer.parameters())
        if not params:
            continue
        nodes = getattr(layer, "_inbound_nodes", None)
        if not nodes:
            return None
        for node in nodes:
            positions = [_positions(node.input_shapes), _positions(node.output_shapes)]
            if None in positions:
                return None
            total += params * max(positions)
    return total if getattr(model, "layers", None) else None


_WORK = weakref.WeakKeyDictionary()  # model -> (submodule count, work per sample)


def _cached_work(model):
    # Submodules two levels down notice Sequential.add; ``model.layers`` costs ~5 us a call.
    modules = model.__dict__.get("_modules", {})
    key = sum(len(sub.__dict__.get("_modules", ())) for sub in modules.values()) + len(modules)
    cached = _WORK.get(model)
    if cached is None or cached[0] != key:
        cached = (key, work_per_sample(model))
        _WORK[model] = cached
    return cached[1]


def busy_elsewhere(loadavg: str, own_running: int, cores: int, online: int) -> float:
    """Runnable threads of other processes on this process's cores, from ``/proc/loadavg``.

    Args:
        loadavg: the text of ``/proc/loadavg`` (its 4th field is ``running/total``).
        own_running: this process's threads that are running (they are in that count).
        cores: the cores this process may use.
        online: the machine's cores (the count is machine-wide; spread it evenly).
    """
    running = int(loadavg.split()[3].split("/")[0])
    return max(0, running - own_running) * cores / max(online, cores)


def _own_running() -> int:
    count = 0
    try:
        for tid in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{tid}/stat") as f:
                count += f.read().rsplit(")", 1)[1].split()[0] == "R"
    except (OSError, IndexError):
        return 1
    return count


_FREE = [-1.0, 0]  # [when, cores]: reading /proc costs 0.1-0.5 ms on a loaded machine


def free_cores(limit: int, max_age: float = 1.0) -> int:
    """The allowed cores not busy with other processes (at least 1, at most ``limit``).

    Args:
        limit: the most cores to return.
        max_age: seconds a previous answer is reused for.
    """
    now = time.monotonic()
    if now - _FREE[0] > max_age:
        _FREE[:] = [now, _count_free()]
    return max(1, min(limit, _FREE[1]))


def _count_free():
    try:
        with open("/proc/loadavg") as f:
            loadavg = f.read()
        busy = busy_elsewhere(loadavg, _own_running(), allowed_cores(), os.cpu_count() or 1)
    except (OSError, ValueError, IndexError):
        return allowed_cores()
    return allowed_cores() - round(busy)


def choose(model, batch_size) -> int | None:
    """The intra-op threads for a run of ``model`` at ``batch_size``; None: leave them be.

    Args:
        model: the model to run.
        batch_size: samples per step (None: Keras's default 32).
    """
    if config.threads() is not None or _USER_COUNT or BASELINE <= 1:
        return None
    if torch.get_num_threads() != BASELINE:  # the user's torch.set_num_threads, or a nested run
        return None
    work = _cached_work(model)
    if work is not None and work * (batch_size or 32) < SMALL_STEP:
        return 1
    return free_cores(BASELINE)


class _Scope:
    """Sets torch's intra-op threads on entry; puts the previous count back on exit."""

    __slots__ = ("chosen", "before")

    def __init__(self, chosen, before):
        self.chosen, self.before = chosen, before

    def __enter__(self):
        torch.set_num_threads(self.chosen)

    def __exit__(self, *exc_info):
        if torch.get_num_threads() == self.chosen:  # unless the block set its own count
            torch.set_num_threads(self.before)
        return False


_UNCHANGED = contextlib.nullcontext()


def sized_for(model, batches):
    """A context that runs its block with the threads ``choose`` picks, then puts them back.

    Args:
        model: the model fit / evaluate / predict (or ``*_on_batch``) runs.
        batches: the data adapter (its ``batch_size`` and sample count ``n``, when known), or
            the number of samples in the one batch.
    """
    if isinstance(batches, int):
        batch_size = batches
    else:
        batch_size = getattr(batches, "batch_size", None)
        samples = getattr(batches, "n", None)
        if batch_size and samples:
            batch_size = min(batch_size, samples)
    chosen = choose(model, batch_size)
    if chosen is None or chosen == BASELINE:  # choose answers only at torch's BASELINE count
        return _UNCHANGED
    return _Scope(chosen, BASELINE)
