"""The recurrent layers: SimpleRNN, LSTM and GRU (an RNN around the matching cell)."""

from openkeras import regularizers
from openkeras.engine import aliases
from openkeras.layers.recurrent.base import RNN
from openkeras.layers.recurrent.cells import GRUCell, LSTMCell, SimpleRNNCell

_RNN_ARGS = ("return_sequences", "return_state", "go_backwards", "stateful", "time_major", "unroll")
_CELL_ATTRS = ("units", "activation", "recurrent_activation", "use_bias", "kernel_initializer",
               "recurrent_initializer", "bias_initializer", "unit_forget_bias", "kernel_regularizer",
               "recurrent_regularizer", "bias_regularizer", "kernel_constraint",
               "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout",
               "implementation", "reset_after")


class _CellRNN(RNN):
    """An RNN whose cell is made from the layer's own arguments (Keras's flat config)."""

    _cell_class = None
    _cell_name = None

    def _init_from_args(self, args, kwargs):
        owner = type(self).__name__
        args.update(aliases.take_renamed(kwargs, "RNN", owner))
        kwargs.pop("forget_bias_init", None)
        rnn_args = {k: args.pop(k) for k in _RNN_ARGS}
        activity_regularizer = args.pop("activity_regularizer", None)
        cell = self._cell_class(**args, name=self._cell_name, dtype=kwargs.get("dtype"),
                                trainable=kwargs.get("trainable", True))
        RNN.__init__(self, cell, activity_regularizer=activity_regularizer, **rnn_args, **kwargs)

    def get_config(self):
        cell_config = self.cell.get_config()
        for key in ("name", "trainable", "dtype", "batch_input_shape"):
            cell_config.pop(key, None)
        base = super().get_config()
        base.pop("cell")
        return {**cell_config,
                "activity_regularizer": regularizers.serialize(self.activity_regularizer), **base}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**config)


for _attr in _CELL_ATTRS:
    setattr(_CellRNN, _attr, property(lambda self, _n=_attr: getattr(self.cell, _n)))


class SimpleRNN(_CellRNN):
    """Fully-connected RNN whose output is fed back: ``h = activation(x W + h U + b)``.

    Args:
        units: dimensionality of the output space.
        activation: activation function (default tanh).
        dropout, recurrent_dropout: fractions of the inputs / recurrent state dropped
            while training.
        return_sequences, return_state, go_backwards, stateful, unroll, time_major: see RNN.
    Shapes: (batch, time, features) -> (batch, units) or (batch, time, units).
    """

    _cell_class = SimpleRNNCell
    _cell_name = "simple_rnn_cell"

    def __init__(self, units=None, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, time_major=False, **kwargs):
        args = {k: v for k, v in locals().items() if k not in ("self", "kwargs", "__class__")}
        kwargs.pop("implementation", None)
        self._init_from_args(args, kwargs)


class LSTM(_CellRNN):
    """Long Short-Term Memory layer (Hochreiter 1997), Keras gates i, f, c, o.

    Runs on torch's fused LSTM kernel when activation is tanh, recurrent_activation is
    sigmoid and there is no recurrent dropout while training (masks from right-padded
    sequences included); otherwise one step per timestep with the same numerics.

    Args:
        units: dimensionality of the output space.
        activation: activation of the cell candidate and output (default tanh).
        recurrent_activation: activation of the gates (default sigmoid).
        unit_forget_bias: add 1 to the forget-gate bias at initialization.
        dropout, recurrent_dropout: fractions of the inputs / recurrent state dropped
            while training.
        implementation: 1 or 2 (accepted; same numerics).
        return_sequences, return_state, go_backwards, stateful, unroll, time_major: see RNN.
    Shapes: (batch, time, features) -> (batch, units) or (batch, time, units).
    """

    _cell_class = LSTMCell
    _cell_name = "lstm_cell"

    def __init__(self, units=None, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, implementation=2, return_sequences=False,
                 return_state=False, go_backwards=False, stateful=False, time_major=False,
                 unroll=False, **kwargs):
        args = {k: v for k, v in locals().items() if k not in ("self", "kwargs", "__class__")}
        self._init_from_args(args, kwargs)


class GRU(_CellRNN):
    """Gated Recurrent Unit (Cho et al. 2014), Keras gates z, r, h.

    ``reset_after=False`` is Keras 2.2.4 / 2.3.1's default (bias (3*units,)); ``reset_after=True``
    (tf.keras 2's default and CuDNNGRU's, bias (2, 3*units)) runs on torch's fused GRU kernel
    with tanh/sigmoid.

    Args:
        units: dimensionality of the output space.
        activation: activation of the candidate state (default tanh).
        recurrent_activation: activation of the gates (default sigmoid).
        reset_after: apply the reset gate after the recurrent matmul.
        dropout, recurrent_dropout: fractions of the inputs / recurrent state dropped
            while training.
        implementation: 1 or 2 (accepted; same numerics).
        return_sequences, return_state, go_backwards, stateful, unroll, time_major: see RNN.
    Shapes: (batch, time, features) -> (batch, units) or (batch, time, units).
    """

    _cell_class = GRUCell
    _cell_name = "gru_cell"

    def __init__(self, units=None, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, implementation=2,
                 return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, time_major=False, reset_after=False, **kwargs):
        args = {k: v for k, v in locals().items() if k not in ("self", "kwargs", "__class__")}
        self._init_from_args(args, kwargs)
