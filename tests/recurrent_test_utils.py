"""Shared pieces of the recurrent-layer tests: registration scope and references."""

import numpy as np
import torch

from openkeras.layers.recurrent import (
    GRU,
    LSTM,
    RNN,
    ConvLSTM2D,
    ConvLSTM2DCell,
    GRUCell,
    LSTMCell,
    SimpleRNN,
    SimpleRNNCell,
    StackedRNNCells,
)
from openkeras.layers.wrappers import Bidirectional, TimeDistributed
from openkeras.utils.generic_utils import custom_object_scope

CLASSES = {c.__name__: c for c in (RNN, StackedRNNCells, SimpleRNN, LSTM, GRU, SimpleRNNCell,
                                   LSTMCell, GRUCell, ConvLSTM2D, ConvLSTM2DCell, Bidirectional,
                                   TimeDistributed)}


def recurrent_scope():
    """Deserialization by class name for these classes (until they are registered)."""
    return custom_object_scope(CLASSES)


def torch_reference(kind, weights, units, x, h0=None, c0=None):
    """Run torch.nn.LSTM/GRU/RNN with Keras weights converted by hand (numpy)."""
    kernel, recurrent = weights[0], weights[1]
    bias = weights[2] if len(weights) > 2 else None
    input_dim = kernel.shape[0]
    if kind == "gru":  # Keras z, r, h -> torch r, z, n
        def reorder(a):
            z, r, h = np.split(a, 3, axis=-1)
            return np.concatenate([r, z, h], axis=-1)

        kernel, recurrent = reorder(kernel), reorder(recurrent)
        b_ih, b_hh = (reorder(bias[0]), reorder(bias[1])) if bias is not None else (None, None)
        module = torch.nn.GRU(input_dim, units, batch_first=True, bias=bias is not None)
    else:
        b_ih = bias
        b_hh = np.zeros_like(bias) if bias is not None else None
        if kind == "lstm":
            module = torch.nn.LSTM(input_dim, units, batch_first=True, bias=bias is not None)
        else:
            module = torch.nn.RNN(input_dim, units, batch_first=True, nonlinearity=kind,
                                  bias=bias is not None)
    with torch.no_grad():
        module.weight_ih_l0.copy_(torch.from_numpy(kernel.T.copy()))
        module.weight_hh_l0.copy_(torch.from_numpy(recurrent.T.copy()))
        if bias is not None:
            module.bias_ih_l0.copy_(torch.from_numpy(b_ih))
            module.bias_hh_l0.copy_(torch.from_numpy(b_hh))
        batch = x.shape[0]
        h = torch.zeros(1, batch, units) if h0 is None else torch.as_tensor(h0)[None]
        if kind == "lstm":
            c = torch.zeros(1, batch, units) if c0 is None else torch.as_tensor(c0)[None]
            out, (h_n, c_n) = module(torch.as_tensor(x), (h, c))
            return out.numpy(), h_n[0].numpy(), c_n[0].numpy()
        out, h_n = module(torch.as_tensor(x), h)
        return out.numpy(), h_n[0].numpy()


def numpy_lstm(x, weights, mask=None, recurrent_activation="sigmoid", go_backwards=False):
    """A plain numpy LSTM with Keras masking semantics: (outputs per step, h, c)."""
    kernel, recurrent, bias = weights
    units = recurrent.shape[0]
    if recurrent_activation == "sigmoid":
        def ra(v):
            return 1 / (1 + np.exp(-v))
    else:
        def ra(v):
            return np.clip(0.2 * v + 0.5, 0, 1)
    batch, steps = x.shape[:2]
    h = np.zeros((batch, units), np.float64)
    c = np.zeros((batch, units), np.float64)
    prev = np.zeros((batch, units), np.float64)
    outputs = []
    order = range(steps - 1, -1, -1) if go_backwards else range(steps)
    for t in order:
        z = x[:, t] @ kernel + h @ recurrent + bias
        i, f, g, o = np.split(z, 4, axis=-1)
        c_new = ra(f) * c + ra(i) * np.tanh(g)
        h_new = ra(o) * np.tanh(c_new)
        keep = np.ones((batch, 1), bool) if mask is None else mask[:, t][:, None]
        h, c = np.where(keep, h_new, h), np.where(keep, c_new, c)
        prev = np.where(keep, h_new, prev)
        outputs.append(prev)
    return np.stack(outputs, 1), h, c
