"""Property-based tests: over generated layer configurations, the config round-trips through
JSON, and the output shape inferred on symbolic inputs is the shape real data gets."""

import json

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import openkeras
from openkeras import layers

SETTINGS = settings(max_examples=20, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])
ACTIVATIONS = st.sampled_from(["linear", "relu", "tanh", "sigmoid", "softmax", "elu"])
PADDING = st.sampled_from(["valid", "same"])


@st.composite
def dense(draw):
    shape = (draw(st.integers(1, 5)),) * draw(st.integers(0, 1)) + (draw(st.integers(1, 6)),)
    conf = {"units": draw(st.integers(1, 8)), "activation": draw(ACTIVATIONS),
            "use_bias": draw(st.booleans())}
    return layers.Dense, conf, shape


@st.composite
def conv(draw, rank):
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(rank))
    strides = tuple(draw(st.integers(1, 2)) for _ in range(rank))
    conf = {"filters": draw(st.integers(1, 4)), "kernel_size": kernel, "strides": strides,
            "padding": draw(PADDING), "activation": draw(ACTIVATIONS)}
    shape = tuple(draw(st.integers(3, 8)) for _ in range(rank)) + (draw(st.integers(1, 3)),)
    return (layers.Conv1D if rank == 1 else layers.Conv2D), conf, shape


@st.composite
def pooling(draw):
    rank = draw(st.integers(1, 2))
    kind = draw(st.sampled_from(["Max", "Average"]))
    cls = getattr(layers, f"{kind}Pooling{rank}D")
    pool = tuple(draw(st.integers(1, 3)) for _ in range(rank))
    conf = {"pool_size": pool, "padding": draw(PADDING),
            "strides": draw(st.none() | st.just(tuple(draw(st.integers(1, 2))
                                                      for _ in range(rank))))}
    shape = tuple(draw(st.integers(3, 7)) for _ in range(rank)) + (draw(st.integers(1, 3)),)
    return cls, conf, shape


@st.composite
def recurrent(draw):
    cls = draw(st.sampled_from([layers.SimpleRNN, layers.LSTM, layers.GRU]))
    conf = {"units": draw(st.integers(1, 5)), "return_sequences": draw(st.booleans()),
            "go_backwards": draw(st.booleans())}
    return cls, conf, (draw(st.integers(1, 5)), draw(st.integers(1, 4)))


@st.composite
def embedding(draw):
    conf = {"input_dim": draw(st.integers(2, 20)), "output_dim": draw(st.integers(1, 6))}
    return layers.Embedding, conf, (draw(st.integers(1, 6)),)


@st.composite
def reshaping(draw):
    dims = tuple(draw(st.integers(1, 4)) for _ in range(draw(st.integers(1, 3))))
    size = int(np.prod(dims))
    if draw(st.booleans()):
        return layers.Flatten, {}, dims
    target = draw(st.sampled_from([(size,), (size, 1), (1, size), (-1,), (-1, 1)]))
    return layers.Reshape, {"target_shape": target}, dims


LAYERS = st.one_of(dense(), conv(1), conv(2), pooling(), recurrent(), embedding(), reshaping())


def _data(cls, shape):
    rng = np.random.default_rng(0)
    if cls is layers.Embedding:
        return rng.integers(0, 2, size=(2,) + shape).astype("float32")
    return rng.standard_normal((2,) + shape).astype("float32")


@SETTINGS
@given(LAYERS)
def test_inferred_output_shape_equals_the_real_one(spec):
    cls, conf, shape = spec
    layer = cls(**conf)
    symbolic = layer(openkeras.Input(shape))
    real = openkeras.Model(layer.input, symbolic).predict(_data(cls, shape), verbose=0)
    assert tuple(symbolic.shape) == (None,) + real.shape[1:], (cls.__name__, conf, shape)
    assert tuple(layer.compute_output_shape((2,) + shape)) == real.shape


@SETTINGS
@given(LAYERS)
def test_config_round_trips_through_json(spec):
    cls, conf, shape = spec
    layer = cls(**conf)
    layer(openkeras.Input(shape))
    config = layer.get_config()
    text = json.dumps(layers.serialize(layer))
    again = layers.deserialize(json.loads(text))
    assert type(again) is cls
    assert again.get_config() == config
    assert cls.from_config(config).get_config() == config


@SETTINGS
@given(st.lists(LAYERS, min_size=1, max_size=1))
def test_model_round_trips_with_the_same_predictions(specs):
    cls, conf, shape = specs[0]
    model = openkeras.Sequential([cls(**conf, input_shape=shape)])
    again = openkeras.models.model_from_json(model.to_json())
    again.set_weights(model.get_weights())
    x = _data(cls, shape)
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=0, atol=0)
