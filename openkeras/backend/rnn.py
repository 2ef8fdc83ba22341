"""``K.rnn``: iterate a step function over the time axis, as Keras 2.2.4's TensorFlow backend."""

import torch

from openkeras.backend.common import to_tensor


def _keep(mask_t, new, old):
    """``new`` where the (batch, 1) bool ``mask_t`` is set, else ``old`` (any trailing rank)."""
    cond = mask_t.reshape(mask_t.shape[:1] + (1,) * (new.dim() - 1))
    return torch.where(cond, new, old)


def rnn(step_function, inputs, initial_states, go_backwards=False, mask=None, constants=None,
        unroll=False, input_length=None):
    """Iterate ``step_function`` over the time axis (axis 1) of ``inputs``.

    Where ``mask`` is 0 a step keeps the previous states, and its output is the previous output
    (zeros at the first step) when ``unroll`` is True, else the previous first state, exactly as
    Keras 2.2.4 (the two agree for Keras's recurrent cells, whose first state is the output).

    Args:
        step_function: ``(input_t, states + constants) -> (output_t, new_states)``; input_t is
            (batch, ...) and output_t (batch, ...).
        inputs: (batch, time, ...), at least 3-D.
        initial_states: list of (batch, ...) tensors.
        go_backwards: iterate from the last step to the first (outputs stay in that order).
        mask: (batch, time) or (batch, time, 1), bool or 0/1.
        constants: list of tensors passed to every step after the states.
        unroll: accepted for compatibility (torch runs the same loop either way); it selects
            Keras's masked-output rule described above.
        input_length: ignored (torch knows the number of steps).

    Returns:
        (last_output (batch, ...), outputs (batch, time, ...), new_states list).
    """
    inputs = to_tensor(inputs, "rnn")
    if inputs.dim() < 3:
        raise ValueError(f"K.rnn: the input should be at least 3D (batch, time, ...). "
                         f"Received: inputs of shape {tuple(inputs.shape)}")
    states = list(initial_states)
    constants = list(constants or [])
    steps = inputs.shape[1]
    if steps == 0:
        raise ValueError("K.rnn: the input has no timesteps (its axis 1 has size 0).")
    if mask is not None:
        mask = to_tensor(mask, "rnn", like=inputs)
        mask = (mask.reshape(mask.shape[0], mask.shape[1], -1)[..., :1] != 0)
        if not unroll and not states:
            raise ValueError("K.rnn: no initial states provided. When using masking in an RNN "
                             "you should provide initial states (and your step function should "
                             "return as its first state at time `t` the output at time `t-1`).")
    order = range(steps - 1, -1, -1) if go_backwards else range(steps)
    outputs = []
    for t in order:
        output, new_states = step_function(inputs[:, t], states + constants)
        new_states = list(new_states)
        if mask is not None:
            mask_t = mask[:, t]
            if unroll:
                prev = outputs[-1] if outputs else torch.zeros_like(output)
            else:
                prev = states[0]
            output = _keep(mask_t, output, prev)
            new_states = [_keep(mask_t, new, old) for new, old in zip(new_states, states)]
        outputs.append(output)
        states = new_states
    return outputs[-1], torch.stack(outputs, dim=1), states
