"""The three artifact formats: how each is written and how it is run back for the check.

Every writer takes an ``InferenceModule`` (in inference mode, plain parameters), the sample
inputs and the input/output names; every runner loads the file back from disk once, as a
user would, runs it on each batch of inputs and returns the outputs as numpy arrays.
"""

import contextlib
import importlib
import json
import logging
import os
import sys
import tempfile
import warnings

import numpy as np
import torch

FORMATS = ("torchscript", "torch_export", "onnx")
EXTENSIONS = {".pt": "torchscript", ".ts": "torchscript", ".pt2": "torch_export", ".onnx": "onnx"}
TOLERANCES = {"torchscript": 1e-5, "torch_export": 1e-5, "onnx": 1e-4}
ONNX_HINT = "install the optional extra: pip install 'openkeras[onnx]'"


def _batch_dims(inputs):
    batch = torch.export.Dim("batch", min=1)
    return (tuple({0: batch} for _ in inputs),)  # one entry: the module's *inputs


# ------------------------------------------------------------------------ TorchScript
def write_torchscript(module, inputs, path, input_names, output_names):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # TracerWarnings about Python values baked into the graph
        traced = torch.jit.trace(module, tuple(inputs), check_trace=False)
        torch.jit.save(traced, path)


def run_torchscript(path, batches):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch.jit is deprecated in torch 2.9+
        loaded = torch.jit.load(path, map_location=batches[0][0].device)
    with torch.no_grad():
        return [_numpy(loaded(*inputs)) for inputs in batches]


# --------------------------------------------------------------------- torch.export
def export_program(module, inputs):
    """The ``torch.export`` program of ``module`` with a dynamic batch dimension."""
    return torch.export.export(module, tuple(inputs), dynamic_shapes=_batch_dims(inputs), strict=False)


def write_torch_export(module, inputs, path, input_names, output_names):
    names = {"name": module.model.name, "input_names": list(input_names), "output_names": list(output_names)}
    torch.export.save(export_program(module, inputs), path, extra_files={"openkeras.json": json.dumps(names)})


def run_torch_export(path, batches):
    module = torch.export.load(path).module()
    with torch.no_grad():
        return [_numpy(module(*inputs)) for inputs in batches]


# ------------------------------------------------------------------------------ ONNX
def onnx_writer_available():
    """None if torch's ONNX exporter can run here, else the missing package."""
    # Both of torch's exporters need the onnx package to write the file (the TorchScript-based
    # one to add functions to the model, the torch.export-based one throughout).
    return None if _importable("onnx") else "onnx"


def write_onnx(module, inputs, path, input_names, output_names):
    """ONNX through torch's TorchScript-based exporter (fast), else its torch.export-based one."""
    if onnx_writer_available():
        raise ImportError(f"Exporting to ONNX needs the onnx package: {ONNX_HINT}.")
    axes = {name: {0: "batch"} for name in list(input_names) + list(output_names)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript-based exporter is deprecated in torch 2.9+
        try:
            with _output_dropped_if_failing():
                torch.onnx.export(module, tuple(inputs), path, dynamo=False, input_names=list(input_names),
                                  output_names=list(output_names), dynamic_axes=axes, verbose=False)
            return
        except Exception as e:  # removed or failing in this torch: the newer exporter may do
            if not _importable("onnxscript"):
                raise RuntimeError(f"torch's TorchScript-based ONNX exporter failed ({e}); its "
                                   f"torch.export-based exporter needs onnxscript: {ONNX_HINT}.") from e
        quiet = logging.getLogger("torch.onnx")
        level = quiet.level
        quiet.setLevel(logging.ERROR)  # notes about optional torchvision operators
        try:
            torch.onnx.export(module, tuple(inputs), path, dynamo=True, external_data=False,
                              input_names=list(input_names), output_names=list(output_names),
                              dynamic_shapes=_batch_dims(inputs), verbose=False)
        finally:
            quiet.setLevel(level)


@contextlib.contextmanager
def _output_dropped_if_failing():
    """Hold what is written to the stdout file descriptor; drop it if the block fails.

    torch's TorchScript-based exporter prints its whole graph from C++ when it fails, which
    the fallback exporter makes moot.
    """
    sys.stdout.flush()
    saved = os.dup(1)
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 1)
        failed = True
        try:
            yield
            failed = False
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            if not failed:
                held.seek(0)
                sys.stdout.write(held.read().decode(errors="replace"))


def onnx_runner_available():
    return _importable("onnxruntime")


def run_onnx(path, batches):
    import onnxruntime  # optional dependency (the onnx extra)

    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    return [session.run(None, {n: x.detach().cpu().numpy() for n, x in zip(names, inputs, strict=True)})
            for inputs in batches]


def _importable(name):
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True


def _numpy(outputs):
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    return [np.asarray(o.detach().cpu().numpy()) for o in outputs]


WRITERS = {"torchscript": write_torchscript, "torch_export": write_torch_export, "onnx": write_onnx}
RUNNERS = {"torchscript": run_torchscript, "torch_export": run_torch_export, "onnx": run_onnx}
