"""The model graphs TensorBoard draws: the traced torch graph and the Keras model config."""

import contextlib
import io
import warnings

import numpy as np
import torch


class _Traceable(torch.nn.Module):
    """The model as ``forward(*inputs)`` in inference mode, the form ``torch.jit.trace`` calls.

    The model is held, not registered as a submodule: openkeras registers a layer under more
    than one name (a model's layer list and its execution plan), which ``torch.jit.trace``
    refuses as parameter sharing. Its weights are therefore traced as constants.
    """

    def __init__(self, model):
        super().__init__()
        object.__setattr__(self, "_model", model)

    def forward(self, *inputs):
        return self._model(inputs[0] if len(inputs) == 1 else list(inputs), training=False)


def sample_inputs(model):
    """Zero tensors shaped like the model's inputs (unknown sizes: 1), on the model's device.

    Returns None for a model whose input shapes are not known (a subclassed model not built
    through ``Input``).
    """
    inputs = getattr(model, "inputs", None)
    if not inputs:
        return None
    param = next(iter(model.parameters()), None)
    device = param.device if param is not None else torch.device("cpu")
    samples = []
    for tensor in inputs:
        shape = tuple(1 if d is None else int(d) for d in tensor.shape)
        dtype = torch.from_numpy(np.zeros(0, dtype=str(tensor.dtype or "float32"))).dtype
        samples.append(torch.zeros(shape, dtype=dtype, device=device))
    return samples


def write_torch_graph(writer, model):
    """Trace ``model`` and write its op graph; warn (once per call) instead of failing.

    Args:
        writer: a ``torch.utils.tensorboard.SummaryWriter``.
        model: the openkeras model.
    """
    samples = sample_inputs(model)
    if samples is None:
        warnings.warn("TensorBoard: the model's graph is not written: its input shapes are not "
                      "known (build it from `Input` or call it on data first).", RuntimeWarning,
                      stacklevel=3)
        return
    # The graph's root is named after the model's class ('Sequential/...').
    traceable = type(type(model).__name__, (_Traceable,), {})(model)
    printed = io.StringIO()  # torch prints its own notice when tracing fails
    # A trace refuses constants that require grad; the flags are restored afterwards.
    frozen = [p for p in model.parameters() if p.requires_grad]
    try:
        for p in frozen:
            p.requires_grad_(False)
        with torch.no_grad(), warnings.catch_warnings(), contextlib.redirect_stdout(printed):
            warnings.simplefilter("ignore")  # TracerWarnings about Python values in the trace
            writer.add_graph(traceable, samples if len(samples) > 1 else samples[0])
    except Exception as e:  # a model torch cannot trace only loses its graph
        warnings.warn(f"TensorBoard: the model's graph is not written: torch.jit.trace failed "
                      f"({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})",
                      RuntimeWarning, stacklevel=3)
    finally:
        for p in frozen:
            p.requires_grad_(True)


def write_keras_config(writer, model):
    """Write the model's Keras config (TensorBoard's conceptual graph, as tf.keras does)."""
    from tensorboard.compat.proto import summary_pb2, tensor_pb2, types_pb2  # optional dependency

    try:
        config = model.to_json()
    except Exception as e:  # a model without a config only loses this graph
        warnings.warn(f"TensorBoard: the model's Keras graph is not written: it failed to "
                      f"serialize as JSON ({e}).", RuntimeWarning, stacklevel=3)
        return
    metadata = summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(
        plugin_name="graph_keras_model", content=b"1"))
    tensor = tensor_pb2.TensorProto(dtype=types_pb2.DT_STRING, string_val=[config.encode()])
    summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(
        tag="keras", metadata=metadata, tensor=tensor)])
    writer._get_file_writer().add_summary(summary, global_step=0)
