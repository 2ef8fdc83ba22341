"""K.function, gradients and stop_gradient."""

import numpy as np
import torch

from openkeras import config
from openkeras.backend.common import (
    _PHASE,
    LearningPhase,
    default_device,
    to_tensor,
)
from openkeras.engine import registry
from openkeras.engine.arrays import as_tensor
from openkeras.engine.base_layer import HOOKS_VERSION
from openkeras.engine.graph_ops import Gradients, ancestors, as_update, flat_updates, symbolic_gradients
from openkeras.engine.graph_variables import evaluate, gradient_of, has_graph_value, record
from openkeras.engine.keras_tensor import KerasTensor
from openkeras.engine.layer_updates import UpdateOp


class Function:
    """Computes graph ``outputs`` from values for its ``inputs`` (see ``function``).

    Args:
        inputs: graph tensors made by ``Input`` / ``K.placeholder`` (e.g. ``model.input``),
            optionally with ``K.learning_phase()`` among them.
        outputs: a graph tensor or a list of them computed from ``inputs``; variables and
            expressions over variables are computed from their values when called.
        updates: update ops (``K.update*``, ``Optimizer.get_updates``) applied after the
            outputs are computed.
        name: a name for the underlying model.
    """

    def __init__(self, inputs, outputs, updates=None, name=None):
        # The plan is a functional model's; models sit above K in the package's layers, so
        # the class comes from the registry it joined when it was defined.
        functional = registry.builtin("layer", "Functional")

        inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        phases = [i for i, x in enumerate(inputs) if isinstance(x, LearningPhase)]
        if len(phases) > 1:
            raise ValueError("K.function: K.learning_phase() can be listed only once in `inputs`.")
        self._phase_index = phases[0] if phases else None
        self._n_values = len(inputs)
        tensors = [x for x in inputs if not isinstance(x, LearningPhase)]
        self._single = not isinstance(outputs, (list, tuple))
        outs = [outputs] if self._single else list(outputs)
        for what, values in (("inputs", tensors), ("outputs", outs)):
            for x in values:
                if not (isinstance(x, KerasTensor) or what == "outputs" and _is_variable(x)):
                    raise TypeError(
                        f"K.function {what} must be symbolic tensors of a model graph (e.g. "
                        f"model.input, model.layers[3].output, K.placeholder) or "
                        f"K.learning_phase(){' (outputs: or variables)' if what == 'outputs' else ''}"
                        f". Received: {x!r}")
        self._updates = [as_update(u) for u in flat_updates(updates)]
        # Outputs that are variables or expressions over them (torch tensors) are computed from
        # the variables' values when called, before the updates; the graph outputs and the
        # updates' graph values come from one pass of the plan.
        self._live = {i: x for i, x in enumerate(outs) if not isinstance(x, KerasTensor)}
        slot_of = {}
        for t in [x for x in outs if isinstance(x, KerasTensor)] + \
                [v for u in self._updates for v in u.graph_values()]:
            slot_of.setdefault(id(t), (len(slot_of), t))
        graph_outs = [t for _, t in slot_of.values()]
        self._out_slots = [slot_of[id(x)][0] for x in outs if isinstance(x, KerasTensor)]
        self._update_slots = [[slot_of[id(v)][0] for v in u.graph_values()] for u in self._updates]
        self._model = None
        self._walk = functional.walk_plan
        if graph_outs:
            try:
                self._model = functional(tensors, graph_outs, name=name or "function")
            except ValueError as e:
                raise ValueError(
                    f"K.function cannot compute the outputs from the inputs: {e} The inputs "
                    "must be the tensors made by `Input` or `K.placeholder` (model.input) that "
                    "the outputs depend on.") from e
        self._dtypes = [config.torch_dtype(x.dtype) for x in tensors]
        self._np_dtypes = [np.dtype(str(d).replace("torch.", "")) if d != torch.bfloat16 else None
                           for d in self._dtypes]
        # the device the graph runs on: its first weight's (read per call: model.to moves it)
        self._weight = next(self._model.parameters(), None) if self._model is not None else None
        # Gradient nodes need autograd on; inputs they differentiate against require grad.
        layers, seen = [], set()
        for t in graph_outs:
            found, _ = ancestors(t)
            layers.extend(x for x in found if id(x) not in seen and not seen.add(id(x)))
        grads = [x for x in layers if isinstance(x, Gradients)]
        self._needs_grad = bool(grads)
        wanted = {id(t) for g in grads for node in g._inbound_nodes
                  for t in node.keras_inputs[1:]}
        self._grad_inputs = [i for i, t in enumerate(tensors) if id(t) in wanted]

    def __call__(self, inputs):
        """Values for the inputs, in order -> numpy output(s) (a list when outputs was a list)."""
        values = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if len(values) != self._n_values:
            raise ValueError(f"K.function expects {self._n_values} input value(s), in the order "
                             f"of its inputs. Received: {len(values)}")
        training = bool(_PHASE[0])
        if self._phase_index is not None:
            phase = values.pop(self._phase_index)
            if phase not in (0, 1):
                raise ValueError(f"K.function: the learning phase value must be 0 or 1. "
                                 f"Received: {phase!r}")
            training = bool(phase)
        results = []
        if self._model is not None:
            results = self._run_graph(values, training)
        arrays = [_to_numpy(results[s]) for s in self._out_slots]
        if self._live:  # variables and expressions over them, read now
            memo, it = {}, iter(arrays)
            # a copy: a variable's array would otherwise change with the variable
            arrays = [_to_numpy(evaluate(self._live[i], memo)).copy() if i in self._live else next(it)
                      for i in range(len(arrays) + len(self._live))]
        # every update's value is read before any variable is written, as in a graph
        staged = [(u, [results[s] for s in slots] or [u.current_value()])
                  if isinstance(u, UpdateOp) else (u, [results[s] for s in slots])
                  for u, slots in zip(self._updates, self._update_slots, strict=True)]
        for u, vals in staged:
            u.apply(vals)
        return arrays[0] if self._single else arrays

    def _run_graph(self, values, training):
        device = self._weight.device if self._weight is not None else default_device()
        feeds = []
        for value, dtype, np_dtype in zip(values, self._dtypes, self._np_dtypes, strict=True):
            if value.__class__ is np.ndarray and value.dtype == np_dtype and device.type == "cpu":
                feeds.append(as_tensor(value))  # no copy, no cast: the common case
                continue
            t = value if isinstance(value, torch.Tensor) else as_tensor(np.asarray(value))
            if t.is_floating_point() and dtype.is_floating_point:
                t = t.to(dtype)
            feeds.append(t.to(device))
        for i in self._grad_inputs:
            if feeds[i].is_floating_point():
                feeds[i] = feeds[i].detach().requires_grad_(True)
        model = self._model
        # K.in_train_phase / K.learning_phase() inside the graph read the phase fed here.
        previous, _PHASE[0] = _PHASE[0], int(training)
        try:
            with torch.set_grad_enabled(self._needs_grad):
                if model._uses_masks or model._hooks_version != HOOKS_VERSION[0]:
                    out = model.call(feeds if len(feeds) > 1 else feeds[0], training=training)
                    return out if isinstance(out, (list, tuple)) else [out]
                # the model's plan, walked directly: its inputs are converted already
                vals = [None] * model._n_slots
                vals[: len(feeds)] = feeds
                self._walk(model._steps, vals, training)
                return [vals[i] for i in model._output_slots]
        finally:
            _PHASE[0] = previous


def _is_variable(x):
    """A variable or weight (a Parameter), or an expression over ``K.variable``s."""
    return isinstance(x, torch.nn.Parameter) or has_graph_value((x,), {})


def function(inputs, outputs, updates=None, name=None, **kwargs) -> Function:
    """A callable ``f(values) -> numpy outputs`` over a graph (Keras's ``K.function``).

    Compiled once into a flat plan (the same plan a functional model runs).
    ``K.function([model.input, K.learning_phase()], [model.layers[3].output])`` is called as
    ``f([x, 0])`` (test phase) or ``f([x, 1])`` (training phase, e.g. Dropout active).
    Without the learning-phase input the global ``learning_phase()`` is used. Running with
    phase 1 updates BatchNormalization moving statistics as a training forward pass does.

    Args:
        inputs: list of input graph tensors (``Input``, ``K.placeholder``), optionally
            ``K.learning_phase()``.
        outputs: a graph tensor or list of graph tensors (values, losses, ``K.gradients``).
        updates: update ops (``K.update``, ``K.update_add``, ``K.update_sub``,
            ``K.moving_average_update``, ``Optimizer.get_updates``) or ``(variable, value)``
            tuples, applied in order after the outputs are computed.
        name: a name for the underlying model.
    """
    if kwargs:
        raise ValueError(f"K.function: unexpected keyword arguments {sorted(kwargs)}. "
                         "Session arguments have no equivalent in openkeras.")
    return Function(inputs, outputs, updates=updates, name=name)


def _to_numpy(t):
    t = t.detach()
    return (t.float() if t.dtype == torch.bfloat16 else t).cpu().numpy()


def gradients(loss, variables):
    """Gradients of ``loss`` (summed if not scalar) with respect to ``variables``.

    On graph tensors (a loss built from model inputs, layer outputs, placeholders; variables
    that are graph tensors, ``K.variable``s or model weights) the gradients are graph tensors
    computed by torch.autograd when a ``K.function`` runs the graph. On torch tensors:
    differentiable (usable in a loss, e.g. a gradient penalty); None for a variable the loss
    does not depend on, as ``tf.gradients``.

    Args:
        loss: a tensor computed from ``variables``.
        variables: a tensor or a list of tensors.
    """
    variables = list(variables) if isinstance(variables, (list, tuple)) else [variables]
    if any(isinstance(v, KerasTensor) for v in [loss] + variables):
        return symbolic_gradients(loss, variables)
    if has_graph_value((loss,), {}):  # a loss over K.variables: recomputed when evaluated
        variables = tuple(variables)
        eager = _eager_gradients(loss, variables)
        return [None if g is None else record(gradient_of, (loss, variables, i), {}, g)
                for i, g in enumerate(eager)]
    return _eager_gradients(loss, variables)


def _eager_gradients(loss, variables):
    loss = to_tensor(loss, "gradients")
    if not loss.requires_grad:
        return [None] * len(variables)
    if loss.dim() > 0:
        loss = loss.sum()
    wanted = [i for i, v in enumerate(variables) if v.requires_grad]
    grads = torch.autograd.grad(loss, [variables[i] for i in wanted], retain_graph=True,
                                create_graph=True, allow_unused=True)
    out = [None] * len(variables)
    for i, g in zip(wanted, grads, strict=True):
        out[i] = g
    return out


def stop_gradient(variables):
    """``variables`` (a tensor or a list) detached from the autograd graph."""
    if isinstance(variables, (list, tuple)):
        return [to_tensor(v, "stop_gradient").detach() for v in variables]
    return to_tensor(variables, "stop_gradient").detach()


def print_tensor(x, message=""):
    """Print ``message`` and the value of ``x``; return ``x``.

    On a graph tensor it is a graph node that prints each time the graph runs (not while the
    graph is built: shape inference runs it on meta tensors, which have no values).
    """
    t = to_tensor(x, "print_tensor")
    if t.device.type != "meta":
        print(message, t)
    return x


def map_fn(fn, elems, name=None, dtype=None):
    """``fn`` applied to each slice of ``elems`` along axis 0, the results stacked.

    Args:
        fn: a callable taking one slice.
        elems: a tensor or array.
        name: unused.
        dtype: the Keras dtype of the result (default: that of ``fn``'s outputs).
    """
    out = torch.stack([fn(e) for e in to_tensor(elems, "map_fn")])
    return out if dtype is None else out.to(config.torch_dtype(dtype))


def foldl(fn, elems, initializer=None, name=None):
    """Reduce ``elems`` along axis 0 from the first slice: ``acc = fn(acc, elems[i])``.

    Args:
        fn: a callable ``(accumulator, slice) -> accumulator``.
        elems: a tensor or array.
        initializer: the first accumulator (default: ``elems[0]``, then the fold starts at 1).
        name: unused.
    """
    return _fold(fn, elems, initializer, reverse=False)


def foldr(fn, elems, initializer=None, name=None):
    """Reduce ``elems`` along axis 0 from the last slice: ``acc = fn(acc, elems[i])``."""
    return _fold(fn, elems, initializer, reverse=True)


def _fold(fn, elems, initializer, reverse):
    items = list(to_tensor(elems, "foldr" if reverse else "foldl"))
    items = items[::-1] if reverse else items
    if initializer is None and not items:
        raise ValueError(f"K.{'foldr' if reverse else 'foldl'}: `elems` is empty and no "
                         f"`initializer` was given.")
    acc = items.pop(0) if initializer is None else initializer
    for item in items:
        acc = fn(acc, item)
    return acc


def rnn(step_function, inputs, initial_states, go_backwards=False, mask=None, constants=None,
        unroll=False, input_length=None):
    """Iterate ``step_function`` over the time axis of ``inputs``, as Keras 2.2.4's ``K.rnn``.

    Args:
        step_function: ``(input_t, states + constants) -> (output_t, new_states)``, with
            ``input_t`` of shape (batch, ...).
        inputs: (batch, time, ...).
        initial_states: a list of (batch, ...) tensors.
        go_backwards: iterate from the last step (outputs are in iteration order).
        mask: (batch, time) booleans; at a masked step the states are kept and the output is
            the previous first state (``unroll=False``, Keras's default) or the previous
            output, zeros at first (``unroll=True``), as in Keras 2.2.4.
        constants: a list of tensors passed to every step after the states.
        unroll: selects the masked-output rule above (the computation is the same loop).
        input_length: unused (the time axis gives the number of steps).

    Returns:
        ``(last_output, outputs, new_states)``; ``outputs`` is (batch, time, ...).
    """
    inputs = to_tensor(inputs, "rnn")
    if inputs.dim() < 3:
        raise ValueError(f"K.rnn: inputs should be at least 3D (batch, time, ...). Received "
                         f"shape {tuple(inputs.shape)}")
    states, constants = list(initial_states), list(constants or [])
    if mask is not None:
        mask = to_tensor(mask, "rnn", like=inputs).bool()
        mask = mask.reshape(mask.shape[0], mask.shape[1], -1)[..., 0]  # (batch, time)
        if not unroll and not states:
            raise ValueError("No initial states provided! When using masking in an RNN, you "
                             "should provide initial states (and your step function should "
                             "return as its first state at time `t` the output at time `t-1`).")
    steps = range(inputs.shape[1] - 1, -1, -1) if go_backwards else range(inputs.shape[1])
    outputs = []
    for t in steps:
        output, new_states = step_function(inputs[:, t], states + constants)
        new_states = list(new_states) if isinstance(new_states, (list, tuple)) else [new_states]
        if mask is not None:
            keep = mask[:, t]

            def pick(new, old, keep=keep):
                return torch.where(keep.reshape((-1,) + (1,) * (new.dim() - 1)), new, old)

            if unroll:
                previous = outputs[-1] if outputs else torch.zeros_like(output)
            else:
                previous = states[0]
            output = pick(output, previous)
            new_states = [pick(n, s) for n, s in zip(new_states, states, strict=True)]
        outputs.append(output)
        states = new_states
    return outputs[-1], torch.stack(outputs, dim=1), states
