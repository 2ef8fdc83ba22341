"""Data adapters: arrays, dicts, generators, Sequence and torch DataLoader -> batches of tensors.

Every adapter yields batches as ``(xs, ys, sws)``: lists of tensors on the model's device in
the order of the model's inputs and of the outputs that have a loss (``ys``/``sws`` entries may
be None). Arrays become tensors once, when the adapter is made; batches are views or
``index_select`` gathers of them.
"""

import math
import warnings

import numpy as np
import torch

from openkeras import config
from openkeras.engine import prefetch
from openkeras.engine.arrays import from_numpy
from openkeras.utils.data_utils import Sequence
from openkeras.utils.generic_utils import is_int


# --------------------------------------------------------------------- conversion
def to_tensor(value, dtype=None, device=None):
    """An array, tensor or list of numbers as a torch tensor (float64 -> floatx unless ``dtype``)."""
    if isinstance(value, torch.Tensor):
        t = value
    else:
        arr = np.asarray(value)
        if arr.dtype.kind in "USV":
            raise TypeError(f"Expected numbers (int, float or bool); received an array of dtype "
                            f"{arr.dtype}: {arr.ravel()[:3].tolist()}")
        if arr.dtype == object:
            raise ValueError(f"Cannot convert data of dtype object to a tensor: {arr!r:.200}")
        t = from_numpy(arr)  # any layout: reversed, Fortran-ordered, strided, read-only
    if dtype is None and t.dtype == torch.float64:
        dtype = config.torch_dtype()
    if dtype is not None and t.dtype != dtype:
        t = t.to(dtype)
    if device is not None and t.device != device:
        # Host to GPU without waiting (it overlaps with compute when ``t`` is pinned); a copy
        # back to the host must wait, as its values are read next.
        t = t.to(device, non_blocking=t.device.type == "cpu")
    return t


def check_count(name, value, minimum=1, owner="fit"):
    """``value`` if it is None or an integer >= ``minimum``; else a clear error naming it."""
    if value is None:
        return None
    if not is_int(value):
        raise TypeError(f"`{owner}`: `{name}` must be an integer. Received: {name}={value!r} "
                        f"of type {type(value).__name__}")
    if value < minimum:
        bound = "positive" if minimum == 1 else f">= {minimum}"
        raise ValueError(f"`{owner}`: `{name}` must be {bound}. Received: {name}={value}")
    return int(value)


def _is_data(x):
    return isinstance(x, (np.ndarray, torch.Tensor)) or np.isscalar(x)


def _listify(data, names, what):
    """Data for named model slots (dict, list, or one array) as a list in ``names`` order."""
    if data is None:
        return [None] * len(names)
    if isinstance(data, dict):
        missing = [n for n in names if n not in data]
        if missing:
            raise ValueError(f'No data provided for "{missing[0]}". Need data for each key in: '
                             f"{names}")
        return [data[n] for n in names]
    if isinstance(data, (list, tuple)) and data and all(
            isinstance(v, (np.ndarray, torch.Tensor)) or v is None for v in data):
        if len(data) != len(names):
            raise ValueError(
                f"Error when checking model {what}: the list of Numpy arrays that you are "
                f"passing to your model is not the size the model expected. Expected to see "
                f"{len(names)} array(s), but instead got the following list of {len(data)} "
                f"arrays: {[_shape_str(v) for v in data]}"
            )
        return list(data)
    if len(names) > 1:
        raise ValueError(
            f"Error when checking model {what}: you are passing a single array, but the model "
            f"expects {len(names)} arrays: {names}. Pass a list or a dict keyed by name."
        )
    return [data]


def _shape_str(v):
    return "None" if v is None else f"array of shape {tuple(np.shape(v))}"


def _fmt(shape):
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + \
        ("," if len(shape) == 1 else "") + ")"


def _check_shape(name, expected, t, what="input"):
    if expected is None:
        return t
    if t.dim() == 1 and len(expected) == 2:
        t = t.unsqueeze(1)  # Keras 2 feeds a (n,) array as (n, 1)
    if t.dim() != len(expected):
        raise ValueError(f"Error when checking {what}: expected {name} to have {len(expected)} "
                         f"dimensions, but got array with shape {tuple(t.shape)}")
    for want, got in zip(expected[1:], t.shape[1:], strict=True):
        if want is not None and want != got:
            raise ValueError(f"Error when checking {what}: expected {name} to have shape "
                             f"{_fmt(expected[1:])} but got array with shape {_fmt(tuple(t.shape[1:]))}")
    return t


def standardize_inputs(spec, x, device=None):
    """``x`` (array, list or dict) as a list of tensors in model-input order, shape-checked."""
    xs = _listify(x, spec.input_names, "input")
    out = []
    for i, (name, value) in enumerate(zip(spec.input_names, xs, strict=True)):
        if value is None:
            raise ValueError(f'No data provided for input "{name}".')
        dtype = spec.input_dtypes[i] if spec.input_dtypes else None
        try:
            t = to_tensor(value, dtype, device)
        except (TypeError, ValueError) as e:
            raise type(e)(f'Error when checking input "{name}": {e}') from e
        out.append(_check_shape(name, spec.input_shapes[i] if spec.input_shapes else None, t))
    return out


def standardize_targets(spec, y, device=None):
    """``y`` as a list of tensors for the fed outputs (1-D targets become (n, 1))."""
    if y is None:
        return [None] * len(spec.output_names)
    if isinstance(y, dict):
        ys = _listify({k: v for k, v in y.items() if k in spec.output_names},
                      spec.output_names, "target")
    else:
        ys = _listify(y, spec.output_names, "target")
    out = []
    for value, dtype in zip(ys, spec.target_dtypes, strict=True):
        t = None if value is None else to_tensor(value, dtype, device)
        if t is not None and t.dim() == 1:
            t = t.unsqueeze(1)
        out.append(t)
    return out


def standardize_sample_weights(spec, sample_weight, n, device=None):
    """Per fed output: None, (n,) weights or (n, timesteps) weights for temporal outputs."""
    if sample_weight is None:
        return [None] * len(spec.output_names)
    if isinstance(sample_weight, dict):
        sws = [sample_weight.get(name) for name in spec.output_names]
    elif isinstance(sample_weight, (list, tuple)) and len(spec.output_names) > 1:
        sws = _listify(list(sample_weight), spec.output_names, "sample_weight")
    else:
        sws = [sample_weight] * len(spec.output_names)
    out = []
    for sw, temporal in zip(sws, spec.temporal, strict=True):
        if sw is None:
            out.append(None)
            continue
        t = to_tensor(sw, config.torch_dtype(), device)
        if temporal and t.dim() != 2:
            raise ValueError(f"Found a sample_weight array with shape {tuple(t.shape)}. In order "
                             "to use timestep-wise sample weighting, you should pass a 2D "
                             "sample_weight array.")
        if not temporal and t.dim() != 1:
            raise ValueError(
                f"Found a sample_weight array with shape {tuple(t.shape)}. In order to use "
                "timestep-wise sample weighting, you should pass a 2D sample_weight array and "
                'specify sample_weight_mode="temporal" in compile(). If you just mean to use '
                "sample-wise weights, make sure your sample_weight array is 1D.")
        if n is not None and t.shape[0] != n:
            raise ValueError(f"Found a sample_weight array with shape {tuple(t.shape)} for data "
                             f"with {n} samples. sample_weight cannot be broadcast.")
        out.append(t)
    return out


def class_weights_to_sample_weights(spec, class_weight, ys, sws):
    """Multiply each output's sample weights by ``class_weight[label]`` (or a per-output dict)."""
    if not class_weight:
        return sws
    per_output = all(k in spec.output_names for k in class_weight) and \
        not all(isinstance(k, (int, np.integer)) for k in class_weight)
    out = []
    for name, y, sw in zip(spec.output_names, ys, sws, strict=True):
        cw = class_weight.get(name) if per_output else class_weight
        if not cw or y is None:
            out.append(sw)
            continue
        if y.dim() > 2:
            raise ValueError("`class_weight` not supported for 3+ dimensional targets.")
        bad = [k for k in cw if not _is_class_index(k) or (y.shape[1] > 1 and k >= y.shape[1])]
        if bad:
            expected = f"0 to {y.shape[1] - 1}" if y.shape[1] > 1 else "integers >= 0"
            raise ValueError(f"`class_weight` keys must be class indices ({expected} for output "
                             f'"{name}"). Received unknown classes {bad} in class_weight={cw}')
        classes = y.argmax(dim=1) if y.shape[1] > 1 else y[:, 0].round().long()
        table_size = max(int(classes.max()) + 1, max(int(k) for k in cw) + 1)
        table = torch.full((table_size,), float("nan"), device=y.device)
        for k, v in cw.items():
            table[int(k)] = float(v)
        weights = table[classes]
        missing = torch.unique(classes[torch.isnan(weights)])
        if missing.numel():
            raise ValueError(f"`class_weight` must contain all classes in the data. The classes "
                             f"{set(missing.tolist())} exist in the data but not in `class_weight`.")
        weights = weights.to(config.torch_dtype())
        out.append(weights if sw is None else sw * weights.reshape((-1,) + (1,) * (sw.dim() - 1)))
    return out


def _is_class_index(key):
    """An integer >= 0 (1.0 counts: Keras looked classes up by value, and 1.0 == 1)."""
    return isinstance(key, (int, float, np.integer, np.floating)) and not isinstance(key, bool) \
        and float(key).is_integer() and key >= 0


def check_lengths(xs, ys, sws):
    """The common number of samples; Keras 2's errors when arrays disagree or are empty."""
    x_lens = {int(t.shape[0]) for t in xs}
    if len(x_lens) > 1:
        raise ValueError("All input arrays (x) should have the same number of samples. Got "
                         f"array shapes: {[tuple(t.shape) for t in xs]}")
    y_lens = {int(t.shape[0]) for t in ys if t is not None}
    if len(y_lens) > 1:
        raise ValueError("All target arrays (y) should have the same number of samples. Got "
                         f"array shapes: {[tuple(t.shape) for t in ys if t is not None]}")
    n = x_lens.pop() if x_lens else 0
    if y_lens and n != next(iter(y_lens)):
        raise ValueError("Input arrays should have the same number of samples as target arrays. "
                         f"Found {n} input samples and {next(iter(y_lens))} target samples.")
    if n == 0:
        raise ValueError("The data is empty: x has 0 samples. Provide at least one sample.")
    return n


# ------------------------------------------------------------------------ adapters
class ArrayAdapter:
    """Batches of tensors already in memory (converted once).

    Args:
        tensors: ``(xs, ys, sws)`` lists of tensors with the same first dimension.
        batch_size: samples per batch.
        shuffle: True (new order every epoch), 'batch' (shuffle batch-sized blocks) or False.
        steps: batches per epoch (default: one pass over the data).
        repeat: training data: epochs continue where the previous one stopped and wrap
            around (as tf.keras iterates); evaluation/prediction data stops after one pass.
    """

    def __init__(self, tensors, batch_size, shuffle=False, steps=None, repeat=False):
        self.xs, self.ys, self.sws = tensors
        self.n = int(self.xs[0].shape[0])
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.device = self.xs[0].device
        self.steps_per_epoch = steps or math.ceil(self.n / self.batch_size)
        self.repeat = repeat
        self._start, self._perm = self.n, None  # position in the current pass over the data

    def _order(self):
        if self.shuffle == "batch":
            nb = self.n // self.batch_size
            blocks = torch.randperm(nb, device=self.device)
            idx = (blocks[:, None] * self.batch_size
                   + torch.arange(self.batch_size, device=self.device)).reshape(-1)
            return torch.cat([idx, torch.arange(nb * self.batch_size, self.n, device=self.device)])
        if self.shuffle:
            return torch.randperm(self.n, device=self.device)
        return None

    def batches(self):
        if not self.repeat:
            self._start = self.n  # every evaluation starts a fresh pass
        for step in range(self.steps_per_epoch):
            if self._start >= self.n:
                if not self.repeat and step > 0:
                    warn_out_of_data(self.steps_per_epoch, 1)
                    return
                self._start, self._perm = 0, self._order()
            start = self._start
            end = min(start + self.batch_size, self.n)
            batch = self._take(start, end)
            if batch is not None:
                yield batch
            self._start = end

    def _take(self, start, end):
        """Positions ``start:end`` of the current pass (None: nothing to yield for them)."""
        order = self._perm
        if order is None:
            part = slice(start, end)
            return ([t[part] for t in self.xs], [None if t is None else t[part] for t in self.ys],
                    [None if t is None else t[part] for t in self.sws])
        idx = order[start:end]
        return ([t.index_select(0, idx) for t in self.xs],
                [None if t is None else t.index_select(0, idx) for t in self.ys],
                [None if t is None else t.index_select(0, idx) for t in self.sws])

    def on_epoch_end(self):
        """Nothing to do for arrays."""


class IteratorAdapter:
    """Batches from a generator, a Sequence, a DataLoader or any iterable of batches.

    Args:
        source: the generator, Sequence or iterable.
        convert: function turning one raw batch into ``(xs, ys, sws)`` tensors.
        steps: batches per epoch (None: until the source is exhausted / ``len(source)``).
        shuffle: for a Sequence, visit its batches in a new random order each epoch.
        workers: 0 reads (and converts) batches in the training thread; 1 or more in a
            background thread, a Sequence by ``workers`` threads (or processes) in order.
        max_queue_size: how many batches may wait ready.
        use_multiprocessing: read a Sequence or a generator in ``workers`` processes.
    """

    def __init__(self, source, convert, steps=None, shuffle=False, workers=0, max_queue_size=10,
                 use_multiprocessing=False):
        self.source = source
        self.convert = convert
        self.is_sequence = isinstance(source, Sequence)
        self.reiterable = self.is_sequence or (hasattr(source, "__iter__")
                                               and not hasattr(source, "__next__"))
        self.full_pass = steps is None  # each epoch is one pass over a re-iterable source
        if steps is None and hasattr(source, "__len__"):
            try:
                steps = len(source)
            except TypeError:  # a DataLoader over an IterableDataset that has no length
                pass
        self.steps_per_epoch = steps
        self.shuffle = shuffle
        self.workers = int(workers or 0)
        self.max_queue_size = max(int(max_queue_size or 1), 1)
        self.use_multiprocessing = bool(use_multiprocessing) and self.workers > 0
        self._iterator = None
        self.exhausted = False

    def sequence_order(self):
        """The batch indices of one pass over a Sequence (a new random order if shuffling)."""
        if self.shuffle:
            return torch.randperm(len(self.source)).tolist()
        return range(len(self.source))

    def _new_iterator(self):
        """A reader of the next pass; the order and any worker processes are made here, in the
        training thread (a distributed order is a collective; forking from it is safe)."""
        self.close()
        if self.is_sequence:
            order = self.sequence_order()
            if self.use_multiprocessing:
                pool = prefetch.process_pool(self.source, self.workers)
                raw = prefetch.pool_sequence_items(pool, order, self.workers + self.max_queue_size)
            else:
                raw = prefetch.sequence_items(self.source, order, self.workers)
            items = prefetch.converted(raw, self.convert, owned=True)
        elif self.use_multiprocessing and not self.reiterable:
            pool = prefetch.process_pool(self.source, self.workers)
            items = prefetch.converted(prefetch.pool_generator_items(pool, self.workers),
                                       self.convert, owned=True)
        else:
            items = prefetch.converted(iter(self.source), self.convert)
        if self.workers <= 0:
            return items
        return prefetch.Prefetcher(items, self.max_queue_size)

    def batches(self):
        if self._iterator is None or (self.full_pass and self.reiterable):
            self._iterator = self._new_iterator()
        step, restarted = 0, False
        while self.steps_per_epoch is None or step < self.steps_per_epoch:
            try:
                batch = next(self._iterator)
            except StopIteration:
                if self.reiterable and self.steps_per_epoch is not None and not restarted:
                    self._iterator, restarted = self._new_iterator(), True
                    continue
                if self.steps_per_epoch is not None or step == 0:
                    self.exhausted = True
                if self.reiterable:
                    self.close()
                return
            restarted = False
            step += 1
            yield batch

    def on_epoch_end(self):
        if self.is_sequence:
            self.source.on_epoch_end()

    def close(self):
        """Stop the reader of the current pass (its thread, threads or processes)."""
        iterator, self._iterator = self._iterator, None
        if iterator is not None:
            iterator.close()


def is_iterator_source(x):
    """Whether ``x`` is a generator/iterator, a Sequence or a torch DataLoader/Dataset."""
    if isinstance(x, (Sequence, torch.utils.data.DataLoader, torch.utils.data.Dataset)):
        return True
    return hasattr(x, "__next__") and not _is_data(x)


def as_iterable(x, batch_size, shuffle):
    """A torch Dataset becomes a DataLoader; other sources are returned as they are."""
    if isinstance(x, torch.utils.data.Dataset) and not isinstance(x, torch.utils.data.IterableDataset):
        return torch.utils.data.DataLoader(x, batch_size=batch_size or 32, shuffle=bool(shuffle))
    if isinstance(x, torch.utils.data.IterableDataset):
        return torch.utils.data.DataLoader(x, batch_size=batch_size or 32)
    return x


def unpack_batch(raw, mode, n_inputs, from_loader):
    """Split a raw batch into (x, y, sample_weight); ``mode`` is 'train', 'test' or 'predict'."""
    is_tuple = isinstance(raw, tuple) or (from_loader and isinstance(raw, list))
    if mode == "predict":
        if is_tuple and not (isinstance(raw, list) and len(raw) == n_inputs):
            return raw[0], None, None
        return raw, None, None
    if not isinstance(raw, (tuple, list)) or len(raw) not in (2, 3):
        raise ValueError("Output of generator should be a tuple `(x, y, sample_weight)` or "
                         f"`(x, y)`. Found: {_describe(raw)}")
    return raw[0], raw[1], (raw[2] if len(raw) == 3 else None)


def _describe(raw):
    if isinstance(raw, (list, tuple)):
        return f"{type(raw).__name__} of {len(raw)} items"
    return repr(raw)[:200]


def warn_out_of_data(steps, epochs):
    warnings.warn(
        "Your input ran out of data; interrupting training. Make sure that your dataset or "
        f"generator can generate at least `steps_per_epoch * epochs` batches (in this case, "
        f"{steps * epochs if steps else 'unknown'} batches).", stacklevel=3)
