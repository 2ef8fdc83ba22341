"""Boston housing prices (StatLib): 506 samples of 13 attributes.

Keras's documentation discourages this dataset for ethical reasons (one
attribute encodes the proportion of Black residents); it is here so that
classic tutorials run.
"""

import numpy as np

from openkeras.datasets._loading import ORIGIN_FOLDER, fetch, load_npz

BOSTON_SHA256 = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"


def load_data(path="boston_housing.npz", test_split=0.2, seed=113, *, verify=None):
    """Loads the Boston housing dataset, shuffled with `seed` and split by `test_split`.

    Args:
        path: File name in the cache folder (`openkeras.config.config_dir()/datasets`).
        test_split: Fraction of the data kept as test set, in [0, 1).
        seed: Random seed for shuffling before the split.
        verify: Check the published sha256; None reads OPENKERAS_VERIFY_DATASETS.

    Returns:
        `(x_train, y_train), (x_test, y_test)` as float64 arrays.
    """
    if not 0 <= test_split < 1:
        raise ValueError(f"`test_split` must be in [0, 1). Received: test_split={test_split}")
    path = fetch(path, ORIGIN_FOLDER + "boston_housing.npz", BOSTON_SHA256, verify)
    arrays = load_npz(path)
    x, y = arrays["x"], arrays["y"]
    indices = np.arange(len(x))
    np.random.RandomState(seed).shuffle(indices)
    x, y = x[indices], y[indices]
    split = int(len(x) * (1 - test_split))
    return (np.array(x[:split]), np.array(y[:split])), (np.array(x[split:]), np.array(y[split:]))


# Names Keras 2 code imports from this module, resolved on first access (so this module
# imports nothing more at load time).
from openkeras.engine.lazy_exports import lazy_exports  # noqa: E402

__getattr__ = lazy_exports(__name__, {
    "get_file": "openkeras.utils.data_utils:get_file",
})
