"""The one shared layer test: what Keras 2's ``keras.utils.test_utils.layer_test`` checked, and more.

``run_layer_test`` builds a layer on one or several inputs (with call arguments and masks),
checks its shapes, dtypes, weights and outputs, runs it inside a functional model and a
Sequential, and round-trips it through ``get_config``/``from_config``, ``get_weights``/
``set_weights`` and the model JSON, asserting the same outputs every time.
"""

import contextlib

import numpy as np
import torch

from openkeras import layers
from openkeras.engine.base_layer import AttachMask
from openkeras.engine.functional import Functional
from openkeras.engine.input_layer import Input
from openkeras.engine.sequential import Sequential
from openkeras.models import model_from_json
from openkeras.utils.generic_utils import custom_object_scope

ROUND_TRIP_RTOL, ROUND_TRIP_ATOL = 1e-6, 1e-6


def _is_shape_list(shape):
    return isinstance(shape, list) and bool(shape) and isinstance(shape[0], (list, tuple))


def _random_input(shape, dtype, rng):
    shape = tuple(2 if d is None else d for d in shape)
    if "int" in dtype:
        return rng.integers(0, 5, size=shape).astype(dtype)
    if dtype == "bool":
        return rng.random(shape) > 0.3
    return rng.standard_normal(shape).astype(dtype)


def _is_array_arg(value):
    if isinstance(value, (list, tuple)):
        return bool(value) and all(isinstance(v, np.ndarray) for v in value)
    return isinstance(value, np.ndarray)


def _flat(outputs):
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


def _numpy(outputs):
    return [o.detach().cpu().numpy() for o in _flat(outputs)]


def _assert_same(actual, expected, what, rtol=ROUND_TRIP_RTOL, atol=ROUND_TRIP_ATOL):
    assert len(actual) == len(expected), f"{what}: {len(actual)} outputs, expected {len(expected)}"
    for i, (a, b) in enumerate(zip(actual, expected, strict=True)):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=f"{what}, output {i}")


class _Case:
    """The inputs, call arguments and masks of one test, symbolic and eager."""

    def __init__(self, data, dtypes, call_kwargs, masks, unpack):
        self.data, self.dtypes, self.masks, self.unpack = data, dtypes, masks, unpack
        self.literal = {k: v for k, v in call_kwargs.items() if not _is_array_arg(v)}
        self.arrays = {k: v for k, v in call_kwargs.items() if _is_array_arg(v)}
        self.multi = len(data) > 1

    def _call(self, layer, xs, array_kwargs, masks):
        kwargs = dict(self.literal, **array_kwargs)
        if masks is not None:
            kwargs["mask"] = masks if self.multi else masks[0]
        if self.unpack:
            return layer(*xs, **kwargs)
        return layer(xs if self.multi else xs[0], **kwargs)

    def eager(self, layer, **extra):
        xs = [torch.as_tensor(x) for x in self.data]
        kwargs = {k: [torch.as_tensor(a) for a in v] if isinstance(v, (list, tuple))
                  else torch.as_tensor(v) for k, v in self.arrays.items()}
        masks = None if self.masks is None else [
            None if m is None else torch.as_tensor(m) for m in self.masks]
        return self._call(layer, xs, dict(kwargs, **extra), masks)

    def symbolic(self, layer):
        """Call ``layer`` on fresh Inputs: (model inputs, outputs, model input data)."""
        xs = [Input(batch_shape=(None,) + x.shape[1:], dtype=dt)
              for x, dt in zip(self.data, self.dtypes, strict=True)]
        inputs, data = list(xs), list(self.data)
        kwargs = {}
        for key, value in self.arrays.items():
            values = list(value) if isinstance(value, (list, tuple)) else [value]
            tensors = [Input(batch_shape=(None,) + v.shape[1:], dtype=str(v.dtype)) for v in values]
            inputs += tensors
            data += values
            kwargs[key] = tensors if isinstance(value, (list, tuple)) else tensors[0]
        if self.masks is not None:
            for i, mask in enumerate(self.masks):
                if mask is not None:
                    m = Input(batch_shape=(None,) + mask.shape[1:], dtype="bool")
                    inputs.append(m)
                    data.append(mask)
                    xs[i] = AttachMask()([xs[i], m])
        return inputs, self._call(layer, xs, kwargs, None), data


def _check_shapes(symbolic, eager, batch):
    assert len(symbolic) == len(eager), f"{len(eager)} eager outputs, {len(symbolic)} symbolic"
    for i, (s, e) in enumerate(zip(symbolic, eager, strict=True)):
        want = tuple(batch if d is None else d for d in s.shape)
        assert e.shape == want, f"output {i}: eager shape {e.shape}, symbolic shape {s.shape}"
        assert str(e.dtype).replace("torch.", "") == s.dtype, (
            f"output {i}: eager dtype {e.dtype}, symbolic dtype {s.dtype}")


def _check_output_shapes(symbolic, expected):
    shapes = [tuple(t.shape) for t in symbolic]
    expected = [tuple(s) for s in expected] if _is_shape_list(expected) else [tuple(expected)]
    assert shapes[:len(expected)] == expected, f"output shapes {shapes}, expected {expected}"


def _check_weight_counts(layer, total, trainable, non_trainable):
    got = (len(layer.weights), len(layer.trainable_weights), len(layer.non_trainable_weights))
    for name, n, want in zip(("weights", "trainable weights", "non-trainable weights"), got,
                             (total, trainable, non_trainable), strict=True):
        assert want is None or n == want, f"{type(layer).__name__}: {n} {name}, expected {want}"


def _new_weights(layer, seed):
    rng = np.random.default_rng(seed)
    return [rng.uniform(0.5, 1.5, w.shape).astype(w.dtype) if w.dtype.kind == "f" else w.copy()
            for w in layer.get_weights()]


def _check_model_round_trips(model, model_data, case, expected, sequential_layer):
    """Model config and model JSON round trips (and a Sequential) give ``expected``."""
    restored = [Functional.from_config(model.get_config()), model_from_json(model.to_json())]
    for what, clone in zip(("model get_config/from_config", "model JSON"), restored, strict=True):
        assert clone.get_config() == model.get_config(), f"{what}: different config"
        clone.set_weights(model.get_weights())
        _assert_same(_numpy(clone(model_data)), expected, what)
    if sequential_layer is not None:
        seq = Sequential([Input(batch_shape=(None,) + case.data[0].shape[1:], dtype=case.dtypes[0]),
                          sequential_layer])
        seq.set_weights(model.get_weights())
        _assert_same(_numpy(seq(case.data[0])), expected, "Sequential")
        again = model_from_json(seq.to_json())
        again.set_weights(seq.get_weights())
        _assert_same(_numpy(again(case.data[0])), expected, "Sequential JSON")


def run_layer_test(layer_cls, init_kwargs=None, input_shape=None, input_dtype=None,
                   input_data=None, *, call_kwargs=None, input_mask=None, custom_objects=None,
                   unpack_inputs=False, expected_output_shape=None, expected_output_dtype=None,
                   expected_output=None, expected_output_mask=None, expected_num_weights=None,
                   expected_num_trainable_weights=None, expected_num_non_trainable_weights=None,
                   rtol=1e-5, atol=1e-5, check_training=True, check_sequential=True):
    """Build ``layer_cls(**init_kwargs)`` on its inputs and check it; return the eager output(s).

    Args:
        layer_cls: the layer class.
        init_kwargs: constructor arguments.
        input_shape: one shape (batch first; ``None`` becomes 2) or a list of shapes.
        input_dtype: one dtype, or one per input (default float32).
        input_data: one array or a list of arrays (default: seeded random data).
        call_kwargs: extra call arguments; arrays (or lists of arrays) become model inputs,
            e.g. ``initial_state``, other values are passed as given.
        input_mask: a boolean mask array, or a list with one (or None) per input.
        custom_objects: classes that deserialization needs (e.g. a custom cell).
        unpack_inputs: call ``layer(*inputs)`` instead of ``layer(inputs)`` (MultiHeadAttention).
        expected_output_shape: the symbolic output shape, or a list of them.
        expected_output_dtype: default: the input dtype when it is a float type.
        expected_output: an array, or a list with one per output (``rtol``/``atol``).
        expected_output_mask: the eager ``compute_mask`` result for the first output.
        expected_num_weights, expected_num_trainable_weights,
        expected_num_non_trainable_weights: weight counts after building.
        check_training: that a training-mode forward pass sends gradients to every
            trainable weight.
        check_sequential: also run the layer in a Sequential (single input, no call arguments).

    Checks, each raising AssertionError: output shape(s) from ``compute_output_shape``,
    symbolic and eager; dtypes; weight counts; expected output and mask; the functional model
    gives the layer's output; ``get_config``/``from_config`` gives an equal config (also with
    a ``batch_input_shape``) and, with the same weights, the same output; ``set_weights`` then
    ``get_weights`` returns the values set; the model config, model JSON and a Sequential give
    the same output; gradients reach every trainable weight.
    """
    init_kwargs = dict(init_kwargs or {})
    call_kwargs = dict(call_kwargs or {})
    if input_data is None:
        rng = np.random.default_rng(0)
        shapes = [tuple(s) for s in input_shape] if _is_shape_list(input_shape) else [tuple(input_shape)]
        dtypes = list(input_dtype) if isinstance(input_dtype, (list, tuple)) else [
            input_dtype or "float32"] * len(shapes)
        input_data = [_random_input(s, dt, rng) for s, dt in zip(shapes, dtypes, strict=True)]
    else:
        input_data = list(input_data) if isinstance(input_data, (list, tuple)) else [input_data]
    data = [np.asarray(x) for x in input_data]
    dtypes = [str(x.dtype) for x in data]
    masks = None
    if input_mask is not None:
        masks = list(input_mask) if isinstance(input_mask, (list, tuple)) else [input_mask]
    case = _Case(data, dtypes, call_kwargs, masks, unpack_inputs)
    scope = custom_object_scope(custom_objects) if custom_objects else contextlib.nullcontext()
    opts = {"expected_output_shape": expected_output_shape,
            "expected_output_dtype": expected_output_dtype, "expected_output": expected_output,
            "expected_output_mask": expected_output_mask, "expected_num_weights": expected_num_weights,
            "expected_num_trainable_weights": expected_num_trainable_weights,
            "expected_num_non_trainable_weights": expected_num_non_trainable_weights,
            "rtol": rtol, "atol": atol, "check_training": check_training,
            "check_sequential": check_sequential}
    with scope:
        return _run(layer_cls, init_kwargs, case, opts)


def _run(layer_cls, init_kwargs, case, opts):
    layer = layer_cls(**init_kwargs)
    layer.set_weights(layer.get_weights())  # Keras 2: works before the layer is built

    inputs, outputs, model_data = case.symbolic(layer)
    symbolic = _flat(outputs)
    if not case.arrays and not case.unpack:
        in_shapes = [(None,) + x.shape[1:] for x in case.data]
        computed = layer.compute_output_shape(in_shapes if case.multi else in_shapes[0])
        computed = [tuple(s) for s in computed] if _is_shape_list(computed) else [tuple(computed)]
        assert [tuple(t.shape) for t in symbolic] == computed, (
            f"compute_output_shape gives {computed}, the layer gives {[t.shape for t in symbolic]}")
    if opts["expected_output_shape"] is not None:
        _check_output_shapes(symbolic, opts["expected_output_shape"])
    _check_weight_counts(layer, opts["expected_num_weights"], opts["expected_num_trainable_weights"],
                         opts["expected_num_non_trainable_weights"])
    want_dtype = opts["expected_output_dtype"]
    if want_dtype is None and np.dtype(case.dtypes[0]).kind == "f":
        want_dtype = case.dtypes[0]
    if want_dtype is not None:
        assert symbolic[0].dtype == want_dtype, f"output dtype {symbolic[0].dtype}, expected {want_dtype}"

    eager = case.eager(layer)
    expected = _numpy(eager)
    _check_shapes(symbolic, _flat(eager), case.data[0].shape[0])
    if opts["expected_output"] is not None:
        want = opts["expected_output"]
        want = list(want) if isinstance(want, (list, tuple)) else [want]
        _assert_same(expected[:len(want)], want, "expected output", opts["rtol"], opts["atol"])
    if opts["expected_output_mask"] is not None:
        eager_inputs = [torch.as_tensor(x) for x in case.data]
        eager_masks = None if case.masks is None else [
            None if m is None else torch.as_tensor(m) for m in case.masks]
        mask = layer.compute_mask(eager_inputs if case.multi else eager_inputs[0],
                                  eager_masks if case.multi or eager_masks is None else eager_masks[0])
        got = _flat(mask)[0]
        assert got is not None, "compute_mask gave no mask"
        np.testing.assert_array_equal(got.cpu().numpy(), opts["expected_output_mask"])
        assert symbolic[0]._keras_mask is not None, "the symbolic output carries no mask"

    model = Functional(inputs, outputs)
    _assert_same(_numpy(model(model_data)), expected, "functional model")

    config = layer.get_config()
    clone = layers.deserialize(layers.serialize(layer))
    assert clone.get_config() == config, "get_config/from_config changed the config"
    case.symbolic(clone)
    values = _new_weights(layer, seed=1)
    clone.set_weights(values)
    for i, (got, want) in enumerate(zip(clone.get_weights(), values, strict=True)):
        np.testing.assert_array_equal(got, want, err_msg=f"get_weights after set_weights, weight {i}")
    layer.set_weights(values)
    with_values = _numpy(case.eager(layer))
    _assert_same(_numpy(case.eager(clone)), with_values, "from_config clone with the same weights")

    plain = not (case.multi or case.arrays or case.literal or case.masks or case.unpack)
    seq_layer = None
    if plain:  # Keras 2 also rebuilds the layer from its config with a batch_input_shape
        shaped = type(layer).from_config(dict(config, batch_input_shape=[None, *case.data[0].shape[1:]]))
        assert shaped.get_config()["batch_input_shape"] == [None, *case.data[0].shape[1:]]
    if opts["check_sequential"] and plain and len(symbolic) == 1:
        seq_layer = layers.deserialize(layers.serialize(layer))
    _check_model_round_trips(model, model_data, case, with_values, seq_layer)

    if opts["check_training"] and layer.trainable_weights:
        out = case.eager(layer, training=True) if layer._call_takes_training else case.eager(layer)
        sum(o.float().square().mean() for o in _flat(out) if o.is_floating_point()).backward()
        for w in layer.trainable_weights:
            assert w.grad is not None, f"no gradient for {w.name}"
    return expected[0] if len(expected) == 1 else expected

