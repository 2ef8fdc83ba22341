"""layers.serialize / layers.deserialize: Keras's {'class_name', 'config'} form.

Layer classes (models included) join ``engine.registry`` when their module is imported; old
class names (``Convolution2D``, ``MaxPool2D``, ``Model``) resolve through ``engine.aliases``.
"""

from openkeras.engine import registry


def serialize(layer):
    """{'class_name': ..., 'config': ...} for a layer (a subclass under its own name)."""
    return {"class_name": registry.registered_name(type(layer)), "config": layer.get_config()}


def deserialize(config, custom_objects=None):
    """A layer (or model) from its {'class_name', 'config'} form."""
    return registry.deserialize("layer", config, custom_objects)
