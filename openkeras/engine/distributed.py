"""Data-parallel training over several processes (``torchrun``), picked up by ``fit``.

When ``torch.distributed`` is initialized, or the ``torchrun`` environment variables
(WORLD_SIZE, RANK, LOCAL_RANK, MASTER_ADDR) are set with WORLD_SIZE > 1 (then the process
group is created here: 'nccl' on CUDA, 'gloo' on CPU), ``fit``:

- runs on ``cuda:LOCAL_RANK`` (or the CPU) and trains through ``DistributedDataParallel``, so
  gradients are averaged over the processes;
- gives every process its share of array data: one permutation per pass, the same on every
  process (from a seed rank 0 draws), split with a stride as ``DistributedSampler`` does and
  padded by wrapping around so every process takes the same number of steps;
- sums the loss and metric states over the processes at the end of each epoch (and of each
  evaluation), so every process logs the global values;
- prints the progress bar and runs ModelCheckpoint, CSVLogger, TensorBoard and
  BackupAndRestore on rank 0 only.

In a single process nothing here runs: ``session`` returns None after one cheap check.
"""

import math
import os

import torch
import torch.distributed as dist

from openkeras import config
from openkeras.engine import data_adapter as da

_ENV = ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR")
_RANK0_ONLY = frozenset({"ModelCheckpoint", "CSVLogger", "TensorBoard", "BackupAndRestore"})
_setup_done = False


def active() -> bool:
    """Whether several processes train together (initializing the process group if needed)."""
    global _setup_done
    if _setup_done:
        return dist.is_initialized()
    if not dist.is_available():
        return False
    if not dist.is_initialized():
        if not all(key in os.environ for key in _ENV) or int(os.environ["WORLD_SIZE"]) < 2:
            return False
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    _setup_done = True
    _choose_device()
    return True


def _choose_device():
    """``cuda:LOCAL_RANK`` for this process, unless a device was forced in config."""
    if not torch.cuda.is_available() or dist.get_backend() != "nccl":
        return
    local_rank = int(os.environ.get("LOCAL_RANK", dist.get_rank() % torch.cuda.device_count()))
    torch.cuda.set_device(local_rank)
    if config.device() == torch.device("cuda"):  # the automatic choice, not a forced one
        config.set_device(f"cuda:{local_rank}")


def rank() -> int:
    """This process's rank (0 in a single process)."""
    return dist.get_rank() if active() else 0


def quiet(verbose):
    """``verbose`` on rank 0, 0 on the other ranks (and unchanged in a single process)."""
    return verbose if not active() or dist.get_rank() == 0 else 0


def session(model):
    """A ``FitSession`` for ``model`` when several processes train together, else None."""
    return FitSession(model) if active() else None


class FitSession:
    """What one ``fit`` (or ``evaluate``) needs to run data-parallel.

    Args:
        model: the model being trained.
    """

    def __init__(self, model):
        self.model = model
        self.rank = dist.get_rank()
        self.world = dist.get_world_size()

    def begin(self, verbose, callbacks):
        """``(verbose, callbacks)`` for this rank: silent, without file writers, off rank 0."""
        if self.rank == 0:
            return verbose, callbacks
        kept = [cb for cb in callbacks or []
                if not _RANK0_ONLY & {c.__name__ for c in type(cb).__mro__}]
        return 0, kept

    def prepare(self, runner, train, val):
        """Shard the data and route training forwards through DDP; returns ``(train, val)``."""
        wrap(runner, self.model)
        return self.shard(train, "train"), None if val is None else self.shard(val, "test")

    def shard(self, adapter, mode):
        """This rank's share of an array adapter (iterator sources are left as they are)."""
        if isinstance(adapter, da.ArrayAdapter):
            one_pass = math.ceil(adapter.n / adapter.batch_size)
            steps = None if adapter.steps_per_epoch == one_pass else adapter.steps_per_epoch
            adapter = ShardedArrayAdapter(
                (adapter.xs, adapter.ys, adapter.sws), adapter.batch_size, adapter.shuffle,
                steps, adapter.repeat, rank=self.rank, world=self.world, pad=mode == "train")
        adapter.reduce_metrics = True
        return adapter

    def end_epoch(self, runner):
        """Sum the metric states over the ranks and give every rank rank 0's other weights."""
        reduce_metrics(runner)
        captured = {id(p) for p in runner.params}
        with torch.no_grad():
            for p in self.model.parameters():
                if id(p) not in captured:
                    dist.broadcast(p.data, 0)
            for b in self.model.buffers():
                dist.broadcast(b, 0)


class _StepModule(torch.nn.Module):
    """The module DDP wraps: its forward is the runner's model forward."""

    def __init__(self, model, forward):
        super().__init__()
        self.model = model
        self.step_forward = forward

    def forward(self, xs, training):
        return self.step_forward(xs, training)


def wrap(runner, model):
    """Make ``runner``'s training forwards go through ``DistributedDataParallel`` (once).

    Inference forwards (``training=False`` or no gradients) keep the plain path. Weights that
    get no gradient (an output without a loss) are allowed: DDP runs with
    ``find_unused_parameters=True`` (one walk of the autograd graph per step).
    """
    if getattr(runner, "ddp", None) is not None:
        return
    plain = type(runner).forward.__get__(runner)
    device = next(model.parameters()).device
    with runner.trainable_scope():  # DDP reduces exactly the weights that require gradients
        ddp = torch.nn.parallel.DistributedDataParallel(
            _StepModule(model, plain),
            device_ids=[device.index] if device.type == "cuda" else None,
            find_unused_parameters=True)

    def forward(xs, training):
        if training and torch.is_grad_enabled():
            return ddp(xs, training)
        return plain(xs, training)

    runner.ddp = ddp
    runner.forward = forward


def reduce_metrics(runner):
    """Sum the loss trackers' and metrics' states over the ranks, in one all-reduce."""
    trackers = [runner.loss_tracker] + runner.output_trackers
    states = [m.metric._states_on(m.metric._device or "cpu") for m in runner.metrics]
    device = next(runner.model.parameters()).device
    parts = []
    for t in trackers:
        total = t.total if t.total is not None else torch.zeros((), device=device)
        parts += [total.reshape(1).to(device, torch.float64),
                  torch.tensor([float(t.count)], dtype=torch.float64, device=device)]
    for state in states:
        parts += [v.reshape(-1).to(device, torch.float64) for v in state.values()]
    flat = torch.cat(parts)
    dist.all_reduce(flat)
    pos = 0
    for t in trackers:
        if t.total is None:
            t.total = torch.zeros((), dtype=torch.float32, device=device)
        t.total.copy_(flat[pos].to(t.total.dtype))
        t.count = int(round(float(flat[pos + 1])))
        pos += 2
    for state in states:
        for value in state.values():
            n = value.numel()
            value.copy_(flat[pos:pos + n].reshape(value.shape).to(value.dtype))
            pos += n


class ShardedArrayAdapter(da.ArrayAdapter):
    """One rank's strided share of in-memory data; each pass is ordered the same on all ranks.

    Args:
        tensors: ``(xs, ys, sws)`` of the whole data set.
        batch_size: samples per batch on this rank.
        shuffle: True, 'batch' (shuffle ``batch_size * world`` blocks) or False.
        steps: batches per epoch (default: one pass over this rank's share).
        repeat: as ``ArrayAdapter``.
        rank: this process's rank.
        world: the number of processes.
        pad: repeat samples from the start so every rank gets ``ceil(n / world)`` of them
            (training: equal step counts); otherwise shares differ by at most one sample
            (evaluation: every sample counted once).
    """

    def __init__(self, tensors, batch_size, shuffle, steps, repeat, rank, world, pad):
        super().__init__(tensors, batch_size, shuffle, steps, repeat)
        self.total, self.rank, self.world = self.n, rank, world
        self.pad = pad or self.total < world
        self.n = (math.ceil(self.total / world) if self.pad
                  else len(range(rank, self.total, world)))
        self.steps_per_epoch = steps or math.ceil(self.n / self.batch_size)
        self._start = self.n
        seed = torch.randint(0, 2 ** 62, (1,), dtype=torch.int64) if shuffle else torch.zeros(1)
        seed = seed.to(torch.int64).to(_comm_device())
        dist.broadcast(seed, 0)
        self._seed, self._passes = int(seed), 0

    def _order(self):
        gen = torch.Generator().manual_seed(self._seed + self._passes)
        self._passes += 1
        if self.shuffle == "batch":
            block = self.batch_size * self.world
            nb = self.total // block
            starts = torch.randperm(nb, generator=gen)[:, None] * block
            order = torch.cat([(starts + torch.arange(block)).reshape(-1),
                               torch.arange(nb * block, self.total)])
        elif self.shuffle:
            order = torch.randperm(self.total, generator=gen)
        else:
            order = torch.arange(self.total)
        if self.pad:
            order = order.repeat(math.ceil(self.n * self.world / self.total))
            order = order[:self.n * self.world]
        return order[self.rank::self.world].to(self.device)


def _comm_device():
    return torch.device("cuda", torch.cuda.current_device()) if (
        dist.get_backend() == "nccl") else torch.device("cpu")
