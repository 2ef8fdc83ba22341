"""Weight regularizers (tf.keras 2 classes and configs): penalties added to the loss."""

import math
import numbers

import torch

from openkeras.engine import aliases, registry
from openkeras.utils.generic_utils import (  # noqa: F401  (Keras 2 exported them here)
    deserialize_keras_object,
    serialize_keras_object,
)


def _check_penalty(name, value):
    if value is None:
        return 0.0
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(
            f"Value {value!r} is not a valid regularization penalty number, expected an int or "
            f"float value. Received: {name}={value!r}"
        )
    return float(value)


class Regularizer(registry.Registered):
    """Base class: `__call__(x)` returns a scalar penalty tensor."""

    _registry_kind = "regularizer"

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return torch.zeros((), dtype=x.dtype, device=x.device)

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class L1L2(Regularizer):
    """Penalty `l1 * sum(|x|) + l2 * sum(x ** 2)`.

    Args:
        l1: L1 factor (None means 0).
        l2: L2 factor (None means 0).
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0):
        self.l1 = _check_penalty("l1", l1)
        self.l2 = _check_penalty("l2", l2)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if self.l1 and self.l2:
            return self.l1 * torch.sum(torch.abs(x)) + self.l2 * torch.sum(torch.square(x))
        if self.l1:
            return self.l1 * torch.sum(torch.abs(x))
        if self.l2:
            return self.l2 * torch.sum(torch.square(x))
        return super().__call__(x)

    def get_config(self) -> dict:
        return {"l1": float(self.l1), "l2": float(self.l2)}


class L1(Regularizer):
    """Penalty `l1 * sum(|x|)`.

    Args:
        l1: L1 factor (None means 0.01); the old name `l` warns.
    """

    def __init__(self, l1: float = 0.01, **kwargs):
        l1 = aliases.take_renamed(kwargs, "L1").get("l1", l1)
        if kwargs:
            raise TypeError(f"L1: argument(s) not recognized: {kwargs}")
        self.l1 = _check_penalty("l1", 0.01 if l1 is None else l1)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.l1 * torch.sum(torch.abs(x))

    def get_config(self) -> dict:
        return {"l1": float(self.l1)}


class L2(Regularizer):
    """Penalty `l2 * sum(x ** 2)`.

    Args:
        l2: L2 factor (None means 0.01); the old name `l` warns.
    """

    def __init__(self, l2: float = 0.01, **kwargs):
        l2 = aliases.take_renamed(kwargs, "L2").get("l2", l2)
        if kwargs:
            raise TypeError(f"L2: argument(s) not recognized: {kwargs}")
        self.l2 = _check_penalty("l2", 0.01 if l2 is None else l2)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.l2 * torch.sum(torch.square(x))

    def get_config(self) -> dict:
        return {"l2": float(self.l2)}


def l1(l: float = 0.01) -> L1L2:  # noqa: E741 (Keras 2 argument name)
    """An L1L2 regularizer with only an L1 factor, as Keras 2's `l1()`.

    Args:
        l: L1 factor.
    """
    return L1L2(l1=l)


def l2(l: float = 0.01) -> L1L2:  # noqa: E741 (Keras 2 argument name)
    """An L1L2 regularizer with only an L2 factor, as Keras 2's `l2()`.

    Args:
        l: L2 factor.
    """
    return L1L2(l2=l)


def l1_l2(l1: float = 0.01, l2: float = 0.01) -> L1L2:
    """An L1L2 regularizer with both factors.

    Args:
        l1: L1 factor.
        l2: L2 factor.
    """
    return L1L2(l1=l1, l2=l2)


# Keras 2's names: 'l1' and 'l2' make the classes, 'l1_l2' calls the function.
registry.register("regularizer", L1, "l1")
registry.register("regularizer", L2, "l2")
registry.register("regularizer", l1_l2, "l1_l2")


def serialize(regularizer) -> dict:
    """{'class_name': ..., 'config': ...} for a regularizer.

    Args:
        regularizer: A Regularizer instance.
    """
    return registry.serialize(regularizer)


def deserialize(config, custom_objects=None):
    """The regularizer described by a name ('l1', 'l2', 'l1_l2') or a config dict.

    Args:
        config: A name or a {'class_name', 'config'} dict.
        custom_objects: Optional dict of user-defined regularizers.
    """
    obj = registry.deserialize("regularizer", config, custom_objects)
    # a bare name makes the default object: 'l1' -> L1(), 'l1_l2' -> L1L2(0.01, 0.01)
    if isinstance(config, str) and (isinstance(obj, type) or obj is l1_l2):
        return obj()
    return obj


@registry.register_getter("regularizer")
def get(identifier):
    """Resolve a regularizer identifier.

    Args:
        identifier: None, a name, a config dict, or a callable (returned as is).
    """
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret regularizer identifier: {identifier!r}")
