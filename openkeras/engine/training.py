"""Model: a Layer with the training API (compile / fit / evaluate / predict)."""

from openkeras.engine.base_layer import Layer


class Model(Layer):
    """``Model(inputs, outputs)`` builds a functional model; subclass it for custom ``call``.

    Args:
        inputs: KerasTensor(s) from ``Input``.
        outputs: KerasTensor(s) computed from the inputs.
        name: the model's name.
    """

    def __new__(cls, *args, **kwargs):
        if cls is Model and (args or {"inputs", "outputs", "input", "output"} & set(kwargs)):
            from openkeras.engine.functional import Functional

            return Functional.__new__(Functional)
        return super().__new__(cls)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
