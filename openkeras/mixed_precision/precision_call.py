"""Layer calls whose policy differs from their model's: the only per-layer precision machinery.

A model with a mixed policy runs its whole forward pass in one ``torch.autocast`` region. A
layer whose policy differs from the model's (a float32 softmax at the end of a mixed model, a
mixed layer in a float32 model) gets its plan step's call wrapped here, once, when the plan is
made; layers sharing the model's policy are called as they are.
"""

import torch


def adapt_steps(steps, model_autocast):
    """Wrap the ``fn`` of steps whose layer computes in another precision than the model.

    Nothing is wrapped when every layer shares the model's policy. Otherwise a mixed layer
    outside the model's autocast region gets its own region, and in a model that mixes
    precisions a non-mixed layer runs without autocast on inputs cast to its compute dtype
    (so float32 layers after a bfloat16 one receive float32, as tf.keras casts inputs).

    Args:
        steps: the plan's steps (``layer`` and ``fn`` attributes).
        model_autocast: the torch dtype of the model's autocast region, or None.
    """
    own = [(step, _layer_autocast(step.layer)) for step in steps]
    if all(a is False or a == model_autocast for _, a in own):
        return
    for step, layer_autocast in own:
        if layer_autocast is False:
            continue
        if layer_autocast is not None:
            if layer_autocast != model_autocast:
                step.fn = _AutocastCall(step.fn, layer_autocast)
        elif step.layer.compute_dtype in ("float16", "bfloat16", "float32", "float64"):
            step.fn = _PlainCall(step.fn, getattr(torch, step.layer.compute_dtype))


def _layer_autocast(layer):
    """A layer's autocast dtype (None when not mixed); False for nested models and layers
    without a policy, which are left alone (a nested model applies its own policy)."""
    if hasattr(layer, "_steps") or getattr(layer, "_dtype_policy", None) is None:
        return False
    return layer._dtype_policy.autocast_dtype()


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
