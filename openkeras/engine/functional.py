"""Functional models: a graph of layers sorted once into a flat execution plan."""

import functools

import torch

from openkeras.engine import aliases, file_formats, functional_config
from openkeras.engine.base_layer import _LOSS_COLLECTOR, HOOKS_VERSION, _to_torch
from openkeras.engine.data_spec import ModelSpec
from openkeras.engine.functional_losses import AddedLossesMixin
from openkeras.engine.input_layer import InputLayer
from openkeras.engine.keras_tensor import KerasTensor, flatten, pack_like
from openkeras.engine.node import Node, map_graph_network, node_key  # noqa: F401  (node_key: public here too)
from openkeras.engine.training import Model
from openkeras.mixed_precision import precision_call
from openkeras.utils.layer_utils import print_summary


class Functional(AddedLossesMixin, Model, functional=True):
    """A model defined by ``Model(inputs, outputs)``.

    Args:
        inputs: a KerasTensor from ``Input``, or a list (or dict) of them.
        outputs: a KerasTensor or a list of them, computed from ``inputs``.
        name: the model's name.
    """

    @aliases.legacy_arguments("Model")
    def __init__(self, inputs=None, outputs=None, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._init_graph(inputs, outputs)

    # ------------------------------------------------------------------ graph
    def _init_graph(self, inputs, outputs):
        if isinstance(inputs, dict):
            inputs = list(inputs.values())
        if isinstance(outputs, dict):
            outputs = list(outputs.values())
        self._nested_inputs = inputs
        self._nested_outputs = outputs
        self.inputs = list(flatten(inputs))
        self.outputs = list(flatten(outputs))
        for x in self.inputs:
            if not isinstance(x, KerasTensor):
                raise TypeError(
                    f"Model {self.name!r}: inputs must be tensors from `Input`. Received: {x!r}"
                )
            layer, node_index, _ = x._keras_history
            if not isinstance(layer, InputLayer) or node_index != 0:
                raise ValueError(
                    f"Model {self.name!r}: input tensors must come from `Input`. Received: {x!r} "
                    f"(missing previous layer metadata; it was made by layer {layer.name!r})."
                )
        for x in self.outputs:
            if not isinstance(x, KerasTensor):
                raise TypeError(
                    f"Model {self.name!r}: outputs must be tensors computed by layers. Received: {x!r}"
                )
        network_nodes, nodes_by_depth, layers = map_graph_network(self.inputs, self.outputs)
        self._network_nodes = network_nodes
        self._nodes_by_depth = nodes_by_depth
        self._layer_list = torch.nn.ModuleList(layers)
        self._input_layers = [x._keras_history[0] for x in self.inputs]
        self._output_layers = [x._keras_history[0] for x in self.outputs]
        self.input_names = [layer.name for layer in self._input_layers]
        self.output_names = [layer.name for layer in self._output_layers]
        self._output_mask_cache = [x._keras_mask for x in self.outputs]
        self._symbolic_losses = []
        self._symbolic_metrics = []  # (tensor, name) from add_metric
        self._callable_losses = getattr(self, "_callable_losses", None) or []  # kept by Sequential.add
        self.built = True
        self._compile_plan()
        self._batch_input_shape = None
        self.supports_masking = any(x._keras_mask is not None for x in self.outputs)
        Node(self, self._nested_inputs, self._nested_outputs, own_node=True)

    @property
    def layers(self):
        return list(self._layer_list)

    @property
    def weights(self):
        """All weights layer by layer (each layer's trainable then non-trainable), as tf.keras."""
        seen, out = set(), []
        for w in [w for layer in self.layers for w in layer.weights] + self._own_weights:
            if id(w) not in seen:
                seen.add(id(w))
                out.append(w)
        return out

    def _compile_plan(self):
        self._hooks_version = HOOKS_VERSION[0]
        slots = {id(x): i for i, x in enumerate(self.inputs)}
        steps = []
        uses_masks = False
        for depth in sorted(self._nodes_by_depth, reverse=True):
            for node in self._nodes_by_depth[depth]:
                if node.is_input:
                    continue
                in_slots = pack_like(node.inputs, [slots[id(t)] for t in flatten(node.inputs)])
                for t in node.output_tensors:
                    slots[id(t)] = len(slots)
                out_slots = pack_like(node.outputs, [slots[id(t)] for t in node.output_tensors])
                masked = any(t._keras_mask is not None for t in node.keras_inputs + node.output_tensors)
                uses_masks = uses_masks or masked
                out_masked = any(t._keras_mask is not None for t in node.output_tensors)
                steps.append(_Step(node.layer, in_slots, out_slots, node.arguments, out_masked))
        self._autocast = self._dtype_policy.autocast_dtype()
        precision_call.adapt_steps(steps, self._autocast)
        self._steps = steps
        self._output_slots = [slots[id(x)] for x in self.outputs]
        self._uses_masks = uses_masks
        self._loss_steps = []
        extra = self._symbolic_losses + [t for t, _ in self._symbolic_metrics]
        if extra:
            _, loss_nodes, _ = map_graph_network(self.inputs, extra)
            for depth in sorted(loss_nodes, reverse=True):
                for node in loss_nodes[depth]:
                    if node.is_input or id(node.output_tensors[0]) in slots:
                        continue
                    in_slots = pack_like(node.inputs, [slots[id(t)] for t in flatten(node.inputs)])
                    for t in node.output_tensors:
                        slots[id(t)] = len(slots)
                    out_slots = pack_like(node.outputs, [slots[id(t)] for t in node.output_tensors])
                    self._loss_steps.append(_Step(node.layer, in_slots, out_slots, node.arguments, False))
        self._loss_slots = [slots[id(x)] for x in self._symbolic_losses]
        self._metric_slots = [slots[id(x)] for x, _ in self._symbolic_metrics]
        self._n_slots = len(slots)

    # --------------------------------------------------------- data questions
    def _data_spec(self, x=None):
        """The inputs and outputs of the graph, for the data handler (a ``ModelSpec``)."""
        if not self.outputs:  # a Sequential whose input shape comes with its first data
            return super()._data_spec(x)
        return ModelSpec(
            built=True, input_names=list(self.input_names),
            input_shapes=[tuple(t.shape) for t in self.inputs],
            input_dtypes=[t.dtype for t in self.inputs], output_names=list(self.output_names),
            output_shapes=[tuple(t.shape) for t in self.outputs],
            masked_outputs=any(m is not None for m in self._output_mask_cache),
            added_losses=bool(self._symbolic_losses or self._callable_losses),
            added_metric_names=[name for _, name in self._symbolic_metrics])

    def _flat_forward(self, xs, training, want_masks=False):
        """``(outputs as a list, output masks or None)``: the plan walked on the tensors ``xs``."""
        outs, masks = self._run(xs[0] if len(xs) == 1 else xs, training, None, want_masks)
        return (outs if isinstance(outs, (list, tuple)) else [outs]), masks

    # -------------------------------------------------------------- execution
    def call(self, inputs, training=None, mask=None):
        outputs, _ = self._run(inputs, training, mask)
        return outputs

    def _run(self, inputs, training=None, mask=None, want_masks=False):
        """Walk the plan with plain tensors; return (outputs, output_masks).

        Inside ``collect_losses()`` the model's own losses (``add_loss``) are computed from
        the same pass and handed to the collector.
        """
        if self._hooks_version != HOOKS_VERSION[0]:  # a layer got a forward hook: call it through torch
            self._compile_plan()
        flat = self._flatten_call_inputs(inputs)
        if self._autocast is not None:  # a mixed policy: one autocast region for the whole pass
            with torch.autocast(flat[0].device.type, dtype=self._autocast):
                return self._run_plan(flat, training, mask, want_masks)
        return self._run_plan(flat, training, mask, want_masks)

    def _run_plan(self, flat, training, mask, want_masks):
        vals = [None] * self._n_slots
        vals[: len(flat)] = flat
        if not (self._uses_masks or want_masks or mask is not None):
            _walk(self._steps, vals, training)
            out, masks = [vals[i] for i in self._output_slots], None
        else:
            out, masks = self._run_masked(vals, len(flat), training, mask)
        if _LOSS_COLLECTOR and (self._loss_slots or self._callable_losses or self._metric_slots):
            _walk(self._loss_steps, vals, training)
            collected = [vals[i] for i in self._loss_slots] + [f() for f in self._callable_losses]
            _LOSS_COLLECTOR[-1].extend(v if v.dim() == 0 else v.mean() for v in collected)
            _LOSS_COLLECTOR[-1].metrics.extend(vals[i] for i in self._metric_slots)
        return self._pack_outputs(out), masks

    def _run_masked(self, vals, n_inputs, training, mask):
        masks = [None] * self._n_slots
        if mask is not None:
            masks[:n_inputs] = flatten(mask)
        for step in self._steps:
            ins = step.ins
            x = vals[ins] if step.single_in else [vals[i] for i in ins]
            m = masks[ins] if step.single_in else [masks[i] for i in ins]
            has_mask = any(v is not None for v in flatten(m))
            kwargs = dict(step.kwargs)
            if step.takes_training:
                kwargs.setdefault("training", training)
            if has_mask and step.layer._call_takes_mask and step.layer.supports_masking:
                kwargs["mask"] = m
            y = step.fn(x, **kwargs)
            out_mask = step.layer.compute_mask(x, m if has_mask else None) if step.out_masked else None
            if step.single_out:
                vals[step.outs] = y
                masks[step.outs] = out_mask
            else:
                out_masks = out_mask if isinstance(out_mask, (list, tuple)) else [out_mask] * len(step.flat_outs)
                for o, v, mv in zip(step.flat_outs, y, out_masks, strict=True):
                    vals[o] = v
                    masks[o] = mv
        out = [vals[i] for i in self._output_slots]
        out_masks = [masks[i] for i in self._output_slots]
        return out, out_masks

    def _flatten_call_inputs(self, inputs):
        if isinstance(inputs, dict):
            missing = [n for n in self.input_names if n not in inputs]
            if missing:
                raise ValueError(f"Model {self.name!r}: missing data for inputs {missing}.")
            inputs = [inputs[n] for n in self.input_names]
        flat = flatten(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if len(flat) != len(self.inputs):
            raise ValueError(
                f'Model "{self.name}" expects {len(self.inputs)} input(s), but it received '
                f"{len(flat)} input tensors."
            )
        return [_to_torch(x) for x in flat]

    def _pack_outputs(self, out):
        return out if len(out) > 1 else out[0]  # Keras 2 unpacks a single output

    def compute_mask(self, inputs, mask=None):
        if not self.supports_masking and mask is None:
            return None
        _, masks = self._run(inputs, False, mask, want_masks=True)
        return self._pack_outputs(masks)

    def _symbolic_mask(self, inputs, masks):
        """Output masks when the model is called on new symbolic inputs.

        Each inner layer's mask is derived along the recorded graph, from the recorded tensors'
        shapes; the layers themselves are not run (their weights are on a real device, the
        placeholders on the meta device).
        """
        known = {id(x): m for x, m in zip(self.inputs, masks, strict=False)}
        for depth in sorted(self._nodes_by_depth, reverse=True):
            for node in self._nodes_by_depth[depth]:
                if node.is_input:
                    continue
                in_masks = [known.get(id(t)) for t in node.keras_inputs]
                out = node.layer._symbolic_mask(node.inputs, in_masks)
                out = [None] * len(node.output_tensors) if out is None else flatten(out)
                for t, m in zip(node.output_tensors, out, strict=False):
                    known[id(t)] = m
        out = [known.get(id(x)) for x in self.outputs]
        if all(m is None for m in out):
            return None
        return self._pack_outputs(out)

    def compute_output_shape(self, input_shape):
        shapes = flatten_shapes(input_shape)
        if len(shapes) != len(self.inputs):
            raise ValueError(
                f'Model "{self.name}" expects {len(self.inputs)} input(s), got shapes {input_shape}.'
            )
        known = {}
        for x, s in zip(self.inputs, shapes, strict=True):
            known[id(x)] = tuple(s)
        for depth in sorted(self._nodes_by_depth, reverse=True):
            for node in self._nodes_by_depth[depth]:
                if node.is_input:
                    continue
                in_shapes = pack_like(node.inputs, [known[id(t)] for t in flatten(node.inputs)])
                if isinstance(in_shapes, tuple) and not isinstance(node.inputs, KerasTensor):
                    in_shapes = list(in_shapes)
                out = node.layer.compute_output_shape(in_shapes)
                out_list = out if isinstance(out, list) else [out]
                for t, s in zip(node.output_tensors, out_list, strict=True):
                    known[id(t)] = tuple(s)
        out_shapes = [known[id(x)] for x in self.outputs]
        return out_shapes if len(out_shapes) > 1 else out_shapes[0]

    def compute_output_dtype(self, input_dtype):
        return self.outputs[0].dtype

    # ------------------------------------------------------------- structure
    def get_layer(self, name=None, index=None):
        """A layer by name or by index in ``model.layers``."""
        if index is not None and name is not None:
            raise ValueError(
                "Provide only a layer name or a layer index. Received: "
                f"index={index}, name={name}."
            )
        if index is not None:
            if len(self.layers) <= index:
                raise ValueError(
                    f"Was asked to retrieve layer at index {index} but model only has "
                    f"{len(self.layers)} layers."
                )
            return self.layers[index]
        if name is not None:
            for layer in self.layers:
                if layer.name == name:
                    return layer
            raise ValueError(
                f"No such layer: {name}. Existing layers are: {[layer.name for layer in self.layers]}."
            )
        raise ValueError("Provide either a layer name or layer index at `get_layer`.")

    def reset_states(self):
        for layer in self.layers:
            if hasattr(layer, "reset_states") and getattr(layer, "stateful", False):
                layer.reset_states()

    @property
    def state_updates(self):
        return []

    @property
    def input_shape(self):
        shapes = [x.shape for x in self.inputs]
        return shapes if len(shapes) > 1 else shapes[0]

    @property
    def output_shape(self):
        shapes = [x.shape for x in self.outputs]
        return shapes if len(shapes) > 1 else shapes[0]

    @property
    def input(self):
        return self._nested_inputs

    @property
    def output(self):
        return self._nested_outputs

    def summary(self, line_length=None, positions=None, print_fn=None):
        """Print a table of the layers, output shapes and parameter counts (Keras 2 format)."""
        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn)

    def get_config(self):
        return functional_config.get_network_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        inputs, outputs, name = functional_config.reconstruct_from_config(config, custom_objects)
        model = cls(inputs=inputs, outputs=outputs, name=name)
        if config.get("trainable") is False:
            model.trainable = False
        losses = _dangling_tensors(model)
        if losses:  # layers outside the outputs' graph came from add_loss: restore the losses
            model.add_loss(losses)
        return model

    def to_json(self, **kwargs):
        """The model's architecture as a JSON string (Keras 2 format)."""
        return file_formats.get("json").write_config(self, **kwargs)

    def to_yaml(self, **kwargs):
        """The model's architecture as a YAML string (Keras 2 format)."""
        return file_formats.get("yaml").write_config(self, **kwargs)


def _dangling_tensors(model):
    """Tensors computed from the model's inputs, outside its graph, that nothing consumes."""
    in_graph = {id(n) for nodes in model._nodes_by_depth.values() for n in nodes}
    seen, consumed, produced = set(), set(), []
    stack = [t._keras_history[0] for t in model.inputs]
    while stack:
        for node in stack.pop()._outbound_nodes:
            if id(node) in seen:
                continue
            seen.add(id(node))
            consumed.update(id(t) for t in node.keras_inputs)
            if id(node) not in in_graph:
                produced.extend(node.output_tensors)
            stack.append(node.layer)
    return [t for t in produced if id(t) not in consumed]


def _walk(steps, vals, training):
    """Run plan steps (no masks), reading and writing the slot list ``vals``."""
    for step in steps:
        ins = step.ins
        x = vals[ins] if step.single_in else [vals[i] for i in ins]
        y = step.fn(x, training=training, **step.kwargs) if step.takes_training else step.fn(x, **step.kwargs)
        if step.single_out:
            vals[step.outs] = y
        else:
            for o, v in zip(step.flat_outs, y, strict=True):
                vals[o] = v


class _Step:
    """One layer call in the flat plan: where its inputs come from and where outputs go."""

    __slots__ = ("layer", "fn", "ins", "outs", "flat_outs", "single_in", "single_out",
                 "kwargs", "takes_training", "out_masked")

    def __init__(self, layer, ins, outs, arguments, out_masked):
        self.layer = layer
        self.fn = layer._eager_call if layer.activity_regularizer is not None else layer.call
        if layer._forward_hooks or layer._forward_pre_hooks:
            self.fn = functools.partial(torch.nn.Module.__call__, layer)  # the hooks run around forward
        self.ins = ins
        self.outs = outs
        self.flat_outs = flatten(outs)
        self.single_in = isinstance(ins, int)
        self.single_out = isinstance(outs, int)
        self.kwargs = {k: v for k, v in arguments.items() if k != "mask"}
        if not self.single_in and layer._call_wants_mask_list:
            self.kwargs["mask"] = [None] * len(flatten(ins))  # replaced when masks flow
        self.takes_training = layer._call_takes_training and "training" not in self.kwargs
        self.out_masked = out_masked
        if not layer._call_takes_training:
            self.kwargs.pop("training", None)


def flatten_shapes(shape):
    if isinstance(shape, list) and shape and isinstance(shape[0], (list, tuple)):
        return list(shape)
    if isinstance(shape, tuple) and shape and isinstance(shape[0], (list, tuple)):
        return list(shape)
    return [shape]


# K.function walks its plan with the same loop (it reaches this class through the registry).
Functional.walk_plan = staticmethod(_walk)
