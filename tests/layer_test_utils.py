"""One shared helper that checks a layer the way every layer test needs."""

import numpy as np
import torch

from openkeras import layers
from openkeras.engine.functional import Functional
from openkeras.engine.input_layer import Input


def run_layer_test(layer_cls, init_kwargs=None, input_shape=None, input_dtype="float32",
                   input_data=None, expected_output_shape=None, expected_num_weights=None,
                   expected_output=None, rtol=1e-5, atol=1e-5, check_training=True):
    """Build ``layer_cls(**init_kwargs)`` on ``input_shape`` and check it.

    Checks: the symbolic output shape, the eager output shape, the weight count, the
    config round-trip (equal config and equal outputs with the same weights),
    get_weights/set_weights, and that gradients reach every trainable weight.
    Returns the eager output as a numpy array.
    """
    init_kwargs = init_kwargs or {}
    if input_data is None:
        rng = np.random.default_rng(0)
        shape = tuple(2 if d is None else d for d in input_shape)
        if "int" in input_dtype:
            input_data = rng.integers(0, 5, size=shape).astype(input_dtype)
        else:
            input_data = rng.standard_normal(shape).astype(input_dtype)
    input_shape = tuple(input_data.shape) if input_shape is None else tuple(input_shape)

    layer = layer_cls(**init_kwargs)
    x = Input(batch_shape=(None,) + tuple(input_shape[1:]), dtype=input_dtype)
    y = layer(x)
    if expected_output_shape is not None:
        assert tuple(y.shape) == tuple(expected_output_shape), (y.shape, expected_output_shape)
    if expected_num_weights is not None:
        assert len(layer.weights) == expected_num_weights, (len(layer.weights), expected_num_weights)

    out = layer(torch.as_tensor(input_data))
    out_np = out.detach().numpy()
    expected_eager = tuple(input_data.shape[0] if d is None else d for d in y.shape)
    assert out_np.shape == expected_eager, (out_np.shape, expected_eager)
    if expected_output is not None:
        np.testing.assert_allclose(out_np, expected_output, rtol=rtol, atol=atol)

    config = layer.get_config()
    clone = layers.deserialize(layers.serialize(layer))
    assert clone.get_config() == config
    clone(Input(batch_shape=(None,) + tuple(input_shape[1:]), dtype=input_dtype))
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(clone(torch.as_tensor(input_data)).detach().numpy(), out_np,
                               rtol=1e-6, atol=1e-6)
    for a, b in zip(clone.get_weights(), layer.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)

    model = Functional(x, y)
    np.testing.assert_allclose(model(torch.as_tensor(input_data)).detach().numpy(), out_np,
                               rtol=1e-6, atol=1e-6)
    if check_training and layer.trainable_weights:
        out = layer(torch.as_tensor(input_data), training=True) if layer._call_takes_training else layer(
            torch.as_tensor(input_data))
        out.float().square().mean().backward()
        for w in layer.trainable_weights:
            assert w.grad is not None, f"no gradient for {w.name}"
    return out_np
