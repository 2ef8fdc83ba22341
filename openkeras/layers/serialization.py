"""layers.serialize / layers.deserialize: Keras's {'class_name', 'config'} form."""

import inspect

from openkeras.utils.generic_utils import deserialize_keras_object

# Keras 1 / 2.0 class names that now have another name.
_ALIASES = {"Model": "Functional", "Convolution1D": "Conv1D", "Convolution2D": "Conv2D",
            "Convolution3D": "Conv3D", "Deconvolution2D": "Conv2DTranspose",
            "AtrousConvolution2D": "Conv2D", "MaxPool1D": "MaxPooling1D", "MaxPool2D": "MaxPooling2D",
            "MaxPool3D": "MaxPooling3D", "AvgPool1D": "AveragePooling1D",
            "AvgPool2D": "AveragePooling2D", "AvgPool3D": "AveragePooling3D",
            "AtrousConvolution1D": "Conv1D"}


def layer_classes():
    """Every layer class openkeras knows, by Keras class name."""
    import openkeras.layers as layers_pkg
    from openkeras.engine.base_layer import Layer
    from openkeras.engine.functional import Functional
    from openkeras.engine.sequential import Sequential

    objects = {name: obj for name, obj in vars(layers_pkg).items()
               if inspect.isclass(obj) and issubclass(obj, Layer)}
    objects.update(Functional=Functional, Sequential=Sequential)
    from openkeras.applications.inception_resnet_v2 import CustomScaleLayer  # (import cycle)

    objects.setdefault("CustomScaleLayer", CustomScaleLayer)
    for old, new in _ALIASES.items():
        if new in objects and old not in objects:
            objects[old] = objects[new]
    return objects


def serialize(layer):
    """{'class_name': ..., 'config': ...} for a layer."""
    from openkeras.engine.functional_config import class_name_of

    return {"class_name": class_name_of(layer), "config": layer.get_config()}


def deserialize(config, custom_objects=None):
    """A layer (or model) from its {'class_name', 'config'} form."""
    return deserialize_keras_object(config, module_objects=layer_classes(), custom_objects=custom_objects,
                                    printable_module_name="layer")
