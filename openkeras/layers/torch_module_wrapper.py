"""TorchModuleWrapper: any ``torch.nn.Module`` as a Keras layer."""

import inspect

import torch

from openkeras.engine.base_layer import Layer
from openkeras.engine.weights import Variable
from openkeras.utils.generic_utils import get_registered_name, get_registered_object


class TorchModuleWrapper(Layer):
    """An arbitrary ``torch.nn.Module`` as a Keras layer, in Sequential and functional models.

    The module's parameters become the layer's weights (trainable unless their
    ``requires_grad`` is False): ``fit`` trains them, ``get_weights``/``set_weights``, .h5 and
    .keras files carry them, followed by the module's persistent buffers (non-trainable,
    e.g. BatchNorm running statistics). The module's ``forward`` gets the layer's input (a
    list of inputs is passed as positional arguments); it runs in ``train()`` mode when the
    layer is called with ``training=True`` and in ``eval()`` mode otherwise. The output shape
    is found by running the module on meta tensors (no data, no compute).

    A saved model stores the module as its class name and constructor config, never as code
    or pickle: loading rebuilds it with ``cls(**config)`` (or ``cls.from_config(config)``),
    where ``cls`` is found through ``custom_objects`` or ``register_keras_serializable``;
    a function of that name returning the module also works. Classes of ``torch.nn``
    (``torch.nn.Linear``) need no registration.

    Args:
        module: the ``torch.nn.Module`` to wrap (not a Keras layer).
        module_config: the module's constructor arguments: a dict, or a function of the
            module returning one (default: ``module.get_config()`` when the module has it).
        name: the layer's name.
    """

    def __init__(self, module, module_config=None, name=None, **kwargs):
        if not isinstance(module, torch.nn.Module) or isinstance(module, Layer):
            raise TypeError("TorchModuleWrapper wraps a torch.nn.Module that is not a Keras layer. "
                            f"Received: module={module!r}")
        if module_config is not None and not (isinstance(module_config, dict) or callable(module_config)):
            raise TypeError("TorchModuleWrapper: module_config must be a dict of constructor arguments "
                            f"or a function of the module returning one. Received: {module_config!r}")
        super().__init__(name=name, **kwargs)
        self.module = module
        self._module_config = module_config
        self._buffer_views = {}
        self._adopt_parameters()
        self.built = True

    def _adopt_parameters(self):
        """Make the module's parameters Keras weights named '<layer>/<parameter path>:0'."""
        adopted = {}
        for path, sub in self.module.named_modules():
            for key, p in list(sub._parameters.items()):
                if p is None:
                    continue
                if id(p) not in adopted:  # a parameter shared inside the module stays shared
                    v = Variable(p.data, requires_grad=p.requires_grad and self.trainable)
                    v._keras_name = f"{path}.{key}" if path else key
                    v._keras_full_name = f"{self.name}/{v._keras_name}:0"
                    v._keras_trainable = p.requires_grad
                    v._keras_layout = None
                    v._keras_shape = tuple(p.shape)
                    v.regularizer = v.constraint = None
                    adopted[id(p)] = v
                    (self._trainable_weights if p.requires_grad
                     else self._non_trainable_weights).append(v)
                sub._parameters[key] = adopted[id(p)]

    def _buffers_as_weights(self):
        """The module's persistent buffers as non-trainable weights (views sharing their storage)."""
        out = []
        for path, sub in self.module.named_modules():
            for key, b in sub._buffers.items():
                if b is None or key in sub._non_persistent_buffers_set:
                    continue
                name = f"{path}.{key}" if path else key
                view = self._buffer_views.get(name)
                if view is None or view._buffer is not b:  # new after .to(device)
                    view = Variable(b, requires_grad=False)
                    view._buffer = b
                    view._keras_name = name
                    view._keras_full_name = f"{self.name}/{name}:0"
                    view._keras_trainable = False
                    view._keras_layout = None
                    view._keras_shape = tuple(b.shape)
                    view.regularizer = view.constraint = None
                    self._buffer_views[name] = view
                out.append(view)
        return out

    @property
    def non_trainable_weights(self):
        return super().non_trainable_weights + self._buffers_as_weights()

    def call(self, inputs, training=None):
        mode = bool(training)
        if self.module.training != mode:
            self.module.train(mode)
        out = self.module(*inputs) if isinstance(inputs, (list, tuple)) else self.module(inputs)
        return list(out) if isinstance(out, tuple) else out

    # ---------------------------------------------------------------- config
    def get_config(self):
        """The layer's config; the module is stored as ``{'class_name', 'config'}``."""
        cls = type(self.module)
        if cls.__module__.startswith("torch.nn"):
            class_name = f"torch.nn.{cls.__name__}"
        else:
            class_name = get_registered_name(cls)
        config = self._module_config
        if callable(config):
            config = config(self.module)
        elif config is None and hasattr(self.module, "get_config"):
            config = self.module.get_config()
        return {**super().get_config(), "torch_module": {"class_name": class_name, "config": config}}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        spec = config.pop("torch_module", None)
        if not isinstance(spec, dict) or "class_name" not in spec:
            raise ValueError(f"TorchModuleWrapper {config.get('name')!r}: the config holds no "
                             f"'torch_module' {{'class_name', 'config'}} entry. Received: {spec!r}")
        module = build_module(spec["class_name"], spec.get("config"), custom_objects, config.get("name"))
        return cls(module, module_config=spec.get("config"), **config)


def build_module(class_name, config, custom_objects=None, layer_name=None):
    """The module named ``class_name`` built from its constructor config (no code from the file)."""
    factory = get_registered_object(class_name, custom_objects)
    if factory is None and class_name.startswith("torch.nn."):
        candidate = getattr(torch.nn, class_name[len("torch.nn."):], None)
        if inspect.isclass(candidate) and issubclass(candidate, torch.nn.Module):
            factory = candidate
    if factory is None:
        short = class_name.split(">", 1)[-1]
        raise ValueError(
            f"Cannot rebuild TorchModuleWrapper {layer_name!r}: its torch module class {class_name!r} "
            "is not registered. Decorate the class with "
            "`@openkeras.utils.register_keras_serializable()` (or register a function of that name "
            "that returns the module), or pass it when loading: "
            f"`load_model(path, custom_objects={{'{short}': {short}}})`. Its constructor is called "
            "with the stored config as keyword arguments.")
    kwargs = dict(config or {})
    if inspect.isclass(factory) and hasattr(factory, "from_config"):
        module = factory.from_config(kwargs)
    else:
        module = factory(**kwargs)
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"TorchModuleWrapper {layer_name!r}: {class_name!r} built {type(module).__name__}, "
                        "not a torch.nn.Module.")
    return module
