"""Output shapes found by running a layer's ``call`` on meta tensors (no data, no compute)."""

import torch
from torch.func import functional_call

from openkeras import config

_SIZES = ((2, 3), (3, 5))  # (batch, other unknown dims) for the two trial runs


def _placeholder(shape, dtype, batch, other, device):
    dims = [batch if i == 0 and d is None else (other if d is None else d) for i, d in enumerate(shape)]
    if device == "meta":
        return torch.empty(dims, dtype=dtype, device="meta")
    return torch.zeros(dims, dtype=dtype)


def _structure(input_shape, dtypes, batch, other, device):
    if isinstance(input_shape, list):
        return [_placeholder(s, d, batch, other, device) for s, d in zip(input_shape, dtypes, strict=False)]
    return _placeholder(input_shape, dtypes[0], batch, other, device)


def _run(layer, input_shape, dtypes, batch, other, device):
    inputs = _structure(input_shape, dtypes, batch, other, device)
    kwargs = {"training": False} if layer._call_takes_training else {}
    if isinstance(inputs, list) and layer._call_wants_mask_list:
        kwargs["mask"] = [None] * len(inputs)  # Keras 2 gives multi-input layers a list
    with torch.no_grad():
        if device == "meta":
            state = {n: torch.empty_like(t, device="meta") for n, t in
                     list(layer.named_parameters()) + list(layer.named_buffers())}
            with torch.device("meta"):  # tensors made inside call (K.random_normal) are meta too
                out = functional_call(layer, state, (inputs,), kwargs)
        else:
            out = layer._eager_call(inputs, **kwargs)
    if isinstance(out, (list, tuple)):
        return [tuple(o.shape) for o in out]
    return tuple(out.shape)


def _merge(a, b):
    if isinstance(a, list):
        return [_merge(x, y) for x, y in zip(a, b, strict=True)]
    return tuple(
        None if x != y else x for x, y in zip(a, b, strict=True)
    )


def infer_output_shape(layer, input_shape, dtypes=None):
    """Run ``layer.call`` twice on placeholder inputs and read the output shape.

    Dimensions that change between the two runs (the batch and any unknown input
    dimension) are reported as None. Meta tensors are tried first (free); layers whose
    code needs real values fall back to small zero tensors on the CPU.
    """
    flat = input_shape if isinstance(input_shape, list) else [input_shape]
    dtypes = dtypes or [config.torch_dtype(layer.dtype)] * len(flat)
    errors = []
    for device in ("meta", "cpu"):
        try:
            a = _run(layer, input_shape, dtypes, *_SIZES[0], device)
            b = _run(layer, input_shape, dtypes, *_SIZES[1], device)
            return _merge(a, b)
        except (RuntimeError, NotImplementedError, TypeError, ValueError, IndexError) as e:
            errors.append(e)
    raise errors[-1]
