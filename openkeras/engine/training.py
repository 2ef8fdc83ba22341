"""Model: a Layer with the training API (compile / fit / evaluate / predict)."""

import warnings

import torch

from openkeras import config
from openkeras.backend.common import fixed_learning_phase
from openkeras.callbacks.base import CallbackList, History, LazyLogs, ProgbarLogger
from openkeras.engine import compile_utils, distributed, threads
from openkeras.engine import data_adapter as da
from openkeras.engine.base_layer import Layer
from openkeras.engine.train_step import StepRunner, keep_moving_statistics
from openkeras.engine.training_batch import BatchMethodsMixin, format_results
from openkeras.engine.training_data import ModelDataMixin, check_fit_arguments, network_class
from openkeras.engine.training_data import validation_arrays as validation_arrays_of
from openkeras.engine.training_legacy import LegacyTrainingMixin
from openkeras.metrics.names import MetricNames
from openkeras.utils.generic_utils import is_int, legacy_kwarg
from openkeras.utils.progbar import resolve_verbose


class Model(ModelDataMixin, LegacyTrainingMixin, BatchMethodsMixin, Layer):
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

    def __new__(cls, *args, **kwargs):
        if cls is Model and (args or {"inputs", "outputs", "input", "output"} & set(kwargs)):
            from openkeras.engine.functional import Functional

            return Functional.__new__(Functional)
        return super().__new__(cls)

    def __init__(self, *args, **kwargs):
        from openkeras.engine.functional import Functional

        if not isinstance(self, Functional) and (
                args or {"inputs", "outputs", "input", "output"} & set(kwargs)):
            # A Keras 2 Network-style subclass: ``super().__init__(inputs=..., outputs=...)``
            # (or ``Model.__init__(self, inputs, outputs)``). The instance becomes a functional
            # model whose class still derives from the subclass, so its methods and name stay.
            self.__class__ = network_class(type(self), Functional)
            Functional.__init__(self, *args, **kwargs)
            return
        Layer.__init__(self, **kwargs)

    # --------------------------------------------------------------- structure
    @property
    def layers(self):
        """The layers the model tracks (assigned as attributes), in assignment order."""
        return self._sublayers()

    def summary(self, line_length=None, positions=None, print_fn=None):
        """Print the layers and parameter counts (output shapes show as 'multiple')."""
        from openkeras.utils.layer_utils import print_summary

        if not self.built:
            raise ValueError(
                "This model has not yet been built. Build the model first by calling `build()` or "
                "calling `fit()` with some data, or specify an `input_shape` argument in the first "
                "layer(s) for automatic build.")
        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn)

    # ------------------------------------------------------------------- files
    def save(self, filepath, overwrite=True, include_optimizer=True, save_format=None, **kwargs):
        """Save architecture, weights and optimizer state (Keras 2 HDF5, or a .keras archive)."""
        from openkeras import saving

        saving.save_model(self, filepath, overwrite, include_optimizer, save_format)

    def save_weights(self, filepath, overwrite=True, save_format=None):
        """Save the weights in Keras 2's HDF5 weights-file layout."""
        from openkeras import saving

        saving.save_weights(self, filepath, overwrite, save_format)

    def load_weights(self, filepath, by_name=False, skip_mismatch=False):
        """Load weights saved by Keras 2 or openkeras (topological order, or by layer name)."""
        from openkeras import saving

        saving.load_weights(self, filepath, by_name, skip_mismatch)

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
        from openkeras.export import export_model  # export sits above models in the layering

        return export_model(self, filepath, format, sample_input, check=check, verbose=verbose)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """A functional model from its config (``Model.from_config`` as in Keras)."""
        from openkeras.engine.functional import Functional

        return Functional.from_config(config, custom_objects=custom_objects)

    # ------------------------------------------------------------------ compile
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
                sample_weight_mode=None, weighted_metrics=None, **kwargs):
        """Configure the model for training.

        Args:
            optimizer: an optimizer name ('adam') or instance.
            loss: a loss name, function or Loss object; a list (one per output) or a dict
                keyed by output name (outputs left out get no loss and take no targets).
            metrics: a list of metrics for every output, a list of lists, or a dict by output.
            loss_weights: a list or dict of scalars weighting each output's loss.
            sample_weight_mode: None, or 'temporal' for (samples, timesteps) sample weights
                (a list or dict to choose per output).
            weighted_metrics: metrics that take ``sample_weight`` / ``class_weight`` into account.
        """
        from openkeras import optimizers

        for key in ("run_eagerly", "steps_per_execution", "jit_compile", "target_tensors"):
            kwargs.pop(key, None)
        if kwargs:
            raise TypeError(f"Invalid keyword argument(s) in `compile()`: {sorted(kwargs)}. "
                            "Valid keyword arguments include: optimizer, loss, metrics, "
                            "loss_weights, sample_weight_mode, weighted_metrics.")
        self.optimizer = optimizers.get(optimizer)
        self.loss = loss
        self.loss_weights = loss_weights
        self.sample_weight_mode = sample_weight_mode
        self._compile_args = {"metrics": metrics, "weighted_metrics": weighted_metrics}
        self._runner = None
        compile_utils.check_names(loss, metrics, weighted_metrics)
        if self._is_graph_built():
            self._make_runner()

    def _training_config(self):
        """What compile was given, for saving (Keras 2's ``training_config`` before serialization)."""
        if self._compile_args is None:
            return None
        return {"optimizer": self.optimizer, "loss": self.loss,
                "metrics": self._compile_args["metrics"],
                "weighted_metrics": self._compile_args["weighted_metrics"],
                "loss_weights": self.loss_weights, "sample_weight_mode": self.sample_weight_mode}

    def _move_to_device(self):
        """Put the model on config.device(), only when it is not there (cheap per batch)."""
        device = config.device()
        first = next(self.parameters(), None)
        if first is not None and first.device != device:
            self.to(device)

    def _is_graph_built(self):
        from openkeras.engine.functional import Functional

        return bool(self.outputs) if isinstance(self, Functional) else self.built

    def _output_names(self):
        return list(getattr(self, "output_names", None) or ["output_1"])

    def _output_shapes(self):
        outs = getattr(self, "outputs", None)
        if outs:
            return [tuple(t.shape) for t in outs]
        return [None] * len(self._output_names())

    def _make_runner(self):
        names = self._output_names()
        spec_losses = compile_utils.per_output(self.loss, names, "loss")
        weights = compile_utils.per_output(self.loss_weights, names, "loss_weights", default=1.0)
        if isinstance(self.loss, dict):
            for name, value in zip(names, spec_losses, strict=True):
                if value is None:
                    warnings.warn(f'Output "{name}" missing from loss dictionary. We assume this '
                                  "was done on purpose. The fit and evaluate APIs will not be "
                                  f'expecting any data to be passed to "{name}".', stacklevel=3)
        output_losses = [None if spec is None else compile_utils.OutputLoss(spec, w, name)
                         for spec, w, name in zip(spec_losses, weights, names, strict=True)]
        # No loss for any output is allowed (Keras 2): the loss then comes from add_loss()
        # in layers; train_step raises if nothing at all is there to optimize.
        metrics = compile_utils.build_metrics(
            self._compile_args["metrics"], self._compile_args["weighted_metrics"], names,
            self._output_shapes(), output_losses)
        self._temporal = [m == "temporal" for m in compile_utils.per_output(
            self.sample_weight_mode, names, "sample_weight_mode")]
        self._runner = StepRunner(self, self.optimizer, names, output_losses, metrics,
                                  self.trainable_weights)
        self._captured_trainable = len(self._runner.params)

    def _assert_compiled(self, what):
        if self.optimizer is None or self._compile_args is None:
            raise RuntimeError(f"You must compile your model before {what}. Use "
                               "`model.compile(optimizer, loss)`.")

    def _ensure_runner(self, first_x):
        """Build a deferred model from a first batch of inputs, then finish compiling."""
        if self._runner is not None:
            return self._runner
        if not self._is_graph_built():
            self._build_from_data(first_x)
        self._make_runner()
        return self._runner

    @property
    def metrics_names(self):
        """['loss', per-output losses, metric names] as Keras 2 logs them.

        Each metric is named as written in ``compile``; ``in`` and ``index`` also accept its
        other Keras spellings ('acc' for 'accuracy', 'mae' for 'mean_absolute_error').
        """
        if self._runner is not None:
            return MetricNames(self._runner.metrics_names)
        return MetricNames(["loss"] if self._compile_args is not None else [])

    @property
    def metrics(self):
        """The loss trackers and Metric objects, in ``metrics_names`` order."""
        if self._runner is None:
            return []
        r = self._runner
        return ([r.loss_tracker] + r.output_trackers + [m.metric for m in r.metrics]
                + r.layer_metrics + r.added_metrics)

    def reset_metrics(self):
        """Reset the running loss and every metric."""
        if self._runner is not None:
            self._runner.reset_metrics()

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
        """
        legacy_kwarg(kwargs, "nb_epoch", "epochs", "fit")
        epochs = kwargs.pop("epochs", epochs)
        if kwargs:
            raise TypeError(f"Unrecognized keyword arguments: {sorted(kwargs)}")
        self._assert_compiled("training")
        verbose = resolve_verbose(verbose)
        check_fit_arguments(batch_size, epochs, initial_epoch, steps_per_epoch, shuffle,
                            class_weight)
        del use_multiprocessing  # batches are fetched by threads (see `workers`)
        session = distributed.session(self)  # None in a single process
        if session is not None:
            verbose, callbacks = session.begin(verbose, callbacks)
        self._move_to_device()
        val = None
        if validation_data is not None:
            val = self._validation_adapter(validation_data, batch_size if validation_batch_size
                                           is None else validation_batch_size,
                                           validation_steps, workers, max_queue_size)
        if validation_split and val is None:
            if da.is_iterator_source(x):
                raise ValueError("`validation_split` is only supported for Tensors or NumPy "
                                 f"arrays, found: {type(x).__name__}")
            train, val = self._split(x, y, sample_weight, class_weight, batch_size, shuffle,
                                     steps_per_epoch, validation_split, validation_steps)
        else:
            train = self._adapter(x, y, sample_weight, class_weight, batch_size, shuffle,
                                  steps_per_epoch, "train", workers, max_queue_size)
        runner = self._runner
        if session is not None:
            train, val = session.prepare(runner, train, val)
        if len(self.trainable_weights) != self._captured_trainable:
            warnings.warn("Discrepancy between trainable weights and collected trainable "
                          "weights, did you set `model.trainable` without calling "
                          "`model.compile` after ?", stacklevel=2)
        history = History()
        # Keras 2.2.4's params: 'samples' (None for generators) and 'metrics' with the val_ names.
        metric_names = list(runner.metrics_names)
        if val is not None:
            metric_names += ["val_" + n for n in runner.metrics_names]
        cbs = self._callback_list(callbacks, history, verbose, epochs, train.steps_per_epoch,
                                  "train", batch_size=getattr(train, "batch_size", batch_size),
                                  do_validation=val is not None,
                                  samples=getattr(train, "n", None), metrics=metric_names)
        if val is not None and isinstance(val, da.ArrayAdapter):
            validation_arrays = validation_arrays_of(val)
            for cb in cbs:
                cb.validation_data = validation_arrays
        self.stop_training = False
        names = runner.metrics_names
        with runner.trainable_scope(), threads.sized_for(self, train):
            cbs.on_train_begin()
            initial_epoch = _resume(self, initial_epoch)
            for epoch in range(initial_epoch, epochs):
                runner.reset_metrics()
                runner.accumulating = False
                cbs.on_epoch_begin(epoch)
                batch_hooks = cbs.has_batch_hooks("train")
                batches = train.batches()
                step = _skip_done_batches(self, batches)
                for xs, ys, sws in batches:
                    if batch_hooks:
                        cbs.on_train_batch_begin(step, {"batch": step, "size": len(xs[0])})
                    runner.train_batch(xs, ys, sws)
                    if batch_hooks:
                        cbs.on_train_batch_end(step, LazyLogs(names, runner.results))
                    step += 1
                    if self.stop_training:
                        break
                if step == 0 or getattr(train, "exhausted", False):
                    da.warn_out_of_data(train.steps_per_epoch, epochs)
                    self.stop_training = True
                    if step == 0:
                        break
                if session is not None:
                    session.end_epoch(runner)
                logs = runner.logs()
                self.__dict__["_epochs_done"] = epoch + 1  # saved with the model, for resuming
                if val is not None and _should_validate(epoch, validation_freq):
                    val_logs = self._test_loop(val, cbs)
                    logs.update({"val_" + k: v for k, v in val_logs.items()})
                cbs.on_epoch_end(epoch, logs)
                train.on_epoch_end()
                if self.stop_training:
                    break
            cbs.on_train_end()
        self.history = history
        return history

    def _callback_list(self, callbacks, history, verbose, epochs, steps, mode, **extra):
        # As tf.keras: the progress bar first, the user's callbacks, History last (so it sees
        # the 'lr' that learning-rate callbacks add to the logs).
        if callbacks is not None and not isinstance(callbacks, (list, tuple)):
            raise TypeError("`callbacks` must be a list of Callback instances. Received: a "
                            f"{type(callbacks).__name__}")
        cbs = list(callbacks or [])
        if verbose and not any(isinstance(cb, ProgbarLogger) for cb in cbs):
            cbs.insert(0, ProgbarLogger())
        if history is not None:
            cbs.append(history)
        params = {"verbose": verbose, "epochs": epochs, "steps": steps,
                  "metrics": list(self.metrics_names), **extra}
        return CallbackList(cbs, model=self, params=params)

    # ----------------------------------------------------------------- evaluate
    def _one_pass(self, x, y, sample_weight, batch_size, steps, mode, verbose, callbacks,
                  workers, max_queue_size):
        """(distributed session or None, adapter, callbacks) for one pass of evaluate/predict;
        with several processes each one gets its shard of the data."""
        session = distributed.session(self)  # None in a single process
        if session is not None:
            verbose, callbacks = session.begin(verbose, callbacks)
        self._move_to_device()
        adapter = self._adapter(x, y, sample_weight, None, batch_size, False, steps, mode,
                                workers, max_queue_size)
        if session is not None:
            adapter = session.shard(adapter, mode)
        cbs = self._callback_list(callbacks, None, verbose, 1, adapter.steps_per_epoch, mode)
        return session, adapter, cbs

    def _test_loop(self, adapter, cbs):
        runner = self._runner
        runner.reset_metrics()
        runner.accumulating = False
        cbs.on_test_begin()
        names = runner.metrics_names
        hooks = cbs.has_batch_hooks("test")
        step = 0
        with keep_moving_statistics(self):
            for xs, ys, sws in adapter.batches():
                if hooks:
                    cbs.on_test_batch_begin(step, {"batch": step, "size": len(xs[0])})
                runner.test_batch(xs, ys, sws)
                if hooks:
                    cbs.on_test_batch_end(step, LazyLogs(names, runner.results))
                step += 1
        if getattr(adapter, "reduce_metrics", False):  # sharded over several processes
            distributed.reduce_metrics(runner)  # on every process, even one given no sample
            step = runner.loss_tracker.count
        if step == 0:  # a one-shot generator already used up: report nothing rather than 0.0
            warnings.warn("The evaluation data produced no batches (a generator that is already "
                          "exhausted?); no loss or metrics are reported for it.", stacklevel=3)
            cbs.on_test_end({})
            return {}
        logs = runner.logs()
        cbs.on_test_end(logs)
        adapter.on_epoch_end()
        return logs

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
        del use_multiprocessing
        _, adapter, cbs = self._one_pass(x, y, sample_weight, batch_size, steps, "test", verbose,
                                         callbacks, workers, max_queue_size)
        with torch.no_grad(), threads.sized_for(self, adapter):
            logs = self._test_loop(adapter, cbs)
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
        del use_multiprocessing
        verbose = resolve_verbose(verbose)
        session, adapter, cbs = self._one_pass(x, None, None, batch_size, steps, "predict",
                                               verbose, callbacks, workers, max_queue_size)
        cbs.on_predict_begin()
        hooks = cbs.has_batch_hooks("predict")
        chunks = []
        with torch.no_grad(), keep_moving_statistics(self), threads.sized_for(self, adapter):
            for step, (xs, _, _) in enumerate(adapter.batches()):
                if hooks:
                    cbs.on_predict_batch_begin(step, {"batch": step, "size": len(xs[0])})
                outs = self._predict_batch(xs)
                chunks.append(outs)
                if hooks:
                    cbs.on_predict_batch_end(step, {"outputs": outs})
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
        x = xs[0] if len(xs) == 1 else xs
        outs = self(x, training=fixed_learning_phase(False))
        return list(outs) if isinstance(outs, (list, tuple)) else [outs]


def _resume(model, initial_epoch):
    """The epoch fit starts from, after restoring a loaded or backed-up training state."""
    if "_saved_training_state" not in model.__dict__ and "_resume_epoch" not in model.__dict__:
        return initial_epoch
    from openkeras.saving import training_state

    return training_state.resume(model, initial_epoch)


def _skip_done_batches(model, batches):
    """0, or the batches a mid-epoch backup already trained (skipped here)."""
    if "_resume_step" not in model.__dict__:
        return 0
    from openkeras.saving import training_state

    return training_state.skip_done_batches(model, batches)


def _should_validate(epoch, freq):
    if is_int(freq):
        if freq < 1:
            raise ValueError(f"`validation_freq` can not be less than 1. Received: {freq}")
        return (epoch + 1) % freq == 0
    return epoch + 1 in freq


# Names Keras 2 code imports from this module, resolved on first access (openkeras.engine.keras2_names).
from openkeras.engine.keras2_names import TRAINING as _KERAS2  # noqa: E402
from openkeras.engine.lazy_exports import lazy_exports  # noqa: E402

__getattr__ = lazy_exports(__name__, _KERAS2)
