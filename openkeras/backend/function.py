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
from openkeras.engine.arrays import as_tensor
from openkeras.engine.keras_tensor import KerasTensor


class Function:
    """Computes graph ``outputs`` from values for its ``inputs`` (see ``function``).

    Args:
        inputs: graph tensors made by ``Input`` / ``K.placeholder`` (e.g. ``model.input``),
            optionally with ``K.learning_phase()`` among them.
        outputs: a graph tensor or a list of them computed from ``inputs``.
        updates: update ops (``K.update*``, ``Optimizer.get_updates``) applied after the
            outputs are computed.
        name: a name for the underlying model.
    """

    def __init__(self, inputs, outputs, updates=None, name=None):
        from openkeras.engine.functional import Functional
        from openkeras.engine.graph_ops import Gradients, ancestors, as_update, flat_updates

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
                if what == "outputs" and isinstance(x, torch.nn.Parameter):
                    continue  # a variable: its value when called (before the updates)
                if not isinstance(x, KerasTensor):
                    raise TypeError(
                        f"K.function {what} must be symbolic tensors of a model graph (e.g. "
                        f"model.input, model.layers[3].output, K.placeholder) or "
                        f"K.learning_phase(). Received: {x!r}")
        self._updates = [as_update(u) for u in flat_updates(updates)]
        # The plan computes the outputs and the updates' values in one pass.
        graph_outs, self._out_slots = [], []
        self._variables = {i: x for i, x in enumerate(outs) if isinstance(x, torch.nn.Parameter)}
        outs = [x for x in outs if not isinstance(x, torch.nn.Parameter)]
        for t in outs + [v for u in self._updates for v in u.graph_values()]:
            index = next((i for i, g in enumerate(graph_outs) if g is t), None)
            if index is None:
                graph_outs.append(t)
                index = len(graph_outs) - 1
            self._out_slots.append(index)
        self._n_outputs = len(outs)
        if not graph_outs:
            self._model = None
        else:
            try:
                self._model = Functional(tensors, graph_outs, name=name or "function")
            except ValueError as e:
                raise ValueError(
                    f"K.function cannot compute the outputs from the inputs: {e} The inputs "
                    "must be the tensors made by `Input` or `K.placeholder` (model.input) that "
                    "the outputs depend on.") from e
        self._dtypes = [config.torch_dtype(x.dtype) for x in tensors]
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
        if self._model is None:
            arrays = self._with_variables([])
            for u in self._updates:
                u.apply([])
            return arrays[0] if self._single else arrays
        param = next(self._model.parameters(), None)
        device = param.device if param is not None else default_device()
        feeds = []
        for value, dtype in zip(values, self._dtypes, strict=True):
            t = value if isinstance(value, torch.Tensor) else as_tensor(np.asarray(value))
            if t.is_floating_point() and dtype.is_floating_point:
                t = t.to(dtype)
            feeds.append(t.to(device))
        for i in self._grad_inputs:
            if feeds[i].is_floating_point():
                feeds[i] = feeds[i].detach().requires_grad_(True)
        # K.in_train_phase / K.learning_phase() inside the graph read the phase fed here.
        previous, _PHASE[0] = _PHASE[0], int(training)
        try:
            with torch.set_grad_enabled(self._needs_grad):
                out = self._model.call(feeds if len(feeds) > 1 else feeds[0], training=training)
        finally:
            _PHASE[0] = previous
        outs = out if isinstance(out, (list, tuple)) else [out]
        results = [outs[i] for i in self._out_slots]
        arrays = self._with_variables([_to_numpy(o) for o in results[: self._n_outputs]])
        rest = iter(results[self._n_outputs:])
        for u in self._updates:
            u.apply([next(rest) for _ in u.graph_values()])
        return arrays[0] if self._single else arrays

    def _with_variables(self, arrays):
        """The graph outputs' arrays with the variables' current values put in their places."""
        if not self._variables:
            return arrays
        it = iter(arrays)
        n = len(arrays) + len(self._variables)
        return [_to_numpy(self._variables[i]).copy() if i in self._variables else next(it)
                for i in range(n)]


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
        from openkeras.engine.graph_ops import symbolic_gradients

        return symbolic_gradients(loss, variables)
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
