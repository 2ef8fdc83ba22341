"""torch's fused RNN kernels (cuDNN, oneDNN or native) for the configurations that allow them.

A built-in cell runs fused when its computation is exactly what torch's kernel does:
LSTM with tanh/sigmoid, GRU with ``reset_after=True`` and tanh/sigmoid, SimpleRNN with
tanh or relu, and no recurrent dropout while training. Masks that are a right padding
(each sample's valid steps first) run as packed sequences; other masks use the general path.
"""

import torch
from torch import _VF
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from openkeras import activations
from openkeras.engine import tracing
from openkeras.layers.recurrent.cells import GRUCell, LSTMCell, SimpleRNNCell, _CellBase

_KERNELS = {"lstm": _VF.lstm, "gru": _VF.gru, "rnn_tanh": _VF.rnn_tanh, "rnn_relu": _VF.rnn_relu}


def fused_kind(cell, training) -> str | None:
    """The torch kernel that computes ``cell`` exactly ('lstm', 'gru', 'rnn_tanh', ...), or None."""
    cls = type(cell)
    if cls.call is not _CellBase.call or (training and cell.recurrent_dropout > 0):
        return None
    standard = (getattr(cell, "recurrent_activation", activations.sigmoid) is activations.sigmoid)
    if isinstance(cell, LSTMCell) and cls.step is LSTMCell.step:
        return "lstm" if standard and cell.activation is activations.tanh else None
    if isinstance(cell, GRUCell) and cls.step is GRUCell.step:
        ok = standard and cell.reset_after and cell.activation is activations.tanh
        return "gru" if ok else None
    if isinstance(cell, SimpleRNNCell) and cls.step is SimpleRNNCell.step:
        return {activations.tanh: "rnn_tanh", activations.relu: "rnn_relu"}.get(cell.activation)
    return None


def _flat_weights(cell, kind):
    weights = [cell.kernel, cell.recurrent_kernel]
    if cell.bias is None:
        return weights, False
    if kind == "gru" or cell.bias.dim() == 2:  # two bias vectors (GRU reset_after, CuDNNLSTM)
        return weights + [cell.bias[0], cell.bias[1]], True
    return weights + [cell.bias, torch.zeros_like(cell.bias)], True


def _prefix_lengths(mask):
    """(lengths on the device, lengths on the CPU) if ``mask`` is a right padding with no empty
    sample, else None. One host transfer."""
    steps = mask.shape[1]
    lengths = mask.sum(dim=1)
    prefix = torch.arange(steps, device=mask.device) < lengths.unsqueeze(1)
    ok = (prefix == mask).all() & (lengths > 0).all()
    info = torch.cat([ok.view(1).long(), lengths.long()]).cpu()
    if not bool(info[0]):
        return None
    return lengths, info[1:]


def run_fused(kind, cell, inputs, states, mask=None, go_backwards=False,
              zero_output_for_mask=False, input_mask=None):
    """Run a whole sequence (batch, time, features) through torch's kernel.

    Returns ``(outputs, last_output, new_states)`` with Keras semantics (outputs in
    processing order, masked steps repeating the previous output or zero), or None when the
    mask is not a right padding.
    """
    if input_mask is not None:
        inputs = inputs * input_mask.unsqueeze(1)
    lengths = None
    if tracing.active():
        if mask is not None:  # finding the lengths reads the mask's values: the general path
            return None
        raise tracing.Unsupported(
            f"torch.compile cannot take torch's fused {kind.upper()} kernel (oneDNN / cuDNN); "
            "the eager step runs it")
    if mask is not None:
        if torch.jit.is_tracing() or torch.compiler.is_exporting():
            return None  # finding the lengths reads the mask's values: a traced graph cannot branch on them
        found = _prefix_lengths(mask)
        if found is None:
            return None
        lengths, lengths_cpu = found
        if bool((lengths_cpu == mask.shape[1]).all()):
            lengths = None
    weights, has_bias = _flat_weights(cell, kind)
    kernel = _KERNELS[kind]
    hx = [s.unsqueeze(0).contiguous() for s in states]
    train = torch.is_grad_enabled()  # cuDNN only keeps what backward needs in train mode
    if lengths is None:
        x = inputs.flip(1) if go_backwards else inputs
        result = kernel(x, tuple(hx) if kind == "lstm" else hx[0], weights, has_bias, 1, 0.0,
                        train, False, True)
        out = result[0]
        return out, out[:, -1], [s[0] for s in result[1:]]

    steps = inputs.shape[1]
    t = torch.arange(steps, device=inputs.device)
    x = inputs
    if go_backwards:  # reverse each sample's valid steps in place
        idx = torch.where(t < lengths.unsqueeze(1), lengths.unsqueeze(1) - 1 - t, t)
        x = inputs.gather(1, idx.unsqueeze(-1).expand(-1, -1, inputs.shape[-1]))
    packed = pack_padded_sequence(x, lengths_cpu, batch_first=True, enforce_sorted=False)
    hx = [h.index_select(1, packed.sorted_indices) for h in hx]
    result = kernel(packed.data, packed.batch_sizes, tuple(hx) if kind == "lstm" else hx[0],
                    weights, has_bias, 1, 0.0, train, False)
    out, _ = pad_packed_sequence(
        PackedSequence(result[0], packed.batch_sizes, packed.sorted_indices,
                       packed.unsorted_indices), batch_first=True, total_length=steps)
    new_states = [s[0].index_select(0, packed.unsorted_indices) for s in result[1:]]
    if go_backwards:  # Keras order: the masked (skipped) steps come first, with zero output
        idx = (t + lengths.unsqueeze(1)) % steps
        out = out.gather(1, idx.unsqueeze(-1).expand(-1, -1, out.shape[-1]))
    elif not zero_output_for_mask:
        out = torch.where(mask.unsqueeze(-1), out, new_states[0].unsqueeze(1))
    return out, out[:, -1], new_states
