"""Reuters newswires labelled over 46 topics, encoded as word-index sequences."""

import json

import numpy as np

from openkeras.datasets import _loading
from openkeras.engine import aliases

REUTERS_SHA256 = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
WORD_INDEX_MD5 = "4d44cc38712099c9e383dc6e5f11a921"


def load_data(path="reuters.npz", num_words=None, skip_top=0, maxlen=None, test_split=0.2,
              seed=113, start_char=1, oov_char=2, index_from=3, *, verify=None, **kwargs):
    """Loads the Reuters newswire dataset (11,228 newswires).

    Args:
        path: File name in the cache folder (`openkeras.config.config_dir()/datasets`).
        num_words: Keep only word ids below this; others become `oov_char`.
        skip_top: Ids below this (the most frequent words) become `oov_char`.
        maxlen: Drop sequences of `maxlen` words or more. None keeps all.
        test_split: Fraction of the data kept as test set.
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
    kwargs = aliases.rename_kwargs(kwargs, "num_words", "reuters.load_data")
    num_words = kwargs.pop("num_words", num_words)
    if kwargs:
        raise TypeError(f"Unrecognized keyword arguments: {kwargs}")
    path = _loading.fetch(path, _loading.ORIGIN_FOLDER + "reuters.npz", REUTERS_SHA256, verify)
    arrays = _loading.load_npz(path)
    xs, labels = arrays["x"], arrays["y"]
    indices = np.arange(len(xs))
    np.random.RandomState(seed).shuffle(indices)
    xs = _loading.index_words([xs[i] for i in indices], start_char, index_from)
    labels = labels[indices]
    if maxlen:
        xs, labels = _loading.remove_long_seq(maxlen, xs, labels)
    xs = _loading.limit_vocabulary(xs, num_words, skip_top, oov_char)
    idx = int(len(xs) * (1 - test_split))
    return ((_loading.object_array(xs[:idx]), np.array(labels[:idx])),
            (_loading.object_array(xs[idx:]), np.array(labels[idx:])))


def get_word_index(path="reuters_word_index.json", *, verify=None):
    """The dict mapping words to their index in the Reuters dataset.

    Args:
        path: File name in the cache folder.
        verify: Check the published md5; None reads OPENKERAS_VERIFY_DATASETS.
    """
    path = _loading.fetch(path, _loading.ORIGIN_FOLDER + "reuters_word_index.json",
                          WORD_INDEX_MD5, verify)
    with open(path, encoding="utf-8") as f:
        return json.load(f)


# Names Keras 2 code imports from this module, resolved on first access (so this module
# imports nothing more at load time).
from openkeras.engine.lazy_exports import lazy_exports  # noqa: E402

__getattr__ = lazy_exports(__name__, {
    "get_file": "openkeras.utils.data_utils:get_file",
})
