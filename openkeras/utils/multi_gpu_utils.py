"""``multi_gpu_model``: single-machine data parallelism (Keras 2's ``keras.utils``)."""

import torch

from openkeras.engine.keras_tensor import flatten
from openkeras.engine.training import Model
from openkeras.layers.core import Activation, Lambda  # noqa: F401  (Keras 2 code imports Lambda here)
from openkeras.layers.merge import concatenate  # noqa: F401  (as Keras 2's module did)
from openkeras.layers.wrappers import Wrapper
from openkeras.models import clone_model  # noqa: F401  (as Keras 2's module did)
from openkeras.utils.generic_utils import to_list  # noqa: F401  (as Keras 2's module did)


class DataParallel(Wrapper):
    """Run a model on several devices, each on a slice of the batch, and gather the results.

    Device 0 of `device_ids` runs the wrapped model with its own weights (which must live
    there, as `fit` puts them); every other device runs it on copies made for that forward
    pass, so gradients flow back into the one set of weights. BatchNormalization moving
    statistics are updated from the first slice only (as `torch.nn.DataParallel` does).
    The replicas are launched one after the other from this thread; their kernels overlap
    on the GPUs. Inputs that are not on a CUDA device run unsplit.

    Args:
        layer: the template model (or layer).
        device_ids: CUDA device indices, the first holding the weights.
    """

    def __init__(self, layer, device_ids, **kwargs):
        super().__init__(layer, **kwargs)
        self.device_ids = [int(i) for i in device_ids]

    @property
    def weights(self):
        return self.layer.weights  # the template's order, as when Keras nests it as a layer

    variables = weights

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def call(self, inputs, training=None):
        first = flatten(inputs)[0]
        if first.device.type != "cuda":
            return self.layer(inputs, training=training)
        devices = [torch.device("cuda", i) for i in self.device_ids]
        weight = next(self.layer.parameters(), None)
        if weight is not None and weight.device != devices[0]:
            raise ValueError(
                f"multi_gpu_model: the template's weights must be on the first GPU, "
                f"{devices[0]}, but they are on {weight.device}. Move the model there (or set "
                f"openkeras.config.set_device('{devices[0]}')). Received: "
                f"device_ids={self.device_ids}")
        return split_apply(self.layer, inputs, devices, training)

    def get_config(self):
        return {**super().get_config(), "device_ids": list(self.device_ids)}


def split_apply(model, inputs, devices, training=None):
    """`model(inputs)` computed as one call per device on consecutive slices of the batch.

    The first slice runs on the model's own weights; the others on differentiable copies
    of the weights moved to their device. Outputs are concatenated on `devices[0]`.

    Args:
        model: a Layer or Model.
        inputs: a tensor or a list of tensors sharing the batch dimension.
        devices: the torch devices to use, in order.
        training: passed to the model.
    """
    flat = flatten(inputs)
    parts = min(len(devices), flat[0].shape[0])
    chunks = [torch.tensor_split(t, parts) for t in flat]
    state = dict(model.named_parameters())
    state.update(model.named_buffers())
    outputs = []
    for i in range(parts):
        device = devices[i]
        piece = [c[i].to(device, non_blocking=True) for c in chunks]
        piece = piece if isinstance(inputs, (list, tuple)) else piece[0]
        if i == 0:
            out = model(piece, training=training)
        else:
            # Trainable weights: differentiable moves. The rest (moving statistics) always
            # copied, so only the first slice updates them, whatever the devices.
            moved = {name: t.to(device, non_blocking=True, copy=not t.requires_grad)
                     for name, t in state.items()}
            out = torch.func.functional_call(model, moved, (piece,), {"training": training})
        outputs.append(flatten(out))
    merged = [torch.cat([o[k].to(devices[0]) for o in outputs]) for k in range(len(outputs[0]))]
    return merged if len(merged) > 1 else merged[0]


def _check_gpus(gpus):
    """The GPU ids to use, after Keras 2's checks of `gpus` against the visible devices."""
    available = ["/cpu:0"] + [f"/gpu:{i}" for i in range(torch.cuda.device_count())]
    if not gpus:
        gpus = len(available) - 1
    if isinstance(gpus, (list, tuple)):
        if len(gpus) <= 1:
            raise ValueError("For multi-gpu usage to be effective, call `multi_gpu_model` with "
                             f"`len(gpus) >= 2`. Received: `gpus={gpus}`")
        gpu_ids = [int(i) for i in gpus]
    else:
        if gpus <= 1:
            raise ValueError("For multi-gpu usage to be effective, call `multi_gpu_model` with "
                             f"`gpus >= 2`. Received: `gpus={gpus}`")
        gpu_ids = list(range(gpus))
    target = ["/cpu:0"] + [f"/gpu:{i}" for i in gpu_ids]
    if any(device not in available for device in target):
        raise ValueError(f"To call `multi_gpu_model` with `gpus={gpus}`, we expect the following "
                         f"devices to be available: {target}. However this machine only has: "
                         f"{available}. Try reducing `gpus`.")
    return gpu_ids


def multi_gpu_model(model, gpus=None, cpu_merge=True, cpu_relocation=False):
    """Replicate a model on several GPUs: each batch is split across them (data parallelism).

    The returned model shares the template's weights: compile and fit it, then save the
    template (`model.save(...)`), as in Keras. Its outputs carry the template's output names.
    The template's weights must live on the first listed GPU, which is where `fit` puts
    them (`openkeras.config.device()`, cuda:0 by default). As in Keras 2, `batch_size` is
    the global batch, each GPU computing a slice of it.

    When to use `torchrun` instead: whenever speed matters or more than one machine is
    involved. Here one Python process drives every GPU and gathers the outputs on the first
    one each step; `torchrun --nproc_per_node=N train.py` runs the unchanged script with one
    process per GPU (DDP over NCCL, data loaded in parallel) and keeps the same meaning of
    `batch_size` (see docs/multi_gpu.md). Do not call this function inside a `torchrun`
    launch.

    Args:
        model: the template model.
        gpus: number of GPUs (>= 2) or a list of GPU ids; None uses every visible GPU.
        cpu_merge: accepted for compatibility; outputs are gathered on the first GPU, where
            openkeras computes the loss and metrics.
        cpu_relocation: accepted for compatibility; the weights are never cloned or moved
            (torch keeps the master weights on the first GPU).

    Returns:
        A `Model` taking the template's inputs and giving its outputs.
    """
    gpu_ids = _check_gpus(gpus)
    inputs = model.inputs if len(model.inputs) > 1 else model.inputs[0]
    outputs = flatten(DataParallel(model, gpu_ids)(inputs))
    names, seen = [], {}
    for name in model.output_names:
        if model.output_names.count(name) > 1:  # Siamese templates: name_1, name_2, ...
            seen[name] = seen.get(name, 0) + 1
            name = f"{name}_{seen[name]}"
        names.append(name)
    merged = [Activation("linear", name=name)(out)
              for name, out in zip(names, outputs, strict=True)]
    return Model(model.inputs, merged if len(merged) > 1 else merged[0])

