"""State dicts in Keras layout: weights keyed by Keras weight name, as ``get_weights`` sees them."""

import collections

import torch

from openkeras.engine.weights import set_weight, weight_to_keras


def keras_state_dict(model):
    """An ordered dict ``{'dense/kernel:0': tensor}`` of the weights in Keras layout and order.

    ``model.state_dict()`` holds the same values under torch module paths in the layout the
    layers compute with (a Conv2D kernel as (out, in, kh, kw)); this one matches HDF5 files
    and ``get_weights()`` (a Conv2D kernel as (kh, kw, in, out)).
    """
    out = collections.OrderedDict()
    for w in model.weights:
        name = w.name
        if name in out:
            raise ValueError(f"Model {model.name!r} has two weights named {name!r}; keras_state_dict "
                             "needs unique weight names (give the layers unique names).")
        out[name] = torch.from_numpy(weight_to_keras(w))
    return out


def load_keras_state_dict(model, state_dict, by_name=False):
    """Copy Keras-layout tensors (from ``keras_state_dict``) into ``model``'s weights.

    Args:
        model: the model to fill.
        state_dict: ``{weight name: tensor or array}`` in Keras layout.
        by_name: match weights by name (only the names both have are copied); by default they
            are matched in order, as ``load_weights`` does, so a state dict from another
            instance of the same architecture (other layer names) fits.

    Returns:
        The names of the model's weights that were set.
    """
    weights = model.weights
    if by_name:
        pairs = [(w, state_dict[w.name]) for w in weights if w.name in state_dict]
    else:
        if len(state_dict) != len(weights):
            raise ValueError(f"load_keras_state_dict: model {model.name!r} has {len(weights)} weights, "
                             f"the state dict holds {len(state_dict)}.")
        pairs = list(zip(weights, state_dict.values(), strict=True))
    for w, value in pairs:
        if isinstance(value, torch.Tensor):
            value = value.detach().cpu().numpy()
        set_weight(w, value, w.name.split("/", 1)[0])
    return [w.name for w, _ in pairs]
