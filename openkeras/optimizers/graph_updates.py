"""Keras 2's graph optimizer API: ``get_updates``, ``get_gradients``, ``updates``, ``weights``.

Built-in optimizers' ``get_updates(loss, params)`` returns one ``OptimizerStep`` update that
``K.function(..., updates=...)`` applies with the optimizer's own (fused) step, so Keras 2 GAN
code (``train_fn = K.function([x, y], [loss], opt.get_updates(loss, params))``) trains.

A Keras 2-style subclass overriding ``get_updates`` with ``K.update`` ops is replayed: each
training step (``model.fit``, or a ``K.function`` given its updates) runs its ``get_updates``
eagerly on that step's gradients (``get_gradients`` hands them out, clipped). While it runs,
``K.update*`` return update ops, applied in order once it returns (every value is read before
any variable is written, as in a TensorFlow graph), and the variables it creates
(``K.zeros`` moments, ``K.variable``) are made on the first run and reused afterwards.
"""

import torch

from openkeras.engine import graph_ops
from openkeras.engine.keras_tensor import KerasTensor
from openkeras.engine.layer_updates import UpdateOp


class GradientFeed:
    """The ``loss`` a replayed ``get_updates`` receives: ``get_gradients`` returns ``grads``."""

    def __init__(self, grads):
        self.grads = list(grads)


def get_gradients(optimizer, loss, params):
    """Keras 2's ``Optimizer.get_gradients``: the gradients, then clipnorm / clipvalue."""
    params = list(params)
    if isinstance(loss, GradientFeed):
        grads = list(loss.grads)
    else:
        if isinstance(loss, KerasTensor):
            grads = graph_ops.symbolic_gradients(loss, params)
        else:
            loss = loss.sum() if loss.dim() else loss
            grads = list(torch.autograd.grad(loss, params, retain_graph=True, create_graph=True,
                                             allow_unused=True))
        if any(g is None for g in grads):
            raise ValueError("An operation has `None` for gradient. Please make sure that all "
                             "of your ops have a gradient defined (i.e. are differentiable). "
                             "Common ops without gradient: K.argmax, K.round, K.eval.")
    clipnorm = getattr(optimizer, "clipnorm", None)
    clipvalue = getattr(optimizer, "clipvalue", None)
    if not ((clipnorm or 0) > 0 or (clipvalue or 0) > 0):
        return grads
    if grads and isinstance(grads[0], KerasTensor):
        clipped = graph_ops.ClipGradients(clipnorm, clipvalue)(grads)
        return clipped if isinstance(clipped, list) else [clipped]
    return graph_ops.clip_gradients(grads, clipnorm, clipvalue)


def _check_graph_loss(optimizer, loss):
    if not isinstance(loss, KerasTensor):
        raise TypeError(f"{type(optimizer).__name__}.get_updates: the loss must be a graph "
                        "tensor (built from model outputs or K.placeholder); for torch tensors "
                        f"call loss.backward() and optimizer.step(). Received: {loss!r}")


def builtin_get_updates(optimizer, loss, params):
    """A built-in optimizer's step from the graph gradients of ``loss``, as one update."""
    _check_graph_loss(optimizer, loss)
    params = list(params)
    step = graph_ops.OptimizerStep(optimizer, params, graph_ops.symbolic_gradients(loss, params))
    optimizer.updates = [step]
    return [step]


class ReplayStep(graph_ops.OptimizerStep):
    """A Keras 2-style optimizer's ``get_updates`` run on each K.function call's gradients."""

    @torch.no_grad()
    def apply(self, values):
        it = iter(values)
        grads = [torch.zeros_like(p) if g is None else next(it).detach()
                 for g, p in zip(self.grads, self.params, strict=True)]
        replay(self.optimizer, self.params, grads)


def replayed(get_updates):
    """Wrap a subclass's ``get_updates``: a graph loss gives one ``ReplayStep`` update; a
    ``GradientFeed`` runs the original code for one step and applies its updates."""

    def wrapper(self, loss, params):
        if isinstance(loss, GradientFeed):
            variables = self.__dict__.setdefault("_replay_variables", [])
            with graph_ops.replay_updates(variables):
                updates = get_updates(self, loss, params)
            return updates
        _check_graph_loss(self, loss)
        params = list(params)
        step = ReplayStep(self, params, graph_ops.symbolic_gradients(loss, params))
        return [step]

    wrapper.__wrapped__ = get_updates
    wrapper.__name__ = get_updates.__name__
    wrapper.__qualname__ = getattr(get_updates, "__qualname__", get_updates.__name__)
    wrapper.__doc__ = get_updates.__doc__
    wrapper._openkeras_replayed = True
    return wrapper


@torch.no_grad()
def replay(optimizer, params, grads):
    """One step of a Keras 2-style optimizer: run its get_updates on ``grads``, apply them."""
    updates = optimizer.get_updates(GradientFeed(grads), list(params))
    ops = []
    for u in graph_ops.flat_updates(updates):
        if isinstance(u, tuple) and len(u) == 2:
            u = UpdateOp(u[0], u[1], "assign")
        if not isinstance(u, UpdateOp):
            raise TypeError(f"{type(optimizer).__name__}.get_updates must return K.update / "
                            "update_add / update_sub ops or (variable, value) tuples. "
                            f"Received: {u!r}")
        ops.append(u)
    for u in ops:  # the values were computed by get_updates itself, before any write
        u.apply([u.value])


@torch.no_grad()
def create_state(optimizer, params):
    """Run a Keras 2-style ``get_updates`` once, applying nothing, so that the variables it
    makes and the ``self.weights`` it sets exist (to load a saved state into)."""
    optimizer.get_updates(GradientFeed([torch.zeros_like(p) for p in params]), list(params))


def replay_step(optimizer, params):
    """``model.fit``'s step for a Keras 2-style optimizer, from the parameters' ``.grad``."""
    replay(optimizer, params, [torch.zeros_like(p) if p.grad is None else p.grad
                               for p in params])
