"""Keras Applications: pre-built image models (``keras.applications``).

Each family lives in its own module (``openkeras.applications.vgg16`` ...); the model
functions are also reachable here (``openkeras.applications.VGG16``). Family modules are
imported on first access, so ``import openkeras.applications`` stays cheap.
"""

import importlib

_MODEL_MODULES = {
    "VGG16": "vgg16",
    "VGG19": "vgg19",
    "ResNet50": "resnet50",
    "InceptionV3": "inception_v3",
    "Xception": "xception",
    "InceptionResNetV2": "inception_resnet_v2",
    "MobileNet": "mobilenet",
    "MobileNetV2": "mobilenet_v2",
    "DenseNet121": "densenet",
    "DenseNet169": "densenet",
    "DenseNet201": "densenet",
    "NASNetMobile": "nasnet",
    "NASNetLarge": "nasnet",
    "ResNet101": "resnet",
    "ResNet152": "resnet",
    "ResNet50V2": "resnet_v2",
    "ResNet101V2": "resnet_v2",
    "ResNet152V2": "resnet_v2",
}
_SUBMODULES = frozenset(_MODEL_MODULES.values()) | {"imagenet_utils", "weights", "mobilenetv2"}
# Keras 2.2-2.3 handed these modules to keras_applications; Keras 2 code reads them here.
_KERAS_MODULES = {"backend": "openkeras.backend", "layers": "openkeras.layers",
                  "models": "openkeras.models", "utils": "openkeras.utils"}

__all__ = sorted(_MODEL_MODULES)


def __getattr__(name):
    if name in _MODEL_MODULES:
        module = importlib.import_module(f"{__name__}.{_MODEL_MODULES[name]}")
        value = getattr(module, name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"{__name__}.{name}")
    elif name in _KERAS_MODULES:
        value = importlib.import_module(_KERAS_MODULES[name])
    elif name == "keras_modules_injection":
        value = importlib.import_module(f"{__name__}.imagenet_utils").keras_modules_injection
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_MODEL_MODULES) | _SUBMODULES | set(_KERAS_MODULES))
