"""Input and InputLayer: where a functional graph starts."""

from openkeras import config
from openkeras.engine.base_layer import Layer
from openkeras.engine.keras_tensor import KerasTensor
from openkeras.engine.node import Node
from openkeras.utils.generic_utils import is_int, legacy_kwarg, to_shape


class InputLayer(Layer):
    """The layer behind ``Input``: it has no weights and one node with no inbound layers.

    Args:
        input_shape: shape without the batch dimension.
        batch_size: fixed batch size, or None.
        batch_input_shape: full shape including the batch dimension (alternative).
        dtype: dtype of the input ('float32', 'int32', ...).
        sparse, ragged: accepted for config compatibility; only dense tensors are supported.
    """

    def __init__(self, input_shape=None, batch_size=None, dtype=None, input_tensor=None,
                 sparse=False, name=None, ragged=False, batch_input_shape=None, **kwargs):
        legacy_kwarg(kwargs, "input_dtype", "dtype", "InputLayer")
        dtype = kwargs.pop("dtype", dtype)
        if "batch_shape" in kwargs:  # Keras 3 spelling
            batch_input_shape = kwargs.pop("batch_shape")
        if kwargs.pop("optional", False):  # tf_keras >= 2.16 writes optional=False
            raise ValueError(f"InputLayer {name!r}: optional inputs are not supported.")
        if kwargs:
            raise TypeError(f"InputLayer: unrecognized keyword arguments: {sorted(kwargs)}")
        if sparse:
            raise ValueError(f"InputLayer {name!r}: sparse inputs are not supported by openkeras.")
        if isinstance(dtype, dict):
            dtype = dtype.get("config", {}).get("name")
        if name is None:  # tf.keras numbers inputs from 1: input_1, input_2, ...
            from openkeras.engine.naming import get_uid

            name = f"input_{get_uid('input')}"
        super().__init__(name=name, dtype=dtype or config.floatx())
        if batch_input_shape is not None:
            shape = to_shape(batch_input_shape, "batch_shape", f"InputLayer {name!r}")
        elif input_shape is not None:
            if is_int(input_shape):
                input_shape = (input_shape,)
            if not isinstance(input_shape, (tuple, list)):
                raise ValueError(f"Input {name!r}: `shape` must be a tuple of integers, without "
                                 f"the batch dimension. Received: shape={input_shape!r}")
            shape = (batch_size,) + to_shape(input_shape, "shape", f"InputLayer {name!r}")
        else:
            raise ValueError(
                f"InputLayer {name!r}: an Input needs `shape` (or `batch_shape`). "
                "Received: shape=None, batch_shape=None"
            )
        if not all(d is None or (isinstance(d, int) or hasattr(d, "__index__")) and d >= 0
                   for d in shape):
            raise ValueError(f"Input {name!r}: `shape` must be a tuple of non-negative integers "
                             "(None for unknown sizes), without the batch dimension. Received: "
                             f"shape={input_shape if batch_input_shape is None else None}, "
                             f"batch_shape={batch_input_shape}")
        self._batch_input_shape = tuple(None if d is None else int(d) for d in shape)
        self.sparse = False
        self.ragged = bool(ragged)
        self.is_placeholder = True
        self.built = True
        tensor = KerasTensor(self._batch_input_shape, self._dtype, name=name)
        Node(self, inputs=[], outputs=tensor)

    def get_config(self):
        return {
            "batch_input_shape": list(self._batch_input_shape),
            "dtype": self._dtype,
            "sparse": self.sparse,
            "ragged": self.ragged,
            "name": self._name,
            "optional": False,  # tf_keras >= 2.16 writes it (openkeras has no optional inputs)
        }


def Input(shape=None, batch_size=None, name=None, dtype=None, sparse=False, tensor=None,
          ragged=False, batch_shape=None, **kwargs):
    """A symbolic input for a functional model.

    Args:
        shape: input shape without the batch dimension, e.g. ``(32,)``; None for unknown sizes.
        batch_size: fixed batch size (optional).
        name: a unique name for the input layer.
        dtype: the input's dtype (default floatx).
        batch_shape: full shape including the batch dimension, instead of shape/batch_size.
    """
    if shape is None and batch_shape is None:
        raise ValueError(
            "Please provide to Input either a `shape` or a `batch_shape` argument. Note that "
            "`shape` does not include the batch dimension."
        )
    if is_int(shape):
        shape = (int(shape),)
    layer = InputLayer(input_shape=shape, batch_size=batch_size, name=name, dtype=dtype,
                       sparse=sparse, ragged=ragged, batch_input_shape=batch_shape, **kwargs)
    return layer._inbound_nodes[0].outputs


# Names Keras 2 code imports from this module, resolved on first access (openkeras.engine.keras2_names).
from openkeras.engine.keras2_names import INPUT_LAYER as _KERAS2  # noqa: E402
from openkeras.engine.lazy_exports import lazy_exports  # noqa: E402

__getattr__ = lazy_exports(__name__, _KERAS2)
