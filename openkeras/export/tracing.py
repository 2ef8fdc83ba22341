"""What every export format needs: a traceable module, sample inputs and the layer check."""


import numpy as np
import torch

from openkeras import config
from openkeras.engine.base_layer import Layer
from openkeras.engine.keras_tensor import flatten
from openkeras.engine.weights import parameter_slots, swapped_parameters

# Built-in layers whose inference computation traces into TorchScript, torch.export and
# ONNX (each one is covered by tests/export). Layers of user classes are tried as they are.
SUPPORTED_LAYERS = frozenset({
    "InputLayer", "Dense", "Activation", "Dropout", "SpatialDropout1D", "SpatialDropout2D",
    "SpatialDropout3D", "AlphaDropout", "GaussianDropout", "GaussianNoise", "Flatten", "Reshape",
    "Permute", "RepeatVector", "Masking", "ActivityRegularization",
    "Conv1D", "Conv2D", "Conv3D", "Conv2DTranspose", "SeparableConv1D", "SeparableConv2D",
    "DepthwiseConv2D", "Cropping1D", "Cropping2D", "Cropping3D", "UpSampling1D", "UpSampling2D",
    "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D",
    "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D",
    "AveragePooling3D", "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalAveragePooling1D",
    "GlobalAveragePooling2D", "GlobalMaxPooling3D", "GlobalAveragePooling3D",
    "Embedding", "LSTM", "GRU", "SimpleRNN", "Bidirectional", "TimeDistributed",
    "BatchNormalization", "LayerNormalization",
    "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot",
    "ReLU", "LeakyReLU", "PReLU", "ELU", "ThresholdedReLU", "Softmax",
    "TorchModuleWrapper", "Sequential", "Functional",
})

# Built-in layers that cannot be exported, and why.
UNSUPPORTED_LAYERS = {
    "Lambda": "it runs arbitrary Python code, which the exporters may not capture; rewrite it as a "
              "custom layer, or wrap the computation in an nn.Module with TorchModuleWrapper",
}


def check_layers(model, fmt):
    """Raise a ValueError naming the first layer of ``model`` that ``fmt`` cannot export."""
    for module in model.modules():
        if not isinstance(module, Layer) or module is model:
            continue
        kind = type(module).__name__
        reason = UNSUPPORTED_LAYERS.get(kind)
        if reason is None and getattr(module, "stateful", False):
            reason = "stateful=True carries its state from one call to the next"
        if reason is not None:
            raise ValueError(f"Cannot export model {model.name!r} to {fmt}: layer {module.name!r} "
                             f"({kind}) is not supported: {reason}.")


def unlisted_layers(model):
    """Names of the layers of ``model`` whose classes are not in SUPPORTED_LAYERS."""
    return [f"{m.name} ({type(m).__name__})" for m in model.modules()
            if isinstance(m, Layer) and m is not model and type(m).__name__ not in SUPPORTED_LAYERS]


def plain_parameters(model):
    """A context inside which the model's weights are plain ``nn.Parameter``s sharing the
    same storage.

    Exported artifacts then hold ordinary tensors (no openkeras class is needed to read
    them) in the layout the layers compute with.
    """
    slots = parameter_slots(model)
    plain = {id(p): torch.nn.Parameter(p.detach(), requires_grad=False)
             for _, _, p in slots if type(p) is not torch.nn.Parameter}
    return swapped_parameters(slots, plain)


class InferenceModule(torch.nn.Module):
    """``forward(*inputs)`` = the model in inference mode; its outputs as a tensor or tuple.

    The model is not registered as a submodule: openkeras models reach some layers by two
    paths, which tracing refuses; the model's parameters and buffers are registered here once.
    """

    def __init__(self, model, n_inputs):
        super().__init__()
        object.__setattr__(self, "model", model)
        for i, p in enumerate(model.parameters()):
            self.register_parameter(f"param_{i}", p)
        for i, b in enumerate(model.buffers()):
            self.register_buffer(f"buffer_{i}", b)
        self.n_inputs = n_inputs

    def forward(self, *inputs):
        outputs = self.model(list(inputs) if self.n_inputs > 1 else inputs[0], training=False)
        return tuple(outputs) if isinstance(outputs, (list, tuple)) else outputs


def model_device(model):
    first = next(model.parameters(), None)
    return first.device if first is not None else torch.device("cpu")


def _input_consumers(model, tensor):
    """The layers that read a model input directly."""
    layer = tensor._keras_history[0]
    return [node.layer for node in layer._outbound_nodes]


def make_sample_inputs(model, batch_size, seed=0):
    """Random inputs fitting the model's input shapes (unknown dimensions become 8).

    Inputs read by an Embedding are integers below its ``input_dim`` and end with a few zeros,
    so models with ``mask_zero=True`` see padded sequences.
    """
    rng = np.random.default_rng(seed)
    device = model_device(model)
    out = []
    for tensor in model.inputs:
        shape = [batch_size] + [8 if d is None else int(d) for d in tensor.shape[1:]]
        dtype = config.torch_dtype(tensor.dtype)
        embeddings = [la for la in _input_consumers(model, tensor) if type(la).__name__ == "Embedding"]
        if embeddings:
            high = min(la.input_dim for la in embeddings)
            values = rng.integers(1, max(high, 2), size=shape)
            if values.ndim >= 2 and values.shape[1] > 2:
                values[0, -2:] = 0  # padding at the end of the first sample
                values[-1, 1] = 0  # a hole in the middle of the last one
            x = torch.as_tensor(values, dtype=dtype)
        elif dtype.is_floating_point:
            x = torch.as_tensor(rng.standard_normal(shape), dtype=dtype)
        else:
            x = torch.as_tensor(rng.integers(0, 2, size=shape), dtype=dtype)
        out.append(x.to(device))
    return out


def standardize_sample_input(model, sample_input):
    """The user's ``sample_input`` as a list of tensors, one per model input, on the model's device."""
    known = getattr(model, "inputs", None) or []
    if isinstance(sample_input, dict):
        names = list(getattr(model, "input_names", None) or sample_input)
        missing = [n for n in names if n not in sample_input]
        if missing:
            raise ValueError(f"sample_input is missing the inputs {missing} of model {model.name!r}.")
        sample_input = [sample_input[n] for n in names]
    items = list(flatten(sample_input)) if isinstance(sample_input, (list, tuple)) else [sample_input]
    if known and len(items) != len(known):
        raise ValueError(f"Model {model.name!r} has {len(known)} input(s), but sample_input "
                         f"holds {len(items)} array(s).")
    device = model_device(model)
    out = []
    for i, x in enumerate(items):
        t = x if isinstance(x, torch.Tensor) else torch.as_tensor(np.asarray(x))
        dtype = config.torch_dtype(known[i].dtype) if known else config.torch_dtype()
        if t.is_floating_point() and dtype.is_floating_point:
            t = t.to(dtype)
        out.append(t.to(device))
    return out


def reference_outputs(model, inputs):
    """The model's own outputs (a list of numpy arrays) for ``inputs``."""
    with torch.no_grad():
        out = model(list(inputs) if len(inputs) > 1 else inputs[0], training=False)
    out = out if isinstance(out, (list, tuple)) else [out]
    return [o.detach().cpu().numpy() for o in out]
