"""Keras 2 backend names not in the core API: CTC, local convolutions, scopes, TF-only stubs.

Resolved lazily from ``openkeras.backend`` (``K.ctc_batch_cost``, ``K.local_conv2d`` ...).
Context managers that only organize a TensorFlow graph (``name_scope``,
``control_dependencies``) run their block as is: torch executes eagerly, in program order.
TensorFlow/Theano-only names raise an error that says so.
"""

import builtins
import contextlib

import numpy as np
import torch
import torch.nn.functional as F

from openkeras.backend.common import backend
from openkeras.utils.generic_utils import has_arg, transpose_shape  # noqa: F401

py_all = builtins.all
py_any = builtins.any
py_sum = builtins.sum
py_slice = builtins.slice


def _tensor(x, dtype=None):
    if torch.is_tensor(x):
        return x if dtype is None else x.to(dtype)
    return torch.as_tensor(np.asarray(x), dtype=dtype)


def size(x, name=None):
    """The number of elements of ``x`` (an int64 scalar tensor)."""
    return torch.tensor(_tensor(x).numel())


def is_variable(x):
    """Whether ``x`` is a variable (a torch Parameter or a tensor made by ``K.variable``)."""
    return isinstance(x, torch.nn.Parameter) or bool(getattr(x, "_keras_variable", False))


@contextlib.contextmanager
def name_scope(name):
    """Keras 2's graph name scope: names do not shape torch's computation; the block runs."""
    yield name


@contextlib.contextmanager
def control_dependencies(control_inputs):
    """Run the block after ``control_inputs``; torch already runs ops in program order."""
    yield


def eager(func):
    """Keras 2.3's decorator marking a function eager-safe; torch is always eager."""
    return func


def symbolic(func):
    """Keras 2.3's decorator running a function in its graph; openkeras runs it as is."""
    return func


_MANUAL_INIT = [False]


def manual_variable_initialization(value):
    """Keras 2's switch for TensorFlow variable initialization; torch variables are always
    initialized when created, so this only records the flag."""
    _MANUAL_INIT[0] = bool(value)


def v1_variable_initialization():
    """Keras 2.3's TF1 variable initialization; torch variables are initialized on creation."""


def moving_average_update(x, value, momentum):
    """``x = x * momentum + value * (1 - momentum)`` in place; returns ``x``."""
    with torch.no_grad():
        x.mul_(momentum).add_(_tensor(value, x.dtype).to(x.device), alpha=1.0 - momentum)
    return x


def local_conv1d(inputs, kernel, kernel_size, strides, data_format=None):
    """Unshared-weight 1D convolution.

    Args:
        inputs: (batch, steps, input_dim) (``channels_last``) or (batch, input_dim, steps).
        kernel: (output_length, kernel_size * input_dim, filters).
        kernel_size: a 1-tuple. ``strides``: a 1-tuple.
    """
    x = _tensor(inputs)
    kernel = _tensor(kernel, x.dtype)
    if data_format == "channels_first":
        x = x.transpose(1, 2)
    k, s = kernel_size[0], strides[0]
    windows = x.unfold(1, k, s)  # (batch, out_len, input_dim, k)
    windows = windows.permute(0, 1, 3, 2).reshape(x.shape[0], windows.shape[1], -1)
    out = torch.einsum("bli,lif->blf", windows, kernel)
    return out.transpose(1, 2) if data_format == "channels_first" else out


def local_conv2d(inputs, kernel, kernel_size, strides, output_shape, data_format=None):
    """Unshared-weight 2D convolution.

    Args:
        inputs: (batch, rows, cols, channels) (``channels_last``) or channels first.
        kernel: (output_rows * output_cols, kh * kw * channels, filters).
        kernel_size, strides: 2-tuples. ``output_shape``: (output_rows, output_cols).
    """
    x = _tensor(inputs)
    kernel = _tensor(kernel, x.dtype)
    if data_format == "channels_first":
        x = x.permute(0, 2, 3, 1)
    (kh, kw), (sh, sw) = kernel_size, strides
    windows = x.unfold(1, kh, sh).unfold(2, kw, sw)  # (b, rows, cols, ch, kh, kw)
    b, rows, cols = windows.shape[:3]
    windows = windows.permute(0, 1, 2, 4, 5, 3).reshape(b, rows * cols, -1)
    out = torch.einsum("bpi,pif->bpf", windows, kernel).reshape(b, rows, cols, -1)
    return out.permute(0, 3, 1, 2) if data_format == "channels_first" else out


def ctc_batch_cost(y_true, y_pred, input_length, label_length):
    """Per-sample CTC loss, shape (batch, 1); the last class is the blank (as Keras 2).

    Args:
        y_true: (batch, max_label_length) labels.
        y_pred: (batch, time, classes) softmax probabilities.
        input_length: (batch, 1) valid time steps of each prediction.
        label_length: (batch, 1) valid labels of each row of ``y_true``.
    """
    y_pred = _tensor(y_pred)
    log_probs = torch.log(y_pred.transpose(0, 1) + 1e-7)
    lengths_in = _tensor(input_length).reshape(-1).long().to(y_pred.device)
    lengths_label = _tensor(label_length).reshape(-1).long().to(y_pred.device)
    targets = _tensor(y_true).long().to(y_pred.device)
    loss = F.ctc_loss(log_probs, targets, lengths_in, lengths_label,
                      blank=y_pred.shape[-1] - 1, reduction="none", zero_infinity=False)
    return loss.unsqueeze(1)


def ctc_decode(y_pred, input_length, greedy=True, beam_width=100, top_paths=1):
    """Greedy CTC decoding: ``([decoded (batch, max_len) padded with -1], log_prob (batch, 1))``.

    Args:
        y_pred: (batch, time, classes) softmax probabilities (last class: blank).
        input_length: (batch,) valid time steps.
        greedy: only True is supported (beam search is not implemented in openkeras).
    """
    if not greedy:
        raise NotImplementedError("K.ctc_decode(greedy=False): openkeras implements greedy CTC "
                                  "decoding only (beam search is TensorFlow's "
                                  "ctc_beam_search_decoder).")
    y_pred = _tensor(y_pred)
    lengths = _tensor(input_length).reshape(-1).long().tolist()
    blank = y_pred.shape[-1] - 1
    log_p = torch.log(y_pred + 1e-7)
    best, best_index = log_p.max(dim=-1)
    decoded, scores = [], []
    for b, n in enumerate(lengths):
        path = best_index[b, :n].tolist()
        seq = [c for i, c in enumerate(path) if c != blank and (i == 0 or c != path[i - 1])]
        decoded.append(seq)
        scores.append(-float(best[b, :n].sum()))
    width = max([len(s) for s in decoded] + [1])
    dense = torch.full((len(decoded), width), -1, dtype=torch.long)
    for b, seq in enumerate(decoded):
        dense[b, :len(seq)] = torch.tensor(seq, dtype=torch.long)
    return [dense], torch.tensor(scores).unsqueeze(1)


def _tf_only(name, what):
    def unsupported(*args, **kwargs):
        raise NotImplementedError(f"K.{name}: {what}; openkeras runs on PyTorch only.")

    unsupported.__name__ = name
    unsupported._openkeras_unsupported = f"K.{name}: {what}"
    return unsupported


ctc_label_dense_to_sparse = _tf_only("ctc_label_dense_to_sparse",
                                     "builds a TensorFlow SparseTensor")
get_graph = _tf_only("get_graph", "returns the TensorFlow graph")
pattern_broadcast = _tf_only("pattern_broadcast", "a Theano broadcasting pattern")


def _backend_module():
    import openkeras.backend

    return openkeras.backend


def __getattr__(name):
    # Keras 2.3's load_backend names: the loaded backend module and its entries.
    if name == "backend_module":
        return _backend_module()
    if name in ("entries", "namespace"):
        return vars(_backend_module())
    if name == "required_entries":
        entries = [n for n in vars(_backend_module()) if not n.startswith("_")]
        globals()[name] = entries  # computed once, the same list afterwards
        return entries
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["backend"]
