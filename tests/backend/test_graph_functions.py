"""Every public K, activation, loss and metric function records a graph node on graph tensors
and computes the same values as its eager call on torch tensors."""

import inspect

import numpy as np
import pytest
import torch

import openkeras as ok
from openkeras import activations, losses, metrics
from openkeras import backend as K
from openkeras.engine.keras_tensor import KerasTensor

CONFIG_FUNCTIONS = {"epsilon", "floatx", "image_data_format", "normalize_data_format",
                    "set_epsilon", "set_floatx", "set_image_data_format",
                    "image_dim_ordering", "set_image_dim_ordering"}
NOT_FUNCTIONS = {"serialize", "deserialize", "get"}


_OURS = ("openkeras.backend", "openkeras.activations", "openkeras.losses", "openkeras.metrics")


def _public(module, skip=()):
    """The public functions of ``module`` that openkeras's public modules define."""
    return sorted(name for name, value in vars(module).items()
                  if not name.startswith("_") and inspect.isfunction(value) and name not in skip
                  and value.__module__.startswith(_OURS))


def test_every_public_backend_function_records_or_is_listed():
    names = _public(K, CONFIG_FUNCTIONS)
    assert len(names) > 100
    missing = [n for n in names if n not in K.NOT_RECORDED
               and not getattr(getattr(K, n), "symbolic_dispatch", False)]
    assert missing == []


@pytest.mark.parametrize("module, skip", [
    (activations, NOT_FUNCTIONS),
    (losses, NOT_FUNCTIONS | {"squeeze_or_expand_dimensions", "compute_weighted_loss",
                              "check_target_shape", "is_categorical_crossentropy"}),
    (metrics, NOT_FUNCTIONS | {"clone_metric", "clone_metrics"}),
])
def test_every_public_activation_loss_metric_function_records(module, skip):
    names = _public(module, skip)
    assert names
    assert [n for n in names if not getattr(getattr(module, n), "symbolic_dispatch", False)] == []


def assert_graph_equals_eager(fn, *values):
    """fn on graph placeholders through K.function == fn on torch tensors."""
    holders = [K.placeholder(shape=(None,) + v.shape[1:], dtype=v.dtype.name) for v in values]
    graph = fn(*holders)
    assert isinstance(graph, KerasTensor)
    eager = fn(*[torch.tensor(v) for v in values])
    got = K.function(holders, [graph])(list(values))[0]
    want = eager.detach().numpy()
    shape = K.int_shape(graph)
    assert len(shape) == want.ndim
    assert all(d is None or d == w for d, w in zip(shape, want.shape, strict=True))
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


RNG = np.random.default_rng(0)
X = RNG.uniform(0.05, 0.95, (3, 5)).astype("float32")
Y = RNG.uniform(0.05, 0.95, (3, 5)).astype("float32")


def _unary_backend_functions():
    """Backend functions that take one float tensor (found by calling them eagerly)."""
    found = []
    for name in _public(K, CONFIG_FUNCTIONS | K.NOT_RECORDED):
        if name.startswith("random") or name in {"dropout", "print_tensor", "truncated_normal"}:
            continue
        try:
            out = getattr(K, name)(torch.tensor(X))
        except Exception:  # noqa: BLE001 - this only lists the one-argument functions
            continue
        if isinstance(out, torch.Tensor) and out.is_floating_point() == out.is_floating_point():
            found.append(name)
    return found


UNARY = _unary_backend_functions()


def test_the_walk_finds_the_common_unary_functions():
    assert {"square", "exp", "softmax", "sum", "batch_flatten", "l2_normalize", "sigmoid",
            "cumsum", "abs"} <= set(UNARY)


@pytest.mark.parametrize("name", UNARY)
def test_unary_backend_function_graph_equals_eager(name):
    assert_graph_equals_eager(getattr(K, name), X)


@pytest.mark.parametrize("name", _public(activations, NOT_FUNCTIONS))
def test_activation_graph_equals_eager(name):
    assert_graph_equals_eager(getattr(activations, name), X)


@pytest.mark.parametrize("name", _public(losses, NOT_FUNCTIONS | {
    "squeeze_or_expand_dimensions", "compute_weighted_loss", "check_target_shape",
    "is_categorical_crossentropy"}))
def test_loss_graph_equals_eager(name):
    y_true = np.array([0, 4, 2]) if name.startswith("sparse") else Y
    assert_graph_equals_eager(getattr(losses, name), y_true, X)


@pytest.mark.parametrize("name", _public(metrics, NOT_FUNCTIONS | {"clone_metric", "clone_metrics"}))
def test_metric_graph_equals_eager(name):
    y_true = np.array([0, 4, 2]) if name.startswith("sparse") else (Y > 0.5).astype("float32")
    assert_graph_equals_eager(getattr(metrics, name), y_true, X)


def test_binary_functions_operators_indexing_and_slicing():
    assert_graph_equals_eager(lambda a, b: K.maximum(a, b) + K.dot(a, K.ones((5, 7)))[:, :5] * 2, X, Y)
    assert_graph_equals_eager(lambda a, b: K.concatenate([a, b], axis=-1)[:, 1:7:2] - a[:, :3] ** 2, X, Y)
    assert_graph_equals_eager(lambda a, b: K.switch(K.greater(a, b), a, b) / (1 + abs(-b)), X, Y)
    assert_graph_equals_eager(lambda a, b: K.batch_dot(a, b, axes=1) @ K.ones((1, 2)), X, Y)


def test_shape_of_a_graph_tensor_is_a_graph_tensor():
    x = K.placeholder(shape=(None, 4, 6))
    s = K.shape(x)
    assert K.is_keras_tensor(s) and K.int_shape(s) == (3,)
    flat = K.reshape(x, (K.shape(x)[0], -1))
    assert K.int_shape(flat) == (None, 24)
    noise = K.random_normal(K.shape(x), stddev=0.0)
    filled = K.zeros(K.shape(x)[1:]) if False else K.cast(K.shape(x), "float32")
    f = K.function([x], [s, flat, noise + x, filled, K.shape(x)[0] * 2])
    value = np.arange(48, dtype="float32").reshape(2, 4, 6)
    got = f([value])
    np.testing.assert_array_equal(got[0], [2, 4, 6])
    np.testing.assert_array_equal(got[1], value.reshape(2, 24))
    np.testing.assert_array_equal(got[2], value)
    np.testing.assert_array_equal(got[3], [2.0, 4.0, 6.0])
    assert int(got[4]) == 4
    assert got[0].dtype == np.int32


def test_graph_functions_on_model_outputs_keep_keras_shapes():
    inp = ok.Input((8,))
    out = ok.layers.Dense(3)(inp)
    loss = losses.categorical_crossentropy(K.softmax(out), activations.softmax(out))
    assert K.int_shape(loss) == (None,) and loss._keras_shape == (None,)


def test_functions_returning_several_tensors_record_one_node():
    x = K.placeholder(shape=(None, 5, 3))

    def step(inputs, states):
        h = K.tanh(inputs + states[0])
        return h, [h]

    last, outputs, states = K.rnn(step, x, [K.zeros_like(x[:, 0, :])])
    assert K.int_shape(last) == (None, 3) and K.int_shape(outputs) == (None, 5, 3)
    assert last._keras_history[0] is outputs._keras_history[0] is states[0]._keras_history[0]
    value = RNG.standard_normal((2, 5, 3)).astype("float32")
    got = K.function([x], [last, outputs, states[0]])([value])
    want = K.rnn(step, torch.tensor(value), [torch.zeros(2, 3)])
    for g, w in zip(got, [want[0], want[1], want[2][0]], strict=True):
        np.testing.assert_allclose(g, w.numpy(), atol=1e-6)
