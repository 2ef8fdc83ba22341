"""Keras 2's ``CuDNNLSTM`` and ``CuDNNGRU`` on torch's fused LSTM/GRU kernels.

Their weights have CuDNN's layout, in ``get_weights`` and in files, as Keras 2 wrote them:
each gate's input kernel is stored as its (units, input_dim) matrix flattened into an
(input_dim, units) block, each recurrent kernel block is transposed, and the bias holds the
input biases then the recurrent biases (``(8 * units,)`` for LSTM, ``(6 * units,)`` for GRU).
That is also the layout torch's kernels use, so the conversion is a reshape per gate.
CuDNNGRU computes GRU with ``reset_after=True``; both use tanh / sigmoid, with no dropout.
They run on any device (cuDNN on NVIDIA GPUs, torch's fused CPU kernel elsewhere).
"""

import torch

from openkeras import constraints, initializers, regularizers
from openkeras.engine.input_spec import InputSpec  # noqa: F401  (Keras 2 exposed it here)
from openkeras.layers.recurrent.base import RNN  # noqa: F401
from openkeras.layers.recurrent.cells import GRUCell, LSTMCell
from openkeras.layers.recurrent.layers import GRU, LSTM


class CuDNNKernelLayout:
    """CuDNN-format kernel (Keras view ``(rows, n*units)``) <-> torch weight ``(n*units, rows)``.

    Args:
        n_gates: number of gate blocks.
        order: torch block j is stored block ``order[j]``.
    """

    def __init__(self, n_gates, order=None):
        self.n_gates = n_gates
        self.order = tuple(order) if order is not None else tuple(range(n_gates))
        self.inverse = tuple(sorted(range(n_gates), key=lambda j: self.order[j]))

    def to_engine(self, value):
        rows = value.shape[0]
        blocks = value.chunk(self.n_gates, dim=-1)  # each (rows, units), CuDNN flat order
        units = blocks[0].shape[-1]
        return torch.cat([blocks[i].reshape(units, rows) for i in self.order], 0).contiguous()

    def to_keras(self, value):
        rows = value.shape[1]
        blocks = value.chunk(self.n_gates, dim=0)  # each (units, rows), torch order
        units = blocks[0].shape[0]
        return torch.cat([blocks[j].reshape(rows, units) for j in self.inverse], -1)


class CuDNNBiasLayout(CuDNNKernelLayout):
    """CuDNN bias ``(2 * n * units,)`` (input then recurrent biases) <-> ``(2, n * units)``.

    Args:
        n_gates, order: as for ``CuDNNKernelLayout``.
    """

    def to_engine(self, value):
        pair = value.reshape(2, -1)
        blocks = pair.chunk(self.n_gates, dim=-1)
        return torch.cat([blocks[i] for i in self.order], -1).contiguous()

    def to_keras(self, value):
        blocks = value.chunk(self.n_gates, dim=-1)
        return torch.cat([blocks[j] for j in self.inverse], -1).reshape(-1)


class _CuDNNLSTMCell(LSTMCell):
    def _layout(self, transpose):
        return CuDNNKernelLayout(4) if transpose else CuDNNBiasLayout(4)

    def _bias_shape(self):
        return (8 * self.units,)

    def _bias_init(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        units, init = self.units, self.bias_initializer

        def recurrent_forget_bias_one(shape, dtype=None):
            # Keras 2's CuDNNLSTM: ones on the recurrent forget-gate bias (the sum is what counts)
            return torch.cat([torch.as_tensor(init((5 * units,), dtype=dtype)),
                              torch.ones(units, dtype=torch.as_tensor(init((1,), dtype=dtype))
                                         .dtype),
                              torch.as_tensor(init((2 * units,), dtype=dtype))])

        return recurrent_forget_bias_one

    def _input_bias(self):
        return None if self.bias is None else self.bias[0] + self.bias[1]


class _CuDNNGRUCell(GRUCell):
    def _layout(self, transpose):
        order = self._gate_order  # torch r, z, n from Keras z, r, h
        return CuDNNKernelLayout(3, order) if transpose else CuDNNBiasLayout(3, order)

    def _bias_shape(self):
        return (6 * self.units,)


_CUDNN_KEYS = ("units", "kernel_initializer", "recurrent_initializer", "bias_initializer",
               "kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
               "activity_regularizer", "kernel_constraint", "recurrent_constraint",
               "bias_constraint", "return_sequences", "return_state", "go_backwards", "stateful")
_BASE_KEYS = ("name", "trainable", "dtype", "batch_input_shape")


def _cudnn_config(layer, base):
    """The Keras 2 config of a CuDNN layer, from the config of its ``base`` (LSTM or GRU)."""
    config = base.get_config(layer)
    keep = {k: config[k] for k in (*_BASE_KEYS, *_CUDNN_KEYS) if k in config}
    for key in ("kernel_initializer", "recurrent_initializer", "bias_initializer"):
        keep[key] = initializers.serialize(getattr(layer.cell, key))
    for key in ("kernel_regularizer", "recurrent_regularizer", "bias_regularizer"):
        keep[key] = regularizers.serialize(getattr(layer.cell, key))
    for key in ("kernel_constraint", "recurrent_constraint", "bias_constraint"):
        keep[key] = constraints.serialize(getattr(layer.cell, key))
    return keep


def _check_no_extra(owner, kwargs):
    for key in ("activation", "recurrent_activation", "dropout", "recurrent_dropout",
                "use_bias", "unroll", "reset_after", "implementation"):
        if key in kwargs:
            raise TypeError(f"{owner} does not take `{key}` (CuDNN layers have fixed tanh/"
                            "sigmoid activations, biases and no dropout). Use "
                            f"{owner[5:]} for that.")


class CuDNNLSTM(LSTM):
    """Keras 2's cuDNN LSTM: an LSTM with tanh/sigmoid and CuDNN's weight layout.

    Args:
        units: dimensionality of the output space.
        unit_forget_bias: initialize the forget-gate bias to 1.
        return_sequences, return_state, go_backwards, stateful: see RNN.
    Weights: kernel (input_dim, 4*units), recurrent_kernel (units, 4*units), bias (8*units,).
    """

    _cell_class = _CuDNNLSTMCell

    def __init__(self, units, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, return_sequences=False,
                 return_state=False, stateful=False, go_backwards=False, **kwargs):
        _check_no_extra("CuDNNLSTM", kwargs)
        super().__init__(units, kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, unit_forget_bias=unit_forget_bias,
                         kernel_regularizer=kernel_regularizer,
                         recurrent_regularizer=recurrent_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint,
                         recurrent_constraint=recurrent_constraint,
                         bias_constraint=bias_constraint, return_sequences=return_sequences,
                         return_state=return_state, stateful=stateful,
                         go_backwards=go_backwards, **kwargs)

    def get_config(self):
        return {**_cudnn_config(self, LSTM), "unit_forget_bias": self.cell.unit_forget_bias}


class CuDNNGRU(GRU):
    """Keras 2's cuDNN GRU: GRU with ``reset_after=True``, tanh/sigmoid, CuDNN's weight layout.

    Args:
        units: dimensionality of the output space.
        return_sequences, return_state, go_backwards, stateful: see RNN.
    Weights: kernel (input_dim, 3*units), recurrent_kernel (units, 3*units), bias (6*units,).
    """

    _cell_class = _CuDNNGRUCell

    def __init__(self, units, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, return_sequences=False, return_state=False,
                 stateful=False, go_backwards=False, **kwargs):
        _check_no_extra("CuDNNGRU", kwargs)
        super().__init__(units, kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                         recurrent_regularizer=recurrent_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint,
                         recurrent_constraint=recurrent_constraint,
                         bias_constraint=bias_constraint, return_sequences=return_sequences,
                         return_state=return_state, stateful=stateful,
                         go_backwards=go_backwards, reset_after=True, **kwargs)

    def get_config(self):
        return _cudnn_config(self, GRU)
