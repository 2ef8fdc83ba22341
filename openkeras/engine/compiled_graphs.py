"""What the compiled train and predict steps share: one traced, compiled graph per input
signature, the race against eager, and the fallback (engine/compiled_step.py uses it).

Compiled mode (``compile(..., jit_compile=True)``) runs the train and predict steps as graphs.

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

A batch smaller than the largest seen (the last, partial one) runs eagerly on the same
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

from openkeras.engine import tracing

MAX_SIGNATURES = 4  # input signatures compiled per model; others run eagerly
RACE_STEPS = 6  # after compiling on CPU: timed steps of each kind before keeping the faster
RACE_MARGIN = 1.0  # compiled is kept unless its median step is slower than eager's


FAILED = object()  # what ``Compiled.run`` returns when the graph could not run


def signature(tensors_lists, training):
    """What a traced graph is specialized on: shapes, dtypes, devices, None positions."""
    return (training,) + tuple(
        tuple(None if t is None else (tuple(t.shape), t.dtype, t.device) for t in tensors)
        for tensors in tensors_lists)


class Compiled:
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

    def lookup(self, key, n):
        """The compiled graph for a batch of ``n`` samples with signature ``key``; None when
        the batch must be traced, False when it runs eagerly."""
        if self.failed is not None and not self._remade():
            return False
        graph = self.graph_for(key, n)
        if graph is not None and graph is not False and not self.race_turn():
            return False
        return graph

    def run(self, key, graph, *args):
        """``graph(*args)``; ``FAILED`` (having given up) when torch.compile failed on its
        first call, before anything ran."""
        try:
            return graph(*args)
        except Exception as e:
            del self.graphs[key]
            self.give_up(f"torch.compile failed: {type(e).__name__}: {e}")
            return FAILED

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
    if any(id(t) in ids for t in list(gm.buffers()) + list(vars(gm).values())):
        raise tracing.Unsupported("the graph read a weight directly: a layer keeps its weight "
                                  "outside its registered parameters")
