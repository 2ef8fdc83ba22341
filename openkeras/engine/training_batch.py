"""``train_on_batch``, ``test_on_batch`` and ``predict_on_batch``: one batch, no loop."""

import torch

from openkeras.engine import threads
from openkeras.engine.data_handler import DataHandler
from openkeras.engine.train_step import keep_moving_statistics


class BatchMethodsMixin:
    """The ``*_on_batch`` methods of ``Model`` (they run the model's ``StepRunner``)."""

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None,
                       reset_metrics=True, return_dict=False):
        """One optimizer step on one batch; returns its loss (and metrics).

        Args:
            x: inputs; y: targets; sample_weight / class_weight: as in ``fit``.
            reset_metrics: reset the running metrics afterwards (else they accumulate).
            return_dict: return ``{name: value}`` instead of a scalar or list.
        """
        self._assert_compiled("training")
        self._move_to_device()
        xs, ys, sws = DataHandler(self).arrays(x, y, sample_weight, class_weight)
        runner = self._runner
        self._start_batch_metrics(runner)
        with runner.trainable_scope(), threads.sized_for(self, len(xs[0])):
            runner.train_batch(xs, ys, sws)
        return self._batch_results(runner, reset_metrics, return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, reset_metrics=True,
                      return_dict=False):
        """Loss (and metrics) of one batch, without training."""
        self._assert_compiled("testing")
        self._move_to_device()
        xs, ys, sws = DataHandler(self).arrays(x, y, sample_weight, None)
        runner = self._runner
        self._start_batch_metrics(runner)
        with keep_moving_statistics(self), threads.sized_for(self, len(xs[0])):
            runner.test_batch(xs, ys, sws)
        return self._batch_results(runner, reset_metrics, return_dict)

    def predict_on_batch(self, x):
        """Outputs for one batch of inputs, as numpy arrays."""
        self._move_to_device()
        xs = DataHandler(self).inputs(x)
        with torch.no_grad(), keep_moving_statistics(self), threads.sized_for(self, len(xs[0])):
            outs = [o.cpu().numpy() for o in self._predict_batch(xs)]
        return outs[0] if len(outs) == 1 else outs

    def _start_batch_metrics(self, runner):
        # Values left by fit/evaluate do not leak into the first *_on_batch result.
        if not runner.accumulating:
            runner.reset_metrics()

    def _batch_results(self, runner, reset_metrics, return_dict):
        logs = runner.logs()
        if reset_metrics:
            runner.reset_metrics()
        runner.accumulating = not reset_metrics
        return format_results(logs, return_dict)


def format_results(logs, return_dict):
    """``logs`` as fit/evaluate return them: the dict, a scalar, or a list."""
    if return_dict:
        return logs
    values = list(logs.values())
    return values[0] if len(values) == 1 else values
