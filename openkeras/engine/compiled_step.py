"""Compiled mode (``compile(..., jit_compile=True)``): the train step and the predict step.

The train step (forward, loss, backward, optimizer update, constraints, loss and metric
tracking) and the predict step are traced and compiled by engine/compiled_graphs.py. Inside
the train graph the trainable weights are inputs: the model's parameters are swapped for
detached views of the same storage while tracing, and the optimizer updates those views in
place; the optimizer's coefficients are one float32 tensor filled before each step.
"""

import numpy as np
import torch

from openkeras.backend.common import _PHASE
from openkeras.engine import tracing
from openkeras.engine.base_layer import apply_updates
from openkeras.engine.compiled_graphs import FAILED, Compiled, signature
from openkeras.engine.train_step import apply_constraints
from openkeras.engine.weights import parameter_slots, swapped_parameters


# ---------------------------------------------------------------------------- train step
def _unsupported_train(runner):
    """Why the train step of ``runner`` cannot be compiled, or None."""
    optimizer = runner.optimizer
    if runner.scales_loss:
        return "a LossScaleOptimizer checks its gradients on the host each step"
    if type(optimizer).get_updates.__qualname__ != "Optimizer.get_updates":
        return (f"the optimizer {type(optimizer).__name__} defines Keras 2's get_updates, "
                "which is replayed in Python")
    if runner.user_metrics:
        return "a Keras 2 Metric subclass updates its state in Python"
    if runner.layer_metrics or runner.added_metrics:
        return "add_metric() values are averaged in Python"
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return "distributed training reduces gradients between processes in Python"
    return _unsupported_model(runner.model)


def _unsupported_model(model):
    for module in model.modules():
        if getattr(module, "stateful", False):
            return f"layer '{getattr(module, 'name', module)}' is stateful"
    return None


def _views(slots):
    """Plain-tensor views of the parameters in ``slots`` (the tracer takes no Parameter
    subclass), by parameter id: the graph reads and updates them in place."""
    return {id(p): _view(p, p.detach()) for _, _, p in slots}


def _view(p, view):
    """``view`` of the weight ``p``, knowing its Keras layout as ``p`` does (regularizers
    and constraints see the weight in Keras layout)."""
    layout = getattr(p, "_keras_layout", None)
    if layout is not None:
        view._keras_layout = layout
    return view


class CompiledTrain(Compiled):
    """The compiled train step of a ``StepRunner``."""

    what = "train step"

    def __init__(self, runner):
        super().__init__(runner.model)
        self._made_from = (runner,)
        self.runner = runner
        self.optimizer = runner.optimizer
        self.names = None
        self.coefficients = None
        reason = _unsupported_train(runner)
        if reason is not None:
            self.give_up(reason)
            return
        self.slots = parameter_slots(runner.model)
        held = {id(p) for _, _, p in self.slots}
        missing = [getattr(p, "name", "?") for p in runner.params if id(p) not in held]
        if missing:
            self.give_up(f"weights {missing} are not registered parameters of any layer")
            return
        # views of the trainable weights are the graph's inputs, updated in place (they
        # require gradients for the trace's backward; the graph runs under no_grad); the other
        # weights (moving statistics) are read and updated through views captured by reference
        self.leaves = [_view(p, p.detach().requires_grad_()) for p in runner.params]
        self.swap = _views(self.slots)
        self.swap.update({id(p): leaf for p, leaf in zip(runner.params, self.leaves,
                                                          strict=True)})

    def forbidden_constants(self):
        return self.runner.params

    def __call__(self, xs, ys, sws, training):
        """Run one compiled train step; False when the batch must run eagerly."""
        n = xs[0].shape[0]
        key = signature((xs, ys, sws), training)
        graph = self.lookup(key, n)
        if graph is False:
            return False
        saved = _Snapshot(self.runner) if graph is None else None
        coefficients = self._coefficients()
        if graph is None:
            if not self._trace(key, xs, ys, sws, training, coefficients, saved):
                return False
        else:
            with torch.no_grad():
                if self.run(key, graph, self.leaves, xs, ys, sws, coefficients) is FAILED:
                    return False
            runner = self.runner
            runner.loss_tracker.count += n
            for tracker in runner.output_trackers:
                tracker.count += n
        self.optimizer.iterations.add_(1)
        return True

    def _coefficients(self):
        """This step's optimizer coefficients, in one float32 tensor on the weights' device."""
        values = self.optimizer._coefficients(int(self.optimizer.iterations))
        if self.names is None:
            self.names = list(values)
            self.coefficients = torch.zeros(len(self.names), dtype=torch.float32)
        self.coefficients.numpy()[:] = [values[k] for k in self.names]
        device = self.leaves[0].device if self.leaves else self.coefficients.device
        return self.coefficients.to(device)

    def _trace(self, key, xs, ys, sws, training, coefficients, saved):
        self._prepare_states(xs)
        try:
            with torch.no_grad():
                self.compile(key, self._step_fn(training), (self.leaves, xs, ys, sws,
                                                            coefficients))
        except Exception as e:  # not traceable: undo what the trace did, run eagerly
            saved.restore()
            self.give_up(e if isinstance(e, tracing.Unsupported) else f"{type(e).__name__}: {e}")
            return False
        return True

    def _prepare_states(self, xs):
        """Create the lazily made states before tracing, so the graph captures the real ones."""
        runner = self.runner
        device = xs[0].device
        for tracker in [runner.loss_tracker] + runner.output_trackers:
            if tracker.total is None or tracker.total.device != device:
                tracker.total = torch.zeros((), dtype=torch.float32, device=device)
        for m in runner.metrics:
            if hasattr(m.metric, "_states_on"):
                m.metric._states_on(device)

    def _step_fn(self, training):
        runner, optimizer, names = self.runner, self.optimizer, self.names
        leaf_groups = [(idx, [self.leaves[i] for i in idx], slots)
                       for idx, _, slots in optimizer._groups]
        swap = self.swap
        constrained = [(swap[id(p)], constraint, layout) for p, constraint, layout in runner.constrained]
        regularized = [(swap[id(p)], regularizer) for p, regularizer in runner.regularized]

        def step(leaves, xs, ys, sws, coefficients):
            c = {name: coefficients[i] for i, name in enumerate(names)}
            previous, _PHASE[0] = _PHASE[0], int(training)
            weights, runner.regularized = runner.regularized, regularized
            try:
                with torch.enable_grad(), swapped_parameters(self.slots, swap):
                    outs, masks, total, per_output, updates = runner._forward_and_loss(
                        xs, ys, sws, training)
                    grads = torch.autograd.grad(total, leaves, allow_unused=True)
            finally:
                _PHASE[0] = previous
                runner.regularized = weights
            groups, optimizer._groups = optimizer._groups, leaf_groups
            try:
                work = optimizer._work(list(grads))
                optimizer._update_work(work, c)
            finally:
                optimizer._groups = groups
            if updates:
                apply_updates(updates)
            apply_constraints(constrained)
            runner._track(total, per_output, outs, ys, sws, masks, xs[0].shape[0])
            return total.detach()

        return step


class _Snapshot:
    """Copies of every state a train step may change, to put back after a failed trace."""

    def __init__(self, runner):
        model, optimizer = runner.model, runner.optimizer
        tensors = list(model.parameters()) + list(model.buffers()) + list(optimizer.weights)
        for m in runner.metrics:
            tensors += list(getattr(m.metric, "variables", ()))
        trackers = [runner.loss_tracker] + runner.output_trackers
        tensors += [t.total for t in trackers if t.total is not None]
        unique = {id(t): t for t in tensors if torch.is_tensor(t)}
        self.tensors = [(t, t.detach().clone()) for t in unique.values()]
        self.counts = [(t, t.count) for t in trackers]

    def restore(self):
        with torch.no_grad():
            for t, value in self.tensors:
                t.copy_(value)
        for tracker, count in self.counts:
            tracker.count = count


# -------------------------------------------------------------------------- predict step
class CompiledPredict(Compiled):
    """The compiled forward pass of ``Model.predict``: weights captured by reference."""

    what = "predict step"

    def __init__(self, model, forward):
        super().__init__(model)
        self._made_from = (model, forward)
        self.slots = parameter_slots(model)
        self.views = _views(self.slots)
        self.forward = forward
        reason = _unsupported_model(model)
        if reason is not None:
            self.give_up(reason)

    def _traced_forward(self, xs):
        with swapped_parameters(self.slots, self.views):
            return self.forward(xs)

    def forbidden_constants(self):
        return [p for _, _, p in self.slots]

    def __call__(self, xs):
        """The outputs of a compiled forward pass, or None when the batch runs eagerly."""
        key = signature((xs,), False)
        graph = self.lookup(key, xs[0].shape[0])
        if graph is False:
            return None
        if graph is None:
            try:
                return self.compile(key, self._traced_forward, (xs,))
            except Exception as e:  # a forward pass has no side effects to undo
                self.give_up(f"{type(e).__name__}: {e}")
                return None
        outs = self.run(key, graph, xs)
        return None if outs is FAILED else outs


def as_flag(value, owner="compile"):
    """``jit_compile`` as a bool (None / 'auto': the ``config.jit_compile()`` default)."""
    if value is None or (isinstance(value, str) and value == "auto"):
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise ValueError(f"{owner}(): `jit_compile` must be True, False, None or 'auto'. "
                     f"Received: jit_compile={value!r}")
