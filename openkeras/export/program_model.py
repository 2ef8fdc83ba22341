"""A ``torch.export`` program (.pt2) as a predict-only Keras model."""

import json
import os

import torch

from openkeras.engine.keras_tensor import KerasTensor
from openkeras.engine.training import Model

METADATA = "openkeras.json"  # extra file in .pt2 archives written by export: input/output names


class ExportedProgramModel(Model):
    """A deployed ``torch.export`` program with ``predict``, ``evaluate`` and ``summary``.

    It has no Keras layers or weights: ``fit`` and the other training methods raise.

    Args:
        program: a ``torch.export.ExportedProgram``.
        input_names: names of its inputs (default: from the program).
        output_names: names of its outputs (default: output_1, output_2, ...).
        name: the model's name.
    """

    def __init__(self, program, input_names=None, output_names=None, name=None):
        super().__init__(name=name or "exported_program")
        self._program = program
        self.program_module = program.module()
        ins = [n for n in program.graph.nodes if n.op == "placeholder" and
               n.name in set(program.graph_signature.user_inputs)]
        out_node = next(n for n in program.graph.nodes if n.op == "output")
        outs = list(torch.utils._pytree.tree_leaves(out_node.args[0]))[-len(program.graph_signature.user_outputs):]
        input_names = list(input_names or [n.name for n in ins])
        output_names = list(output_names or [f"output_{i + 1}" for i in range(len(outs))])
        self.inputs = [_symbolic(n.meta.get("val"), name) for n, name in zip(ins, input_names, strict=True)]
        self.outputs = [_symbolic(getattr(n, "meta", {}).get("val"), name)
                        for n, name in zip(outs, output_names, strict=True)]
        self.input_names = input_names
        self.output_names = output_names
        self.built = True

    def call(self, inputs, training=None):
        xs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if len(xs) != len(self.inputs):
            raise ValueError(f"Model {self.name!r} takes {len(self.inputs)} input(s); received {len(xs)}.")
        out = self.program_module(*xs)
        if isinstance(out, (list, tuple)):
            return list(out) if len(out) > 1 else out[0]
        return out

    def _refuse_training(self, *args, **kwargs):
        raise RuntimeError(
            f"Model {self.name!r} is a loaded torch.export program: it can predict and evaluate, "
            "but not train (the program holds no Keras layers or trainable weights). Train the "
            "original model and export it again.")

    fit = train_on_batch = fit_generator = _refuse_training

    def summary(self, line_length=None, positions=None, print_fn=None):
        """Print the program's inputs and outputs (name, shape, dtype)."""
        print_fn = print_fn or print
        width = line_length or 65
        print_fn(f'Model: "{self.name}" (torch.export program, predict-only)')
        for title, tensors in (("Input", self.inputs), ("Output", self.outputs)):
            print_fn("_" * width)
            print_fn(f"{title:<29}{'Shape':<26}Dtype")
            print_fn("=" * width)
            for t in tensors:
                print_fn(f"{t.name:<29}{str(t.shape):<26}{t.dtype}")
        print_fn("=" * width)
        params = sum(p.numel() for p in self.program_module.parameters())
        print_fn(f"Parameters in the program: {params:,} (not trainable here)")
        print_fn("_" * width)


def _symbolic(value, name):
    """A KerasTensor for a program input/output (symbolic dimensions become None)."""
    if value is None or not hasattr(value, "shape"):
        return KerasTensor((None,), "float32", name=name)
    shape = tuple(d if isinstance(d, int) else None for d in value.shape)
    return KerasTensor(shape, str(value.dtype).replace("torch.", ""), name=name)


def from_torch_export(path, name=None):
    """Load a ``.pt2`` file written by ``torch.export.save`` as a predict-only Keras model.

    Args:
        path: the ``.pt2`` file (``model.export('m.pt2')`` or any ``torch.export.save`` output).
        name: the model's name (default: the exported model's name, when stored).
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise OSError(f"No file found at {path}")
    extra = {METADATA: ""}
    try:
        program = torch.export.load(path, extra_files=extra)
    except Exception as e:
        raise ValueError(f"Cannot load {path!r} as a torch.export program: {e}") from e
    meta = json.loads(extra[METADATA]) if extra.get(METADATA) else {}
    return ExportedProgramModel(program, meta.get("input_names"), meta.get("output_names"),
                                name=name or meta.get("name"))
