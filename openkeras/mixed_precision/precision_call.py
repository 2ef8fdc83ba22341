"""Layer calls whose policy differs from their model's: the only per-layer precision machinery.

A model with a mixed policy runs its whole forward pass in one ``torch.autocast`` region. A
layer whose policy differs from the model's (a float32 softmax at the end of a mixed model, a
mixed layer in a float32 model) gets its plan step's call wrapped here, once, when the plan is
made; layers sharing the model's policy are called as they are.
"""

import torch


def adapt_step(step, model_autocast):
    """Wrap ``step.fn`` when the step's layer computes in another precision than the model.

    Args:
        step: a plan step (``layer`` and ``fn`` attributes).
        model_autocast: the torch dtype of the model's autocast region, or None.
    """
    layer = step.layer
    if hasattr(layer, "_steps"):  # a nested model applies its own policy
        return
    policy = getattr(layer, "_dtype_policy", None)
    if policy is None:
        return
    layer_autocast = policy.autocast_dtype()
    if layer_autocast == model_autocast:
        return
    if layer_autocast is not None:
        step.fn = _AutocastCall(step.fn, layer_autocast)
    elif policy.compute_dtype in ("float16", "bfloat16", "float32", "float64"):
        step.fn = _PlainCall(step.fn, getattr(torch, policy.compute_dtype))


def _first_tensor(x):
    if isinstance(x, torch.Tensor):
        return x
    for v in (x.values() if isinstance(x, dict) else x if isinstance(x, (list, tuple)) else ()):
        t = _first_tensor(v)
        if t is not None:
            return t
    return None


def cast_floating(x, dtype):
    """``x`` (a tensor or nested lists / tuples / dicts of them) with floating tensors cast."""
    if isinstance(x, torch.Tensor):
        return x.to(dtype) if x.is_floating_point() and x.dtype != dtype else x
    if isinstance(x, (list, tuple)):
        return type(x)(cast_floating(v, dtype) for v in x)
    if isinstance(x, dict):
        return {k: cast_floating(v, dtype) for k, v in x.items()}
    return x


class _AutocastCall:
    """A mixed-policy layer's call inside a model that is not under the same autocast."""

    __slots__ = ("fn", "dtype")

    def __init__(self, fn, dtype):
        self.fn, self.dtype = fn, dtype

    def __call__(self, x, *args, **kwargs):
        t = _first_tensor(x)
        with torch.autocast(t.device.type if t is not None else "cpu", dtype=self.dtype):
            return self.fn(x, *args, **kwargs)


class _PlainCall:
    """A non-mixed layer's call inside a mixed model: autocast off, floating inputs cast to
    the layer's compute dtype (tf.keras's float32 softmax at the end of a mixed model)."""

    __slots__ = ("fn", "dtype")

    def __init__(self, fn, dtype):
        self.fn, self.dtype = fn, dtype

    def __call__(self, x, *args, **kwargs):
        t = _first_tensor(x)
        with torch.autocast(t.device.type if t is not None else "cpu", enabled=False):
            return self.fn(cast_floating(x, self.dtype), *args, **kwargs)
