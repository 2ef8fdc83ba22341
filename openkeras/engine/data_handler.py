"""The data handler: what ``fit`` / ``evaluate`` / ``predict`` were given, as batch adapters.

One ``DataHandler`` per call owns everything between the user's data and the batch loop:
adapting the data (arrays, dicts, torch tensors, HDF5 data, generators, Sequence,
DataLoader / Dataset), ``validation_split`` / ``validation_data``, shuffling, the number of
steps, the epoch to start from (``initial_epoch``, or the one a resumed run continues), and
building a deferred model (a Sequential without an input shape, a subclassed model) from the
first batch. It asks the model two things only: its data spec (``model._data_spec()``: names,
shapes and dtypes of inputs and outputs) and to build itself from data
(``model._build_from_data(x)``).
"""

import itertools

import torch

from openkeras import config
from openkeras import losses as losses_module
from openkeras.engine import data_adapter as da
from openkeras.engine import hdf5_adapter, prefetch, resume
from openkeras.engine.data_spec import DataSpec

_OWNER = {"train": "fit", "test": "evaluate", "predict": "predict"}


class DataHandler:
    """Batch adapters for one model's ``fit``, ``evaluate``, ``predict`` or ``*_on_batch`` call.

    Args:
        model: the model the data is for.
        workers: readers of a generator, Sequence or DataLoader: 0 reads in the training
            thread, 1 (Keras 2's default) in one background thread, more read a Sequence with
            that many threads (or processes).
        max_queue_size: how many batches the readers may keep ready.
        use_multiprocessing: read a Sequence or generator in ``workers`` processes.
    """

    def __init__(self, model, workers=1, max_queue_size=10, use_multiprocessing=False):
        self.model = model
        self.workers = da.check_count("workers", workers, minimum=0) or 0
        self.max_queue_size = da.check_count("max_queue_size", max_queue_size) or 10
        self.use_multiprocessing = bool(use_multiprocessing)
        self.device = config.device()
        self.readers = []  # the iterator adapters made: ``close`` stops their readers
        self.model_spec = None  # the model's answer when ``spec`` last asked

    # ------------------------------------------------------------------ specs
    def spec(self, runner=None, x=None):
        """The ``DataSpec`` of the model's inputs and of the outputs ``runner`` feeds targets to
        (every output when ``runner`` is None); ``x`` tells a subclassed model its structure."""
        model_spec = self.model_spec = self.model._data_spec(x)
        out_names = model_spec.output_names
        fed = runner.fed if runner is not None else range(len(out_names))
        target_dtypes = [torch.int64 if runner is not None and runner.output_losses[i].sparse
                         else config.torch_dtype() for i in fed]
        temporal = self.model._temporal or [False] * len(out_names)
        dtypes = model_spec.input_dtypes
        return DataSpec(
            input_names=list(model_spec.input_names or ["input_1"]),
            input_shapes=model_spec.input_shapes,
            input_dtypes=None if dtypes is None else [config.torch_dtype(d) for d in dtypes],
            output_names=[out_names[i] for i in fed], target_dtypes=target_dtypes,
            temporal=[temporal[i] for i in fed], device=self.device)

    def build(self, first_x):
        """Build a deferred model from its first inputs (nothing when it is built)."""
        if not self.model._data_spec().built:
            self.model._build_from_data(first_x)

    def runner(self, first_x):
        """The model's compiled ``StepRunner``, building the model from ``first_x`` if needed."""
        model = self.model
        if model._runner is None:
            self.build(first_x)
            model._make_runner()
        return model._runner

    # ----------------------------------------------------------------- arrays
    def inputs(self, x):
        """Inputs ``x`` (array, list or dict) as tensors in model-input order (for predict)."""
        self.build(x)
        return da.standardize_inputs(self.spec(x=x), x, self.device)

    def arrays(self, x, y, sample_weight, class_weight):
        """``(xs, ys, sws)`` tensors for in-memory data, checked against the model."""
        runner = self.runner(x)
        spec = self.spec(runner, x)
        xs = da.standardize_inputs(spec, x, self.device)
        if y is None and runner.fed:
            raise ValueError("Target data is missing: pass `y` (the targets of every output "
                             "that has a loss) together with `x`.")
        ys = da.standardize_targets(spec, y, self.device) if runner.fed else []
        n = da.check_lengths(xs, ys, [])
        output_shapes = self.model_spec.output_shapes
        if output_shapes and output_shapes[0] is not None:
            for k, i in enumerate(runner.fed):
                losses_module.check_target_shape(runner.output_losses[i].fn, tuple(ys[k].shape),
                                                 tuple(output_shapes[i]), spec.output_names[k])
        sws = da.standardize_sample_weights(spec, sample_weight, n, self.device)
        sws = da.class_weights_to_sample_weights(spec, class_weight, ys, sws)
        return xs, ys, sws

    def _check_label_range(self, runner, ys):
        """Sparse integer labels must index the output's classes (once per call, not per batch)."""
        model_spec = self.model._data_spec()
        if not model_spec.output_shapes or model_spec.output_shapes[0] is None:
            return
        for k, i in enumerate(runner.fed):
            if not runner.output_losses[i].sparse or ys[k] is None:
                continue
            classes = model_spec.output_shapes[i][-1]
            if classes and ys[k].numel():
                low, high = (int(v) for v in torch.stack([ys[k].min(), ys[k].max()]).tolist())
                if low < 0 or high >= classes:
                    raise ValueError(
                        f"Received a label value of {low if low < 0 else high} which is outside "
                        f"the valid range of [0, {classes}) for output "
                        f'"{model_spec.output_names[i]}" (loss sparse_categorical_crossentropy: '
                        "integer class indices of the output's classes).")

    # --------------------------------------------------------------- adapters
    def adapter(self, x, y=None, sample_weight=None, class_weight=None, batch_size=None,
                shuffle=False, steps=None, mode="train"):
        """An adapter yielding ``(xs, ys, sws)`` batches of ``x`` for ``mode`` ('train',
        'test' or 'predict')."""
        owner = _OWNER[mode]
        batch_size = da.check_count("batch_size", batch_size, owner=owner)
        steps = da.check_count("steps_per_epoch" if mode == "train" else "steps", steps,
                               owner=owner)
        if hdf5_adapter.contains_hdf5(x, y, sample_weight):  # read HDF5 data batch by batch
            x = hdf5_adapter.HDF5Batches(x, y, sample_weight, batch_size, shuffle, mode)
        if da.is_iterator_source(x):
            return self._iterator_adapter(x, mode, batch_size, shuffle, steps, class_weight)
        if x is None:
            raise ValueError("No input data: pass `x` (arrays, a generator or a Sequence).")
        if mode == "predict":
            xs = self.inputs(x)
            da.check_lengths(xs, [], [])
            return da.ArrayAdapter((xs, [], []), batch_size or 32, False, steps)
        tensors = self.arrays(x, y, sample_weight, class_weight)
        self._check_label_range(self.model._runner, tensors[1])
        return da.ArrayAdapter(tensors, batch_size or 32, shuffle if mode == "train" else False,
                               steps, repeat=mode == "train")

    def _iterator_adapter(self, source, mode, batch_size, shuffle, steps, class_weight=None):
        source = da.as_iterable(source, batch_size, shuffle)
        from_loader = isinstance(source, torch.utils.data.DataLoader)
        model = self.model
        if (mode != "predict" and model._runner is None) or not model._data_spec().built:
            source, first = _peek(source)
            first_x = da.unpack_batch(first, "predict", 1, from_loader)[0]
            if mode == "predict":
                self.build(first_x)
            else:
                self.runner(first_x)
        spec = self.spec(model._runner if mode != "predict" else None)
        pin = prefetch.pins_memory(self.device)
        # With CUDA a batch is made on the host, pinned, and copied without waiting (by the
        # reader thread, so the copy overlaps with the step running on the device).
        device = torch.device("cpu") if pin else self.device

        def convert(raw):
            x, y, sw = da.unpack_batch(raw, mode, len(spec.input_names), from_loader)
            xs = da.standardize_inputs(spec, x, device)
            if mode == "predict":
                return (prefetch.to_device(xs, self.device) if pin else xs), None, None
            ys = da.standardize_targets(spec, y, device)
            sws = da.standardize_sample_weights(spec, sw, int(xs[0].shape[0]), device)
            sws = da.class_weights_to_sample_weights(spec, class_weight, ys, sws)
            if pin:
                return tuple(prefetch.to_device(ts, self.device) for ts in (xs, ys, sws))
            return xs, ys, sws

        prefetch.warn_generator_processes(self.workers, self.use_multiprocessing, source)
        adapter = da.IteratorAdapter(source, convert, steps=steps,
                                     shuffle=mode == "train" and bool(shuffle),
                                     workers=self.workers, max_queue_size=self.max_queue_size,
                                     use_multiprocessing=self.use_multiprocessing)
        self.readers.append(adapter)
        return adapter

    def close(self):
        """Stop the readers of every generator / Sequence / DataLoader this handler adapted."""
        for adapter in self.readers:
            adapter.close()

    # -------------------------------------------------------------------- fit
    def fit_adapters(self, x, y, sample_weight, class_weight, batch_size, shuffle, steps,
                     validation_split, validation_data, validation_batch_size,
                     validation_steps):
        """``(train, val)`` adapters for ``fit`` (``val`` None without validation)."""
        val = None
        if validation_data is not None:  # made first: validation data may build the model
            val = self._validation_adapter(
                validation_data, batch_size if validation_batch_size is None
                else validation_batch_size, validation_steps)
        if not validation_split or val is not None:
            return self.adapter(x, y, sample_weight, class_weight, batch_size, shuffle, steps,
                                "train"), val
        if da.is_iterator_source(x):
            raise ValueError("`validation_split` is only supported for Tensors or NumPy "
                             f"arrays, found: {type(x).__name__}")
        return self._split(x, y, sample_weight, class_weight, batch_size, shuffle, steps,
                           validation_split, validation_steps)

    def _validation_adapter(self, data, batch_size, steps):
        batch_size = da.check_count("validation_batch_size", batch_size)
        steps = da.check_count("validation_steps", steps)
        if da.is_iterator_source(data):
            return self._iterator_adapter(data, "test", batch_size, False, steps)
        if not isinstance(data, (list, tuple)) or len(data) not in (2, 3):
            got = (f"it contains {len(data)} items" if isinstance(data, (list, tuple))
                   else f"it is a {type(data).__name__}")
            raise ValueError("When passing validation_data, it must be a tuple of 2 (x_val, "
                             "y_val) or 3 (x_val, y_val, val_sample_weights) items, however "
                             f"{got}.")
        sw_val = data[2] if len(data) == 3 else None
        return DataHandler(self.model).adapter(data[0], data[1], sw_val, None, batch_size,
                                               False, steps, "test")

    def _split(self, x, y, sample_weight, class_weight, batch_size, shuffle, steps, fraction,
               val_steps):
        if not 0.0 < fraction < 1.0:
            raise ValueError(f"`validation_split` must be in (0, 1). Received: "
                             f"validation_split={fraction}")
        xs, ys, sws = self.arrays(x, y, sample_weight, class_weight)
        self._check_label_range(self.model._runner, ys)
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

    # ----------------------------------------------------------------- epochs
    def first_epoch(self, initial_epoch):
        """The epoch ``fit`` starts from: ``initial_epoch``, or the one a loaded or backed-up
        training state continues (its random generators restored)."""
        state = self.model.__dict__
        if "_saved_training_state" not in state and "_resume_epoch" not in state:
            return initial_epoch
        return resume.resume(self.model, initial_epoch)

    def epoch_batches(self, adapter):
        """``(batches, first step)`` of an epoch; a run resumed in the middle of an epoch
        passes over the batches its backup already trained."""
        batches = adapter.batches()
        if "_resume_step" not in self.model.__dict__:
            return batches, 0
        return batches, resume.skip_done_batches(self.model, batches)

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
