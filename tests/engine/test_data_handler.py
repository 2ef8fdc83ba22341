"""The data handler, the models' data questions and the one batch loop of fit/evaluate/predict."""

import warnings

import numpy as np
import pytest
import torch

import openkeras as ok
from openkeras.engine import training_loop
from openkeras.engine.data_handler import DataHandler
from openkeras.engine.input_layer import Input
from openkeras.engine.sequential import Sequential
from openkeras.layers.core import Dense


class TwoInputNet(ok.models.Model):
    """A subclassed model that takes a dict of two inputs."""

    def __init__(self):
        super().__init__(name="two_input_net")
        self.dense = Dense(2)

    def call(self, inputs):
        return self.dense(inputs["a"] + 2.0 * inputs["b"])


def _data(n=8, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, 3), dtype=np.float32), rng.random((n, 2), dtype=np.float32)


def test_compile_target_tensors_warns_that_it_is_ignored_and_fit_still_trains():
    model = Sequential([Dense(2, input_shape=(3,))])
    with pytest.warns(UserWarning, match=r"target_tensors.*ignored.*fit\(\)"):
        model.compile("sgd", "mse", target_tensors=[object()])
    x, y = _data()
    history = model.fit(x, y, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # target_tensors=None (the default) says nothing
        model.compile("sgd", "mse", target_tensors=None)


def test_each_kind_of_model_answers_its_data_spec():
    inp = Input((3,), name="features")
    functional = ok.Model(inp, Dense(2, name="scores")(inp))
    spec = functional._data_spec()
    assert spec.built and spec.input_names == ["features"] and spec.output_names == ["scores"]
    assert spec.input_shapes == [(None, 3)] and spec.output_shapes == [(None, 2)]
    deferred = Sequential([Dense(2)])
    assert not deferred._data_spec().built
    net = TwoInputNet()
    x = {"a": np.ones((4, 3), np.float32), "b": np.zeros((4, 3), np.float32)}
    spec = net._data_spec(x)  # a subclassed model takes the structure of its data
    assert spec.input_names == ["a", "b"] and spec.input_dict
    assert spec.output_names == ["output_1"] and spec.output_shapes == [None]


def test_flat_forward_matches_calling_the_model():
    x, _ = _data(5)
    inp = Input((3,))
    functional = ok.Model(inp, Dense(2)(inp))
    outs, masks = functional._flat_forward([torch.from_numpy(x)], False)
    np.testing.assert_allclose(outs[0].detach().numpy(), functional.predict(x), rtol=1e-6)
    assert masks is None
    net = TwoInputNet()
    feed = {"a": x, "b": x * 0.5}
    net.compile("sgd", "mse")
    expected = net.predict(feed)
    outs, masks = net._flat_forward([torch.from_numpy(x), torch.from_numpy(x * 0.5)], False)
    np.testing.assert_allclose(outs[0].detach().numpy(), expected, rtol=1e-6)
    assert masks is None


def test_deferred_models_are_built_from_the_first_batch_of_a_generator():
    x, y = _data(12)

    def batches():
        for i in range(0, 12, 4):
            yield x[i:i + 4], y[i:i + 4]

    model = Sequential([Dense(2)])
    model.compile("sgd", "mse")
    model.fit(batches(), steps_per_epoch=3, verbose=0)
    assert model._data_spec().input_shapes == [(None, 3)]
    net = TwoInputNet()
    net.compile("sgd", "mse")
    net.fit({"a": x, "b": x}, y, batch_size=4, verbose=0)
    assert net._data_spec().input_names == ["a", "b"]


def test_validation_split_takes_the_tail_before_shuffling():
    x, y = _data(10)
    model = Sequential([Dense(2, input_shape=(3,))])
    model.compile("sgd", "mse")
    train, val = DataHandler(model).fit_adapters(x, y, None, None, 4, True, None, 0.2, None,
                                                 None, None)
    np.testing.assert_array_equal(val.xs[0].numpy(), x[8:])
    np.testing.assert_array_equal(train.xs[0].numpy(), x[:8])
    assert train.shuffle is True and val.shuffle is False and train.steps_per_epoch == 2


class _Hooks(ok.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.events = []

    def on_train_batch_end(self, batch, logs=None):
        self.events.append(("train", batch, round(logs["loss"], 6)))
        if batch == 1:
            self.model.stop_training = True

    def on_test_batch_end(self, batch, logs=None):
        self.events.append(("test", batch))

    def on_predict_batch_end(self, batch, logs=None):
        self.events.append(("predict", batch, logs["outputs"][0].shape[0]))


def test_fit_evaluate_and_predict_run_the_one_batch_loop(monkeypatch):
    calls = []
    run_batches = training_loop.run_batches

    def spy(batches, step_fn, cbs, mode, *args, **kwargs):
        calls.append(mode)
        return run_batches(batches, step_fn, cbs, mode, *args, **kwargs)

    monkeypatch.setattr(training_loop, "run_batches", spy)
    x, y = _data(10)
    model = Sequential([Dense(2, input_shape=(3,))])
    model.compile("sgd", "mse")
    hooks = _Hooks()
    model.fit(x, y, batch_size=4, epochs=3, validation_data=(x, y), callbacks=[hooks], verbose=0)
    model.evaluate(x, y, batch_size=4, callbacks=[hooks], verbose=0)
    model.predict(x, batch_size=4, callbacks=[hooks])
    assert calls == ["train", "test", "test", "predict"]  # stopped after epoch 1's batch 1
    kinds = [(e[0], e[1]) for e in hooks.events]
    assert kinds == [("train", 0), ("train", 1), ("test", 0), ("test", 1), ("test", 2),
                     ("test", 0), ("test", 1), ("test", 2),
                     ("predict", 0), ("predict", 1), ("predict", 2)]
    assert [e[2] for e in hooks.events if e[0] == "predict"] == [4, 4, 2]
