"""The loops of ``fit``, ``evaluate`` and ``predict``: one batch iteration, its callbacks.

``run_batches`` is the only batch loop: ``fit`` runs it with the train step, ``evaluate`` and
validation with the test step, ``predict`` with the forward pass. The callbacks' batch hooks
are called only when some callback defines them, and batch logs are read lazily, so a loop
without such callbacks never waits for the device between batches.
"""

import warnings

from openkeras.engine import data_adapter as da
from openkeras.engine import distributed
from openkeras.engine.data_handler import validation_arrays
from openkeras.engine.train_step import keep_moving_statistics
from openkeras.engine.training_callbacks import CallbackList, LazyLogs, ProgbarLogger
from openkeras.utils.generic_utils import is_int


def run_batches(batches, step_fn, cbs, mode, step=0, end_logs=None, model=None):
    """Run ``step_fn(xs, ys, sws)`` on every batch, with the callbacks' batch hooks around it.

    Args:
        batches: an iterable of ``(xs, ys, sws)`` batches.
        step_fn: the step to run on each batch.
        cbs: the CallbackList.
        mode: 'train', 'test' or 'predict': which batch hooks are called.
        step: the index of the first batch.
        end_logs: a function from the step's result to the logs of the batch-end hook.
        model: when given, the loop stops after a batch that set ``model.stop_training``.

    Returns:
        the index after the last batch run (the number of batches when ``step`` is 0).
    """
    hooks = cbs.has_batch_hooks(mode)
    for xs, ys, sws in batches:
        if hooks:
            cbs.call_batch_hook(mode, "begin", step, {"batch": step, "size": len(xs[0])})
        result = step_fn(xs, ys, sws)
        if hooks:
            cbs.call_batch_hook(mode, "end", step, end_logs(result))
        step += 1
        if model is not None and model.stop_training:
            break
    return step


def runner_logs(runner):
    """The batch-end logs of a train or test step: the running values, read when used."""
    names = runner.metrics_names
    return lambda _: LazyLogs(names, runner.results)


def test_loop(model, adapter, cbs):
    """One pass of the test step over ``adapter`` (evaluate, or fit's validation); its logs."""
    runner = model._runner
    runner.reset_metrics()
    runner.accumulating = False
    cbs.on_test_begin()
    with keep_moving_statistics(model):
        step = run_batches(adapter.batches(), runner.test_batch, cbs, "test",
                           end_logs=runner_logs(runner))
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


def callback_list(model, callbacks, history, verbose, epochs, steps, **extra):
    """The CallbackList of one run: the progress bar first, the user's callbacks, then History
    (last, as in tf.keras, so it sees the 'lr' that learning-rate callbacks add to the logs)."""
    if callbacks is not None and not isinstance(callbacks, (list, tuple)):
        raise TypeError("`callbacks` must be a list of Callback instances. Received: a "
                        f"{type(callbacks).__name__}")
    cbs = list(callbacks or [])
    if verbose and not any(isinstance(cb, ProgbarLogger) for cb in cbs):
        cbs.insert(0, ProgbarLogger())
    if history is not None:
        cbs.append(history)
    params = {"verbose": verbose, "epochs": epochs, "steps": steps,
              "metrics": list(model.metrics_names), **extra}
    return CallbackList(cbs, model=model, params=params)


def fit_callbacks(model, callbacks, history, verbose, epochs, batch_size, train, val):
    """``fit``'s CallbackList, with Keras 2.2.4's params ('samples': None for generators;
    'metrics' with the val_ names) and ``callback.validation_data`` for array validation."""
    names = list(model._runner.metrics_names)
    if val is not None:
        names += ["val_" + n for n in names]
    cbs = callback_list(model, callbacks, history, verbose, epochs, train.steps_per_epoch,
                        batch_size=getattr(train, "batch_size", batch_size),
                        do_validation=val is not None, samples=getattr(train, "n", None),
                        metrics=names)
    if isinstance(val, da.ArrayAdapter):
        arrays = validation_arrays(val)
        for cb in cbs:
            cb.validation_data = arrays
    return cbs


def should_validate(epoch, freq):
    """Whether fit validates after ``epoch`` (0-based): every ``freq`` epochs, or at the
    1-based epochs listed in ``freq``."""
    if is_int(freq):
        if freq < 1:
            raise ValueError(f"`validation_freq` can not be less than 1. Received: {freq}")
        return (epoch + 1) % freq == 0
    return epoch + 1 in freq
