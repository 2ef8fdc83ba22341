import csv

import numpy as np

from openkeras import callbacks
from openkeras.engine.sequential import Sequential
from openkeras.layers.core import Dense


def _fit(cbs, epochs=2, **kwargs):
    model = Sequential([Dense(1, input_shape=(3,))])
    model.compile("sgd", "mse", metrics=["mae"])
    rng = np.random.default_rng(0)
    x, y = rng.random((16, 3)), rng.random((16, 1))
    return model.fit(x, y, epochs=epochs, batch_size=8, verbose=0, callbacks=cbs, **kwargs)


def _rows(path, delimiter=","):
    with open(path, newline="") as f:
        return list(csv.reader(f, delimiter=delimiter))


def test_one_row_per_epoch_with_sorted_keys(tmp_path):
    path = tmp_path / "log.csv"
    history = _fit([callbacks.CSVLogger(path)], epochs=3, validation_split=0.25)
    rows = _rows(path)
    assert rows[0] == ["epoch", "loss", "mae", "val_loss", "val_mae"]
    assert [r[0] for r in rows[1:]] == ["0", "1", "2"]
    for key_index, key in enumerate(rows[0][1:], start=1):
        np.testing.assert_allclose([float(r[key_index]) for r in rows[1:]],
                                   history.history[key], rtol=1e-12)


def test_append_keeps_old_rows_and_writes_the_header_once(tmp_path):
    path = tmp_path / "log.csv"
    _fit([callbacks.CSVLogger(path)], epochs=2)
    _fit([callbacks.CSVLogger(path, append=True)], epochs=2)
    rows = _rows(path)
    assert rows[0] == ["epoch", "loss", "mae", "val_loss", "val_mae"] and len(rows) == 5
    assert [r[0] for r in rows[1:]] == ["0", "1", "0", "1"]
    assert {r[3] for r in rows[1:]} == {"NA"}  # no validation: the val_ columns stay empty
    _fit([callbacks.CSVLogger(path)], epochs=1)  # append=False overwrites
    assert len(_rows(path)) == 2


def test_append_to_a_missing_file_writes_the_header(tmp_path):
    path = tmp_path / "new.csv"
    _fit([callbacks.CSVLogger(path, append=True)], epochs=1)
    assert _rows(path)[0] == ["epoch", "loss", "mae", "val_loss", "val_mae"]


def test_separator_missing_values_and_arrays(tmp_path):
    path = tmp_path / "log.tsv"

    class Extra(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 0:
                logs["vec"] = np.array([1, 2])
                logs["name"] = "a"

    # validation only in epoch 2: its columns are there from the start; epoch 2 lacks 'vec'
    history = _fit([Extra(), callbacks.CSVLogger(path, separator="\t")], epochs=2,
                   validation_split=0.25, validation_freq=[2])
    rows = _rows(path, "\t")
    assert rows[0] == ["epoch", "loss", "mae", "name", "vec", "val_loss", "val_mae",
                       "val_name", "val_vec"]
    assert rows[1][3:] == ["a", '"[1, 2]"', "NA", "NA", "NA", "NA"]
    assert rows[2][3:5] == ["NA", "NA"]
    assert float(rows[2][5]) == history.history["val_loss"][0]


def test_file_is_closed_at_train_end_and_no_batch_hooks(tmp_path):
    logger = callbacks.CSVLogger(tmp_path / "log.csv")
    _fit([logger], epochs=1)
    assert logger.csv_file is None
    assert not callbacks.CallbackList([logger]).has_batch_hooks("train")
