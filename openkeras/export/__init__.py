"""Export a model to TorchScript, ``torch.export`` or ONNX, checking the artifact's outputs.

``export_model(model, path)`` (also ``model.export(path)``) writes the file, loads it back
from disk, runs it on sample inputs of two batch sizes (the batch dimension is dynamic) and
compares its outputs with the model's own; the result is printed and returned.
"""

import os
from dataclasses import dataclass

import numpy as np
import torch

from openkeras.export import formats
from openkeras.export.formats import EXTENSIONS, FORMATS, TOLERANCES
from openkeras.export.tracing import (
    SUPPORTED_LAYERS,
    UNSUPPORTED_LAYERS,
    InferenceModule,
    check_layers,
    make_sample_inputs,
    plain_parameters,
    reference_outputs,
    standardize_sample_input,
    unlisted_layers,
)

__all__ = ["export_model", "ExportResult", "ExportCheckError", "format_for_path", "FORMATS",
           "SUPPORTED_LAYERS", "UNSUPPORTED_LAYERS"]


class ExportCheckError(ValueError):
    """The written artifact does not reproduce the model's outputs."""


@dataclass
class ExportResult:
    """What ``export_model`` wrote and how the artifact compared with the model.

    Args:
        path: the file written.
        format: 'torchscript', 'torch_export' or 'onnx'.
        checked: whether the artifact was run and compared (False: ``reason`` says why).
        max_difference: the largest absolute difference seen over all outputs and batches.
        tolerance: the allowed difference (relative to the size of each output value, at least 1).
        batch_sizes: the batch sizes the artifact was run with.
        reason: why the check was skipped, when it was.
    """

    path: str
    format: str
    checked: bool
    max_difference: float | None = None
    tolerance: float | None = None
    batch_sizes: tuple = ()
    reason: str | None = None

    def message(self) -> str:
        if not self.checked:
            return f"Exported {self.format} to {self.path}; output check skipped: {self.reason}."
        return (f"Exported {self.format} to {self.path}; output check passed: the artifact matches "
                f"the model on batch sizes {list(self.batch_sizes)} (max abs difference "
                f"{self.max_difference:.2e}, tolerance {self.tolerance:.0e}).")


def format_for_path(path):
    """The export format a file name asks for: .pt/.ts TorchScript, .pt2 torch.export, .onnx ONNX."""
    ext = os.path.splitext(str(path))[1].lower()
    if ext not in EXTENSIONS:
        raise ValueError(f"Cannot tell the export format from the file name {str(path)!r}: use "
                         ".pt or .ts (torchscript), .pt2 (torch_export) or .onnx (onnx), or pass "
                         "format=.")
    return EXTENSIONS[ext]


def export_model(model, path, format=None, sample_input=None, *, check=True, verbose=True):
    """Write ``model`` as an inference artifact and check that it reproduces the model.

    Args:
        model: an openkeras model (a subclassed model needs ``sample_input``).
        path: the file to write.
        format: 'torchscript', 'torch_export' or 'onnx' (default: from the extension of ``path``).
        sample_input: an array / tensor, a list of them (one per input) or a dict by input
            name, used to trace and to check; default: random inputs of the input shapes.
        check: load the artifact back and compare its outputs with the model's.
        verbose: print the result of the check.

    Returns:
        An ``ExportResult``. Raises ``ExportCheckError`` if the outputs differ.
    """
    path = os.fspath(path)
    fmt = format or format_for_path(path)
    if fmt not in FORMATS:
        raise ValueError(f"Unknown export format {fmt!r}; expected one of {list(FORMATS)}.")
    check_layers(model, fmt)
    inputs = _sample_inputs(model, sample_input)
    second = [torch.cat([x, x[:1]]) for x in inputs]  # another batch size: the batch is dynamic
    n_out = len(getattr(model, "outputs", None) or reference_outputs(model, inputs))
    input_names = list(getattr(model, "input_names", None) or [f"input_{i + 1}" for i in range(len(inputs))])
    output_names = _output_names(model, n_out)
    folder, base = os.path.split(path)
    tmp = os.path.join(folder, f".tmp-{os.getpid()}-{base}")  # same extension: torch checks it
    try:
        with plain_parameters(model), torch.no_grad():
            module = InferenceModule(model, len(inputs))
            _write(model, fmt, module, inputs, tmp, input_names, output_names)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    result = ExportResult(path, fmt, False, tolerance=TOLERANCES[fmt])
    if not check:
        result.reason = "check=False"
    elif fmt == "onnx" and not formats.onnx_runner_available():
        result.reason = f"onnxruntime is not installed ({formats.ONNX_HINT})"
    else:
        _check(model, fmt, path, [inputs, second], result)
    if verbose:
        print(result.message())
    return result


def _sample_inputs(model, sample_input):
    if sample_input is not None:
        return standardize_sample_input(model, sample_input)
    if not getattr(model, "inputs", None):
        raise ValueError(f"Model {model.name!r} has no known input shapes (a subclassed model?): "
                         "pass sample_input= to export it.")
    return make_sample_inputs(model, 2)


def _output_names(model, n_out):
    names = list(getattr(model, "output_names", None) or [])
    if len(names) != n_out or len(set(names)) != n_out:
        names = [f"output_{i + 1}" for i in range(n_out)]
    return names


def _write(model, fmt, module, inputs, path, input_names, output_names):
    try:
        formats.WRITERS[fmt](module, inputs, path, input_names, output_names)
    except ImportError:
        raise
    except Exception as e:
        unlisted = unlisted_layers(model)
        hint = (f" The model holds layers outside the supported list, one of which is the likely "
                f"cause: {', '.join(unlisted)}." if unlisted else "")
        raise ValueError(f"Exporting model {model.name!r} to {fmt} failed.{hint} torch said: "
                         f"{type(e).__name__}: {str(e).strip()[:2000]}") from e


def _check(model, fmt, path, batches, result):
    worst = 0.0
    outputs = formats.RUNNERS[fmt](path, batches)
    for inputs, actual in zip(batches, outputs, strict=True):
        expected = reference_outputs(model, inputs)
        if len(actual) != len(expected):
            raise ExportCheckError(f"The {fmt} artifact {path!r} returns {len(actual)} outputs; the "
                                   f"model returns {len(expected)}.")
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            if tuple(a.shape) != tuple(e.shape):
                raise ExportCheckError(f"The {fmt} artifact {path!r} gives output {i} the shape "
                                       f"{tuple(a.shape)}; the model gives {tuple(e.shape)}.")
            diff = np.abs(a.astype(np.float64) - e.astype(np.float64))
            scale = np.maximum(1.0, np.abs(e.astype(np.float64)))
            worst = max(worst, float(diff.max(initial=0.0)))
            if (diff > result.tolerance * scale).any():
                raise ExportCheckError(
                    f"The {fmt} artifact {path!r} does not reproduce output {i} of model "
                    f"{model.name!r} at batch size {len(inputs[0])}: max abs difference "
                    f"{float(diff.max()):.3e} > tolerance {result.tolerance:.0e}. The file was written.")
    result.checked = True
    result.max_difference = worst
    result.batch_sizes = tuple(len(b[0]) for b in batches)
