"""Built-in activation functions (Keras 2 names and arguments) on torch tensors."""

import torch
import torch.nn.functional as F

from openkeras.engine import registry
from openkeras.engine.symbolic_dispatch import wrap_public_functions as _wrap_public_functions
from openkeras.utils.generic_utils import (  # noqa: F401  (Keras 2 exported them here)
    deserialize_keras_object,
    is_int,
    serialize_keras_object,
)


def relu(x: torch.Tensor, alpha: float = 0.0, max_value=None, threshold: float = 0.0):
    """Rectified linear unit, with optional leak, saturation and threshold.

    Args:
        x: Input tensor.
        alpha: Slope for values below `threshold`.
        max_value: Saturation value (the largest value returned), or None.
        threshold: Values at or below it are damped (times `alpha`) or set to zero.
    """
    if max_value is None and threshold == 0:
        if alpha == 0:
            return torch.relu(x)
        return F.leaky_relu(x, alpha)
    if alpha != 0:
        negative_part = torch.relu(threshold - x)
    if threshold != 0:
        x = x * (x > threshold).to(x.dtype)
    else:
        x = torch.relu(x)
    if max_value is not None:
        x = torch.clamp(x, 0.0, max_value)
    if alpha != 0:
        x = x - alpha * negative_part
    return x


def tanh(x: torch.Tensor) -> torch.Tensor:
    """Hyperbolic tangent.

    Args:
        x: Input tensor.
    """
    return torch.tanh(x)


def sigmoid(x: torch.Tensor) -> torch.Tensor:
    """Sigmoid, `1 / (1 + exp(-x))`.

    Args:
        x: Input tensor.
    """
    return torch.sigmoid(x)


def hard_sigmoid(x: torch.Tensor) -> torch.Tensor:
    """Piecewise linear sigmoid of tf.keras 2: `clip(0.2 * x + 0.5, 0, 1)`.

    Args:
        x: Input tensor.
    """
    return torch.clamp(x * 0.2 + 0.5, 0.0, 1.0)


def softmax(x: torch.Tensor, axis=-1) -> torch.Tensor:
    """Softmax along `axis` (an int or a tuple of ints).

    Args:
        x: Input tensor of rank 2 or more.
        axis: Axis (or axes) along which the values sum to one.
    """
    if x.dim() <= 1:
        raise ValueError(f"Cannot apply softmax to a tensor that is 1D. Received input: {x}")
    if type(axis) is int or is_int(axis):  # the plain int first: is_int's ABC check is slow
        return torch.softmax(x, dim=int(axis))
    axis = tuple(axis)
    e = torch.exp(x - torch.amax(x, dim=axis, keepdim=True))
    return e / torch.sum(e, dim=axis, keepdim=True)


def elu(x: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    """Exponential linear unit: `x` if `x > 0` else `alpha * (exp(x) - 1)`.

    Args:
        x: Input tensor.
        alpha: Scale of the negative section.
    """
    return F.elu(x, alpha)


def selu(x: torch.Tensor) -> torch.Tensor:
    """Scaled exponential linear unit (Klambauer et al., 2017).

    Args:
        x: Input tensor.
    """
    return torch.selu(x)


def softplus(x: torch.Tensor) -> torch.Tensor:
    """Softplus, `log(exp(x) + 1)`.

    Args:
        x: Input tensor.
    """
    return F.softplus(x)


def softsign(x: torch.Tensor) -> torch.Tensor:
    """Softsign, `x / (abs(x) + 1)`.

    Args:
        x: Input tensor.
    """
    return F.softsign(x)


def exponential(x: torch.Tensor) -> torch.Tensor:
    """Exponential, `exp(x)`.

    Args:
        x: Input tensor.
    """
    return torch.exp(x)


def linear(x: torch.Tensor) -> torch.Tensor:
    """Identity (pass-through) activation.

    Args:
        x: Input tensor, returned unchanged.
    """
    return x


def swish(x: torch.Tensor) -> torch.Tensor:
    """Swish, `x * sigmoid(x)`.

    Args:
        x: Input tensor.
    """
    return F.silu(x)


def gelu(x: torch.Tensor, approximate: bool = False) -> torch.Tensor:
    """Gaussian error linear unit, exact (erf) or tanh-approximated.

    Args:
        x: Input tensor.
        approximate: Use the tanh approximation.
    """
    return F.gelu(x, approximate="tanh" if approximate else "none")


def mish(x: torch.Tensor) -> torch.Tensor:
    """Mish, `x * tanh(softplus(x))` (tf.keras >= 2.12).

    Args:
        x: Input tensor.
    """
    return F.mish(x)


# On graph tensors every activation records an OpLambda node (openkeras.engine.symbolic_dispatch).
_wrap_public_functions(globals(), [__name__])

registry.register_names("activation", globals(), (
    "relu", "tanh", "sigmoid", "hard_sigmoid", "softmax", "elu", "selu", "softplus", "softsign",
    "exponential", "linear", "swish", "gelu", "mish"))


def serialize(activation):
    """The name of an activation function, or a config dict for an activation layer.

    Args:
        activation: A function (or an object with `get_config`).
    """
    return registry.serialize(activation)


def deserialize(name, custom_objects=None):
    """The activation named `name` (or described by a config dict).

    Args:
        name: A function name such as 'relu', or {'class_name', 'config'} for an activation
            layer (LeakyReLU, PReLU, ...).
        custom_objects: Optional dict of user-defined activations.
    """
    kinds = ("activation", "activation_layer") if isinstance(name, dict) else "activation"
    return registry.deserialize(kinds, name, custom_objects)


@registry.register_getter("activation")
def get(identifier):
    """Resolve an activation identifier to a callable.

    Args:
        identifier: None (linear), a name, a config dict, or a callable (returned as is).
    """
    if identifier is None:
        return linear
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise TypeError(f"Could not interpret activation function identifier: {identifier!r}")


# Names Keras 2 code imports from this module, resolved on first access (so this module
# imports nothing more at load time).
from openkeras.engine.lazy_exports import lazy_exports  # noqa: E402

__getattr__ = lazy_exports(__name__, {
    "Layer": "openkeras.engine.base_layer:Layer",
})
