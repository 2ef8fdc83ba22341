import json

import numpy as np
import pytest

from openkeras.preprocessing.sequence import (
    TimeseriesGenerator,
    make_sampling_table,
    pad_sequences,
    skipgrams,
    timeseries_generator_from_json,
)

SEQS = [[1], [2, 3], [4, 5, 6]]


def test_pad_sequences_padding_and_truncating():
    np.testing.assert_array_equal(pad_sequences(SEQS), [[0, 0, 1], [0, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(pad_sequences(SEQS, padding="post"),
                                  [[1, 0, 0], [2, 3, 0], [4, 5, 6]])
    np.testing.assert_array_equal(pad_sequences(SEQS, maxlen=2), [[0, 1], [2, 3], [5, 6]])
    np.testing.assert_array_equal(pad_sequences(SEQS, maxlen=2, truncating="post"),
                                  [[0, 1], [2, 3], [4, 5]])
    np.testing.assert_array_equal(pad_sequences(SEQS, maxlen=4, value=-1),
                                  [[-1, -1, -1, 1], [-1, -1, 2, 3], [-1, 4, 5, 6]])
    assert pad_sequences(SEQS).dtype == np.int32
    np.testing.assert_array_equal(pad_sequences([[], [1]]), [[0], [1]])


def test_pad_sequences_float_and_vector_items():
    out = pad_sequences([[0.5], [1.5, 2.5]], dtype="float32", padding="post")
    np.testing.assert_allclose(out, [[0.5, 0.0], [1.5, 2.5]])
    vec = pad_sequences([np.ones((1, 2)), np.ones((3, 2))], dtype="float32")
    assert vec.shape == (2, 3, 2)
    np.testing.assert_array_equal(vec[0, :, 0], [0, 0, 1])


def test_pad_sequences_strings_need_object_dtype():
    out = pad_sequences([["a"], ["b", "c"]], dtype=object, value="<pad>")
    assert out.tolist() == [["<pad>", "a"], ["b", "c"]]
    with pytest.raises(ValueError, match="dtype=object"):
        pad_sequences([["a"]], value="<pad>")


def test_pad_sequences_errors():
    with pytest.raises(ValueError, match='Padding type "middle"'):
        pad_sequences(SEQS, padding="middle")
    with pytest.raises(ValueError, match='Truncating type "middle"'):
        pad_sequences(SEQS, maxlen=1, truncating="middle")
    with pytest.raises(ValueError, match="non-iterable: 3"):
        pad_sequences([[1], 3])
    with pytest.raises(ValueError, match="must be iterable"):
        pad_sequences(5)
    with pytest.raises(ValueError, match="different from expected shape"):
        pad_sequences([np.ones((1, 2)), np.ones((1, 3))])


def test_timeseries_generator_windows_match_manual_slicing():
    data = np.arange(50).reshape(25, 2)
    targets = np.arange(25) * 10
    gen = TimeseriesGenerator(data, targets, length=10, sampling_rate=2, batch_size=2)
    assert len(gen) == 8  # windows end at 10..24 -> 15 windows
    x, y = gen[0]
    np.testing.assert_array_equal(x[0], data[0:10:2])
    np.testing.assert_array_equal(x[1], data[1:11:2])
    np.testing.assert_array_equal(y, [100, 110])
    x_last, y_last = gen[7]
    np.testing.assert_array_equal(y_last, [240])
    np.testing.assert_array_equal(x_last[0], data[14:24:2])


def test_timeseries_generator_stride_reverse_bounds():
    data = np.arange(20)
    gen = TimeseriesGenerator(data, data, length=3, stride=3, start_index=2, end_index=15,
                              reverse=True, batch_size=4)
    x, y = gen[0]
    np.testing.assert_array_equal(y, [5, 8, 11, 14])
    np.testing.assert_array_equal(x[0], [4, 3, 2])
    assert len(gen) == 1


def test_timeseries_generator_shuffle_and_errors():
    data = np.arange(30)
    np.random.seed(3)
    x, y = TimeseriesGenerator(data, data, length=4, shuffle=True, batch_size=5)[0]
    for window, target in zip(x, y, strict=True):
        np.testing.assert_array_equal(window, np.arange(target - 4, target))
    with pytest.raises(ValueError, match="Data length is 3 while target length is 2"):
        TimeseriesGenerator([1, 2, 3], [1, 2], length=1)
    with pytest.raises(ValueError, match="start_index\\+length=5 > end_index=4"):
        TimeseriesGenerator(np.arange(5), np.arange(5), length=5)


def test_timeseries_generator_json_round_trip():
    data = np.arange(12.0)
    gen = TimeseriesGenerator(data, data * 2, length=3, start_index=1, batch_size=4)
    config = json.loads(gen.to_json())
    assert config["class_name"] == "TimeseriesGenerator"
    assert json.loads(config["config"]["data"]) == data.tolist()
    copy = timeseries_generator_from_json(gen.to_json())
    assert len(copy) == len(gen)
    np.testing.assert_array_equal(copy[0][0], gen[0][0])
    np.testing.assert_array_equal(copy[1][1], gen[1][1])


def test_skipgrams_positive_pairs_and_negatives():
    couples, labels = skipgrams([1, 2, 0, 3], vocabulary_size=5, window_size=1,
                                negative_samples=0.0, shuffle=False)
    assert couples == [[1, 2], [2, 1]]  # 0 is padding, never paired
    assert labels == [1, 1]
    couples, labels = skipgrams([1, 2, 3], vocabulary_size=10, window_size=2,
                                negative_samples=2.0, seed=7)
    assert labels.count(1) == 6 and labels.count(0) == 12
    positives = {tuple(c) for c, lab in zip(couples, labels, strict=True) if lab == 1}
    assert positives == {(1, 2), (1, 3), (2, 1), (2, 3), (3, 1), (3, 2)}
    assert all(1 <= c[1] <= 9 for c, lab in zip(couples, labels, strict=True) if lab == 0)
    _, cat = skipgrams([1, 2], vocabulary_size=3, categorical=True, shuffle=False)
    assert cat == [[0, 1], [0, 1], [1, 0], [1, 0]]


def test_make_sampling_table_formula():
    table = make_sampling_table(6, sampling_factor=1e-3)
    rank = np.array([1, 1, 2, 3, 4, 5], dtype=float)
    f = 1e-3 * (rank * (np.log(rank) + 0.577) + 0.5 - 1 / (12 * rank))
    np.testing.assert_allclose(table, np.minimum(1.0, np.sqrt(f)), rtol=1e-12)
    assert np.all(np.diff(make_sampling_table(100)[1:]) > 0)
