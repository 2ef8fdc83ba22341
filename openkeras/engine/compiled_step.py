"""Compiled mode (``compile(..., jit_compile=True)``): the train and predict steps as graphs.

The whole train step (forward, loss, backward, optimizer update, constraints, loss and metric
tracking) is traced once per input signature with ``make_fx`` and compiled with
``torch.compile``, so a step is one call into generated code instead of hundreds of Python
calls and kernel launches. The trace runs the step for real on its batch, so that batch is
trained by the trace itself. Inside the graph:

- the trainable weights are inputs: the model's parameters are swapped for detached views of
  the same storage while tracing, and the optimizer updates those views in place;
- the optimizer's coefficients (learning rate, Adam's bias correction ...) are one float32
  tensor filled before each step, so no step needs a new graph;
- every other state the step changes (optimizer slots, moving statistics, metric states) is
  captured by reference and updated in place.

A batch of another size than the first (the last, partial one) runs eagerly on the same
weights and states instead of compiling again. On the CPU, the first steps after compiling
alternate compiled and eager and are timed: when the compiled step is not faster (a model
whose time is all in convolutions or matrix products, a tiny predict call), the model keeps
running eagerly and says so, so compiled mode is never slower than eager after its start.
A step that cannot be traced or compiled falls back to eager with one warning that names
the reason, after putting back every state the failed trace touched.
"""

import contextlib
import time
import warnings

import numpy as np
import torch
from torch.fx.experimental.proxy_tensor import make_fx

from openkeras.backend.common import _PHASE
from openkeras.engine import tracing
from openkeras.engine.base_layer import apply_updates

MAX_SIGNATURES = 4  # input signatures compiled per model; others run eagerly
RACE_STEPS = 6  # after compiling on CPU: timed steps of each kind before keeping the faster
RACE_MARGIN = 1.0  # compiled is kept unless its median step is slower than eager's


def signature(tensors_lists, training):
    """What a traced graph is specialized on: shapes, dtypes, devices, None positions."""
    return (training,) + tuple(
        tuple(None if t is None else (tuple(t.shape), t.dtype, t.device) for t in tensors)
        for tensors in tensors_lists)


class _Fallback(Exception):
    """The step cannot be compiled; the message says why."""


class _Compiled:
    """Traces, compiles and caches graphs per signature; falls back to eager once it fails."""

    what = "step"

    def __init__(self, model):
        self.model = model
        self.graphs = {}
        self.batch_size = None  # the largest batch seen
        self.failed = None  # the reason, once compiled mode gave up
        self.compile_seconds = 0.0  # tracing + compiling, summed over signatures
        self.race = None  # a _Race while compiled and eager steps are being compared
        self._warned_limit = False

    def __getstate__(self):
        # A copy traces graphs of its own (these read the original's tensors) and finds its
        # weights again: it keeps only what it was made from, and is made on first use.
        return {"_made_from": self._made_from}

    def __setstate__(self, state):
        self.__dict__.update(state, failed="not made yet", _copied=True)

    def _remade(self):
        """For a copy's first use: made from its model; whether it can run compiled."""
        if not self.__dict__.pop("_copied", False):
            return False
        self.__init__(*self._made_from)
        return self.failed is None

    def give_up(self, reason):
        self.failed = str(reason) or type(reason).__name__
        warnings.warn(f"jit_compile: the {self.what} of model '{self.model.name}' runs eagerly: "
                      f"{self.failed}", RuntimeWarning, stacklevel=4)

    def start_race(self, args):
        on_cpu = all(t.device.type == "cpu" for t in _tensors(args))
        if RACE_STEPS > 0 and on_cpu and self.race is None and len(self.graphs) == 1:
            self.race = _Race()

    def race_turn(self):
        """Whether this call runs its compiled graph: False on a racing eager turn, and for
        good once the race found the compiled step slower."""
        race = self.race
        if race is None:
            return True
        compiled = race.next_is_compiled()
        if not race.decided():
            return compiled
        self.race = None
        compiled_ms, eager_ms = race.medians_ms()
        if compiled_ms > RACE_MARGIN * eager_ms:
            self.give_up(f"it measured slower than eager ({compiled_ms:.3g} ms against "
                         f"{eager_ms:.3g} ms per step, medians of {RACE_STEPS})")
            return False
        return True

    def graph_for(self, key, n):
        """The compiled graph of ``key``; None when this batch must be traced, False when it
        runs eagerly (smaller than the largest batch seen: a partial one; or one signature
        too many)."""
        if self.batch_size is not None and n < self.batch_size:  # a last, partial batch
            if self.race is not None:  # its time counts for neither kind
                self.race.last = None
            return False
        self.batch_size = n
        graph = self.graphs.get(key)
        if graph is None and len(self.graphs) >= MAX_SIGNATURES:
            if not self._warned_limit:
                self._warned_limit = True
                warnings.warn(f"jit_compile: model '{self.model.name}' was given more than "
                              f"{MAX_SIGNATURES} input signatures; batches of new ones run "
                              "eagerly.", RuntimeWarning, stacklevel=4)
            return False
        return graph

    def compile(self, key, fn, args):
        """Trace ``fn(*args)`` (running it), keep its compiled graph; the trace's result."""
        start = time.perf_counter()
        result = {}

        def traced(*a):
            result["value"] = fn(*a)
            return result["value"]

        with _quiet_torch():
            with tracing.tracing():
                gm = make_fx(traced)(*args)
            _check_constants(gm, self.forbidden_constants())
            # random ops stay torch's own (eager's numbers from the same seed; on the CPU
            # faster than inductor's generated ones)
            compiled = torch.compile(gm, dynamic=False, options={"fallback_random": True})
            self.graphs[key] = _FirstCall(compiled, self)
        self.compile_seconds += time.perf_counter() - start
        return result["value"]

    def forbidden_constants(self):
        return ()


class _Race:
    """Alternates compiled and eager steps after compiling, timing each from its start to the
    next step's start (the loop's own work is the same for both), until both kinds have
    ``RACE_STEPS`` times; the compiled step is kept only if it was not slower. A CPU
    measurement: on a GPU the host does not wait for the step, and compiled is kept."""

    def __init__(self):
        self.times = {True: [], False: []}
        self.last = None  # (compiled?, start) of the step running now
        self.turn = 0

    def next_is_compiled(self):
        """Whether this step runs compiled; records the time of the previous one."""
        now = time.perf_counter()
        if self.last is not None:
            self.times[self.last[0]].append(now - self.last[1])
        compiled = self.turn % 2 == 0
        self.turn += 1
        self.last = (compiled, now)
        return compiled

    def decided(self):
        return min(len(t) for t in self.times.values()) >= RACE_STEPS

    def medians_ms(self):
        return tuple(float(np.median(self.times[k])) * 1e3 for k in (True, False))


class _FirstCall:
    """A compiled graph whose first call (where torch.compile does its work) is timed."""

    __slots__ = ("fn", "owner", "first")

    def __init__(self, fn, owner):
        self.fn, self.owner, self.first = fn, owner, True

    def __call__(self, *args):
        if not self.first:
            return self.fn(*args)
        start = time.perf_counter()
        with _quiet_torch():
            out = self.fn(*args)
        self.first = False
        self.owner.compile_seconds += time.perf_counter() - start
        self.owner.start_race(args)
        return out


@contextlib.contextmanager
def _quiet_torch():
    """Inside: deprecation warnings torch's compiler stack raises about its own internals
    (``torch.jit.script_method`` ...) are not shown; the user's code warns as usual."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"torch\.")
        warnings.filterwarnings("ignore", message=r".*torch\.jit\.\w+` is deprecated")
        yield


def _tensors(args):
    """The tensors in the nested lists ``args``."""
    for a in args:
        if torch.is_tensor(a):
            yield a
        elif isinstance(a, (list, tuple)):
            yield from _tensors(a)


def _check_constants(gm, forbidden):
    """Fail when the graph captured a trainable weight itself instead of its traced input (a
    layer that reads a weight some other way than through its attribute)."""
    ids = {id(p) for p in forbidden}
    if not ids:
        return
    for name, value in gm.named_buffers():
        if id(value) in ids:
            raise _Fallback(f"the graph read a weight directly ({name}); a layer keeps its "
                            "weight outside its registered parameters")
    for value in gm.__dict__.values():
        if torch.is_tensor(value) and id(value) in ids:
            raise _Fallback("the graph read a weight directly; a layer keeps its weight "
                            "outside its registered parameters")


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


def _parameter_slots(model, params=()):
    """``(module, attribute, parameter)`` for every place a module of ``model`` holds a
    parameter; fails when one of ``params`` is held nowhere."""
    slots, seen = [], set()
    for module in model.modules():
        for attr, p in module._parameters.items():
            if p is not None:
                slots.append((module, attr, p))
                seen.add(id(p))
    missing = [getattr(p, "name", "?") for p in params if id(p) not in seen]
    if missing:
        raise _Fallback(f"weights {missing} are not registered parameters of any layer")
    return slots


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


@contextlib.contextmanager
def _swapped(slots, replacement):
    """Inside: each module attribute holding a parameter holds ``replacement[id(p)]``."""
    for module, attr, p in slots:
        module._parameters[attr] = replacement[id(p)]
    try:
        yield
    finally:
        for module, attr, p in slots:
            module._parameters[attr] = p


class CompiledTrain(_Compiled):
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
        try:
            self.slots = _parameter_slots(runner.model, runner.params)
        except _Fallback as e:
            self.give_up(e)
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
        if self.failed is not None and not self._remade():
            return False
        n = xs[0].shape[0]
        key = signature((xs, ys, sws), training)
        graph = self.graph_for(key, n)
        if graph is False or (graph is not None and not self.race_turn()):
            return False
        saved = _Snapshot(self.runner) if graph is None else None
        step = int(self.optimizer.iterations)
        values = self.optimizer._coefficients(step)
        if self.names is None:
            self.names = list(values)
            self.coefficients = torch.zeros(len(self.names), dtype=torch.float32)
            self._host = self.coefficients.numpy()
        self._host[:] = [values[k] for k in self.names]
        coefficients = self.coefficients.to(self.leaves[0].device, non_blocking=True) \
            if self.leaves and self.leaves[0].device.type != "cpu" else self.coefficients
        if graph is None:
            if not self._trace(key, xs, ys, sws, training, coefficients, saved):
                return False
        else:
            try:
                with torch.no_grad():
                    graph(self.leaves, xs, ys, sws, coefficients)
            except Exception as e:  # torch.compile failed on its first call: nothing ran
                del self.graphs[key]
                self.give_up(f"torch.compile failed: {type(e).__name__}: {e}")
                return False
            runner = self.runner
            runner.loss_tracker.count += n
            for tracker in runner.output_trackers:
                tracker.count += n
        self.optimizer.iterations.add_(1)
        return True

    def _trace(self, key, xs, ys, sws, training, coefficients, saved):
        self._prepare_states(xs)
        try:
            with torch.no_grad():
                self.compile(key, self._step_fn(training), (self.leaves, xs, ys, sws,
                                                            coefficients))
        except Exception as e:  # not traceable: undo what the trace did, run eagerly
            saved.restore()
            self.give_up(e if isinstance(e, _Fallback) else f"{type(e).__name__}: {e}")
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
        constrained = [(self.swap[id(p)], constraint, layout)
                       for p, constraint, layout in runner.constrained]
        swap = self.swap
        regularized = [(swap[id(p)], regularizer) for p, regularizer in runner.regularized]

        def step(leaves, xs, ys, sws, coefficients):
            c = {name: coefficients[i] for i, name in enumerate(names)}
            previous, _PHASE[0] = _PHASE[0], int(training)
            weights, runner.regularized = runner.regularized, regularized
            try:
                with torch.enable_grad(), _swapped(self.slots, swap):
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
            for leaf, constraint, layout in constrained:
                if layout is None:
                    leaf.copy_(constraint(leaf))
                else:
                    leaf.copy_(layout.to_engine(constraint(layout.to_keras(leaf))))
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
class CompiledPredict(_Compiled):
    """The compiled forward pass of ``Model.predict``: weights captured by reference."""

    what = "predict step"

    def __init__(self, model, forward):
        super().__init__(model)
        self._made_from = (model, forward)
        self.slots = _parameter_slots(model)
        self.views = _views(self.slots)
        self.forward = forward
        reason = _unsupported_model(model)
        if reason is not None:
            self.give_up(reason)

    def _traced_forward(self, xs):
        with _swapped(self.slots, self.views):
            return self.forward(xs)

    def forbidden_constants(self):
        return [p for _, _, p in self.slots]

    def __call__(self, xs):
        """The outputs of a compiled forward pass, or None when the batch runs eagerly."""
        if self.failed is not None and not self._remade():
            return None
        key = signature((xs,), False)
        graph = self.graph_for(key, xs[0].shape[0])
        if graph is False or (graph is not None and not self.race_turn()):
            return None
        if graph is None:
            try:
                return self.compile(key, self._traced_forward, (xs,))
            except Exception as e:  # a forward pass has no side effects to undo
                self.give_up(f"{type(e).__name__}: {e}")
                return None
        try:
            return graph(xs)
        except Exception as e:
            del self.graphs[key]
            self.give_up(f"torch.compile failed: {type(e).__name__}: {e}")
            return None


def as_flag(value, owner="compile"):
    """``jit_compile`` as a bool (None / 'auto': the ``config.jit_compile()`` default)."""
    if value is None or (isinstance(value, str) and value == "auto"):
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise ValueError(f"{owner}(): `jit_compile` must be True, False, None or 'auto'. "
                     f"Received: jit_compile={value!r}")
