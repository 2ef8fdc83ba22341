"""Sharding of every kind of data over the processes of a ``torchrun`` launch.

``batch_size`` stays the global batch, as in Keras: each global batch is split over the
processes as evenly as possible (10 samples on 3 processes: 4, 3, 3), process ``r`` taking
the ``r``-th consecutive part. How a process gets its part depends on the data:

- arrays, dicts, tensors: from the whole data, which every process holds; a shuffled pass
  uses the permutation rank 0 draws (as one process draws it), broadcast to the others;
- a torch DataLoader over a map-style Dataset with the default sampler: rebuilt with the
  same arguments and a ``DistributedBatchSampler``, so each process loads only its part;
- a ``Sequence``: batch ``i`` is read by process ``i % world`` (every process walks the same
  indices, in rank 0's order when shuffling) and broadcast from there;
- generators and iterable datasets: rank 0 reads each batch (once) and broadcasts it.

Every process then keeps its part of the broadcast batch.

Every sharded adapter records ``share`` = ``(local count, global count)`` of the batch it
last yielded (the gradient weighting reads it) and, in ``predict``, ``spans`` = ``(global
position, count)`` of each yielded part (the gathered rows are put back in input order with
it). A process whose part of a final, small global batch is empty (7 samples left for 8
processes) still takes the training step, on a stand-in whose gradient is weighted 0 and whose
loss is not logged: the batch's first sample for in-memory and broadcast data, the process's
previous batch for a DataLoader (so no sample is loaded twice); in evaluation and prediction
it skips that batch.
"""

import warnings

import torch
import torch.distributed as dist

from openkeras.engine import data_adapter as da
from openkeras.utils.data_utils import Sequence

_DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int64,
           torch.int32, torch.int16, torch.int8, torch.uint8, torch.bool]


def share(batch, rank, world):
    """``(offset, count)`` of ``rank``'s part of a global batch of ``batch`` samples."""
    base, extra = divmod(batch, world)
    return rank * base + min(rank, extra), base + (rank < extra)


def check_batch_size(batch_size, world):
    """Raise when the global batch cannot give every process at least one sample."""
    if batch_size is not None and batch_size < world:
        raise ValueError(
            f"batch_size={batch_size} is smaller than the number of processes ({world}). "
            "Under torchrun, batch_size is the global batch, split across the processes: "
            f"pass batch_size >= {world}.")


def comm_device():
    """Where collective tensors live: the current GPU with nccl, else the CPU."""
    if dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def _dtype_code(dtype):
    if dtype not in _DTYPES:
        raise TypeError(f"Cannot send a batch of dtype {dtype} between processes; supported: "
                        f"{[str(d) for d in _DTYPES]}.")
    return _DTYPES.index(dtype)


def broadcast_tensors(tensors, count, src=0):
    """Rank ``src``'s list of ``count`` tensors (None entries allowed) on every process."""
    device = comm_device()
    sender = dist.get_rank() == src
    if sender:
        meta = []
        for t in tensors:
            meta += [0] if t is None else [1, _dtype_code(t.dtype), t.dim(), *t.shape]
        meta = torch.tensor([len(meta)] + meta, dtype=torch.int64)
    else:
        meta = torch.zeros(1, dtype=torch.int64)
    head = meta[:1].to(device)
    dist.broadcast(head, src)
    body = meta[1:1 + int(head)].to(device) if sender else \
        torch.empty(int(head), dtype=torch.int64, device=device)
    dist.broadcast(body, src)
    body, out, pos = body.tolist(), [], 0
    for k in range(count):
        if not body[pos]:
            out.append(None)
            pos += 1
            continue
        dtype, ndim = _DTYPES[body[pos + 1]], body[pos + 2]
        shape = body[pos + 3:pos + 3 + ndim]
        pos += 3 + ndim
        t = tensors[k].to(device).contiguous() if sender else \
            torch.empty(shape, dtype=dtype, device=device)
        dist.broadcast(t, src)
        out.append(t)
    return out


class ShardedArrayAdapter(da.ArrayAdapter):
    """This process's part of each global batch of in-memory data.

    Args:
        adapter: the single-process ``ArrayAdapter`` (its batch size is the global batch).
        rank: this process's rank.
        world: the number of processes.
        mode: 'train' (stand-ins for empty parts), 'test' or 'predict'.
    """

    def __init__(self, adapter, rank, world, mode):
        check_batch_size(adapter.batch_size, world)
        super().__init__((adapter.xs, adapter.ys, adapter.sws), adapter.batch_size,
                         adapter.shuffle, adapter.steps_per_epoch, adapter.repeat)
        self.rank, self.world, self.train = rank, world, mode == "train"
        self.share, self.spans = None, [] if mode == "predict" else None
        counts = [torch.zeros(1, dtype=torch.int64, device=comm_device()) for _ in range(world)]
        dist.all_gather(counts, torch.tensor([self.n], device=comm_device()))
        counts = [int(c) for c in counts]
        if len(set(counts)) > 1:
            raise ValueError(
                f"The data has {self.n} samples on process {rank} but {counts} on processes "
                f"0..{world - 1}. Under torchrun every process must pass the same arrays (each "
                "takes its part of every global batch): load or generate them the same way.")

    def _order(self):
        if not self.shuffle:
            return None
        # Drawn on rank 0 exactly as one process draws it (same seed, same order), then sent.
        order = super()._order() if self.rank == 0 else torch.empty(self.n, dtype=torch.int64)
        order = order.to(comm_device())
        dist.broadcast(order, 0)
        return order.to(self.device)

    def _take(self, start, end):
        offset, count = share(end - start, self.rank, self.world)
        self.share = (count, end - start)
        if count == 0:
            if not self.train:
                return None
            offset, count = 0, 1  # stand-in, weighted 0
        elif self.spans is not None:
            self.spans.append((start + offset, count))
        return super()._take(start + offset, start + offset + count)


class _Remote:
    """Stands for a Sequence batch that process ``owner`` reads."""

    __slots__ = ("owner",)

    def __init__(self, owner):
        self.owner = owner


class SpreadSequence(Sequence):
    """A Sequence whose batch ``i`` is read by process ``i % world`` only.

    Args:
        sequence: the user's Sequence.
        rank: this process's rank.
        world: the number of processes.
    """

    def __init__(self, sequence, rank, world):
        self.sequence, self.rank, self.world = sequence, rank, world

    def __len__(self):
        return len(self.sequence)

    def __getitem__(self, index):
        owner = index % self.world
        return self.sequence[index] if owner == self.rank else _Remote(owner)

    def on_epoch_end(self):
        self.sequence.on_epoch_end()


def spread_reading(adapter, rank, world):
    """Make ``adapter`` (over a Sequence) read only this process's batches, in rank 0's order."""
    convert, shuffle = adapter.convert, adapter.shuffle

    def order():
        if not shuffle:
            return range(len(adapter.source))
        # Drawn on rank 0 exactly as one process draws it, then sent to the others.
        drawn = torch.randperm(len(adapter.source)) if rank == 0 else \
            torch.empty(len(adapter.source), dtype=torch.int64)
        drawn = drawn.to(comm_device())
        dist.broadcast(drawn, 0)
        return drawn.tolist()

    adapter.source = SpreadSequence(adapter.source, rank, world)
    adapter.convert = lambda raw: raw if isinstance(raw, _Remote) else convert(raw)
    adapter.sequence_order = order
    return adapter


class BroadcastAdapter:
    """Each batch of a generator / Sequence / iterable is read once and sent to every process.

    A Sequence's batches are read by the processes in turn (``SpreadSequence``), every process
    walking the same batch indices; other sources are read by rank 0.

    Args:
        adapter: the ``IteratorAdapter`` over the source (read on rank 0 only).
        n_inputs: the model's inputs.
        n_fed: the outputs that take targets (each with targets and sample weights).
        device: where this process's parts go.
        rank: this process's rank.
        world: the number of processes.
        mode: 'train', 'test' or 'predict'.
    """

    def __init__(self, adapter, n_inputs, n_fed, device, rank, world, mode):
        self.adapter, self.n_inputs, self.device = adapter, n_inputs, device
        self.slots = n_inputs + 2 * n_fed
        self.rank, self.world, self.train = rank, world, mode == "train"
        self.steps_per_epoch = adapter.steps_per_epoch
        self.exhausted = False
        self.share, self.spans, self._seen = None, [] if mode == "predict" else None, 0

    def batches(self):
        if isinstance(self.adapter.source, SpreadSequence):
            for item in self.adapter.batches():  # the same positions on every process
                remote = isinstance(item, _Remote)
                src = item.owner if remote else self.rank
                flat = broadcast_tensors(None if remote else self._flat(item), self.slots, src)
                part = self._part(flat)
                if part is not None:
                    yield part
            self.exhausted = self.adapter.exhausted
            return
        source = self.adapter.batches() if self.rank == 0 else None
        while True:
            if self.rank == 0:
                batch = next(source, None)
                flag = torch.tensor([0 if batch is None else 1,
                                     int(getattr(self.adapter, "exhausted", False))])
            else:
                flag = torch.zeros(2, dtype=torch.int64)
            flag = flag.to(comm_device())
            dist.broadcast(flag, 0)
            more, exhausted = flag.tolist()
            if not more:
                self.exhausted = bool(exhausted)
                return
            flat = broadcast_tensors(self._flat(batch) if self.rank == 0 else None, self.slots)
            part = self._part(flat)
            if part is not None:
                yield part

    def _flat(self, batch):
        flat = list(batch[0]) + list(batch[1] or []) + list(batch[2] or [])
        return flat + [None] * (self.slots - len(flat))

    def _part(self, flat):
        total = int(flat[0].shape[0])
        offset, count = share(total, self.rank, self.world)
        self.share = (count, total)
        start, self._seen = self._seen, self._seen + total
        if count == 0:
            if not self.train:
                return None
            offset, count = 0, 1  # stand-in, weighted 0
        elif self.spans is not None:
            self.spans.append((start + offset, count))
        n_in = self.n_inputs
        part = [None if t is None else t[offset:offset + count].to(self.device, non_blocking=True)
                for t in flat]
        fed = (self.slots - n_in) // 2
        return part[:n_in], part[n_in:n_in + fed], part[n_in + fed:]

    def on_epoch_end(self):
        self._seen = 0
        self.adapter.on_epoch_end()


class DistributedBatchSampler(torch.utils.data.Sampler):
    """Yields this process's indices of each global batch of a map-style dataset.

    One order per pass, the same on every process (seeded by ``seed`` + the pass number),
    cut into global batches of ``batch_size``, each split with ``share``. Unlike torch's
    ``DistributedSampler`` it keeps ``batch_size`` global and repeats no sample.

    Args:
        n: the dataset's length.
        batch_size: the global batch.
        shuffle: a new order every pass.
        drop_last: drop a final global batch smaller than ``batch_size``.
        rank: this process's rank.
        world: the number of processes.
        seed: the shuffling seed (the same on every process).
    """

    def __init__(self, n, batch_size, shuffle, drop_last, rank, world, seed):
        super().__init__()
        self.n, self.batch_size, self.shuffle, self.drop_last = n, batch_size, shuffle, drop_last
        self.rank, self.world, self.seed, self.epoch = rank, world, seed, 0

    def set_epoch(self, epoch):
        """Use the order of pass ``epoch`` next (passes also advance by themselves)."""
        self.epoch = epoch

    def global_sizes(self):
        """The global batch sizes of one pass."""
        full, rest = divmod(self.n, self.batch_size)
        return [self.batch_size] * full + ([rest] if rest and not self.drop_last else [])

    def __len__(self):
        return len(self.global_sizes())

    def __iter__(self):
        if self.shuffle:
            gen = torch.Generator().manual_seed(self.seed + self.epoch)
            order = torch.randperm(self.n, generator=gen).tolist()
        else:
            order = list(range(self.n))
        self.epoch += 1
        start = 0
        for size in self.global_sizes():
            offset, count = share(size, self.rank, self.world)
            if count:
                yield order[start + offset:start + offset + count]
            elif start == 0:  # nothing loaded yet to stand in (fewer samples than processes)
                yield [order[0]]
            start += size


class ShardedLoader:
    """An iterable over a rebuilt DataLoader that records each batch's share as it comes.

    Args:
        loader: the DataLoader with a ``DistributedBatchSampler``.
        sampler: that sampler.
        mode: 'train' (empty parts arrive as stand-ins), 'test' or 'predict' (they are
            dropped; 'predict' records the spans).
    """

    def __init__(self, loader, sampler, mode):
        self.loader, self.sampler, self.train = loader, sampler, mode == "train"
        self.share, self.spans = None, [] if mode == "predict" else None

    def __len__(self):
        return len(self.loader)

    def __iter__(self):
        batches, batch, start = iter(self.loader), None, 0
        for size in self.sampler.global_sizes():
            offset, count = share(size, self.sampler.rank, self.sampler.world)
            self.share = (count, size)
            if count or start == 0:
                batch = next(batches)
            if count and self.spans is not None:
                self.spans.append((start + offset, count))
            start += size
            if count or self.train:
                yield batch  # an empty part trains on the last batch again, weighted 0


def shard_loader(loader, rank, world, mode, seed):
    """``(iterable, note)``: ``loader`` rebuilt to load this process's parts, or left as is.

    A DataLoader with its own sampler or batch sampler is kept (each process reads it as
    given, so it should be a distributed one); the note says so.
    """
    default = (torch.utils.data.SequentialSampler, torch.utils.data.RandomSampler)
    batch_sampler = loader.batch_sampler
    if isinstance(loader.dataset, torch.utils.data.IterableDataset):
        return None, None
    if (loader.batch_size is None or type(batch_sampler) is not torch.utils.data.BatchSampler
            or type(loader.sampler) not in default):
        return loader, (
            f"The DataLoader has its own sampler ({type(loader.sampler).__name__}, batch sampler "
            f"{type(batch_sampler).__name__}): openkeras keeps it, so every process reads the "
            "loader as given and its batches are that process's part of the step (make the "
            "sampler a distributed one, with the same number of batches on every process).")
    check_batch_size(loader.batch_size, world)
    sampler = DistributedBatchSampler(
        len(loader.dataset), loader.batch_size, isinstance(loader.sampler, torch.utils.data.RandomSampler),
        loader.drop_last, rank, world, seed)
    kwargs = {"num_workers": loader.num_workers, "collate_fn": loader.collate_fn,
              "pin_memory": loader.pin_memory or torch.cuda.is_available(),
              "timeout": loader.timeout, "worker_init_fn": loader.worker_init_fn,
              "multiprocessing_context": loader.multiprocessing_context,
              "generator": loader.generator}
    if loader.num_workers:
        kwargs.update(prefetch_factor=loader.prefetch_factor,
                      persistent_workers=loader.persistent_workers)
    rebuilt = torch.utils.data.DataLoader(loader.dataset, batch_sampler=sampler, **kwargs)
    return ShardedLoader(rebuilt, sampler, mode), None


def positions(spans, device):
    """The global positions of this process's rows, from its ``spans``."""
    parts = [torch.arange(start, start + count) for start, count in spans]
    return (torch.cat(parts) if parts else torch.zeros(0, dtype=torch.int64)).to(device)


def gather_rows(local, pos, world):
    """Every process's rows of one output put together in global order (on every process).

    Args:
        local: this process's rows (possibly none), with the output's trailing shape.
        pos: their global positions.
        world: the number of processes.
    """
    device = comm_device()
    counts = [torch.zeros(1, dtype=torch.int64, device=device) for _ in range(world)]
    dist.all_gather(counts, torch.tensor([local.shape[0]], device=device))
    counts = [int(c) for c in counts]
    most = max(counts)
    padded = torch.zeros((most,) + tuple(local.shape[1:]), dtype=local.dtype, device=device)
    padded[:local.shape[0]] = local.to(device)
    where = torch.zeros(most, dtype=torch.int64, device=device)
    where[:pos.shape[0]] = pos.to(device)
    rows = [torch.empty_like(padded) for _ in range(world)]
    spots = [torch.empty_like(where) for _ in range(world)]
    dist.all_gather(rows, padded)
    dist.all_gather(spots, where)
    out = torch.empty((sum(counts),) + tuple(local.shape[1:]), dtype=local.dtype, device=device)
    for r in range(world):
        out[spots[r][:counts[r]]] = rows[r][:counts[r]]
    return out


_WARNED = set()


def warn_once(message):
    """Warn with ``message`` the first time only (in this process)."""
    if message not in _WARNED:
        _WARNED.add(message)
        warnings.warn(message, stacklevel=4)
