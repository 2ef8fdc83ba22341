"""``compile`` and what it prepares: the step runner, the loss and metric names."""

import warnings

from openkeras import config, optimizers
from openkeras.engine import compile_utils, compiled_step
from openkeras.engine.train_step import StepRunner
from openkeras.metrics.names import MetricNames
from openkeras.mixed_precision.loss_scale_optimizer import LossScaleOptimizer


class CompileMixin:
    """``compile``, ``metrics`` and ``metrics_names`` of ``Model``."""

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
            **kwargs: ``jit_compile``: True runs the train and predict steps as
                ``torch.compile`` graphs (default: ``openkeras.config.jit_compile()``);
                tf.keras's ``run_eagerly`` and ``steps_per_execution`` are accepted and have
                no effect; ``target_tensors`` is ignored with a warning.
        """
        if kwargs.pop("target_tensors", None) is not None:
            warnings.warn("compile(): `target_tensors` is ignored by openkeras (it fed TensorFlow "
                          "tensors as targets). Pass the targets to fit() instead: "
                          "`model.fit(x, y)`, or a generator / Sequence / DataLoader yielding "
                          "`(x, y)`.", UserWarning, stacklevel=2)
        self._jit_compile = compiled_step.as_flag(kwargs.pop("jit_compile", None))
        self._compiled_predict = None
        for key in ("run_eagerly", "steps_per_execution"):
            kwargs.pop(key, None)
        if kwargs:
            raise TypeError(f"Invalid keyword argument(s) in `compile()`: {sorted(kwargs)}. "
                            "Valid keyword arguments include: optimizer, loss, metrics, "
                            "loss_weights, sample_weight_mode, weighted_metrics.")
        self.optimizer = optimizers.get(optimizer)
        if self._dtype_policy.name == "mixed_float16" and not hasattr(self.optimizer,
                                                                      "get_scaled_loss"):
            # tf.keras wraps the optimizer of a mixed_float16 model: float16 gradients would
            # underflow without loss scaling
            self.optimizer = LossScaleOptimizer(self.optimizer)
        self.loss = loss
        self.loss_weights = loss_weights
        self.sample_weight_mode = sample_weight_mode
        self._compile_args = {"metrics": metrics, "weighted_metrics": weighted_metrics}
        self._runner = None
        compile_utils.check_names(loss, metrics, weighted_metrics)
        if self._data_spec().built:
            self._make_runner()

    def _make_runner(self):
        spec = self._data_spec()
        names = spec.output_names
        spec_losses = compile_utils.per_output(self.loss, names, "loss")
        weights = compile_utils.per_output(self.loss_weights, names, "loss_weights", default=1.0)
        if isinstance(self.loss, dict):
            for name, value in zip(names, spec_losses, strict=True):
                if value is None:
                    warnings.warn(f'Output "{name}" missing from loss dictionary. We assume this '
                                  "was done on purpose. The fit and evaluate APIs will not be "
                                  f'expecting any data to be passed to "{name}".', stacklevel=3)
        output_losses = [None if loss is None else compile_utils.OutputLoss(loss, w, name)
                         for loss, w, name in zip(spec_losses, weights, names, strict=True)]
        # No loss for any output is allowed (Keras 2): the loss then comes from add_loss()
        # in layers; train_step raises if nothing at all is there to optimize.
        metrics = compile_utils.build_metrics(
            self._compile_args["metrics"], self._compile_args["weighted_metrics"], names,
            spec.output_shapes, output_losses)
        self._temporal = [m == "temporal" for m in compile_utils.per_output(
            self.sample_weight_mode, names, "sample_weight_mode")]
        self._runner = StepRunner(self, self.optimizer, spec, output_losses, metrics,
                                  self.trainable_weights)
        if self._jit_enabled():
            self._runner.compiled = compiled_step.CompiledTrain(self._runner)
        self._captured_trainable = len(self._runner.params)

    def _jit_enabled(self):
        flag = self.__dict__.get("_jit_compile")
        return config.jit_compile() if flag is None else flag

    def _assert_compiled(self, what):
        if self.optimizer is None or self._compile_args is None:
            raise RuntimeError(f"You must compile your model before {what}. Use "
                               "`model.compile(optimizer, loss)`.")

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
