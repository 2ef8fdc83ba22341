"""Model: a Layer with the training API (compile / fit / evaluate / predict).

A model answers the data handler's two questions (``_data_spec``: what data it takes and
returns; ``_flat_forward``: its outputs for a flat list of input tensors). This base class
answers them for a subclassed model; the functional model (and Sequential) override them.
"""

import warnings

import torch

from openkeras import config
from openkeras.backend.common import fixed_learning_phase
from openkeras.engine import aliases, compiled_step, distributed, file_formats, threads
from openkeras.engine import data_adapter as da
from openkeras.engine import training_loop as loop
from openkeras.engine.base_layer import Layer
from openkeras.engine.data_handler import DataHandler, check_fit_arguments
from openkeras.engine.data_spec import ModelSpec
from openkeras.engine.train_step import keep_moving_statistics
from openkeras.engine.training_batch import BatchMethodsMixin, format_results
from openkeras.engine.training_callbacks import History
from openkeras.engine.training_compile import CompileMixin
from openkeras.engine.training_legacy import LegacyTrainingMixin
from openkeras.utils.layer_utils import print_summary
from openkeras.utils.progbar import resolve_verbose

_GRAPH_ARGS = frozenset({"inputs", "outputs", "input", "output"})


class Model(CompileMixin, LegacyTrainingMixin, BatchMethodsMixin, Layer):
    """``Model(inputs, outputs)`` builds a functional model; subclass it for custom ``call``.

    Args:
        inputs: KerasTensor(s) from ``Input``.
        outputs: KerasTensor(s) computed from the inputs.
        name: the model's name.
    """

    optimizer = None
    history = None
    stop_training = False
    _compile_args = None
    _runner = None
    _compiled_predict = None  # a CompiledPredict once predict ran with jit_compile
    _temporal = None  # per output: whether sample weights are per timestep (set by compile)
    _data_input_names = None  # a subclassed model's inputs, as its data first came
    _data_input_dict = False
    # The functional model class (engine/functional.py subclasses Model and names itself
    # here): what ``Model(inputs, outputs)`` and ``Model.from_config`` make.
    _functional_class = None

    def __init_subclass__(cls, functional=False, **kwargs):
        super().__init_subclass__(**kwargs)
        if functional:
            Model._functional_class = cls

    def __new__(cls, *args, **kwargs):
        if cls is Model and (args or _GRAPH_ARGS & set(kwargs)):
            return _functional().__new__(_functional())
        return super().__new__(cls)

    def __init__(self, *args, **kwargs):
        if (args or _GRAPH_ARGS & set(kwargs)) and not isinstance(self, _functional()):
            # A Keras 2 Network-style subclass: ``super().__init__(inputs=..., outputs=...)``
            # (or ``Model.__init__(self, inputs, outputs)``). The instance becomes a functional
            # model whose class still derives from the subclass, so its methods and name stay.
            self.__class__ = network_class(type(self), _functional())
            _functional().__init__(self, *args, **kwargs)
            return
        Layer.__init__(self, **kwargs)

    # --------------------------------------------------------------- structure
    @property
    def layers(self):
        """The layers the model tracks (assigned as attributes), in assignment order."""
        return self._sublayers()

    def summary(self, line_length=None, positions=None, print_fn=None):
        """Print the layers and parameter counts (output shapes show as 'multiple')."""
        if not self.built:
            raise ValueError(
                "This model has not yet been built. Build the model first by calling `build()` or "
                "calling `fit()` with some data, or specify an `input_shape` argument in the first "
                "layer(s) for automatic build.")
        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn)

    # ------------------------------------------------------------------- files
    def save(self, filepath, overwrite=True, include_optimizer=True, save_format=None, **kwargs):
        """Save architecture, weights and optimizer state (Keras 2 HDF5, or a .keras archive)."""
        file_formats.save_model(self, filepath, overwrite, include_optimizer, save_format)

    def save_weights(self, filepath, overwrite=True, save_format=None):
        """Save the weights in Keras 2's HDF5 weights-file layout."""
        file_formats.save_weights(self, filepath, overwrite, save_format)

    def load_weights(self, filepath, by_name=False, skip_mismatch=False):
        """Load weights saved by Keras 2 or openkeras (topological order, or by layer name)."""
        file_formats.load_weights(self, filepath, by_name, skip_mismatch)

    def export(self, filepath, format=None, sample_input=None, *, check=True, verbose=True):
        """Write an inference artifact and check that it reproduces the model's outputs.

        Args:
            filepath: the file to write.
            format: 'torchscript', 'torch_export' or 'onnx' (default: from the extension:
                .pt/.ts, .pt2, .onnx).
            sample_input: inputs to trace and check with (default: random, from the input shapes).
            check: load the file back and compare its outputs with the model's.
            verbose: print the result of the check.
        """
        # start-up time: the export writers (torch.export, TorchScript, ONNX) load only when used
        from openkeras.export import export_model

        return export_model(self, filepath, format, sample_input, check=check, verbose=verbose)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """A functional model from its config (``Model.from_config`` as in Keras)."""
        return _functional().from_config(config, custom_objects=custom_objects)

    # ---------------------------------------------------------- data questions
    def _data_spec(self, x=None):
        """What the model takes and returns (a ``ModelSpec``) for the data handler.

        A subclassed model declares no inputs: it takes the structure of the data it is given
        (``x``: one array, a list or a dict), and keeps it for the batches that follow.
        """
        if x is not None:
            if isinstance(x, dict):
                self._data_input_names, self._data_input_dict = list(x), True
            else:
                n = len(x) if isinstance(x, (list, tuple)) else 1
                self._data_input_names = [f"input_{i + 1}" for i in range(n)]
                self._data_input_dict = False
        # A subclass may name its outputs itself (``output_names``); else Keras's 'output_1'.
        names = list(getattr(self, "output_names", None) or ["output_1"])
        return ModelSpec(built=self.built, input_names=self._data_input_names,
                         input_dict=self._data_input_dict, output_names=names,
                         output_shapes=[None] * len(names))

    def _flat_forward(self, xs, training, want_masks=False):
        """``(outputs as a list, output masks or None)`` for the list of input tensors ``xs``."""
        outs = self(self._call_inputs(xs), training=training)
        return (outs if isinstance(outs, (list, tuple)) else [outs]), None

    def _call_inputs(self, xs):
        """The flat list of input tensors ``xs`` as the model's call takes them."""
        if self._data_input_dict:  # a subclassed model fed a dict takes a dict
            return dict(zip(self._data_input_names, xs, strict=True))
        return xs[0] if len(xs) == 1 else xs

    def _build_from_data(self, x):
        """Create the weights by calling the model on the first sample of its first data."""
        self._data_spec(x)
        device = config.device()
        if isinstance(x, dict):
            self({k: da.to_tensor(v[:1], device=device) for k, v in x.items()})
        elif isinstance(x, (list, tuple)):
            self([da.to_tensor(v[:1], device=device) for v in x])
        else:
            self(da.to_tensor(x[:1], device=device))

    def _move_to_device(self):
        """Put the model on config.device(), only when it is not there (cheap per batch)."""
        device = config.device()
        first = _first_parameter(self)
        if first is not None and first.device != device:
            self.to(device)

    # --------------------------------------------------------------------- data
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose=1, callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1, max_queue_size=10, workers=1,
            use_multiprocessing=False, **kwargs):
        """Train the model for ``epochs`` epochs; returns the History.

        Args:
            x: inputs: array, list/dict of arrays, torch tensors, a generator yielding
                ``(x, y[, sample_weight])``, a Sequence, or a torch DataLoader / Dataset.
            y: targets (array, list, dict by output name); not used with generators.
            batch_size: samples per step (default 32).
            epochs: index of the last epoch (training runs from ``initial_epoch``).
            verbose: 0 silent, 1 progress bar, 2 one line per epoch; 'auto' is 1 (tf.keras).
            callbacks: list of Callback.
            validation_split: fraction of the data, taken from the end before shuffling,
                used for validation.
            validation_data: ``(x_val, y_val)``, ``(x_val, y_val, sample_weights)`` or a
                generator / Sequence / DataLoader.
            shuffle: True (every epoch), 'batch' (in batch-sized blocks) or False.
            class_weight: dict class index -> weight (or a dict of those by output name).
            sample_weight: per-sample weights, (samples, timesteps) with 'temporal' mode.
            initial_epoch: epoch to start from (for resuming).
            steps_per_epoch: batches per epoch (default: one pass over the data).
            validation_steps: validation batches (default: one pass).
            validation_freq: validate every ``n`` epochs, or at the listed epochs (1-based).
            max_queue_size: batches of a generator / Sequence / DataLoader read ahead.
            workers: 0 reads such data in the training thread; 1 (default) in a background
                thread; more read a Sequence with that many threads, in order.
            use_multiprocessing: read a Sequence or generator in ``workers`` processes.
        """
        aliases.rename_kwargs(kwargs, "fit")
        epochs = kwargs.pop("epochs", epochs)
        if kwargs:
            raise TypeError(f"Unrecognized keyword arguments: {sorted(kwargs)}")
        self._assert_compiled("training")
        verbose = resolve_verbose(verbose)
        check_fit_arguments(batch_size, epochs, initial_epoch, steps_per_epoch, shuffle,
                            class_weight)
        session = distributed.session(self)  # None in a single process
        if session is not None:
            verbose, callbacks = session.begin(verbose, callbacks)
        self._move_to_device()
        data = DataHandler(self, workers, max_queue_size, use_multiprocessing)
        try:
            return self._fit_epochs(data, x, y, batch_size, epochs, verbose, callbacks,
                                    validation_split, validation_data, shuffle, class_weight,
                                    sample_weight, initial_epoch, steps_per_epoch,
                                    validation_steps, validation_batch_size, validation_freq,
                                    session)
        finally:
            data.close()  # the readers of generators stop with fit, on success or error

    def _fit_epochs(self, data, x, y, batch_size, epochs, verbose, callbacks, validation_split,
                    validation_data, shuffle, class_weight, sample_weight, initial_epoch,
                    steps_per_epoch, validation_steps, validation_batch_size, validation_freq,
                    session):
        """The epochs of ``fit`` over the adapters ``data`` makes."""
        train, val = data.fit_adapters(x, y, sample_weight, class_weight, batch_size, shuffle,
                                       steps_per_epoch, validation_split, validation_data,
                                       validation_batch_size, validation_steps)
        runner = self._runner
        if session is not None:
            train, val = session.prepare(runner, train, val)
        self._warn_if_trainable_changed()
        history = History()
        cbs = loop.fit_callbacks(self, callbacks, history, verbose, epochs, batch_size, train, val)
        self.stop_training = False
        with runner.trainable_scope(), threads.sized_for(self, train):
            cbs.on_train_begin()
            for epoch in range(data.first_epoch(initial_epoch), epochs):
                runner.reset_metrics()
                runner.accumulating = False
                cbs.on_epoch_begin(epoch)
                batches, step = data.epoch_batches(train)
                step = loop.run_batches(batches, runner.train_batch, cbs, "train", step,
                                        loop.runner_logs(runner), model=self)
                if step == 0 or getattr(train, "exhausted", False):
                    da.warn_out_of_data(train.steps_per_epoch, epochs)
                    self.stop_training = True
                    if step == 0:
                        break
                if session is not None:
                    session.end_epoch(runner)
                logs = runner.logs()
                self.__dict__["_epochs_done"] = epoch + 1  # saved with the model, for resuming
                if val is not None and loop.should_validate(epoch, validation_freq):
                    val_logs = loop.test_loop(self, val, cbs)
                    logs.update({"val_" + k: v for k, v in val_logs.items()})
                cbs.on_epoch_end(epoch, logs)
                train.on_epoch_end()
                if self.stop_training:
                    break
            cbs.on_train_end()
        self.history = history
        return history

    def _warn_if_trainable_changed(self):
        if len(self.trainable_weights) != self._captured_trainable:
            warnings.warn("Discrepancy between trainable weights and collected trainable "
                          "weights, did you set `model.trainable` without calling "
                          "`model.compile` after ?", stacklevel=3)

    def _one_pass(self, data, x, y, sample_weight, batch_size, steps, mode, verbose,
                  callbacks):
        """(distributed session or None, adapter, callbacks) for one pass of evaluate/predict
        with the data handler ``data``; with several processes each one gets its shard."""
        session = distributed.session(self)  # None in a single process
        if session is not None:
            verbose, callbacks = session.begin(verbose, callbacks)
        self._move_to_device()
        adapter = data.adapter(x, y, sample_weight, None, batch_size, False, steps, mode)
        if session is not None:
            adapter = session.shard(adapter, mode)
        cbs = loop.callback_list(self, callbacks, None, verbose, 1, adapter.steps_per_epoch)
        return session, adapter, cbs

    # ----------------------------------------------------------------- evaluate
    def evaluate(self, x=None, y=None, batch_size=None, verbose=1, sample_weight=None,
                 steps=None, callbacks=None, max_queue_size=10, workers=1,
                 use_multiprocessing=False, return_dict=False):
        """The loss (and metrics) on data: a scalar, or a list in ``metrics_names`` order.

        Args:
            x: inputs (arrays, list/dict, tensors, generator, Sequence, DataLoader/Dataset).
            y: targets.
            batch_size: samples per batch (default 32).
            verbose: 0 silent, 1 progress bar, 2 one line; 'auto' is 1 (tf.keras).
            sample_weight: per-sample weights.
            steps: number of batches (default: one pass).
            callbacks: list of Callback.
            return_dict: return ``{name: value}`` instead.
        """
        self._assert_compiled("testing")
        verbose = resolve_verbose(verbose)
        data = DataHandler(self, workers, max_queue_size, use_multiprocessing)
        try:
            _, adapter, cbs = self._one_pass(data, x, y, sample_weight, batch_size, steps,
                                             "test", verbose, callbacks)
            with torch.no_grad(), threads.sized_for(self, adapter):
                logs = loop.test_loop(self, adapter, cbs)
        finally:
            data.close()
        return format_results(logs, return_dict)

    # ------------------------------------------------------------------ predict
    def predict(self, x, batch_size=None, verbose=0, steps=None, callbacks=None,
                max_queue_size=10, workers=1, use_multiprocessing=False):
        """Outputs for the inputs ``x`` as numpy arrays (a list for several outputs).

        Args:
            x: inputs (arrays, list/dict, tensors, generator, Sequence, DataLoader/Dataset).
            batch_size: samples per batch (default 32).
            verbose: 0 silent, 1 progress bar; 'auto' is 1 (tf.keras).
            steps: number of batches (default: one pass).
            callbacks: list of Callback.
        """
        verbose = resolve_verbose(verbose)
        data = DataHandler(self, workers, max_queue_size, use_multiprocessing)
        try:
            return self._predict_pass(data, x, batch_size, verbose, steps, callbacks)
        finally:
            data.close()

    def _predict_pass(self, data, x, batch_size, verbose, steps, callbacks):
        """``predict``'s pass over the adapter ``data`` makes of ``x``."""
        session, adapter, cbs = self._one_pass(data, x, None, None, batch_size, steps,
                                               "predict", verbose, callbacks)
        cbs.on_predict_begin()
        chunks = []

        def predict_step(xs, ys, sws):
            chunks.append(self._predict_batch(xs))
            return chunks[-1]

        with torch.no_grad(), keep_moving_statistics(self), threads.sized_for(self, adapter):
            loop.run_batches(adapter.batches(), predict_step, cbs, "predict",
                             end_logs=lambda outs: {"outputs": outs})
        cbs.on_predict_end()
        if session is not None:  # each process predicted its shard; all are gathered
            outputs = session.gather(chunks, adapter)
        elif not chunks:
            raise ValueError("predict: the input produced no batches.")
        else:
            outputs = [torch.cat([c[i] for c in chunks]) for i in range(len(chunks[0]))]
        arrays = [t.cpu().numpy() for t in outputs]
        return arrays[0] if len(arrays) == 1 else arrays

    def _predict_batch(self, xs):
        if self._jit_enabled():
            if self._compiled_predict is None:
                self._compiled_predict = compiled_step.CompiledPredict(self, self._eager_predict)
            outs = self._compiled_predict(xs)
            if outs is not None:
                return outs
        return self._eager_predict(xs)

    def _eager_predict(self, xs):
        outs = self(self._call_inputs(xs), training=fixed_learning_phase(False))
        outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
        # numpy has no bfloat16: such outputs (a mixed_bfloat16 model, or layers loaded with
        # that policy) become float32
        return [o.float() if o.dtype == torch.bfloat16 else o for o in outs]


def _first_parameter(module):
    """``next(module.parameters(), None)`` without its generators (it runs on every call)."""
    for p in module._parameters.values():
        if p is not None:
            return p
    for sub in module._modules.values():
        p = None if sub is None else _first_parameter(sub)
        if p is not None:
            return p
    return None


def _functional():
    """The functional model class (``Model._functional_class``, set when it is defined)."""
    cls = Model._functional_class
    if cls is None:
        raise RuntimeError("openkeras.engine.functional is not imported: import openkeras (or "
                           "openkeras.engine.functional) before building a functional Model.")
    return cls


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


# Names Keras 2 code imports from this module, resolved on first access (openkeras.engine.keras2_names).
from openkeras.engine.keras2_names import TRAINING as _KERAS2  # noqa: E402
from openkeras.engine.lazy_exports import lazy_exports  # noqa: E402

__getattr__ = lazy_exports(__name__, _KERAS2)
