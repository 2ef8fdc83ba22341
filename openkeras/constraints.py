"""Weight constraints (tf.keras 2 classes and configs), applied to Keras-layout weights.

`axis` refers to the Keras layout: a Dense kernel is (input_dim, units), so `axis=0`
constrains the weight vector of each unit; a Conv2D kernel is (kh, kw, in, out), so
`axis=[0, 1, 2]` constrains each filter.
"""

import torch

from openkeras.config import epsilon
from openkeras.engine import registry
from openkeras.utils.generic_utils import (  # noqa: F401  (Keras 2 exported them here)
    deserialize_keras_object,
    is_int,
    serialize_keras_object,
)


def _norms(w, axis):
    dims = int(axis) if is_int(axis) else tuple(int(a) for a in axis)
    return torch.sqrt(torch.sum(torch.square(w), dim=dims, keepdim=True))


class Constraint(registry.Registered):
    """Base class: `__call__(w)` returns the constrained weight tensor."""

    _registry_kind = "constraint"

    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        return w

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class MaxNorm(Constraint):
    """Rescale weight vectors whose L2 norm along `axis` exceeds `max_value`.

    Args:
        max_value: The largest norm allowed.
        axis: Axis (or list of axes) along which norms are computed.
    """

    def __init__(self, max_value=2, axis=0):
        self.max_value = max_value
        self.axis = axis

    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        norms = _norms(w, self.axis)
        desired = torch.clamp(norms, 0, self.max_value)
        return w * (desired / (epsilon() + norms))

    def get_config(self) -> dict:
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Set negative weights to zero."""

    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        return w * (w >= 0.0).to(w.dtype)


class UnitNorm(Constraint):
    """Scale weight vectors to unit L2 norm along `axis`.

    Args:
        axis: Axis (or list of axes) along which norms are computed.
    """

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        return w / (epsilon() + _norms(w, self.axis))

    def get_config(self) -> dict:
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Move weight-vector norms along `axis` towards [min_value, max_value].

    The new norm is `rate * clip(norm, min_value, max_value) + (1 - rate) * norm`.

    Args:
        min_value: The smallest norm wanted.
        max_value: The largest norm wanted.
        rate: 1.0 enforces the bounds strictly; smaller values move part of the way.
        axis: Axis (or list of axes) along which norms are computed.
    """

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = axis

    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        norms = _norms(w, self.axis)
        desired = (self.rate * torch.clamp(norms, self.min_value, self.max_value)
                   + (1 - self.rate) * norms)
        return w * (desired / (epsilon() + norms))

    def get_config(self) -> dict:
        return {"min_value": self.min_value, "max_value": self.max_value,
                "rate": self.rate, "axis": self.axis}


max_norm = MaxNorm
non_neg = NonNeg
unit_norm = UnitNorm
min_max_norm = MinMaxNorm
# Keras 1 / 2.0 names
maxnorm = MaxNorm
nonneg = NonNeg
unitnorm = UnitNorm

# Keras 2's snake-case names and the Keras 1 / 2.0 names.
for _name, _cls in (("max_norm", MaxNorm), ("non_neg", NonNeg), ("unit_norm", UnitNorm),
                    ("min_max_norm", MinMaxNorm), ("maxnorm", MaxNorm), ("nonneg", NonNeg),
                    ("unitnorm", UnitNorm)):
    registry.register("constraint", _cls, _name)


def serialize(constraint) -> dict:
    """{'class_name': ..., 'config': ...} for a constraint.

    Args:
        constraint: A Constraint instance.
    """
    return registry.serialize(constraint)


def deserialize(config, custom_objects=None):
    """The constraint described by a name or a {'class_name', 'config'} dict.

    Args:
        config: A name such as 'max_norm' or a serialized config dict.
        custom_objects: Optional dict of user-defined constraints.
    """
    if isinstance(config, str):
        config = {"class_name": config, "config": {}}
    return registry.deserialize("constraint", config, custom_objects)


@registry.register_getter("constraint")
def get(identifier):
    """Resolve a constraint identifier.

    Args:
        identifier: None, a name, a config dict, or a callable (returned as is).
    """
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret constraint identifier: {identifier!r}")
