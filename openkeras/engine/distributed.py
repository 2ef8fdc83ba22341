"""Data-parallel training over several processes (``torchrun``), picked up by ``fit``.

When ``torch.distributed`` is initialized, or the ``torchrun`` environment variables
(WORLD_SIZE, RANK, LOCAL_RANK, MASTER_ADDR) are set with WORLD_SIZE > 1 (then the process
group is created here: 'nccl' on CUDA, 'gloo' on CPU), ``fit``, ``evaluate`` and ``predict``:

- run on ``cuda:LOCAL_RANK`` (or the CPU); training steps go through
  ``DistributedDataParallel``;
- keep ``batch_size`` (and ``steps_per_epoch``, ``validation_steps``, ``steps``) global, as
  Keras means them: each global batch is split over the processes (see ``distributed_data``);
- weight each process's gradient by its share of the global batch and sum (a DDP
  communication hook), so N steps at global batch B give the weights of one process at B;
- sum the loss and metric states over the processes at the end of each epoch and evaluation,
  so every process logs (and its callbacks decide on) the global values;
- gather ``predict``'s rows from every process, in input order, on every process;
- print the progress bar and run ModelCheckpoint, CSVLogger, TensorBoard and
  BackupAndRestore on rank 0 only.

In a single process nothing here runs: ``session`` returns None after one cheap check.
"""

import os

import torch
import torch.distributed as dist

from openkeras import config
from openkeras.engine import data_adapter as da
from openkeras.engine import distributed_data as dd
from openkeras.engine.data_handler import DataHandler

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
    count = torch.cuda.device_count()
    local_rank = os.environ.get("LOCAL_RANK")
    local_rank = int(local_rank) if local_rank is not None else dist.get_rank() % count
    if local_rank >= count:
        raise RuntimeError(
            f"LOCAL_RANK={local_rank} but this machine shows {count} GPU(s): with nccl, run one "
            f"process per GPU (torchrun --nproc_per_node={count}).")
    torch.cuda.set_device(local_rank)
    if config.device() == torch.device("cuda"):  # the automatic choice, not a forced one
        config.set_device(f"cuda:{local_rank}")


def rank() -> int:
    """This process's rank (0 in a single process)."""
    return dist.get_rank() if active() else 0


def session(model):
    """A ``FitSession`` for ``model`` when several processes train together, else None."""
    return FitSession(model) if active() else None


class FitSession:
    """What one ``fit``, ``evaluate`` or ``predict`` needs to run data-parallel.

    Args:
        model: the model.
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
        """Shard the data and route training through DDP; returns ``(train, val)``."""
        state = wrap(runner, self.model)
        train = _Weighted(self.shard(train, "train"), state)
        return train, None if val is None else self.shard(val, "test")

    def shard(self, adapter, mode):
        """This rank's part of the data of ``adapter`` ('train', 'test' or 'predict')."""
        if isinstance(adapter, da.ArrayAdapter):
            adapter = dd.ShardedArrayAdapter(adapter, self.rank, self.world, mode)
        elif isinstance(adapter, da.IteratorAdapter):
            adapter = self._shard_iterator(adapter, mode)
        adapter.reduce_metrics = True
        return adapter

    def _shard_iterator(self, adapter, mode):
        source = adapter.source
        if isinstance(source, torch.utils.data.DataLoader):
            seed = torch.randint(0, 2 ** 62, (1,)) if self.rank == 0 else torch.zeros(1)
            seed = seed.to(torch.int64).to(dd.comm_device())
            dist.broadcast(seed, 0)
            loader, note = dd.shard_loader(source, self.rank, self.world, mode, int(seed))
            if note is not None:
                dd.warn_once(note)
                adapter.local_batches = True  # plain DDP averaging, local predictions
                return adapter
            if loader is not None:
                adapter.source, adapter._iterator = loader, None
                # The loader records each batch's share as it reads it: read it in the
                # training thread, so the share is the one of the batch being trained on.
                adapter.workers = 0
                adapter.spans = loader.spans
                return _Delegate(adapter, loader)
        if adapter.is_sequence:
            dd.spread_reading(adapter, self.rank, self.world)
        runner = self.model._runner
        n_inputs = len(DataHandler(self.model).spec().input_names)
        n_fed = 0 if mode == "predict" else len(runner.fed)
        return dd.BroadcastAdapter(adapter, n_inputs, n_fed, config.device(), self.rank,
                                   self.world, mode)

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

    def gather(self, chunks, adapter):
        """Every rank's predictions (lists of output tensors per batch), in input order."""
        if getattr(adapter, "local_batches", False):  # the user's own sampler: this rank's rows
            if not chunks:
                raise ValueError("predict: the input produced no batches on this process.")
            return [torch.cat([c[i] for c in chunks]) for i in range(len(chunks[0]))]
        n_out = torch.tensor([len(chunks[0]) if chunks else 0], device=dd.comm_device())
        dist.broadcast(n_out, 0)  # rank 0 knows: it always has a part of the first batch
        if not int(n_out):
            raise ValueError("predict: the input produced no batches.")
        firsts = dd.broadcast_tensors([c[:1] for c in chunks[0]] if self.rank == 0 else None,
                                      int(n_out))
        pos = dd.positions(adapter.spans, dd.comm_device())
        out = []
        for i, first in enumerate(firsts):
            local = torch.cat([c[i] for c in chunks]) if chunks else first[:0]
            out.append(dd.gather_rows(local, pos, self.world))
        return out


class _Delegate:
    """An adapter whose ``share`` and ``spans`` come from a sharded loader it reads."""

    def __init__(self, adapter, loader):
        self.adapter, self.loader = adapter, loader

    @property
    def share(self):
        return self.loader.share

    def __getattr__(self, name):
        return getattr(self.adapter, name)


class _Weighted:
    """The training adapter, telling the gradient hook each batch's share before it trains."""

    def __init__(self, adapter, state):
        self.adapter, self.state = adapter, state

    def batches(self):
        try:
            for batch in self.adapter.batches():
                self.state.use(getattr(self.adapter, "share", None))
                yield batch
        finally:  # also when fit stops mid-epoch: train_on_batch averages as plain DDP does
            self.state.use(None)

    def __getattr__(self, name):
        return getattr(self.adapter, name)


class GradientWeight:
    """How much this rank's gradient counts in the sum: its share of the global batch.

    Args:
        world: the number of processes (the weight is ``1 / world`` when no share is known,
            which is DDP's plain average).
    """

    def __init__(self, world):
        self.world = world
        self.weight, self.stand_in = 1.0 / world, False

    def use(self, share):
        """Weight the next backward by ``share`` = ``(local count, global count)`` or None."""
        if share is None:
            self.weight, self.stand_in = 1.0 / self.world, False
        else:
            self.weight, self.stand_in = share[0] / share[1], share[0] == 0


def _weighted_allreduce(state, bucket):
    """DDP communication hook: sum of the ranks' gradients, each times its weight."""
    buffer = bucket.buffer()
    if state.weight != 1.0:
        buffer.mul_(state.weight)
    work = dist.all_reduce(buffer, async_op=True)
    return work.get_future().then(lambda fut: fut.value()[0])


class _StepModule(torch.nn.Module):
    """The module DDP wraps: its forward is the runner's model forward."""

    def __init__(self, model, forward):
        super().__init__()
        self.model = model
        self.step_forward = forward

    def forward(self, xs, training):
        return self.step_forward(xs, training)


def wrap(runner, model):
    """Make ``runner``'s training go through ``DistributedDataParallel`` (once); its weight.

    Inference forwards (``training=False`` or no gradients) keep the plain path. Weights that
    get no gradient (an output without a loss) are allowed: DDP runs with
    ``find_unused_parameters=True`` (one walk of the autograd graph per step). A training
    step on a stand-in batch (a rank with no sample in a final small batch) leaves the loss
    and metric states as they were.
    """
    if getattr(runner, "ddp", None) is not None:
        return runner.grad_weight
    plain = type(runner).forward.__get__(runner)
    plain_train = type(runner).train_batch.__get__(runner)
    device = next(model.parameters()).device
    with runner.trainable_scope():  # DDP reduces exactly the weights that require gradients
        ddp = torch.nn.parallel.DistributedDataParallel(
            _StepModule(model, plain),
            device_ids=[device.index] if device.type == "cuda" else None,
            find_unused_parameters=True)
    state = GradientWeight(dist.get_world_size())
    ddp.register_comm_hook(state, _weighted_allreduce)

    def forward(xs, training):
        if training and torch.is_grad_enabled():
            return ddp(xs, training)
        return plain(xs, training)

    def train_batch(xs, ys, sws):
        if not state.stand_in:
            return plain_train(xs, ys, sws)
        saved = _flat_states(runner).clone()
        plain_train(xs, ys, sws)
        _load_flat_states(runner, saved)

    runner.ddp, runner.grad_weight = ddp, state
    runner.forward, runner.train_batch = forward, train_batch
    return state


def _trackers(runner):
    return [runner.loss_tracker] + runner.output_trackers


def _flat_states(runner):
    """The loss trackers' and metrics' states as one float64 vector on the model's device."""
    states = [m.metric._states_on(m.metric._device or "cpu") for m in runner.metrics]
    device = next(runner.model.parameters()).device
    parts = []
    for t in _trackers(runner):
        total = t.total if t.total is not None else torch.zeros((), device=device)
        parts += [total.reshape(1).to(device, torch.float64),
                  torch.tensor([float(t.count)], dtype=torch.float64, device=device)]
    for state in states:
        parts += [v.reshape(-1).to(device, torch.float64) for v in state.values()]
    return torch.cat(parts)


def _load_flat_states(runner, flat):
    device = flat.device
    pos = 0
    for t in _trackers(runner):
        if t.total is None:
            t.total = torch.zeros((), dtype=torch.float32, device=device)
        t.total.copy_(flat[pos].to(t.total.dtype))
        t.count = int(round(float(flat[pos + 1])))
        pos += 2
    for m in runner.metrics:
        for value in m.metric._states_on(m.metric._device or "cpu").values():
            n = value.numel()
            value.copy_(flat[pos:pos + n].reshape(value.shape).to(value.dtype))
            pos += n


def reduce_metrics(runner):
    """Sum the loss trackers' and metrics' states over the ranks, in one all-reduce."""
    flat = _flat_states(runner)
    comm = dd.comm_device()
    reduced = flat.to(comm)
    dist.all_reduce(reduced)
    _load_flat_states(runner, reduced.to(flat.device))
