"""HDF5 data (h5py datasets, HDF5Matrix) passed straight to fit / evaluate / predict."""

import h5py
import numpy as np
import pytest
import torch

from openkeras import optimizers
from openkeras.engine.hdf5_adapter import HDF5Batches, contains_hdf5, is_hdf5
from openkeras.engine.input_layer import Input
from openkeras.engine.sequential import Sequential
from openkeras.engine.training import Model
from openkeras.layers.core import Dense
from openkeras.layers.merge import concatenate
from openkeras.utils import set_random_seed
from openkeras.utils.io_utils import HDF5Matrix

N, BATCH = 40, 8


@pytest.fixture
def h5data(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, 3)).astype("float32")
    x[:, 0] = np.arange(N)  # row ids, to see which rows each read returns
    y = (x[:, 1:] @ np.array([[1.0], [-2.0]], dtype="float32")).astype("float32")
    path = tmp_path / "d.h5"
    with h5py.File(path, "w") as f:
        f["x"], f["y"] = x, y
    f = h5py.File(path, "r")
    yield f, x, y
    f.close()


def _model(seed=7, lr=0.01):
    set_random_seed(seed)
    model = Sequential([Dense(4, activation="tanh", input_shape=(3,)), Dense(1)])
    model.compile(optimizers.SGD(lr), "mse", metrics=["mae"])
    return model


# ------------------------------------------------------------------ HDF5Batches itself
def test_detection(h5data):
    f, x, _ = h5data
    assert is_hdf5(f["x"]) and not is_hdf5(x)
    assert contains_hdf5([x, f["x"]], None) and contains_hdf5(x, {"out": f["y"]})
    assert not contains_hdf5(x, [x], None)


def test_batches_are_contiguous_reads(h5data):
    f, x, y = h5data
    seq = HDF5Batches(f["x"], f["y"], batch_size=16)
    assert len(seq) == 3
    bx, by = seq[2]
    np.testing.assert_array_equal(bx, x[32:40])
    np.testing.assert_array_equal(by, y[32:40])
    sw = np.linspace(0, 1, N)
    assert len(HDF5Batches(f["x"], f["y"], sw, batch_size=16)[0]) == 3
    pred = HDF5Batches({"a": f["x"]}, mode="predict", batch_size=16)[1]
    np.testing.assert_array_equal(pred["a"], x[16:32])


def test_shuffle_true_is_refused_and_lengths_checked(h5data):
    f, x, _ = h5data
    with pytest.raises(ValueError, match="pass shuffle=\"batch\""):
        HDF5Batches(f["x"], f["y"], shuffle=True)
    HDF5Batches(f["x"], f["y"], shuffle=True, mode="test")  # shuffle only matters for training
    with pytest.raises(ValueError, match="40 input samples and 39 target"):
        HDF5Batches(f["x"], x[:39, :1])


# ------------------------------------------------------------- through the model (hook)
def test_fit_on_h5py_datasets_matches_numpy(h5data):
    f, x, y = h5data
    ref = _model()
    ref.fit(x, y, batch_size=BATCH, epochs=2, shuffle=False, verbose=0)
    model = _model()
    history = model.fit(f["x"], f["y"], batch_size=BATCH, epochs=2, shuffle=False, verbose=0)
    assert history.params["steps"] == N // BATCH
    for got, want in zip(model.get_weights(), ref.get_weights(), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.evaluate(f["x"], f["y"], batch_size=BATCH, verbose=0),
                               ref.evaluate(x, y, batch_size=BATCH, verbose=0), rtol=1e-5)
    np.testing.assert_allclose(model.predict(f["x"], batch_size=BATCH), ref.predict(x),
                               rtol=1e-5, atol=1e-6)


def test_shuffle_batch_reads_whole_blocks_in_a_new_order(h5data):
    f, _, y = h5data
    blocks = []

    def spy(rows):
        blocks.append(rows[:, 0].astype(int).tolist())
        return rows

    xm = HDF5Matrix(f.filename, "x", normalizer=spy)
    blocks.clear()  # the first-row probe made by HDF5Matrix itself
    model = _model()
    torch.manual_seed(3)
    model.fit(xm, y, batch_size=BATCH, epochs=2, shuffle="batch", verbose=0)
    reads = [b for b in blocks if len(b) == BATCH]
    assert all(len(b) <= BATCH for b in blocks)  # never the whole dataset at once
    assert all(b == list(range(b[0], b[0] + BATCH)) and b[0] % BATCH == 0 for b in reads)
    epochs = [[b[0] // BATCH for b in reads[-10:-5]], [b[0] // BATCH for b in reads[-5:]]]
    assert all(sorted(e) == list(range(N // BATCH)) for e in epochs)
    assert epochs[0] != list(range(N // BATCH)) or epochs[1] != list(range(N // BATCH))


def test_fit_with_shuffle_true_on_hdf5_data_is_an_error(h5data):
    f, _, _ = h5data
    with pytest.raises(ValueError, match="shuffle must be 'batch' or False for HDF5 data"):
        _model().fit(f["x"], f["y"], epochs=1, verbose=0)


def test_hdf5matrix_validation_data_and_mixed_inputs(h5data):
    f, x, y = h5data
    model = _model()
    history = model.fit(HDF5Matrix(f.filename, "x", end=32), HDF5Matrix(f.filename, "y", end=32),
                        validation_data=(HDF5Matrix(f.filename, "x", start=32),
                                         HDF5Matrix(f.filename, "y", start=32)),
                        batch_size=BATCH, epochs=1, shuffle="batch", verbose=0)
    want = model.evaluate(x[32:], y[32:], batch_size=BATCH, verbose=0)
    np.testing.assert_allclose(history.history["val_loss"][0], want[0], rtol=1e-5)

    a, b = Input((3,), name="a"), Input((2,), name="b")
    out = Dense(1, name="out")(concatenate([a, b]))
    two = Model([a, b], out)
    two.compile("sgd", "mse")
    two.fit({"a": f["x"], "b": x[:, 1:]}, f["y"], batch_size=BATCH, epochs=1, shuffle="batch",
            verbose=0)
    got = two.predict([f["x"], x[:, 1:]], batch_size=BATCH)
    np.testing.assert_allclose(got, two.predict([x, x[:, 1:]]), rtol=1e-5, atol=1e-6)
