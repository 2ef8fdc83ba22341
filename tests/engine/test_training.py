import warnings

import numpy as np
import pytest
import torch

import openkeras as ok
from openkeras import layers, optimizers
from openkeras.callbacks import Callback
from openkeras.engine.base_layer import Layer
from openkeras.engine.input_layer import Input
from openkeras.engine.sequential import Sequential
from openkeras.layers.core import Dense, Dropout


class Recorder(Layer):
    """Identity layer that remembers the batches it sees in training."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen = []

    def call(self, inputs, training=None):
        if training:
            self.seen.append(inputs.detach().clone())
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape


def _linear_model(units=1, activation=None, input_dim=3):
    return Sequential([Dense(units, activation=activation, input_shape=(input_dim,))])


def _data(n=40, dim=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, dim)).astype("float32"), rng.standard_normal((n, 1)).astype("float32")


def test_fit_learns_and_returns_history():
    ok.utils.set_random_seed(0)
    x, _ = _data(64)
    y = x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32")
    model = _linear_model()
    model.compile(optimizers.SGD(0.1), "mse", metrics=["mae"])
    history = model.fit(x, y, epochs=5, batch_size=16, verbose=0)
    assert history is model.history
    assert history.epoch == [0, 1, 2, 3, 4]
    assert set(history.history) == {"loss", "mae"}
    assert history.history["loss"][-1] < history.history["loss"][0] * 0.5
    assert history.params["epochs"] == 5 and history.params["steps"] == 4


def test_epoch_loss_is_batch_size_weighted_mean_and_mse_matches_numpy():
    x, y = _data(10)
    model = _linear_model()
    model.compile(optimizers.SGD(0.0), "mse")
    history = model.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False)
    k, b = model.get_weights()
    expected = np.mean((x @ k + b - y) ** 2)
    np.testing.assert_allclose(history.history["loss"][0], expected, rtol=1e-5)
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0), expected, rtol=1e-5)


def test_validation_split_takes_the_last_samples_before_shuffling():
    x, y = _data(50)
    x[40:] = 100.0  # the last 20% are recognizable
    rec = Recorder(input_shape=(3,))
    model = Sequential([rec, Dense(1)])
    model.compile(optimizers.SGD(0.0), "mse")
    history = model.fit(x, y, epochs=2, batch_size=8, validation_split=0.2, verbose=0)
    seen = torch.cat(rec.seen)
    assert seen.shape[0] == 80 and float(seen.max()) < 100.0
    expected = model.evaluate(x[40:], y[40:], verbose=0)
    np.testing.assert_allclose(history.history["val_loss"][-1], expected, rtol=1e-5)


def test_validation_data_tuple_with_weights_and_validation_freq():
    x, y = _data(20)
    model = _linear_model()
    model.compile(optimizers.SGD(0.0), "mse")
    w = np.linspace(0, 2, 20).astype("float32")
    h = model.fit(x, y, epochs=4, verbose=0, validation_data=(x, y, w), validation_freq=2)
    assert len(h.history["loss"]) == 4 and len(h.history["val_loss"]) == 2
    k, b = model.get_weights()
    expected = np.sum(((x @ k + b - y) ** 2)[:, 0] * w) / 20
    np.testing.assert_allclose(h.history["val_loss"][-1], expected, rtol=1e-5)
    with pytest.raises(ValueError, match="2 \\(x_val, y_val\\) or 3"):
        model.fit(x, y, validation_data=(x,), verbose=0)


def _batches_per_epoch(shuffle, epochs=2):
    x = np.arange(24, dtype="float32").reshape(24, 1)
    rec = Recorder(input_shape=(1,))
    model = Sequential([rec, Dense(1)])
    model.compile("sgd", "mse")
    model.fit(x, x, batch_size=6, epochs=epochs, shuffle=shuffle, verbose=0)
    return [[b[:, 0].tolist() for b in rec.seen[i * 4:(i + 1) * 4]] for i in range(epochs)]


def test_shuffle_false_keeps_order_and_true_reshuffles_every_epoch():
    ok.utils.set_random_seed(3)
    fixed = _batches_per_epoch(False)
    assert fixed[0] == fixed[1] == [list(map(float, range(i, i + 6))) for i in range(0, 24, 6)]
    shuffled = _batches_per_epoch(True)
    assert shuffled[0] != shuffled[1]
    assert sorted(sum(shuffled[0], [])) == list(map(float, range(24)))
    blocks = _batches_per_epoch("batch")
    for epoch in blocks:  # 'batch' shuffles whole blocks: each batch stays a contiguous run
        for batch in epoch:
            assert sorted(batch) == list(map(float, range(int(min(batch)), int(min(batch)) + 6)))


def test_class_weight_and_sample_weight_match_hand_computed_loss():
    x, _ = _data(8)
    y = np.array([0, 1, 1, 0, 1, 0, 0, 1], dtype="float32")
    model = _linear_model(activation="sigmoid")
    model.compile(optimizers.SGD(0.0), "binary_crossentropy")
    k, b = model.get_weights()
    p = np.clip(1 / (1 + np.exp(-(x @ k + b)))[:, 0], 1e-7, 1 - 1e-7)
    bce = -(y * np.log(p + 1e-7) + (1 - y) * np.log(1 - p + 1e-7))
    cw = {0: 1.0, 1: 3.0}
    h = model.fit(x, y, batch_size=8, class_weight=cw, verbose=0)
    np.testing.assert_allclose(h.history["loss"][0], np.mean(bce * np.where(y == 1, 3.0, 1.0)),
                               rtol=1e-5)
    sw = np.arange(8, dtype="float32")
    h = model.fit(x, y, batch_size=8, sample_weight=sw, verbose=0)
    np.testing.assert_allclose(h.history["loss"][0], np.mean(bce * sw), rtol=1e-5)
    h = model.fit(x, y, batch_size=8, sample_weight=sw, class_weight=cw, verbose=0)
    np.testing.assert_allclose(h.history["loss"][0],
                               np.mean(bce * sw * np.where(y == 1, 3.0, 1.0)), rtol=1e-5)
    with pytest.raises(ValueError, match="class_weight` must contain all classes"):
        model.fit(x, y, class_weight={0: 1.0}, verbose=0)


def test_class_weight_on_one_hot_targets_uses_argmax():
    x, _ = _data(6)
    y = np.eye(3, dtype="float32")[[0, 1, 2, 2, 1, 0]]
    model = _linear_model(units=3, activation="softmax")
    model.compile(optimizers.SGD(0.0), "categorical_crossentropy")
    probs = model.predict(x)
    ce = -np.log(np.clip(probs[np.arange(6), [0, 1, 2, 2, 1, 0]], 1e-7, 1))
    weights = np.array([1.0, 2.0, 5.0])[[0, 1, 2, 2, 1, 0]]
    loss = model.train_on_batch(x, y, class_weight={0: 1.0, 1: 2.0, 2: 5.0})
    np.testing.assert_allclose(loss, np.mean(ce * weights), rtol=1e-5)


def test_temporal_sample_weights():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 5, 2)).astype("float32")
    y = rng.standard_normal((4, 5, 1)).astype("float32")
    sw = rng.random((4, 5)).astype("float32")
    model = Sequential([Dense(1, input_shape=(5, 2))])
    model.compile(optimizers.SGD(0.0), "mse", sample_weight_mode="temporal")
    k, b = model.get_weights()
    per_step = ((x @ k + b - y) ** 2)[..., 0]
    loss = model.train_on_batch(x, y, sample_weight=sw)
    np.testing.assert_allclose(loss, np.sum(per_step * sw) / 20, rtol=1e-5)
    with pytest.raises(ValueError, match="timestep-wise"):
        model.fit(x, y, sample_weight=sw[:, 0], verbose=0)


def test_masked_loss_with_embedding_mask_zero():
    from openkeras.layers.embeddings import Embedding

    tokens = np.array([[3, 1, 0, 0], [2, 2, 4, 0], [1, 0, 0, 0]], dtype="int64")
    y = np.random.default_rng(2).standard_normal((3, 4, 1)).astype("float32")
    inp = Input((4,), dtype="int64")
    out = Dense(1)(Embedding(5, 2, mask_zero=True)(inp))
    model = ok.Model(inp, out)
    model.compile(optimizers.SGD(0.0), "mse", metrics=["mae"])
    pred = model.predict(tokens)
    mask = tokens != 0
    err = (pred - y)[..., 0]
    loss, mae = model.evaluate(tokens, y, verbose=0)
    np.testing.assert_allclose(loss, np.sum(err ** 2 * mask) / mask.sum(), rtol=1e-5)
    np.testing.assert_allclose(mae, np.sum(np.abs(err) * mask) / mask.sum(), rtol=1e-5)


def test_multi_output_log_names_loss_weights_and_dict_data():
    a = Input((3,), name="a")
    out1 = Dense(1, name="reg")(a)
    out2 = Dense(2, activation="softmax", name="cls")(a)
    model = ok.Model(a, [out1, out2])
    model.compile(optimizers.SGD(0.0), loss={"reg": "mse", "cls": "categorical_crossentropy"},
                  loss_weights={"reg": 2.0, "cls": 0.5}, metrics={"cls": ["accuracy"]})
    assert model.metrics_names == ["loss", "reg_loss", "cls_loss", "cls_accuracy"]
    x, yr = _data(10)
    yc = np.eye(2, dtype="float32")[np.arange(10) % 2]
    h = model.fit({"a": x}, {"reg": yr, "cls": yc}, batch_size=10, verbose=0)
    assert list(h.history) == ["loss", "reg_loss", "cls_loss", "cls_accuracy"]
    np.testing.assert_allclose(h.history["loss"][0],
                               2.0 * h.history["reg_loss"][0] + 0.5 * h.history["cls_loss"][0],
                               rtol=1e-5)
    results = model.evaluate(x, [yr, yc], verbose=0)
    np.testing.assert_allclose(results, [h.history[k][0] for k in model.metrics_names], rtol=1e-5)


def test_multi_output_metrics_for_every_output_and_weighted_prefix():
    a = Input((3,), name="a")
    model = ok.Model(a, [Dense(1, name="o1")(a), Dense(1, name="o2")(a)])
    model.compile("sgd", ["mse", "mae"], metrics=["mae"], weighted_metrics=["mae"])
    assert model.metrics_names == ["loss", "o1_loss", "o2_loss", "o1_mae", "o1_weighted_mae",
                                   "o2_mae", "o2_weighted_mae"]


def test_regularization_losses_are_added():
    from openkeras import regularizers

    x, y = _data(6)
    model = Sequential([Dense(1, input_shape=(3,), kernel_regularizer=regularizers.l2(0.5))])
    model.compile(optimizers.SGD(0.0), "mse")
    k, b = model.get_weights()
    expected = np.mean((x @ k + b - y) ** 2) + 0.5 * np.sum(k ** 2)
    np.testing.assert_allclose(model.train_on_batch(x, y), expected, rtol=1e-5)


def test_activity_regularizer_loss_is_collected():
    x, y = _data(6)
    model = Sequential([Dense(1, input_shape=(3,), activity_regularizer="l1")])
    model.compile(optimizers.SGD(0.0), "mse")
    out = model.predict(x)
    # Keras 2.2.4 / 2.3.1 add l1 * sum|out| over the batch (tf.keras 2 divides it by 6 here)
    expected = np.mean((out - y) ** 2) + 0.01 * np.sum(np.abs(out))
    np.testing.assert_allclose(model.test_on_batch(x, y), expected, rtol=1e-5)


def test_constraints_applied_after_each_update():
    from openkeras import constraints

    x, y = _data(16)
    model = Sequential([Dense(4, input_shape=(3,), kernel_constraint=constraints.NonNeg())])
    model.compile(optimizers.SGD(1.0), "mse")
    model.fit(x, np.repeat(-10 * y, 4, axis=1), epochs=2, verbose=0)
    assert model.get_weights()[0].min() >= 0.0


def test_trainable_change_takes_effect_at_next_compile():
    x, y = _data(16)
    model = Sequential([Dense(2, input_shape=(3,)), Dense(1)])
    first = model.layers[0]
    model.compile(optimizers.SGD(0.1), "mse")
    first.trainable = False  # not recompiled: still trained, with Keras's warning
    before = first.get_weights()[0].copy()
    with pytest.warns(UserWarning, match="Discrepancy"):
        model.fit(x, y, verbose=0)
    assert not np.allclose(first.get_weights()[0], before)
    assert first.kernel.requires_grad is False  # restored after fit
    model.compile(optimizers.SGD(0.1), "mse")
    before = first.get_weights()[0].copy()
    model.fit(x, y, verbose=0)
    np.testing.assert_array_equal(first.get_weights()[0], before)


def test_dropout_only_in_training():
    x = np.ones((4, 50), dtype="float32")
    model = Sequential([Dropout(0.5, input_shape=(50,))])
    model.compile("sgd", "mse")
    np.testing.assert_array_equal(model.predict(x), x)
    np.testing.assert_array_equal(model.predict_on_batch(x), x)


def test_set_random_seed_gives_bitwise_identical_fits():
    x, y = _data(64)

    def run():
        ok.utils.set_random_seed(42)
        model = Sequential([Dense(8, activation="relu", input_shape=(3,)), Dropout(0.3), Dense(1)])
        model.compile("adam", "mse")
        model.fit(x, y, epochs=3, batch_size=8, verbose=0)
        return model.get_weights()

    for a, b in zip(run(), run(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_deferred_build_sequential_and_torch_tensor_inputs():
    model = Sequential([Dense(4, activation="relu"), Dense(1)])
    model.compile(optimizers.SGD(0.05), "mse")
    assert model.metrics_names == ["loss"]
    x, y = _data(32)
    h = model.fit(torch.from_numpy(x), torch.from_numpy(y), epochs=2, verbose=0)
    assert model.built and model.layers[0].kernel.shape == (3, 4)
    assert len(h.history["loss"]) == 2


def test_float64_inputs_become_floatx_and_predict_returns_numpy():
    x, y = _data(8)
    model = _linear_model()
    model.compile("sgd", "mse")
    model.fit(x.astype("float64"), y.astype("float64"), verbose=0)
    out = model.predict(x.astype("float64"), batch_size=3)
    assert isinstance(out, np.ndarray) and out.dtype == np.float32 and out.shape == (8, 1)


def test_on_batch_methods_and_reset_metrics():
    x, y = _data(8)
    model = _linear_model()
    model.compile(optimizers.SGD(0.0), "mse", metrics=["mae"])
    k, b = model.get_weights()
    err = x @ k + b - y
    loss, mae = model.train_on_batch(x, y)
    np.testing.assert_allclose([loss, mae], [np.mean(err ** 2), np.mean(np.abs(err))], rtol=1e-5)
    assert model.test_on_batch(x[:4], y[:4], return_dict=True)["loss"] == pytest.approx(
        float(np.mean(err[:4] ** 2)), rel=1e-5)
    model.test_on_batch(x[:4], y[:4], reset_metrics=False)
    acc = model.test_on_batch(x[4:], y[4:], reset_metrics=False)
    np.testing.assert_allclose(acc[0], np.mean(err ** 2), rtol=1e-5)  # running over both
    np.testing.assert_allclose(model.predict_on_batch(x), x @ k + b, rtol=1e-5)


def test_predict_classes_and_proba():
    x, _ = _data(5)
    model = _linear_model(units=3, activation="softmax")
    probs = model.predict(x)
    np.testing.assert_array_equal(model.predict_classes(x), probs.argmax(-1))
    np.testing.assert_allclose(model.predict_proba(x), probs)
    binary = _linear_model(activation="sigmoid")
    np.testing.assert_array_equal(binary.predict_classes(x), (binary.predict(x) > 0.5).astype("int32"))
    linear = _linear_model()
    with pytest.warns(UserWarning, match="invalid probability"):
        linear.predict_proba(x * 100)
    functional = ok.Model(linear.inputs, linear.outputs)
    with pytest.raises(AttributeError, match="Sequential"):
        functional.predict_classes(x)


def test_callbacks_hooks_order_and_stop_training():
    events = []

    class Spy(Callback):
        def on_train_begin(self, logs=None):
            events.append("train_begin")

        def on_epoch_begin(self, epoch, logs=None):
            events.append(f"epoch_begin{epoch}")

        def on_batch_end(self, batch, logs=None):  # the Keras 2.0 name still works
            events.append(f"batch{batch}:{logs['loss']:.3f}")
            if batch == 1:
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            events.append(f"epoch_end{epoch}:{sorted(logs)}")

        def on_train_end(self, logs=None):
            events.append("train_end")

    x, y = _data(40)
    model = _linear_model()
    model.compile("sgd", "mse", metrics=["mae"])
    model.fit(x, y, batch_size=10, epochs=3, verbose=0, callbacks=[Spy()])
    assert events[0] == "train_begin" and events[1] == "epoch_begin0"
    assert events[2].startswith("batch0:") and events[3].startswith("batch1:")
    assert events[4] == "epoch_end0:['loss', 'mae']" and events[5] == "train_end"


def test_nan_loss_shows_as_nan(capsys):
    x, y = _data(8)
    y[0] = np.nan
    model = _linear_model()
    model.compile("sgd", "mse")
    h = model.fit(x, y, verbose=2)
    assert np.isnan(h.history["loss"][0])
    assert "loss: nan" in capsys.readouterr().out


def test_initial_epoch_and_keras1_nb_epoch():
    x, y = _data(8)
    model = _linear_model()
    model.compile("sgd", "mse")
    h = model.fit(x, y, epochs=3, initial_epoch=1, verbose=0)
    assert h.epoch == [1, 2]
    with pytest.warns(DeprecationWarning, match="nb_epoch"):
        h = model.fit(x, y, nb_epoch=2, verbose=0)
    assert h.epoch == [0, 1]


def test_no_warnings_in_plain_fit():
    x, y = _data(8)
    model = _linear_model()
    model.compile("sgd", "mse", metrics=["accuracy"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(x, y, verbose=0, validation_split=0.25)


def test_compile_without_loss_trains_on_losses_added_by_layers():
    from openkeras import backend as K

    class Penalty(layers.Layer):
        def call(self, x):
            self.add_loss(K.mean(K.square(x)))
            return x

    inp = ok.Input((4,))
    model = ok.Model(inp, Penalty()(layers.Dense(4)(inp)))
    model.compile(optimizer="adam")
    x = np.random.default_rng(0).random((32, 4), dtype=np.float32)
    expected = float(np.mean(model.predict(x, verbose=0) ** 2))
    history = model.fit(x, epochs=2, batch_size=32, verbose=0, validation_data=(x, None))
    assert history.history["loss"][0] == pytest.approx(expected, rel=1e-5)
    assert history.history["val_loss"][0] < history.history["loss"][0]


def test_no_loss_at_all_is_a_clear_error():
    model = ok.Sequential([layers.Dense(1, input_shape=(4,))])
    model.compile(optimizer="sgd")
    with pytest.raises(ValueError, match="no loss to optimize"):
        model.fit(np.zeros((4, 4), "float32"), verbose=0)


def test_exhausted_validation_generator_warns_instead_of_reporting_zero():
    model = Sequential([Dense(2, input_shape=(3,))])
    model.compile("sgd", "mse")
    x, y = np.ones((8, 3), "float32"), np.ones((8, 2), "float32")

    def once():
        yield x, y

    with pytest.warns(UserWarning, match="produced no batches"):
        history = model.fit(x, y, epochs=2, validation_data=once(), verbose=0)
    assert len(history.history["val_loss"]) == 1 and history.history["val_loss"][0] > 0


def test_loss_with_reduction_none_is_refused_at_compile_time():
    from openkeras import losses

    model = Sequential([Dense(2, input_shape=(3,))])
    with pytest.raises(ValueError, match="reduction='none'"):
        model.compile("sgd", losses.MeanSquaredError(reduction="none"))


def test_predict_with_more_steps_than_data_stops_after_one_pass():
    model = Sequential([Dense(2, input_shape=(3,))])
    with pytest.warns(UserWarning, match="ran out of data"):
        out = model.predict(np.ones((10, 3), "float32"), batch_size=4, steps=5)
    assert out.shape == (10, 2)
