"""How a Model turns user data (arrays, dicts, generators, loaders) into batch adapters."""

import itertools

import numpy as np
import torch

from openkeras import config
from openkeras import losses as losses_module
from openkeras.engine import data_adapter as da
from openkeras.engine import hdf5_adapter


class ModelDataMixin:
    """Data preparation for ``fit`` / ``evaluate`` / ``predict`` (mixed into Model)."""

    def _build_from_data(self, x):
        if hasattr(self, "_seq"):
            t = next(iter(x.values())) if isinstance(x, dict) else (
                x[0] if isinstance(x, (list, tuple)) else x)
            self.build((None,) + tuple(np.shape(t)[1:]))
            return
        self._note_data_structure(x)
        device = config.device()
        if isinstance(x, dict):
            self({k: da.to_tensor(v[:1], device=device) for k, v in x.items()})
        elif isinstance(x, (list, tuple)):
            self([da.to_tensor(v[:1], device=device) for v in x])
        else:
            self(da.to_tensor(x[:1], device=device))

    def _note_data_structure(self, x):
        """A subclassed model takes whatever structure its data has: remember it."""
        if getattr(self, "input_names", None) or x is None:
            return
        if isinstance(x, dict):
            self._data_input_names, self._data_input_dict = list(x), True
        else:
            n = len(x) if isinstance(x, (list, tuple)) else 1
            self._data_input_names, self._data_input_dict = [f"input_{i + 1}" for i in range(n)], False

    def _spec(self, device, runner=None):
        names = getattr(self, "input_names", None) or getattr(self, "_data_input_names", None)
        inputs = getattr(self, "inputs", None) or []
        out_names = self._output_names()
        fed = runner.fed if runner is not None else range(len(out_names))
        target_dtypes = []
        for i in fed:
            sparse = runner is not None and runner.output_losses[i].sparse
            target_dtypes.append(torch.int64 if sparse else config.torch_dtype())
        temporal = getattr(self, "_temporal", None) or [False] * len(out_names)
        return da.DataSpec(
            input_names=list(names) if names else ["input_1"],
            input_shapes=[tuple(t.shape) for t in inputs] if inputs else None,
            input_dtypes=[config.torch_dtype(t.dtype) for t in inputs] if inputs else None,
            output_names=[out_names[i] for i in fed], target_dtypes=target_dtypes,
            temporal=[temporal[i] for i in fed], device=device)

    def _arrays(self, x, y, sample_weight, class_weight, device, runner):
        self._note_data_structure(x)
        spec = self._spec(device, runner)
        xs = da.standardize_inputs(spec, x, device)
        if y is None and runner.fed:
            raise ValueError("Target data is missing: pass `y` (the targets of every output "
                             "that has a loss) together with `x`.")
        ys = da.standardize_targets(spec, y, device) if runner.fed else []
        n = da.check_lengths(xs, ys, [])
        outputs = getattr(self, "outputs", None)
        if outputs:
            for k, i in enumerate(runner.fed):
                losses_module.check_target_shape(runner.output_losses[i].fn, tuple(ys[k].shape),
                                                 tuple(outputs[i].shape), spec.output_names[k])
        sws = da.standardize_sample_weights(spec, sample_weight, n, device)
        sws = da.class_weights_to_sample_weights(spec, class_weight, ys, sws)
        return xs, ys, sws

    def _check_label_range(self, runner, ys):
        """Sparse integer labels must index the output's classes (once per fit, not per batch)."""
        outputs = getattr(self, "outputs", None)
        for k, i in enumerate(runner.fed):
            if not runner.output_losses[i].sparse or not outputs or ys[k] is None:
                continue
            classes = outputs[i].shape[-1]
            if classes and ys[k].numel():
                low, high = (int(v) for v in torch.stack([ys[k].min(), ys[k].max()]).tolist())
                if low < 0 or high >= classes:
                    raise ValueError(
                        f"Received a label value of {low if low < 0 else high} which is outside "
                        f"the valid range of [0, {classes}) for output "
                        f'"{self._output_names()[i]}" (loss sparse_categorical_crossentropy: '
                        "integer class indices of the output's classes).")

    def _iterator_adapter(self, source, mode, batch_size, shuffle, steps, workers,
                          max_queue_size, class_weight=None):
        source = da.as_iterable(source, batch_size, shuffle)
        from_loader = isinstance(source, torch.utils.data.DataLoader)
        device = config.device()
        if (mode != "predict" and self._runner is None) or not self._is_graph_built():
            source, first = _peek(source)
            first_x = da.unpack_batch(first, "predict", 1, from_loader)[0]
            if mode == "predict":
                if not self._is_graph_built():
                    self._build_from_data(first_x)
            else:
                self._ensure_runner(first_x)
        runner = self._runner if mode != "predict" else None
        spec = self._spec(device, runner)

        def convert(raw):
            x, y, sw = da.unpack_batch(raw, mode, len(spec.input_names), from_loader)
            xs = da.standardize_inputs(spec, x, device)
            if mode == "predict":
                return xs, None, None
            ys = da.standardize_targets(spec, y, device)
            sws = da.standardize_sample_weights(spec, sw, int(xs[0].shape[0]), device)
            return xs, ys, da.class_weights_to_sample_weights(spec, class_weight, ys, sws)

        is_seq_shuffle = mode == "train" and bool(shuffle)
        return da.IteratorAdapter(source, convert, steps=steps, shuffle=is_seq_shuffle,
                                  workers=workers if workers and workers > 1 else 0,
                                  max_queue_size=max_queue_size)

    def _adapter(self, x, y, sample_weight, class_weight, batch_size, shuffle, steps, mode,
                 workers=1, max_queue_size=10):
        owner = {"train": "fit", "test": "evaluate", "predict": "predict"}[mode]
        batch_size = da.check_count("batch_size", batch_size, owner=owner)
        steps = da.check_count("steps_per_epoch" if mode == "train" else "steps", steps,
                               owner=owner)
        if hdf5_adapter.contains_hdf5(x, y, sample_weight):  # read HDF5 data batch by batch
            x = hdf5_adapter.HDF5Batches(x, y, sample_weight, batch_size, shuffle, mode)
        if da.is_iterator_source(x):
            return self._iterator_adapter(x, mode, batch_size, shuffle, steps, workers,
                                          max_queue_size, class_weight)
        device = config.device()
        if x is None:
            raise ValueError("No input data: pass `x` (arrays, a generator or a Sequence).")
        if mode == "predict":
            if not self._is_graph_built():
                self._build_from_data(x)
            self._note_data_structure(x)
            xs = da.standardize_inputs(self._spec(device), x, device)
            da.check_lengths(xs, [], [])
            return da.ArrayAdapter((xs, [], []), batch_size or 32, False, steps)
        runner = self._ensure_runner(x)
        tensors = self._arrays(x, y, sample_weight, class_weight, device, runner)
        self._check_label_range(runner, tensors[1])
        return da.ArrayAdapter(tensors, batch_size or 32, shuffle if mode == "train" else False,
                               steps, repeat=mode == "train")

    # ---------------------------------------------------------------------- fit
    def _validation_adapter(self, data, batch_size, steps, workers, max_queue_size):
        batch_size = da.check_count("validation_batch_size", batch_size)
        steps = da.check_count("validation_steps", steps)
        if da.is_iterator_source(data):
            return self._iterator_adapter(data, "test", batch_size, False, steps, workers,
                                          max_queue_size)
        if not isinstance(data, (list, tuple)) or len(data) not in (2, 3):
            got = (f"it contains {len(data)} items" if isinstance(data, (list, tuple))
                   else f"it is a {type(data).__name__}")
            raise ValueError("When passing validation_data, it must be a tuple of 2 (x_val, "
                             "y_val) or 3 (x_val, y_val, val_sample_weights) items, however "
                             f"{got}.")
        x_val, y_val = data[0], data[1]
        sw_val = data[2] if len(data) == 3 else None
        return self._adapter(x_val, y_val, sw_val, None, batch_size, False, steps, "test")

    def _split(self, x, y, sample_weight, class_weight, batch_size, shuffle, steps, fraction,
               val_steps):
        if not 0.0 < fraction < 1.0:
            raise ValueError(f"`validation_split` must be in (0, 1). Received: "
                             f"validation_split={fraction}")
        runner = self._ensure_runner(x)
        xs, ys, sws = self._arrays(x, y, sample_weight, class_weight, config.device(), runner)
        self._check_label_range(runner, ys)
        n = int(xs[0].shape[0])
        split_at = int(n * (1.0 - fraction))
        if split_at == 0 or split_at == n:
            raise ValueError(f"Training data contains {n} samples, which is not sufficient to "
                             f"split it into a validation and training set as specified by "
                             f"`validation_split={fraction}`. Either provide more data, or a "
                             "different value for the `validation_split` argument.")

        def part(ts, sl):
            return [None if t is None else t[sl] for t in ts]

        head, tail = slice(0, split_at), slice(split_at, None)
        train = da.ArrayAdapter((part(xs, head), part(ys, head), part(sws, head)),
                                batch_size or 32, shuffle, steps, repeat=True)
        val = da.ArrayAdapter((part(xs, tail), part(ys, tail), part(sws, tail)),
                              batch_size or 32, False, val_steps)
        return train, val


def check_fit_arguments(batch_size, epochs, initial_epoch, steps, shuffle, class_weight):
    """Clear errors for fit arguments of the wrong kind (before any data is touched)."""
    da.check_count("batch_size", batch_size)
    da.check_count("epochs", epochs, minimum=0)
    da.check_count("initial_epoch", initial_epoch, minimum=0)
    da.check_count("steps_per_epoch", steps)
    if shuffle not in (True, False, "batch"):
        raise ValueError("`fit`: `shuffle` must be True, False or 'batch'. Received: "
                         f"shuffle={shuffle!r}")
    if class_weight is not None and not isinstance(class_weight, dict):
        raise TypeError("`fit`: `class_weight` must be a dict mapping class indices (or output "
                        f"names) to weights. Received: a {type(class_weight).__name__}")


def _peek(source):
    """(source, first batch) without losing the batch for a one-shot generator."""
    if isinstance(source, da.Sequence):
        return source, source[0]
    if hasattr(source, "__next__"):
        first = next(source)
        return itertools.chain([first], source), first
    return source, next(iter(source))


def validation_arrays(val):
    """Keras 2.2.4's ``callback.validation_data``: numpy inputs, targets, then sample weights
    (ones where none were given)."""
    def host(t):
        return t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else t

    ones = torch.ones(val.n).numpy()
    return ([host(t) for t in val.xs] + [host(t) for t in val.ys]
            + [ones if t is None else host(t) for t in val.sws])


_NETWORK_CLASSES = {}


def network_class(cls, functional):
    """``cls`` (a Model subclass) combined with the functional model, made once per class."""
    made = _NETWORK_CLASSES.get(cls)
    if made is None:
        made = type(cls.__name__, (cls, functional),
                    {"__module__": cls.__module__, "__qualname__": cls.__qualname__,
                     "__doc__": cls.__doc__})
        _NETWORK_CLASSES[cls] = made
    return made
