"""In-place foreach updates whose scalar may be a Python number or a 0-d tensor.

Eager steps pass Python floats (torch's fused ``value=`` / ``alpha=`` forms). A compiled
step passes its coefficients as 0-d tensors so that one traced graph serves every step
(Adam's bias correction changes each step); those calls multiply by the tensor instead.
"""

import torch


def add_(tensors, others, alpha):
    """``tensors += alpha * others``."""
    if torch.is_tensor(alpha):
        torch._foreach_add_(tensors, torch._foreach_mul(others, alpha))
    else:
        torch._foreach_add_(tensors, others, alpha=alpha)


def addcmul_(tensors, a, b, value):
    """``tensors += value * a * b``."""
    if torch.is_tensor(value):
        torch._foreach_add_(tensors, torch._foreach_mul(torch._foreach_mul(a, b), value))
    else:
        torch._foreach_addcmul_(tensors, a, b, value=value)


def addcdiv_(tensors, a, b, value):
    """``tensors += value * a / b``."""
    if torch.is_tensor(value):
        torch._foreach_add_(tensors, torch._foreach_div(torch._foreach_mul(a, value), b))
    else:
        torch._foreach_addcdiv_(tensors, a, b, value=value)


def lerp_(tensors, ends, weight):
    """``tensors += weight * (ends - tensors)``."""
    if torch.is_tensor(weight):
        torch._foreach_add_(tensors, torch._foreach_mul(torch._foreach_sub(ends, tensors), weight))
    else:
        torch._foreach_lerp_(tensors, ends, weight)


def add_scalar(tensors, value):
    """``tensors + value`` as new tensors."""
    if torch.is_tensor(value):
        return torch._foreach_add(tensors, [value] * len(tensors))
    return torch._foreach_add(tensors, value)


def add_scalar_(tensors, value):
    """``tensors += value``."""
    if torch.is_tensor(value):
        torch._foreach_add_(tensors, [value] * len(tensors))
    else:
        torch._foreach_add_(tensors, value)
