"""CIFAR-10: 60,000 32x32 colour images in 10 classes."""

import os

import numpy as np

from openkeras import config
from openkeras.datasets._loading import fetch
from openkeras.datasets.cifar import load_batch

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR10_SHA256 = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"


def load_data(*, verify=None):
    """Loads CIFAR-10, downloading and extracting it to `<cache>/datasets/` if needed.

    Args:
        verify: Check the published sha256 of the archive; None reads the
            environment variable OPENKERAS_VERIFY_DATASETS (default: check).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 images of shape
        (50000, 32, 32, 3) (channels first if `image_data_format()` says so)
        and uint8 labels of shape (50000, 1); the test set has 10000 of each.
    """
    path = fetch("cifar-10-batches-py", ORIGIN, CIFAR10_SHA256, verify, untar=True)
    batches = [load_batch(os.path.join(path, f"data_batch_{i}")) for i in range(1, 6)]
    x_train = np.concatenate([x for x, _ in batches])
    y_train = np.concatenate([np.asarray(y, dtype=np.uint8) for _, y in batches])
    x_test, y_test = load_batch(os.path.join(path, "test_batch"))
    return finish(x_train, y_train, x_test, y_test)


def finish(x_train, y_train, x_test, y_test):
    """Labels as (n, 1) uint8 columns, images in the configured data format."""
    y_train = np.asarray(y_train, dtype=np.uint8).reshape(-1, 1)
    y_test = np.asarray(y_test, dtype=np.uint8).reshape(-1, 1)
    if config.image_data_format() == "channels_last":
        x_train = x_train.transpose(0, 2, 3, 1)
        x_test = x_test.transpose(0, 2, 3, 1)
    return (x_train, y_train), (x_test.astype(x_train.dtype), y_test)


# Names Keras 2 code imports from this module, resolved on first access (so this module
# imports nothing more at load time).
from openkeras.engine.lazy_exports import lazy_exports  # noqa: E402

__getattr__ = lazy_exports(__name__, {
    "get_file": "openkeras.utils.data_utils:get_file",
})
