"""Loaders of datasets not available offline, on small files of the published formats."""

import io
import os
import pickle
import tarfile
import urllib.error
import urllib.request

import numpy as np
import pytest

from openkeras import config
from openkeras.datasets import _loading, cifar10, cifar100, imdb, reuters
from openkeras.datasets.cifar import load_batch
from openkeras.utils.data_utils import DownloadError


@pytest.fixture
def cache(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("OPENKERAS_HOME", str(home))
    monkeypatch.delenv("OPENKERAS_VERIFY_DATASETS", raising=False)

    def offline(url, *args, **kwargs):
        raise urllib.error.URLError("offline test")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    (home / "datasets").mkdir(parents=True)
    return home / "datasets"


def _objects(seqs):
    out = np.empty(len(seqs), dtype=object)
    for i, s in enumerate(seqs):
        out[i] = list(s)
    return out


def _permutation(rng, n):
    order = np.arange(n)
    rng.shuffle(order)
    return order


TRAIN = [[1, 2, 3], [4, 5], [6]]
TEST = [[7, 8], [9]]


def test_imdb_loader_on_small_file(cache):
    np.savez(cache / "imdb.npz", x_train=_objects(TRAIN), y_train=np.array([0, 1, 0]),
             x_test=_objects(TEST), y_test=np.array([1, 0]))
    (x_train, y_train), (x_test, y_test) = imdb.load_data(verify=False)
    rng = np.random.RandomState(113)
    train_order, test_order = _permutation(rng, 3), _permutation(rng, 2)
    assert x_train.dtype == object and x_train.shape == (3,)
    assert list(x_train) == [[1] + [w + 3 for w in TRAIN[i]] for i in train_order]
    np.testing.assert_array_equal(y_train, np.array([0, 1, 0])[train_order])
    # as in Keras, num_words=None means "below the largest id": that id (9 + 3) becomes oov
    assert list(x_test) == [[1] + [w + 3 if w < 9 else 2 for w in TEST[i]] for i in test_order]
    np.testing.assert_array_equal(y_test, np.array([1, 0])[test_order])

    (x_small, _), _ = imdb.load_data(num_words=8, skip_top=2, verify=False)
    # ids outside [skip_top, num_words) become oov_char=2 (including start_char=1)
    assert list(x_small) == [[2] + [w + 3 if w + 3 < 8 else 2 for w in TRAIN[i]]
                             for i in train_order]
    (x_drop, _), _ = imdb.load_data(num_words=8, oov_char=None, start_char=None, index_from=0,
                                    verify=False)
    assert list(x_drop) == [TRAIN[i] for i in train_order]
    (x_short, y_short), _ = imdb.load_data(maxlen=3, verify=False)
    assert all(len(x) < 3 for x in x_short) and len(x_short) == len(y_short) == 1
    with pytest.raises(ValueError, match="no sequence was kept"):
        imdb.load_data(maxlen=1, verify=False)
    with pytest.raises(TypeError, match="Unrecognized keyword"):
        imdb.load_data(verify=False, bogus=1)
    with pytest.warns(DeprecationWarning):
        imdb.load_data(nb_words=5, verify=False)


def test_imdb_hash_mismatch_is_reported(cache):
    np.savez(cache / "imdb.npz", x_train=_objects(TRAIN), y_train=np.zeros(3),
             x_test=_objects(TEST), y_test=np.zeros(2))
    with pytest.warns(UserWarning), pytest.raises(DownloadError, match=imdb.IMDB_SHA256):
        imdb.load_data()


def test_reuters_loader_on_small_file(cache):
    xs = [[i + 1] * (i % 3 + 1) for i in range(10)]
    ys = np.arange(10) % 4
    np.savez(cache / "reuters.npz", x=_objects(xs), y=ys)
    (x_train, y_train), (x_test, y_test) = reuters.load_data(verify=False)
    order = _permutation(np.random.RandomState(113), 10)
    expected = [[1] + [w + 3 if w < 10 else 2 for w in xs[i]] for i in order]
    assert list(x_train) == expected[:8] and list(x_test) == expected[8:]
    np.testing.assert_array_equal(np.concatenate([y_train, y_test]), ys[order])
    (x_train, _), (x_test, _) = reuters.load_data(test_split=0.5, verify=False)
    assert len(x_train) == len(x_test) == 5


def _batch(n, seed, label_keys=("labels",), raw=False):
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
    batch = {b"batch_label": b"test batch", b"filenames": [b"img_%d.png" % i for i in range(n)],
             b"data": data.tobytes() if raw else data}
    for key in label_keys:
        batch[key.encode()] = [int(v) for v in rng.integers(0, 10, n)]
    return batch, data


def _write(path, obj):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(obj, protocol=2))


def _cifar10_files(folder):
    written = []
    for i, name in enumerate([f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]):
        batch, data = _batch(2, i, raw=(i == 1))
        _write(folder / name, batch)
        written.append((batch, data))
    return written


def test_cifar10_from_extracted_folder(cache, monkeypatch):
    written = _cifar10_files(cache / "cifar-10-batches-py")
    (x_train, y_train), (x_test, y_test) = cifar10.load_data()
    assert x_train.shape == (10, 32, 32, 3) and x_train.dtype == np.uint8
    assert y_train.shape == (10, 1) and y_train.dtype == np.uint8
    train_data = np.concatenate([d for _, d in written[:5]])
    np.testing.assert_array_equal(x_train, train_data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(y_train[:, 0], sum((b[b"labels"] for b, _ in written[:5]), []))
    np.testing.assert_array_equal(y_test[:, 0], written[5][0][b"labels"])
    assert x_test.shape == (2, 32, 32, 3)
    monkeypatch.setattr(config, "_IMAGE_DATA_FORMAT", "channels_first")
    (x_first, _), _ = cifar10.load_data()
    np.testing.assert_array_equal(x_first, train_data.reshape(-1, 3, 32, 32))


def test_cifar10_from_archive(cache, tmp_path):
    _cifar10_files(tmp_path / "src" / "cifar-10-batches-py")
    archive = cache / "cifar-10-batches-py.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tmp_path / "src" / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    with pytest.warns(UserWarning), pytest.raises(DownloadError, match=cifar10.CIFAR10_SHA256):
        cifar10.load_data()
    (x_train, _), _ = cifar10.load_data(verify=False)
    assert x_train.shape == (10, 32, 32, 3)
    assert (cache / "cifar-10-batches-py" / "test_batch").exists()


def test_cifar100_label_modes(cache):
    folder = cache / "cifar-100-python"
    train, train_data = _batch(3, 1, ("fine_labels", "coarse_labels"))
    test, _ = _batch(2, 2, ("fine_labels", "coarse_labels"))
    _write(folder / "train", train)
    _write(folder / "test", test)
    (x_train, y_fine), (x_test, _) = cifar100.load_data()
    np.testing.assert_array_equal(y_fine[:, 0], train[b"fine_labels"])
    np.testing.assert_array_equal(x_train[1], train_data[1].reshape(3, 32, 32).transpose(1, 2, 0))
    (_, y_coarse), (_, y_coarse_test) = cifar100.load_data("coarse")
    np.testing.assert_array_equal(y_coarse[:, 0], train[b"coarse_labels"])
    assert y_coarse_test.shape == (2, 1) and x_test.shape == (2, 32, 32, 3)
    with pytest.raises(ValueError, match="label_mode=middle"):
        cifar100.load_data("middle")


class _Exploit:
    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (os.makedirs, (self.target,))


def test_restricted_unpickler_refuses_code(tmp_path):
    marker = str(tmp_path / "pwned")
    batch_file = tmp_path / "data_batch_1"
    _write(batch_file, {b"data": _Exploit(marker), b"labels": [1]})
    with pytest.raises(pickle.UnpicklingError, match="Refusing to load posix.makedirs|os.makedirs"):
        load_batch(str(batch_file))
    np.savez(tmp_path / "evil.npz", x=_objects([[1]]), y=np.array([_Exploit(marker)], object))
    with pytest.raises(pickle.UnpicklingError, match="Refusing"):
        _loading.load_npz(tmp_path / "evil.npz")
    assert not os.path.exists(marker)


def test_restricted_unpickler_accepts_plain_data():
    value = {"a": [1, 2.5, "s", b"b", (3, None, True)], "arr": np.arange(6).reshape(2, 3)}
    out = _loading.restricted_load(io.BytesIO(pickle.dumps(value, protocol=2)), encoding="bytes")
    assert out["a"] == value["a"]
    np.testing.assert_array_equal(out["arr"], value["arr"])


def test_damaged_dataset_files_give_a_clear_error(tmp_path):
    from openkeras.saving import FileFormatError

    np.savez(tmp_path / "ok.npz", x=np.arange(1000, dtype="int64"))
    data = (tmp_path / "ok.npz").read_bytes()
    (tmp_path / "short.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(FileFormatError, match="short.npz"):
        _loading.load_npz(tmp_path / "short.npz")
    import zipfile

    with zipfile.ZipFile(tmp_path / "huge.npz", "w") as z:  # a header declaring 10**12 values
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False,
                                                      "shape": (10**6, 10**6)})
        z.writestr("x.npy", header.getvalue() + bytes(80))
    with pytest.raises(FileFormatError, match=r"huge.npz.*x.npy.*declares shape"):
        _loading.load_npz(tmp_path / "huge.npz")
    batch_file = tmp_path / "data_batch_1"
    _write(batch_file, {b"data": b"\x00" * 100, b"labels": [1]})
    with pytest.raises(FileFormatError, match="data_batch_1.*32x32x3"):
        load_batch(str(batch_file))
