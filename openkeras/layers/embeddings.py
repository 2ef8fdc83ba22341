"""Embedding: turns positive integer indices into dense vectors of fixed size."""

import warnings

import numpy as np
import torch
import torch.nn.functional as F

from openkeras import constraints, initializers, regularizers
from openkeras.engine import aliases
from openkeras.engine.base_layer import Layer

_INDEX_DTYPES = (torch.int32, torch.int64)


class Embedding(Layer):
    """Looks up rows of an ``(input_dim, output_dim)`` matrix: ``[[4], [20]] -> [[w4], [w20]]``.

    Args:
        input_dim: size of the vocabulary (largest index + 1).
        output_dim: size of each embedding vector.
        embeddings_initializer: initializer of the embedding matrix.
        embeddings_regularizer: regularizer of the embedding matrix.
        activity_regularizer: regularizer of the output.
        embeddings_constraint: constraint on the embedding matrix.
        mask_zero: whether index 0 is padding; the layer then outputs the mask ``inputs != 0``.
        input_length: length of the input sequences when constant (needed to connect
            Flatten then Dense downstream); an int or a tuple for inputs of rank > 2.
    Shapes: integers (batch, ...) -> floats (batch, ..., output_dim).
    """

    @aliases.legacy_arguments("Embedding")
    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, activity_regularizer=None, embeddings_constraint=None,
                 mask_zero=False, input_length=None, **kwargs):
        if "dropout" in kwargs:
            kwargs.pop("dropout")
            warnings.warn("Embedding: the `dropout` argument is no longer supported. Apply a "
                          "`SpatialDropout1D` layer right after the Embedding layer instead.",
                          DeprecationWarning, stacklevel=2)
        if "input_shape" not in kwargs and "batch_input_shape" not in kwargs:
            # As in Keras 2: the layer always knows its input rank, so it can start a Sequential.
            if isinstance(input_length, (list, tuple)):
                kwargs["input_shape"] = tuple(input_length)
            else:
                kwargs["input_shape"] = (input_length,)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        for arg, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"Both `input_dim` and `output_dim` should be positive integers. "
                                 f"Received: {arg}={value!r}")
        self.input_dim = int(input_dim)
        self.output_dim = int(output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.input_length = input_length

    def build(self, input_shape):
        self.embeddings = self.add_weight("embeddings", (self.input_dim, self.output_dim),
                                          initializer=self.embeddings_initializer,
                                          regularizer=self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint)
        self.built = True

    def call(self, inputs):
        if inputs.dtype not in _INDEX_DTYPES:
            inputs = inputs.long()
        try:
            return F.embedding(inputs, self.embeddings)
        except IndexError as e:
            bad = inputs[(inputs < 0) | (inputs >= self.input_dim)]
            raise IndexError(
                f'Layer "{self.name}" (Embedding): input indices must be in [0, {self.input_dim}) '
                f"(input_dim={self.input_dim}). Received out-of-range indices: "
                f"{bad.unique()[:10].tolist()}"
            ) from e

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return inputs != 0

    def compute_output_dtype(self, input_dtype):
        return self.dtype

    def compute_output_shape(self, input_shape):
        if self.input_length is None:
            return tuple(input_shape) + (self.output_dim,)
        lengths = list(self.input_length) if isinstance(self.input_length, (list, tuple)) else [
            self.input_length]
        if len(lengths) != len(input_shape) - 1:
            raise ValueError(f'"input_length" is {self.input_length}, but received input has shape '
                             f"{tuple(input_shape)}")
        for i, (expected, got) in enumerate(zip(lengths, input_shape[1:], strict=True)):
            if expected is not None and got is not None and expected != got:
                raise ValueError(f'"input_length" is {self.input_length}, but received input has '
                                 f"shape {tuple(input_shape)}")
            if expected is None:
                lengths[i] = got
        return (input_shape[0],) + tuple(lengths) + (self.output_dim,)

    def get_config(self):
        return {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
            "input_length": self.input_length,
        }


# Names Keras 2 code imports from this module, resolved on first access (so this module
# imports nothing more at load time).
from openkeras.engine.lazy_exports import lazy_exports  # noqa: E402

__getattr__ = lazy_exports(__name__, {
    "interfaces": "openkeras.legacy.interfaces",
    "to_list": "openkeras.utils.generic_utils:to_list",
})
