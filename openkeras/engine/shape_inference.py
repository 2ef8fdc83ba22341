"""Output shapes found by running a layer's ``call`` on meta tensors (no data, no compute).

The layer runs twice with different sizes for the unknown (None) input dimensions; an output
dimension that changes between the runs is unknown (None), as Keras 2's static shapes.
Unknown dimensions first get sizes of their own (the batch 2 then 3, the others 3 then 5).
When the op needs an unknown dimension to match a known one (broadcasting (None, None) with
(None, 3), a batch_dot contracting an unknown axis with a known one), TensorFlow's shape
rules merge them and the result knows the size; here the unknown dimension then takes the
known size it is aligned with (from the right, as broadcasting aligns), or failing that one of
the known sizes of the inputs, in both runs.
"""

import itertools

import torch
from torch.func import functional_call

from openkeras import config

_SIZES = ((2, 3), (3, 5))  # (batch, other unknown dims) for the two trial runs
_MAX_SEARCH = 16  # assignments of known sizes to unknown dimensions tried at most
_ERRORS = (RuntimeError, NotImplementedError, TypeError, ValueError, IndexError)


def _run(layer, shapes, dtypes, as_list, device):
    """The layer's outputs (a list of tensors, and whether it returned several) for inputs of
    the concrete ``shapes`` (a list of inputs when ``as_list``)."""
    if device == "meta":
        inputs = [torch.empty(s, dtype=d, device="meta") for s, d in zip(shapes, dtypes, strict=False)]
    else:
        inputs = [torch.zeros(s, dtype=d) for s, d in zip(shapes, dtypes, strict=False)]
    inputs = inputs if as_list else inputs[0]
    kwargs = {"training": False} if layer._call_takes_training else {}
    if as_list and layer._call_wants_mask_list:
        kwargs["mask"] = [None] * len(inputs)  # Keras 2 gives multi-input layers a list
    with torch.no_grad():
        if device == "meta":
            state = {n: torch.empty_like(t, device="meta") for n, t in
                     list(layer.named_parameters()) + list(layer.named_buffers())}
            with torch.device("meta"):  # tensors made inside call (K.random_normal) are meta too
                out = functional_call(layer, state, (inputs,), kwargs)
        else:
            out = layer._eager_call(inputs, **kwargs)
    several = isinstance(out, (list, tuple))
    outs = list(out) if several else [out]
    bad = [o for o in outs if not isinstance(o, torch.Tensor)]
    if bad:
        raise TypeError(f"Layer {layer.name!r} returned {type(bad[0]).__name__}, not tensors.")
    return outs, several


def _trials(shapes, extra_sizes=()):
    """Pairs of concrete input shapes to run, best guess first (see the module docstring);
    ``extra_sizes`` are more known sizes to try (those of an op's constant tensors)."""
    def fill(sizes, fixed):
        return [[fixed.get((i, k), sizes[0] if k == 0 else sizes[1]) if d is None else d
                 for k, d in enumerate(s)] for i, s in enumerate(shapes)]

    yield fill(_SIZES[0], {}), fill(_SIZES[1], {})
    unknown = [(i, k) for i, s in enumerate(shapes) for k, d in enumerate(s) if d is None]
    if not unknown:
        return
    aligned = {}
    for i, k in unknown:  # the known size at the same place from the right in another input
        back = len(shapes[i]) - k
        partners = [s[len(s) - back] for j, s in enumerate(shapes)
                    if j != i and len(s) >= back and s[len(s) - back] not in (None, 1)]
        if partners:
            aligned[(i, k)] = partners[0]
    if aligned:
        yield fill(_SIZES[0], aligned), fill(_SIZES[1], aligned)
    known = sorted({d for s in shapes for d in s if d not in (None, 1)} | set(extra_sizes))
    searched = [(i, k) for i, k in unknown if k > 0]  # batch sizes keep their trial sizes
    for choice in itertools.islice(itertools.product(known, repeat=len(searched)), _MAX_SEARCH):
        fixed = dict(zip(searched, choice, strict=True))
        yield fill(_SIZES[0], fixed), fill(_SIZES[1], fixed)


def _run_both(layer, trial, dtypes, as_list):
    """The two runs of one trial: on meta tensors, else on zeros (code that needs values)."""
    try:
        return [_run(layer, shapes, dtypes, as_list, "meta") for shapes in trial]
    except _ERRORS:
        return [_run(layer, shapes, dtypes, as_list, "cpu") for shapes in trial]


def infer_output(layer, input_shape, dtypes=None, extra_sizes=()):
    """The output shape(s) of ``layer`` for ``input_shape`` and its first output's dtype.

    Meta tensors are tried first (free); layers whose code needs real values fall back to
    small zero tensors on the CPU.

    Args:
        layer: the layer (its ``call`` is run).
        input_shape: a shape tuple (None where unknown) or a list of them.
        dtypes: the inputs' torch dtypes (default: the layer's dtype).
        extra_sizes: known sizes an unknown dimension may have to match besides the inputs'
            (those of the tensors an op holds).

    Returns:
        ``(shape or list of shapes, torch dtype of the first output)``.
    """
    as_list = isinstance(input_shape, list)
    shapes = [tuple(s) for s in (input_shape if as_list else [input_shape])]
    dtypes = dtypes or [config.torch_dtype(layer.dtype)] * len(shapes)
    first_error = None
    for trial in _trials(shapes, extra_sizes):
        try:
            (a, several), (b, _) = _run_both(layer, trial, dtypes, as_list)
        except _ERRORS as e:
            first_error = first_error or e
            continue
        merged = [tuple(None if x != y else x for x, y in zip(p.shape, q.shape, strict=True))
                  for p, q in zip(a, b, strict=True)]
        return (merged if several else merged[0]), a[0].dtype
    raise first_error


def infer_output_shape(layer, input_shape, dtypes=None):
    """The output shape(s) ``infer_output`` finds (a tuple, or a list for several outputs)."""
    return infer_output(layer, input_shape, dtypes)[0]
