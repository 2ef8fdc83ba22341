"""CustomScaleLayer: the scaled residual sum of tf.keras's Inception-ResNet-V2.

It lives with the layers (not in ``applications``) so that a saved Inception-ResNet-V2 loads
without importing the application: the class joins the registry when the layers load.
"""

from openkeras.engine.base_layer import Layer


class CustomScaleLayer(Layer):
    """Adds a scaled residual to a shortcut: ``inputs[0] + inputs[1] * scale``.

    Args:
        scale: the factor applied to the residual branch ``inputs[1]``.

    Input: a list of two tensors of the same shape. Output: one tensor of that shape.
    """

    def __init__(self, scale: float, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale

    def call(self, inputs):
        return inputs[0] + inputs[1] * self.scale

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}
