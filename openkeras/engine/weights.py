"""Layer weights: a Parameter that knows its Keras name and layout, and layout converters.

A layer may compute with its weights in another layout than Keras's (a Conv2D kernel as
torch's (out, in, kh, kw)); ``get_weights``, ``set_weights``, files and optimizer state
always speak Keras layout through the converter attached to each weight.
"""

import contextlib
import copy

import numpy as np
import torch

from openkeras.engine.arrays import as_tensor


class Transpose:
    """Keras layout <-> engine layout of a weight by a permutation of axes."""

    def __init__(self, to_engine_perm):
        self.perm = tuple(to_engine_perm)
        self.inverse = tuple(int(i) for i in np.argsort(self.perm))

    def to_engine(self, value: torch.Tensor) -> torch.Tensor:
        return value.permute(self.perm).contiguous()

    def to_keras(self, value: torch.Tensor) -> torch.Tensor:
        return value.permute(self.inverse)


class Variable(torch.nn.Parameter):
    """A layer weight: a torch Parameter that also knows its Keras name, shape and layout."""

    @property
    def name(self):
        return self.__dict__.get("_keras_full_name")

    def __deepcopy__(self, memo):
        result = super().__deepcopy__(memo)
        result.__dict__.update(copy.deepcopy(self.__dict__, memo))
        return result

    def numpy(self):
        return weight_to_keras(self)


def weight_keras_view(p):
    layout = getattr(p, "_keras_layout", None)
    return layout.to_keras(p) if layout is not None else p


def weight_to_keras(p) -> np.ndarray:
    """A weight as a numpy array in Keras layout."""
    layout = getattr(p, "_keras_layout", None)
    with torch.no_grad():
        t = p.detach()
        return (layout.to_keras(t) if layout is not None else t).cpu().numpy().copy()


def set_weight(p, value, owner="layer"):
    """Copy a Keras-layout array into a weight, checking its shape."""
    value = np.asarray(value)
    expected = tuple(getattr(p, "_keras_shape", tuple(p.shape)))
    if tuple(value.shape) != expected:
        raise ValueError(
            f"Layer {owner} weight shape {expected} is not compatible with provided weight shape "
            f"{tuple(value.shape)} (weight {getattr(p, 'name', '?')})."
        )
    with torch.no_grad():
        t = as_tensor(value, dtype=p.dtype)
        layout = getattr(p, "_keras_layout", None)
        if layout is not None:
            t = layout.to_engine(t)
        p.copy_(t)


def parameter_slots(model):
    """``(module, attribute, parameter)`` for every place a module of ``model`` holds a
    parameter (a weight shared by two layers has two slots)."""
    return [(module, attr, p) for module in model.modules()
            for attr, p in module._parameters.items() if p is not None]


@contextlib.contextmanager
def swapped_parameters(slots, replacement):
    """Inside: each slot of ``parameter_slots`` holds ``replacement[id(parameter)]`` instead
    (slots whose parameter is not in ``replacement`` keep it)."""
    changed = [(module, attr, p) for module, attr, p in slots if id(p) in replacement]
    for module, attr, p in changed:
        module._parameters[attr] = replacement[id(p)]
    try:
        yield
    finally:
        for module, attr, p in changed:
            module._parameters[attr] = p
