"""Keras 1 model helpers kept by Keras 2 (``keras.legacy.models``)."""

__all__ = ["Merge", "needs_legacy_support", "legacy_sequential_layers"]


class Merge:
    """Keras 1's ``Merge`` layer of Sequential models; not supported: use the merge layers."""

    def __init__(self, *args, **kwargs):
        raise NotImplementedError(
            "openkeras does not implement Keras 1's `Merge` layer (removed in Keras 2). Use the "
            "functional API with `keras.layers.concatenate`, `add`, `multiply`, `average`, "
            "`maximum` or `dot` instead.")


def needs_legacy_support(model):
    """Whether a Sequential model starts with a Keras 1 ``Merge`` layer (never in openkeras)."""
    layers = getattr(model, "layers", [])
    return bool(layers) and isinstance(layers[0], Merge)


def legacy_sequential_layers(model):
    """The layers of a Sequential model, as Keras 1 listed them (no Merge to expand here)."""
    return list(model.layers)
