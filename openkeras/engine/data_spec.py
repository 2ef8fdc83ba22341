"""What a model takes and returns, as the data handler and the batch adapters read it."""

import dataclasses

import torch


@dataclasses.dataclass
class DataSpec:
    """What the model expects: names, shapes and dtypes of inputs and fed outputs.

    Args:
        input_names: names of the input layers, in order.
        input_shapes: batch shapes of the inputs (None entries unknown), or None to skip checks.
        input_dtypes: torch dtypes the inputs are cast to (None: keep the data's dtype).
        output_names: names of the outputs that take targets (those with a loss).
        target_dtypes: torch dtype of each fed output's targets.
        temporal: for each fed output, whether sample weights are per timestep.
        device: where batches go.
    """

    input_names: list
    input_shapes: list
    input_dtypes: list
    output_names: list
    target_dtypes: list
    temporal: list
    device: torch.device


@dataclasses.dataclass
class ModelSpec:
    """A model's answer to "what data do you take?" (``Model._data_spec``), for the data handler.

    Args:
        built: whether the model has its weights and graph (else the first data builds it).
        input_names: names of the inputs, in order (None: not known before the first data).
        input_shapes: batch shapes of the inputs, or None when the model declares none.
        input_dtypes: Keras dtype names of the inputs, or None when the model declares none.
        input_dict: whether the model's call takes its inputs as a dict keyed by name.
        output_names: names of the outputs, in order.
        output_shapes: shapes of the outputs (None entries when not known).
        masked_outputs: whether some output carries a Keras mask (the losses take it).
        added_losses: whether the model has its own ``add_loss`` losses.
        added_metric_names: names of the model's own ``add_metric`` metrics, in order.
    """

    built: bool = False
    input_names: list = None
    input_shapes: list = None
    input_dtypes: list = None
    input_dict: bool = False
    output_names: list = dataclasses.field(default_factory=lambda: ["output_1"])
    output_shapes: list = None
    masked_outputs: bool = False
    added_losses: bool = False
    added_metric_names: list = dataclasses.field(default_factory=list)
