"""Recurrent cells: SimpleRNNCell, LSTMCell, GRUCell (one timestep each).

The cells keep their weights in the layout of torch's fused RNN kernels (gate blocks
in torch order, kernels as (gates*units, input_dim)); ``get_weights``/``set_weights``
and files see Keras's layout through ``GateLayout``. Besides the Keras cell API
(``call(inputs, states, training)``), each cell offers ``project_inputs`` (the input
matmul for all timesteps at once) and ``step`` (the recurrent part of one timestep), which
the RNN layer uses to avoid one input matmul per timestep.
"""

import numpy as np
import torch
import torch.nn.functional as F

from openkeras import activations, constraints, initializers, regularizers
from openkeras.engine.base_layer import Layer


class GateLayout:
    """Keras gate blocks (last axis) <-> engine layout: gates reordered, optionally transposed.

    Args:
        n_gates: number of gate blocks along the last Keras axis.
        order: engine block j is Keras block ``order[j]``.
        transpose: swap the last two axes (Keras (in, gates*units) -> engine (gates*units, in)).
    """

    def __init__(self, n_gates, order=None, transpose=False):
        self.n_gates = n_gates
        self.order = tuple(order) if order is not None else tuple(range(n_gates))
        self.inverse = tuple(int(i) for i in np.argsort(self.order))
        self.transpose = transpose

    def _reorder(self, value, order):
        if order == tuple(range(self.n_gates)):
            return value
        blocks = value.chunk(self.n_gates, dim=-1)
        return torch.cat([blocks[i] for i in order], dim=-1)

    def to_engine(self, value: torch.Tensor) -> torch.Tensor:
        value = self._reorder(value, self.order)
        return (value.transpose(-1, -2) if self.transpose else value).contiguous()

    def to_keras(self, value: torch.Tensor) -> torch.Tensor:
        if self.transpose:
            value = value.transpose(-1, -2)
        return self._reorder(value, self.inverse)


def _check_units(units, owner):
    if units is None or not isinstance(units, (int, np.integer)) or units <= 0:
        raise ValueError(
            f"Received an invalid value for argument `units`, expected a positive integer, got "
            f"{units}. ({owner})"
        )
    return int(units)


def _check_rate(value, name, owner):
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{owner}: `{name}` must be in [0, 1]. Received: {name}={value}")
    return value


class _CellBase(Layer):
    """What the built-in cells share: initializers, regularizers, constraints, dropout masks."""

    _n_gates = 1
    _gate_order = None

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        owner = type(self).__name__
        self.units = _check_units(units, owner)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = _check_rate(dropout, "dropout", owner)
        self.recurrent_dropout = _check_rate(recurrent_dropout, "recurrent_dropout", owner)
        self._mask_cache = None

    @property
    def state_size(self):
        return self.units

    @property
    def output_size(self):
        return self.units

    def _layout(self, transpose):
        return GateLayout(self._n_gates, self._gate_order, transpose)

    def build(self, input_shape):
        input_dim = input_shape[-1]
        width = self._n_gates * self.units
        self.kernel = self.add_weight(
            "kernel", (input_dim, width), initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
            layout=self._layout(True))
        self.recurrent_kernel = self.add_weight(
            "recurrent_kernel", (self.units, width), initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer, constraint=self.recurrent_constraint,
            layout=self._layout(True))
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                "bias", self._bias_shape(), initializer=self._bias_init(),
                regularizer=self.bias_regularizer, constraint=self.bias_constraint,
                layout=self._layout(False))
        self.built = True

    def _bias_shape(self):
        return (self._n_gates * self.units,)

    def _bias_init(self):
        return self.bias_initializer

    # ------------------------------------------------------------- dropout masks
    def reset_dropout_mask(self):
        """Forget the dropout masks: the next sequence draws new ones (called by RNN)."""
        self._mask_cache = None

    reset_recurrent_dropout_mask = reset_dropout_mask

    def dropout_masks(self, inputs, state, training):
        """(input mask, recurrent mask) for this sequence, each None when unused.

        Keras draws one mask per sequence and reuses it at every timestep.
        """
        if not training or (self.dropout == 0 and self.recurrent_dropout == 0):
            return None, None
        if self._mask_cache is None:
            self._mask_cache = (_dropout_mask(inputs, self.dropout),
                                _dropout_mask(state, self.recurrent_dropout))
        return self._mask_cache

    # ------------------------------------------------------------------ compute
    def project_inputs(self, inputs, input_mask=None):
        """``inputs @ kernel + bias`` for any leading shape (all timesteps at once)."""
        if input_mask is not None:
            inputs = inputs * (input_mask if inputs.dim() == 2 else input_mask.unsqueeze(1))
        return F.linear(inputs, self.kernel, self._input_bias())

    def _input_bias(self):
        return self.bias

    def get_initial_state(self, inputs=None, batch_size=None, dtype=None):
        """Zero states (a list) for ``batch_size`` samples."""
        device = inputs.device if inputs is not None else self.kernel.device
        batch_size = inputs.shape[0] if batch_size is None else batch_size
        dtype = inputs.dtype if inputs is not None else self.kernel.dtype
        sizes = self.state_size if isinstance(self.state_size, (list, tuple)) else [self.state_size]
        return [torch.zeros(batch_size, s, device=device, dtype=dtype) for s in sizes]

    def call(self, inputs, states, training=None):
        """One timestep: ``(output, new_states)`` from ``inputs`` (batch, input_dim)."""
        states = list(states) if isinstance(states, (list, tuple)) else [states]
        in_mask, rec_mask = self.dropout_masks(inputs, states[0], training)
        return self.step(self.project_inputs(inputs, in_mask), states, rec_mask)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            **self._extra_config_before_bias(),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            **self._extra_config_after_init(),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            **self._extra_config_end(),
        }

    def _extra_config_before_bias(self):
        return {}

    def _extra_config_after_init(self):
        return {}

    def _extra_config_end(self):
        return {}


def _dropout_mask(like, rate):
    if rate == 0:
        return None
    keep = torch.empty_like(like).bernoulli_(1.0 - rate)
    return keep / (1.0 - rate)


class SimpleRNNCell(_CellBase):
    """Cell of a fully-connected RNN: ``h = activation(x @ kernel + h @ recurrent_kernel + bias)``.

    Args:
        units: dimensionality of the output and state.
        activation: activation (default tanh).
        dropout: fraction of the inputs dropped (training only).
        recurrent_dropout: fraction of the recurrent state dropped (training only).
    """

    def step(self, projected, states, recurrent_mask=None):
        h = states[0]
        if recurrent_mask is not None:
            h = h * recurrent_mask
        out = self.activation(projected + F.linear(h, self.recurrent_kernel))
        return out, [out]


class LSTMCell(_CellBase):
    """Cell of a Long Short-Term Memory layer (gates i, f, c, o as in Keras).

    Args:
        units: dimensionality of the output and of each of the two states (h, c).
        activation: activation of the cell candidate and output (default tanh).
        recurrent_activation: activation of the gates (default sigmoid).
        unit_forget_bias: initialize the forget-gate bias to 1.
        implementation: 1 or 2 (accepted; both compute the same values).
    """

    _n_gates = 4

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, implementation=2, **kwargs):
        super().__init__(units, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                         recurrent_regularizer=recurrent_regularizer,
                         bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                         recurrent_constraint=recurrent_constraint,
                         bias_constraint=bias_constraint, dropout=dropout,
                         recurrent_dropout=recurrent_dropout, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.implementation = _check_implementation(implementation, "LSTMCell")

    @property
    def state_size(self):
        return [self.units, self.units]

    def _bias_init(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        units, init = self.units, self.bias_initializer

        def forget_bias_one(shape, dtype=None):
            first = torch.as_tensor(init((units,), dtype=dtype))
            rest = torch.as_tensor(init((2 * units,), dtype=dtype))
            return torch.cat([first, torch.ones_like(first), rest])

        return forget_bias_one

    def step(self, projected, states, recurrent_mask=None):
        h, c = states[0], states[1]
        if recurrent_mask is not None:
            h = h * recurrent_mask
        z = projected + F.linear(h, self.recurrent_kernel)
        i, f, g, o = z.chunk(4, dim=-1)
        ra = self.recurrent_activation
        c = ra(f) * c + ra(i) * self.activation(g)
        h = ra(o) * self.activation(c)
        return h, [h, c]

    def _extra_config_before_bias(self):
        return {"recurrent_activation": activations.serialize(self.recurrent_activation)}

    def _extra_config_after_init(self):
        return {"unit_forget_bias": self.unit_forget_bias}

    def _extra_config_end(self):
        return {"implementation": self.implementation}


class GRUCell(_CellBase):
    """Cell of a Gated Recurrent Unit layer (Keras gates z, r, h).

    Args:
        units: dimensionality of the output and state.
        activation: activation of the candidate state (default tanh).
        recurrent_activation: activation of the gates (default sigmoid).
        reset_after: apply the reset gate after the recurrent matmul (bias shape
            (2, 3*units), tf.keras 2's default); False (Keras 2's default) has bias (3*units,).
        implementation: 1 or 2 (accepted; both compute the same values).
    """

    _n_gates = 3
    _gate_order = (1, 0, 2)  # engine (torch) order r, z, n from Keras z, r, h

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, implementation=2,
                 reset_after=False, **kwargs):
        super().__init__(units, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                         recurrent_regularizer=recurrent_regularizer,
                         bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                         recurrent_constraint=recurrent_constraint,
                         bias_constraint=bias_constraint, dropout=dropout,
                         recurrent_dropout=recurrent_dropout, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.implementation = _check_implementation(implementation, "GRUCell")
        self.reset_after = bool(reset_after)

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _input_bias(self):
        if self.bias is None:
            return None
        return self.bias[0] if self.reset_after else self.bias

    def step(self, projected, states, recurrent_mask=None):
        h = states[0]
        h_in = h * recurrent_mask if recurrent_mask is not None else h
        x_r, x_z, x_n = projected.chunk(3, dim=-1)
        ra = self.recurrent_activation
        if self.reset_after:
            rec_bias = self.bias[1] if self.bias is not None else None
            h_r, h_z, h_n = F.linear(h_in, self.recurrent_kernel, rec_bias).chunk(3, dim=-1)
            r = ra(x_r + h_r)
            z = ra(x_z + h_z)
            n = self.activation(x_n + r * h_n)
        else:
            units = self.units
            h_r, h_z = F.linear(h_in, self.recurrent_kernel[: 2 * units]).chunk(2, dim=-1)
            r = ra(x_r + h_r)
            z = ra(x_z + h_z)
            n = self.activation(x_n + F.linear(r * h_in, self.recurrent_kernel[2 * units:]))
        out = z * h + (1.0 - z) * n
        return out, [out]

    def _extra_config_before_bias(self):
        return {"recurrent_activation": activations.serialize(self.recurrent_activation)}

    def _extra_config_end(self):
        return {"implementation": self.implementation, "reset_after": self.reset_after}


def _check_implementation(value, owner):
    if value not in (0, 1, 2):
        raise ValueError(f"{owner}: `implementation` must be 1 or 2. Received: implementation={value}")
    return int(value)
