"""ConvLSTM2D: an LSTM whose input and recurrent transformations are 2D convolutions."""

import torch.nn.functional as F

from openkeras import config
from openkeras.engine.base_layer import Transpose
from openkeras.layers.recurrent.base import RNN
from openkeras.layers.recurrent.cells import LSTMCell
from openkeras.layers.recurrent.layers import _CellRNN
from openkeras.utils.conv_utils import conv_output_length, normalize_tuple, same_padding


class ConvLSTM2DCell(LSTMCell):
    """Cell of ConvLSTM2D: LSTM gates (i, f, c, o) computed with convolutions.

    Inputs and states are channels-first inside (batch, channels, rows, cols).

    Args:
        filters: number of output channels (the LSTM's units).
        kernel_size, strides, padding, dilation_rate: of the input convolution; the recurrent
            convolution uses stride 1 and 'same' padding.
        data_format: 'channels_last' or 'channels_first' of the layer's inputs.
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), activation="tanh", recurrent_activation="hard_sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, **kwargs):
        owner = type(self).__name__
        super().__init__(filters, activation=activation, recurrent_activation=recurrent_activation,
                         use_bias=use_bias, kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, unit_forget_bias=unit_forget_bias,
                         kernel_regularizer=kernel_regularizer,
                         recurrent_regularizer=recurrent_regularizer,
                         bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                         recurrent_constraint=recurrent_constraint,
                         bias_constraint=bias_constraint, dropout=dropout,
                         recurrent_dropout=recurrent_dropout, **kwargs)
        self.filters = self.units
        self.kernel_size = normalize_tuple(kernel_size, 2, "kernel_size")
        self.strides = normalize_tuple(strides, 2, "strides")
        self.dilation_rate = normalize_tuple(dilation_rate, 2, "dilation_rate")
        self.padding = str(padding).lower()
        if self.padding not in ("valid", "same"):
            raise ValueError(f"{owner}: `padding` must be 'valid' or 'same'. Received: "
                             f"padding={padding}")
        self.data_format = config.normalize_data_format(data_format)

    def build(self, input_shape):
        channels = input_shape[1] if self.data_format == "channels_first" else input_shape[-1]
        if channels is None:
            raise ValueError(f'Layer "{self.name}": the channel dimension of the inputs should be '
                             f"defined. Found None. Full input shape received: {input_shape}")
        kh, kw = self.kernel_size
        width = 4 * self.filters
        layout = Transpose((3, 2, 0, 1))
        self.kernel = self.add_weight(
            "kernel", (kh, kw, channels, width), initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint, layout=layout)
        self.recurrent_kernel = self.add_weight(
            "recurrent_kernel", (kh, kw, self.filters, width),
            initializer=self.recurrent_initializer, regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint, layout=layout)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                "bias", (width,), initializer=self._bias_init(), regularizer=self.bias_regularizer,
                constraint=self.bias_constraint)
        (top, bottom), (left, right) = (same_padding(1, k, 1, 1) for k in self.kernel_size)
        self._recurrent_pad = (left, right, top, bottom)  # 'same', stride 1, as Keras
        self.built = True

    def output_spatial(self, rows, cols):
        """Spatial size of the outputs and states for inputs of ``rows`` x ``cols``."""
        return tuple(conv_output_length(n, k, self.padding, s, d) for n, k, s, d in
                     zip((rows, cols), self.kernel_size, self.strides, self.dilation_rate,
                         strict=True))

    def project_inputs(self, inputs, input_mask=None):
        """The input convolution (+ bias) of one step (4-D) or of all timesteps (5-D)."""
        if input_mask is not None:
            inputs = inputs * (input_mask if inputs.dim() == 4 else input_mask.unsqueeze(1))
        lead = inputs.shape[:-3]
        x = inputs.reshape((-1,) + tuple(inputs.shape[-3:]))
        if self.padding == "same":
            (top, bottom), (left, right) = (
                same_padding(n, k, s, d) for n, k, s, d in
                zip(x.shape[-2:], self.kernel_size, self.strides, self.dilation_rate, strict=True))
            x = F.pad(x, (left, right, top, bottom))
        out = F.conv2d(x, self.kernel, self.bias, self.strides, 0, self.dilation_rate)
        return out.reshape(tuple(lead) + tuple(out.shape[1:]))

    def step(self, projected, states, recurrent_mask=None):
        h, c = states[0], states[1]
        if recurrent_mask is not None:
            h = h * recurrent_mask
        z = projected + F.conv2d(F.pad(h, self._recurrent_pad), self.recurrent_kernel)
        i, f, g, o = z.chunk(4, dim=1)
        ra = self.recurrent_activation
        c = ra(f) * c + ra(i) * self.activation(g)
        h = ra(o) * self.activation(c)
        return h, [h, c]

    def get_initial_state(self, inputs=None, batch_size=None, dtype=None):
        rows, cols = self.output_spatial(*inputs.shape[-2:])
        zeros = inputs.new_zeros((inputs.shape[0], self.filters, rows, cols))
        return [zeros, zeros.clone()]

    def get_config(self):
        conf = super().get_config()
        for key in ("units", "implementation"):
            conf.pop(key)
        return {
            "filters": self.filters,
            "kernel_size": list(self.kernel_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": list(self.dilation_rate),
            **conf,
        }


class ConvRNN2D(RNN):
    """Keras 2.3's RNN for a convolutional cell: inputs (batch, time, rows, cols, channels).

    Args:
        cell: a ``ConvLSTM2DCell`` (or subclass).
        return_sequences, return_state, go_backwards, stateful, unroll: see RNN.
    """

    _input_ndim = 5

    def __init__(self, cell, *args, **kwargs):
        if not isinstance(cell, ConvLSTM2DCell):
            raise ValueError("ConvRNN2D: `cell` must be a ConvLSTM2DCell (openkeras's "
                             f"convolutional cell). Received: {type(cell).__name__}")
        super().__init__(cell, *args, **kwargs)

    @property
    def _channels_last(self):
        return self.cell.data_format == "channels_last"

    def _name_cell_weights(self):
        for w in self.cell.weights:
            w._keras_full_name = f"{self.name}/{w._keras_name}:0"

    def _input_to_engine(self, inputs):
        return inputs.permute(0, 1, 4, 2, 3) if self._channels_last else inputs

    def _sequence_from_engine(self, sequence):
        return sequence.permute(0, 1, 3, 4, 2) if self._channels_last else sequence

    def _state_from_engine(self, state):
        return state.permute(0, 2, 3, 1) if self._channels_last else state

    def _state_to_engine(self, state):
        return state.permute(0, 3, 1, 2) if self._channels_last else state

    def _output_dims(self, input_shape):
        spatial = input_shape[2:4] if self._channels_last else input_shape[3:5]
        rows, cols = self.cell.output_spatial(*spatial)
        dims = (rows, cols, self.cell.filters) if self._channels_last else (
            self.cell.filters, rows, cols)
        return dims, [dims, dims]


class ConvLSTM2D(_CellRNN, ConvRNN2D):
    """Convolutional LSTM over a sequence of images.

    Args:
        filters: number of output channels.
        kernel_size, strides, padding, dilation_rate: of the input convolution.
        data_format: 'channels_last' (batch, time, rows, cols, channels) or 'channels_first'
            (batch, time, channels, rows, cols); default from the config.
        activation: default tanh; recurrent_activation: default hard_sigmoid (tf.keras 2).
        return_sequences, return_state, go_backwards, stateful: see RNN.
    Shapes: (batch, time, rows, cols, channels) -> (batch, new_rows, new_cols, filters),
        or (batch, time, new_rows, new_cols, filters) with return_sequences.
    """

    _cell_class = ConvLSTM2DCell
    _cell_name = "conv_lstm2d_cell"

    def __init__(self, filters=None, kernel_size=None, strides=(1, 1), padding="valid",
                 data_format=None, dilation_rate=(1, 1), activation="tanh",
                 recurrent_activation="hard_sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 dropout=0.0, recurrent_dropout=0.0, unroll=False, time_major=False, **kwargs):
        args = {k: v for k, v in locals().items() if k not in ("self", "kwargs", "__class__")}
        if kernel_size is None:
            raise ValueError("ConvLSTM2D: `kernel_size` is required. Received: kernel_size=None")
        self._init_from_args(args, kwargs)


for _attr in ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate"):
    setattr(ConvLSTM2D, _attr, property(lambda self, _n=_attr: getattr(self.cell, _n)))
