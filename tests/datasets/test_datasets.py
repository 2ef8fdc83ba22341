import os
import shutil
import urllib.error
import urllib.request

import numpy as np
import pytest

from openkeras.datasets import boston_housing, fashion_mnist, imdb, mnist
from openkeras.utils.data_utils import DownloadError

SHARED = "/work/shared/datasets"
pytestmark = pytest.mark.skipif(not os.path.isdir(SHARED), reason="local dataset copies missing")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty openkeras home with downloads refused (no network in tests)."""
    home = tmp_path / "home"
    monkeypatch.setenv("OPENKERAS_HOME", str(home))
    monkeypatch.delenv("OPENKERAS_VERIFY_DATASETS", raising=False)

    def offline(url, *args, **kwargs):
        raise urllib.error.URLError(f"offline test, refused {url}")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    (home / "datasets").mkdir(parents=True)
    return home / "datasets"


def _copy(name, cache):
    dest = cache / name
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(os.path.join(SHARED, name), dest)
    return dest


def test_mnist_local_copy_fails_published_hash_clearly(cache):
    _copy("mnist.npz", cache)
    with pytest.warns(UserWarning, match="does not match the expected value"):
        with pytest.raises(DownloadError) as err:
            mnist.load_data()
    message = str(err.value)
    assert str(cache / "mnist.npz") in message
    assert mnist.MNIST_SHA256 in message
    assert "85081928fb846334f93803f51a741d2fc1afbfcdd860513ff22ebcb1668dd548" in message
    assert "OPENKERAS_VERIFY_DATASETS=0" in message and "verify=False" in message


def test_mnist_missing_offline_says_where_to_put_it(cache):
    with pytest.raises(DownloadError, match="put it at .*mnist.npz") as err:
        mnist.load_data()
    assert "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz" in str(err.value)


def _check_mnist(data):
    (x_train, y_train), (x_test, y_test) = data
    assert x_train.shape == (60000, 28, 28) and x_train.dtype == np.uint8
    assert y_train.shape == (60000,) and y_train.dtype == np.uint8
    assert x_test.shape == (10000, 28, 28) and y_test.shape == (10000,)
    np.testing.assert_array_equal(y_train[:10], [5, 0, 4, 1, 9, 2, 1, 3, 1, 4])
    np.testing.assert_array_equal(y_test[:10], [7, 2, 1, 0, 4, 1, 4, 9, 5, 9])
    assert x_train.mean() / 255 == pytest.approx(0.130660, abs=1e-6)
    assert x_train.std() / 255 == pytest.approx(0.308108, abs=1e-6)


def test_mnist_loads_with_hash_check_off(cache, monkeypatch):
    _copy("mnist.npz", cache)
    _check_mnist(mnist.load_data(verify=False))
    monkeypatch.setenv("OPENKERAS_VERIFY_DATASETS", "0")
    (x_train, _), _ = mnist.load_data()  # unchanged Keras call
    assert x_train.shape == (60000, 28, 28)


def test_fashion_mnist_published_files_pass_the_hash_check(cache):
    for name in fashion_mnist.FILES:
        _copy(os.path.join("fashion-mnist", name), cache)
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    assert x_train.shape == (60000, 28, 28) and x_train.dtype == np.uint8
    assert x_test.shape == (10000, 28, 28)
    np.testing.assert_array_equal(y_train[:10], [9, 0, 0, 3, 0, 2, 7, 2, 5, 5])
    np.testing.assert_array_equal(np.bincount(y_train), [6000] * 10)
    np.testing.assert_array_equal(np.bincount(y_test), [1000] * 10)


def test_boston_housing_split(cache):
    _copy("boston_housing.npz", cache)
    with pytest.raises(DownloadError), pytest.warns(UserWarning):
        boston_housing.load_data()
    (x_train, y_train), (x_test, y_test) = boston_housing.load_data(verify=False)
    assert x_train.shape == (404, 13) and x_test.shape == (102, 13)
    assert x_train.dtype == np.float64
    np.testing.assert_allclose(x_train[0], [1.23247, 0, 8.14, 0, 0.538, 6.142, 91.7, 3.9769, 4,
                                            307, 21, 396.9, 18.72], rtol=1e-9)
    np.testing.assert_allclose(y_train[:10], [15.2, 42.3, 50, 21.1, 17.7, 18.5, 11.3, 15.6,
                                              15.6, 14.4])
    np.testing.assert_allclose(y_test[:10], [7.2, 18.8, 19, 27, 22.2, 24.5, 31.2, 22.9, 20.5,
                                             23.2])
    with pytest.raises(ValueError, match="test_split=1.5"):
        boston_housing.load_data(test_split=1.5)


def test_imdb_word_index_passes_published_md5(cache):
    _copy("imdb_word_index.json", cache)
    index = imdb.get_word_index()
    assert len(index) == 88584 and index["the"] == 1
    assert sorted(index.values()) == list(range(1, 88585))
