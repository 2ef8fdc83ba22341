"""IMDB movie reviews, labelled by sentiment and encoded as word-index sequences."""

import json

import numpy as np

from openkeras.datasets import _loading
from openkeras.engine import aliases

IMDB_SHA256 = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
WORD_INDEX_MD5 = "bfafd718b763782e994055a2d397834f"


def _take(x, indices):
    return [x[i] for i in indices]


def load_data(path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113, start_char=1,
              oov_char=2, index_from=3, *, verify=None, **kwargs):
    """Loads the IMDB dataset (25,000 training and 25,000 test reviews).

    Args:
        path: File name in the cache folder (`openkeras.config.config_dir()/datasets`).
        num_words: Keep only word ids below this (the most frequent words);
            others become `oov_char`. None keeps all.
        skip_top: Ids below this (the most frequent words) become `oov_char`.
        maxlen: Drop sequences of `maxlen` words or more. None keeps all.
        seed: Random seed for shuffling.
        start_char: Id marking the start of a sequence (0 is padding).
        oov_char: Id of removed words; None drops them instead.
        index_from: Offset added to every word id.
        verify: Check the published sha256; None reads OPENKERAS_VERIFY_DATASETS.
        **kwargs: `nb_words`, the Keras 1 name of `num_words`.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: object arrays of lists of ints
        and integer label arrays.
    """
    kwargs = aliases.rename_kwargs(kwargs, "num_words", "imdb.load_data")
    num_words = kwargs.pop("num_words", num_words)
    if kwargs:
        raise TypeError(f"Unrecognized keyword arguments: {kwargs}")
    path = _loading.fetch(path, _loading.ORIGIN_FOLDER + "imdb.npz", IMDB_SHA256, verify)
    arrays = _loading.load_npz(path)
    rng = np.random.RandomState(seed)
    splits = []
    for part in ("train", "test"):
        xs, labels = arrays["x_" + part], arrays["y_" + part]
        indices = np.arange(len(xs))
        rng.shuffle(indices)
        xs = _loading.index_words(_take(xs, indices), start_char, index_from)
        labels = labels[indices]
        if maxlen:
            xs, labels = _loading.remove_long_seq(maxlen, xs, labels)
            labels = np.asarray(labels, dtype=arrays["y_train"].dtype)
        splits.append((xs, labels))
    (x_train, y_train), (x_test, y_test) = splits
    if maxlen and (not x_train or not x_test):
        raise ValueError(
            f"After filtering for sequences shorter than maxlen={maxlen}, no sequence was kept. "
            "Increase maxlen."
        )
    xs = _loading.limit_vocabulary(x_train + x_test, num_words, skip_top, oov_char)
    idx = len(x_train)
    return ((_loading.object_array(xs[:idx]), y_train),
            (_loading.object_array(xs[idx:]), y_test))


def get_word_index(path="imdb_word_index.json", *, verify=None):
    """The dict mapping words to their index in the IMDB dataset ('the' is 1).

    Args:
        path: File name in the cache folder.
        verify: Check the published md5; None reads OPENKERAS_VERIFY_DATASETS.
    """
    path = _loading.fetch(path, _loading.ORIGIN_FOLDER + "imdb_word_index.json",
                          WORD_INDEX_MD5, verify)
    with open(path, encoding="utf-8") as f:
        return json.load(f)


# Names Keras 2 code imports from this module, resolved on first access (so this module
# imports nothing more at load time).
from openkeras.engine.lazy_exports import lazy_exports  # noqa: E402

__getattr__ = lazy_exports(__name__, {
    "get_file": "openkeras.utils.data_utils:get_file",
})
