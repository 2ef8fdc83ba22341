"""Losses and state updates that layers add while they run (``add_loss``, ``add_update``), and
``UpdateOp``, the one place a state update is applied (by training, K.function and sessions)."""

import contextlib
import weakref

import torch

from openkeras.engine.graph_variables import evaluate
from openkeras.engine.keras_tensor import KerasTensor, flatten
from openkeras.engine.weights import weight_keras_view

_LOSS_COLLECTOR = []  # stack of lists; add_loss appends to the innermost one


class _Collected(list):
    """The losses added during a forward pass; ``updates`` holds the ``add_update`` ones."""

    def __init__(self):
        super().__init__()
        self.updates = []
        self.metrics = []  # values of Model.add_metric tensors
        self.layer_metrics = {}  # name -> value given to Layer.add_metric in call


@contextlib.contextmanager
def collect_losses():
    """Collect the losses (and updates) that layers add during a forward pass."""
    losses = _Collected()
    _LOSS_COLLECTOR.append(losses)
    try:
        yield losses
    finally:
        _LOSS_COLLECTOR.pop()


class LayerUpdatesMixin:
    """Keras 2's ``add_loss`` / ``add_update`` / ``updates`` / ``get_*_for``; mixed into Layer."""

    def add_loss(self, loss, inputs=None):
        """Add a loss tensor computed in ``call`` (e.g. an activity regularizer), or a list."""
        if _LOSS_COLLECTOR:
            for value in loss if isinstance(loss, (list, tuple)) else [loss]:
                if value is not None:
                    _LOSS_COLLECTOR[-1].append(value() if callable(value) else value)

    def add_metric(self, value, name=None, aggregation="mean"):
        """Log ``value``, computed in ``call``, as the metric ``name`` (Keras 2.3.1).

        fit / evaluate log the mean over the batches of the epoch (over the elements, for a
        non-scalar value) under ``name``, after the compiled metrics. The name becomes known
        when ``call`` first runs (building a functional model runs it).

        Args:
            value: a tensor computed in ``call``.
            name: the name in the logs and ``metrics_names`` (required).
            aggregation: 'mean', the only one Keras 2.3.1 has.
        """
        layer = self.__dict__.get("_name", type(self).__name__)
        if aggregation not in (None, "mean"):
            raise ValueError(f"Layer {layer!r}: add_metric() aggregation must be 'mean'. "
                             f"Received: {aggregation!r}")
        if not name:
            raise ValueError(f"Layer {layer!r}: please provide a name for the metric given to "
                             "add_metric().")
        names = self.__dict__.setdefault("_metric_names", [])
        if name not in names:
            names.append(name)
        if _LOSS_COLLECTOR:  # the first value of a name in a forward pass is kept, as Keras
            _LOSS_COLLECTOR[-1].layer_metrics.setdefault(name, value)

    def add_update(self, updates, inputs=None):
        """Register state updates computed in ``call``; training applies them after the step.

        Keras 2 collects update ops and runs them in the training function only. openkeras
        runs ``call`` on real tensors, so an update is given as something to apply later:

        Args:
            updates: one update or a list. Each is a ``(variable, new_value)`` pair (what
                Keras 2's Theano backend's ``K.update`` / ``K.moving_average_update`` return),
                a zero-argument callable, or a tensor an update already returned (applied
                when it was made; nothing left to do).
            inputs: the inputs the updates depend on (kept for ``get_updates_for``).
        """
        updates = _update_list(updates)
        if not updates:
            return
        key = None if inputs is None or (isinstance(inputs, list) and not inputs) \
            else _InputsKey(inputs)
        # detached: neither the listing nor the pending updates keep a batch's autograd graph
        updates = [_detached(u) for u in updates]
        if key is not None:  # a new call on the same inputs replaces the updates of the old one
            self._updates[:] = [(k, group) for k, group in self._updates if k != key]
        self._updates.append((key, updates))
        del self._updates[:-_KEPT_UPDATE_CALLS]  # only the latest calls are listed
        if _LOSS_COLLECTOR:  # inside a training or test step: applied by the train step only
            _LOSS_COLLECTOR[-1].updates.extend(updates)

    @property
    def updates(self):
        """The updates registered by the latest calls of this layer and its sub-layers.

        Empty for a non-trainable layer, as in Keras 2 (stateful layers excepted).
        """
        if not self._trainable and not getattr(self, "stateful", False):
            return []
        own = [u for _, group in self.__dict__.get("_updates", ()) for u in group]
        return own + [u for layer in self._sublayers() for u in layer.updates]

    def get_updates_for(self, inputs):
        """The updates registered for ``inputs`` (None: those given without inputs)."""
        if not self._trainable and not getattr(self, "stateful", False):
            return []
        own = [u for k, group in self.__dict__.get("_updates", ())
               if (k is None if inputs is None else k is not None and k.matches(inputs))
               for u in group]
        return own + [u for layer in self._sublayers() for u in layer.get_updates_for(inputs)]

    @property
    def losses(self):
        """Weight regularization losses (computed now), then activity regularization losses.

        Keras 2 lists the activity loss of a layer as a symbolic tensor as soon as the layer
        is called on an input; openkeras computes with real tensors, so it lists the value
        ``activity_regularizer(output)`` of the most recent forward pass (``fit``, ``predict``,
        ``model(x)``), one per output, with its autograd graph when it was computed with
        gradients. Training adds the activity losses of each batch to the loss itself; this
        list is for reading. A layer called several times in one pass lists its last call.
        """
        return self._weight_losses() + self._latest_activity_losses()

    def get_losses_for(self, inputs):
        """Losses that depend on ``inputs``; None: the unconditional ones (weight penalties)."""
        return self._weight_losses() if inputs is None else self._latest_activity_losses()

    def _weight_losses(self):
        return [p.regularizer(weight_keras_view(p)) for p in self.weights
                if getattr(p, "regularizer", None) is not None]

    def _latest_activity_losses(self):
        return [loss for module in self.modules() for loss in getattr(module, "_activity_losses", ())]


# ---------------------------------------------------------------------- helpers
_KEPT_UPDATE_CALLS = 8


def _update_list(updates):
    if updates is None:
        return []
    if isinstance(updates, tuple) and len(updates) == 2 and isinstance(updates[0], torch.Tensor) \
            and not isinstance(updates[1], tuple):
        return [updates]  # one (variable, value) pair
    return [u for u in (updates if isinstance(updates, (list, tuple)) else [updates])
            if u is not None]


def _detached(update):
    if isinstance(update, tuple) and len(update) == 2 and isinstance(update[1], torch.Tensor):
        return (update[0], update[1].detach())
    return update


class _InputsKey:
    """The inputs an update was added for, held weakly: a later batch tensor that reuses a
    freed tensor's id does not pick up the old call's updates."""

    def __init__(self, inputs):
        self.refs = [_weak(x) for x in flatten(inputs)]

    def matches(self, inputs):
        objects = flatten(inputs)
        return len(objects) == len(self.refs) and all(
            r() is x for r, x in zip(self.refs, objects, strict=True))


def _weak(x):
    try:
        return weakref.ref(x)
    except TypeError:  # a plain number or other object weakref cannot follow: kept as is
        return lambda: x


class UpdateOp:
    """``variable <- value`` (kind 'assign'), ``+= value`` ('add'), ``-= value`` ('sub') or a
    zero-debiased moving average ('moving_average', with ``momentum``).

    What ``K.update*`` return for graph values; K.function applies it after computing its
    outputs, ``Layer.add_update`` after the training step (calling it applies it now).

    Args:
        variable: the torch tensor to update in place.
        value: a number, array, tensor, expression over variables (computed when applied) or
            graph tensor (its value comes from the K.function run, see ``graph_values``).
        kind: 'assign', 'add', 'sub' or 'moving_average'.
        momentum: the moving average's decay.
    """

    def __init__(self, variable, value, kind, momentum=None):
        if not isinstance(variable, torch.Tensor):
            raise TypeError(f"K.update: the variable must be a variable (a torch tensor such as "
                            f"K.variable or a weight). Received: {variable!r}")
        self.variable, self.value, self.kind, self.momentum = variable, value, kind, momentum

    def graph_values(self):
        """The graph tensors a K.function run computes for this update."""
        return [self.value] if isinstance(self.value, KerasTensor) else []

    def current_value(self):
        """The value to apply, read now (expressions over variables are computed now)."""
        if isinstance(self.value, torch.nn.Parameter):  # another variable: a snapshot of it
            return self.value.detach().clone()
        return evaluate(self.value)

    @torch.no_grad()
    def apply(self, values=()):
        """Apply the update, with ``values`` for its ``graph_values`` (read now otherwise).

        Args:
            values: the value to apply, as a one-item list: a K.function run's value of the
                graph tensor, or a value read earlier (``current_value``).
        """
        x = self.variable
        value = values[0] if values else self.current_value()
        if isinstance(value, torch.Tensor):
            value = value.detach().to(device=x.device, dtype=x.dtype)
        else:
            value = torch.as_tensor(value, dtype=x.dtype, device=x.device)
        if self.kind == "assign":
            x.copy_(value.reshape(x.shape) if value.numel() == x.numel() else value)
        elif self.kind == "add":
            x.add_(value)
        elif self.kind == "sub":
            x.sub_(value)
        else:
            _zero_debiased_average(x, value, self.momentum)

    def __call__(self):
        self.apply()

    def __repr__(self):
        return f"<UpdateOp {self.kind} {getattr(self.variable, 'name', '')}>"


def _zero_debiased_average(x, value, decay):
    # TensorFlow's assign_moving_average(zero_debias=True), which Keras 2 uses: a biased
    # average starting at 0 and a step count; the variable gets biased / (1 - decay ** step).
    state = getattr(x, "_keras_ema_state", None)
    if state is None:
        state = [torch.zeros_like(x), 0]
        x._keras_ema_state = state
    state[0].mul_(decay).add_(value * (1 - decay))
    state[1] += 1
    x.copy_(state[0] / (1 - decay ** state[1]))


def apply_updates(updates):
    """Apply ``add_update`` updates: (variable, value) pairs are assigned, callables (update
    ops among them) called."""
    with torch.no_grad():
        for u in updates:
            if isinstance(u, tuple) and len(u) == 2:
                UpdateOp(u[0], u[1], "assign").apply()
            elif callable(u):
                u()
