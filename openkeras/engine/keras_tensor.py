"""Symbolic tensors: a shape, a dtype and the node that made them."""

import torch

from openkeras import config


class KerasTensor:
    """The output of a layer called on symbolic inputs (``Input(...)``).

    Args:
        shape: full shape including the batch dimension, ``None`` where unknown.
        dtype: Keras dtype name ('float32', 'int32', ...).
        name: a readable name.
    """

    __slots__ = ("shape", "dtype", "name", "_keras_history", "_keras_mask")

    def __init__(self, shape, dtype=None, name=None):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = dtype or config.floatx()
        self.name = name
        self._keras_history = None  # (layer, node_index, tensor_index)
        self._keras_mask = None  # a KerasTensor for the mask, or None

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def meta(self, none_size: int = 2) -> torch.Tensor:
        """A tensor on the meta device with unknown dimensions set to ``none_size``."""
        shape = [none_size if d is None else d for d in self.shape]
        return torch.empty(shape, dtype=config.torch_dtype(self.dtype), device="meta")

    def __repr__(self):
        made_by = f" (created by layer '{self._keras_history[0].name}')" if self._keras_history else ""
        return f"<KerasTensor: shape={self.shape} dtype={self.dtype}{made_by}>"

    def __len__(self):
        raise TypeError(
            "Symbolic tensors have no length; use K.int_shape(x) or x.shape. "
            f"Received: {self!r}"
        )

    def __bool__(self):
        raise TypeError(f"A symbolic tensor cannot be used as a Python bool. Received: {self!r}")


def is_symbolic(x) -> bool:
    """True for a KerasTensor or a (nested) list/tuple holding one."""
    if isinstance(x, KerasTensor):
        return True
    if isinstance(x, (list, tuple)):
        return any(is_symbolic(v) for v in x)
    return False


def flatten(x):
    """The leaves of a nested list/tuple structure, as a list."""
    if isinstance(x, (list, tuple)):
        out = []
        for v in x:
            out.extend(flatten(v))
        return out
    return [x]


def pack_like(template, flat):
    """Rebuild ``template``'s list/tuple structure from the leaves ``flat``."""
    it = iter(flat)

    def rebuild(t):
        if isinstance(t, (list, tuple)):
            return type(t)(rebuild(v) for v in t) if isinstance(t, tuple) else [rebuild(v) for v in t]
        return next(it)

    return rebuild(template)
