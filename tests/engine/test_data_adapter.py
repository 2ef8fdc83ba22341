import numpy as np
import pytest
import torch

import openkeras as ok
from openkeras import optimizers
from openkeras.engine import data_adapter as da
from openkeras.engine.input_layer import Input
from openkeras.engine.sequential import Sequential
from openkeras.layers.core import Dense
from openkeras.layers.merge import concatenate
from openkeras.utils.data_utils import Sequence


def _data(n=32, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 3)).astype("float32"), rng.standard_normal((n, 1)).astype("float32")


def _model(lr=0.0):
    model = Sequential([Dense(1, input_shape=(3,))])
    model.compile(optimizers.SGD(lr), "mse", metrics=["mae"])
    return model


def _expected_loss(model, x, y):
    k, b = model.get_weights()
    return float(np.mean((x @ k + b - y) ** 2))


class Batches(Sequence):
    def __init__(self, x, y, batch_size):
        self.x, self.y, self.batch_size = x, y, batch_size
        self.epochs_ended = 0
        self.requested = []

    def __len__(self):
        return int(np.ceil(len(self.x) / self.batch_size))

    def __getitem__(self, i):
        self.requested.append(i)
        sl = slice(i * self.batch_size, (i + 1) * self.batch_size)
        return self.x[sl], self.y[sl]

    def on_epoch_end(self):
        self.epochs_ended += 1


def _generator(x, y, batch_size):
    while True:
        for i in range(0, len(x), batch_size):
            yield x[i:i + batch_size], y[i:i + batch_size]


def test_fit_and_evaluate_on_a_python_generator():
    x, y = _data()
    model = _model()
    h = model.fit(_generator(x, y, 8), steps_per_epoch=4, epochs=2, verbose=0)
    assert h.params["steps"] == 4 and len(h.history["loss"]) == 2
    np.testing.assert_allclose(h.history["loss"][-1], _expected_loss(model, x, y), rtol=1e-5)
    np.testing.assert_allclose(model.evaluate(_generator(x, y, 8), steps=4, verbose=0)[0],
                               _expected_loss(model, x, y), rtol=1e-5)
    preds = model.predict((xb for xb in np.split(x, 4)), steps=4)
    np.testing.assert_allclose(preds, model.predict(x), rtol=1e-6)


def test_finite_generator_without_steps_runs_until_exhausted_then_warns():
    x, y = _data(16)
    model = _model()
    gen = (b for b in [(x[:8], y[:8]), (x[8:], y[8:])])
    with pytest.warns(UserWarning, match="ran out of data"):
        h = model.fit(gen, epochs=3, verbose=0)
    assert h.epoch == [0]


def test_fit_on_sequence_shuffles_batch_order_and_calls_on_epoch_end():
    ok.utils.set_random_seed(0)
    x, y = _data(40)
    seq = Batches(x, y, 8)
    model = _model()
    model.fit(seq, epochs=3, verbose=0)
    assert seq.epochs_ended == 3
    epochs = [seq.requested[i * 5:(i + 1) * 5] for i in range(3)]
    assert all(sorted(e) == [0, 1, 2, 3, 4] for e in epochs[:3])
    assert len({tuple(e) for e in epochs[:3]}) > 1
    seq.requested.clear()
    model.fit(seq, epochs=1, shuffle=False, verbose=0)
    assert seq.requested == [0, 1, 2, 3, 4]
    assert model.evaluate(seq, verbose=0)[0] == pytest.approx(_expected_loss(model, x, y), rel=1e-5)


def test_sequence_with_worker_threads_keeps_order():
    x, y = _data(40)
    model = _model()
    seq = Batches(x, y, 8)
    preds = model.predict_generator(seq, workers=3, max_queue_size=2)
    np.testing.assert_allclose(preds, model.predict(x), rtol=1e-6)
    model.fit(_generator(x, y, 8), steps_per_epoch=5, workers=2, verbose=0)


def test_torch_dataloader_and_dataset():
    x, y = _data(24)
    ds = torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    model = _model()
    loader = torch.utils.data.DataLoader(ds, batch_size=5)
    h = model.fit(loader, epochs=2, verbose=0)
    assert h.params["steps"] == 5
    np.testing.assert_allclose(h.history["loss"][-1], _expected_loss(model, x, y), rtol=1e-5)
    h = model.fit(ds, batch_size=6, epochs=1, verbose=0)
    assert h.params["steps"] == 4
    np.testing.assert_allclose(model.evaluate(ds, verbose=0)[0], _expected_loss(model, x, y),
                               rtol=1e-5)
    preds = model.predict(torch.utils.data.TensorDataset(torch.from_numpy(x)), batch_size=7)
    np.testing.assert_allclose(preds, model.predict(x), rtol=1e-6)


def test_validation_data_as_generator():
    x, y = _data(16)
    model = _model()
    h = model.fit(x, y, epochs=1, verbose=0, validation_data=_generator(x, y, 4),
                  validation_steps=4)
    np.testing.assert_allclose(h.history["val_loss"][0], _expected_loss(model, x, y), rtol=1e-5)


def test_keras1_generator_spellings_warn():
    x, y = _data(16)
    model = _model()
    gen = _generator(x, y, 4)
    with pytest.warns(DeprecationWarning) as record:
        h = model.fit_generator(gen, samples_per_epoch=3, nb_epoch=2, max_q_size=5,
                                pickle_safe=False, verbose=0)
    messages = " ".join(str(w.message) for w in record)
    for old in ("samples_per_epoch", "nb_epoch", "max_q_size", "pickle_safe"):
        assert f"`{old}` is deprecated" in messages
    assert h.params["steps"] == 3 and h.epoch == [0, 1]
    with pytest.warns(DeprecationWarning, match="nb_val_samples"):
        model.fit_generator(gen, steps_per_epoch=2, validation_data=gen, nb_val_samples=2,
                            verbose=0)
    with pytest.warns(DeprecationWarning, match="val_samples"):
        loss = model.evaluate_generator(gen, val_samples=4)
    assert loss[0] == pytest.approx(_expected_loss(model, x, y), rel=1e-5)


def test_multi_input_lists_dicts_and_generator_batches():
    a, b = Input((2,), name="a"), Input((3,), name="b")
    model = ok.Model([a, b], Dense(1, name="out")(concatenate([a, b])))
    model.compile(optimizers.SGD(0.0), "mse")
    rng = np.random.default_rng(1)
    xa, xb = rng.random((6, 2)), rng.random((6, 3))
    y = rng.random((6, 1))
    by_list = model.evaluate([xa, xb], y, verbose=0)
    by_dict = model.evaluate({"a": xa, "b": xb}, {"out": y}, verbose=0)
    by_gen = model.evaluate((b for b in [((xa, xb), y)]), steps=1, verbose=0)
    assert by_list == pytest.approx(by_dict, rel=1e-6) and by_list == pytest.approx(by_gen, rel=1e-5)
    with pytest.raises(ValueError, match='No data provided for "b"'):
        model.evaluate({"a": xa}, y, verbose=0)


def test_bad_input_errors_before_training():
    x, y = _data(10)
    model = _model()
    with pytest.raises(ValueError, match="Found 10 input samples and 9 target samples"):
        model.fit(x, y[:9], verbose=0)
    with pytest.raises(ValueError, match="expected dense_input to have shape \\(3,\\) but got "
                                         "array with shape \\(4,\\)"):
        model.fit(np.zeros((10, 4)), y, verbose=0)
    with pytest.raises(ValueError, match="to have 2 dimensions"):
        model.fit(np.zeros((10, 3, 1)), y, verbose=0)
    with pytest.raises(ValueError, match="Expected to see 1 array"):
        model.fit([x, x], y, verbose=0)
    with pytest.raises(ValueError, match="empty"):
        model.fit(x[:0], y[:0], verbose=0)
    with pytest.raises(ValueError, match="Output of generator should be a tuple"):
        model.fit((v for v in [x, x]), steps_per_epoch=1, verbose=0)
    clf = Sequential([Dense(4, activation="softmax", input_shape=(3,))])
    clf.compile("sgd", "categorical_crossentropy")
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
        clf.fit(x, np.arange(10) % 4, verbose=0)
    clf.compile("sgd", "sparse_categorical_crossentropy", metrics=["acc"])
    h = clf.fit(x, np.arange(10) % 4, verbose=0)
    assert set(h.history) == {"loss", "acc"}


def test_fit_before_compile_is_a_clear_error():
    x, y = _data(4)
    model = Sequential([Dense(1, input_shape=(3,))])
    with pytest.raises(RuntimeError, match="must compile your model before training"):
        model.fit(x, y)
    with pytest.raises(RuntimeError, match="must compile"):
        model.evaluate(x, y)
    assert model.predict(x).shape == (4, 1)  # predict needs no compile


def test_training_batches_continue_across_epochs_and_wrap():
    xs = [torch.arange(10.0).reshape(10, 1)]
    adapter = da.ArrayAdapter((xs, [None], [None]), batch_size=4, shuffle=False, steps=2, repeat=True)
    firsts = [[b[0][0][0, 0].item() for b in adapter.batches()] for _ in range(3)]
    assert firsts == [[0.0, 4.0], [8.0, 0.0], [4.0, 8.0]]  # like tf.keras's repeated iterator


def test_evaluation_batches_stop_after_one_pass():
    xs = [torch.arange(10.0).reshape(10, 1)]
    adapter = da.ArrayAdapter((xs, [None], [None]), batch_size=4, shuffle=False, steps=5)
    with pytest.warns(UserWarning, match="ran out of data"):
        sizes = [batch[0][0].shape[0] for batch in adapter.batches()]
    assert sizes == [4, 4, 2]


def test_to_tensor_dtypes():
    assert da.to_tensor(np.zeros(3)).dtype == torch.float32
    assert da.to_tensor(np.zeros(3, dtype="int32")).dtype == torch.int32
    assert da.to_tensor(np.zeros(3, dtype="uint8"), torch.float32).dtype == torch.float32
    assert da.to_tensor([1.0, 2.0]).dtype == torch.float32


def test_loader_over_an_iterable_dataset_without_length():
    x, y = _data(10)

    class Stream(torch.utils.data.IterableDataset):
        def __iter__(self):
            return zip(torch.from_numpy(x), torch.from_numpy(y), strict=True)

    model = _model()
    hist = model.fit(torch.utils.data.DataLoader(Stream(), batch_size=4), epochs=2, verbose=0)
    assert len(hist.history["loss"]) == 2
    np.testing.assert_allclose(hist.history["loss"][-1], _expected_loss(model, x, y), rtol=1e-5)
