"""Graph nodes beyond plain ops: gradients, and the update ops K.function applies.

``K.gradients(loss, variables)`` on graph tensors adds one ``Gradients`` layer node whose
outputs are the gradients, computed with ``torch.autograd.grad`` on the subgraph the same
``K.function`` (or model) call executed. Its inputs are the loss and the graph tensors
differentiated against; torch tensors (``K.variable``s, model weights) are kept by the layer.
A ``Gradients`` node whose outputs feed another ``Gradients`` node builds its own backward
graph (``create_graph``), so second-order gradients (a WGAN-GP penalty) work.

``UpdateOp`` (openkeras.engine.layer_updates) is what ``K.update`` / ``update_add`` /
``update_sub`` / ``moving_average_update`` return for graph values and variables or while a
Keras 2-style optimizer's ``get_updates`` runs; ``OptimizerStep`` is what built-in optimizers'
``get_updates`` return, and ``ReplayStep`` (openkeras.optimizers.graph_updates) what Keras
2-style subclasses' return for a graph loss. ``K.function`` computes their values in the same
pass as its outputs and applies them afterwards.
"""

import torch

from openkeras.engine.base_layer import Layer
from openkeras.engine.keras_tensor import KerasTensor
from openkeras.engine.layer_updates import UpdateOp

# While a Keras 2-style optimizer's get_updates runs for one step: the variables it creates
# (reused from its first run, in creation order) and the update ops K.update* return.
_REPLAY = []


def recording_updates() -> bool:
    """True while a Keras 2-style ``get_updates`` runs: ``K.update*`` return ``UpdateOp``s."""
    return bool(_REPLAY)


def replayed_variable(make):
    """``make()``'s variable, or the one the same call made in the first run of get_updates."""
    if not _REPLAY:
        return make()
    state = _REPLAY[-1]
    if state["next"] < len(state["variables"]):
        v = state["variables"][state["next"]]
    else:
        v = make()
        state["variables"].append(v)
    state["next"] += 1
    return v


class replay_updates:
    """Context for one run of a Keras 2-style ``get_updates``.

    Args:
        variables: the list that keeps the variables the optimizer creates (kept across runs).
    """

    def __init__(self, variables):
        self.state = {"variables": variables, "next": 0}

    def __enter__(self):
        _REPLAY.append(self.state)

    def __exit__(self, *exc):
        _REPLAY.pop()


def ancestors(tensor):
    """The layers whose outputs ``tensor`` depends on (walking the recorded nodes)."""
    seen, layers, stack = set(), [], [tensor]
    while stack:
        t = stack.pop()
        if id(t) in seen or t._keras_history is None:
            continue
        seen.add(id(t))
        layer, node_index, _ = t._keras_history
        layers.append(layer)
        stack.extend(layer._inbound_nodes[node_index].keras_inputs)
    return layers, seen


class Gradients(Layer):
    """d sum(loss) / d target for each target, by torch.autograd on the executed graph.

    Args:
        targets: for each gradient, an int (the index of the graph tensor among the layer's
            inputs after the loss) or a torch tensor (a variable or weight) to differentiate.
    """

    def __init__(self, targets, **kwargs):
        super().__init__(**kwargs)
        self.targets = list(targets)
        self.create_graph = False

    def call(self, inputs):
        loss = inputs[0]
        targets = [inputs[1 + t] if isinstance(t, int) else t for t in self.targets]
        if not (torch.is_grad_enabled() and loss.requires_grad):
            return [torch.zeros_like(t) for t in targets]
        if loss.dim() > 0:
            loss = loss.sum()
        wanted = [i for i, t in enumerate(targets) if t.requires_grad]
        grads = torch.autograd.grad(loss, [targets[i] for i in wanted], retain_graph=True,
                                    create_graph=self.create_graph, allow_unused=True)
        out = [torch.zeros_like(t) for t in targets]
        for i, g in zip(wanted, grads, strict=True):
            if g is not None:
                out[i] = g
        return out

    def compute_output_shape(self, input_shape):
        shapes = input_shape if isinstance(input_shape, list) else [input_shape]
        return [tuple(shapes[1 + t]) if isinstance(t, int) else tuple(t.shape)
                for t in self.targets]

    def compute_mask(self, inputs, mask=None):
        return None


def symbolic_gradients(loss, variables):
    """Graph tensors for the gradients of the graph tensor ``loss`` w.r.t. ``variables``.

    A graph tensor ``loss`` does not depend on gets None, as ``tf.gradients``.
    """
    if not isinstance(loss, KerasTensor):
        raise TypeError("K.gradients: the loss must be a graph tensor when the variables are "
                        f"graph tensors. Received: loss={loss!r}")
    layers, reachable = ancestors(loss)
    inputs, targets, slots = [loss], [], []
    for v in variables:
        if isinstance(v, KerasTensor):
            if id(v) not in reachable:
                slots.append(None)
                continue
            if not any(v is t for t in inputs[1:]):
                inputs.append(v)
            targets.append(next(i for i, t in enumerate(inputs[1:]) if t is v))
        elif isinstance(v, torch.Tensor):
            targets.append(v)
        else:
            raise TypeError(f"K.gradients: variables must be graph tensors, variables or "
                            f"weights. Received: {v!r}")
        slots.append(len(targets) - 1)
    for layer in layers:  # gradients of gradients need the first backward pass recorded
        if isinstance(layer, Gradients):
            layer.create_graph = True
    if not targets:
        return [None] * len(variables)
    outs = Gradients(targets)(inputs)
    outs = outs if isinstance(outs, list) else [outs]
    return [None if s is None else outs[s] for s in slots]


def clip_gradients(grads, clipnorm=None, clipvalue=None):
    """Keras 2's ``Optimizer.get_gradients`` clipping of torch gradients: every gradient
    scaled by clipnorm / max(global norm, clipnorm), then clipped to [-clipvalue, clipvalue]."""
    if clipnorm is not None and clipnorm > 0:
        norm = torch.sqrt(sum(torch.sum(torch.square(g)) for g in grads))
        grads = [g * (clipnorm / torch.clamp(norm, min=clipnorm)) for g in grads]
    if clipvalue is not None and clipvalue > 0:
        grads = [torch.clamp(g, -clipvalue, clipvalue) for g in grads]
    return grads


class ClipGradients(Layer):
    """``clip_gradients`` as a graph node, for gradients that are graph tensors.

    Args:
        clipnorm: the global-norm bound, or None.
        clipvalue: the element bound, or None.
    """

    def __init__(self, clipnorm=None, clipvalue=None, **kwargs):
        super().__init__(**kwargs)
        self.clipnorm, self.clipvalue = clipnorm, clipvalue

    def call(self, inputs):
        return clip_gradients(list(inputs), self.clipnorm, self.clipvalue)

    def compute_output_shape(self, input_shape):
        return [tuple(s) for s in input_shape]

    def compute_mask(self, inputs, mask=None):
        return None


class OptimizerStep:
    """One step of a built-in optimizer from graph gradients (``get_updates``'s result)."""

    def __init__(self, optimizer, params, grads):
        self.optimizer, self.params, self.grads = optimizer, list(params), list(grads)

    def graph_values(self):
        return [g for g in self.grads if g is not None]

    @torch.no_grad()
    def apply(self, values):
        it = iter(values)
        pairs = [(next(it).detach(), p) for g, p in zip(self.grads, self.params, strict=True)
                 if g is not None]
        self.optimizer.apply_gradients(pairs)

    def __repr__(self):
        return (f"<{type(self).__name__} {type(self.optimizer).__name__} on "
                f"{len(self.params)} params>")


def placeholders_of(tensor):
    """The input layers (``Input``, ``K.placeholder``) the graph tensor ``tensor`` needs."""
    return [layer for layer in ancestors(tensor)[0] if getattr(layer, "is_placeholder", False)]


def missing_value_error(what, tensor, needed):
    """The error for evaluating ``tensor`` without values for the placeholders ``needed``."""
    names = ", ".join(f"'{layer.name}' (shape {layer._batch_input_shape})" for layer in needed)
    first = needed[0].name if needed else "input"
    return ValueError(
        f"{what}: the graph tensor {tensor!r} needs a value for the placeholder "
        f"{names or '(unknown)'}, and {what} has none to give it. Feed it: "
        f"`K.function([{first}], [x])([value])` or "
        f"`K.get_session().run(x, feed_dict={{{first}: value}})`.")


def as_update(update):
    """An ``UpdateOp`` / ``OptimizerStep`` from one entry of K.function's ``updates``."""
    if isinstance(update, (UpdateOp, OptimizerStep)):  # ReplayStep is an OptimizerStep
        return update
    if isinstance(update, tuple) and len(update) == 2:
        return UpdateOp(update[0], update[1], "assign")
    raise TypeError("K.function: each update must be what K.update / update_add / update_sub / "
                    "moving_average_update or Optimizer.get_updates return, or a "
                    f"(variable, new_value) tuple. Received: {update!r}")


def flat_updates(updates):
    """``updates`` (nested lists, or None) as one flat list, in order."""
    out = []
    for u in updates or ():
        out.extend(flat_updates(u) if isinstance(u, list) else [u])
    return out
