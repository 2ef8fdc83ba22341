"""CIFAR-100: 60,000 32x32 colour images in 100 fine (20 coarse) classes."""

import os

from openkeras.datasets._loading import fetch
from openkeras.datasets.cifar import load_batch
from openkeras.datasets.cifar10 import finish

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
CIFAR100_SHA256 = "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"


def load_data(label_mode="fine", *, verify=None):
    """Loads CIFAR-100, downloading and extracting it to `<cache>/datasets/` if needed.

    Args:
        label_mode: 'fine' (100 classes) or 'coarse' (20 super-classes).
        verify: Check the published sha256 of the archive; None reads the
            environment variable OPENKERAS_VERIFY_DATASETS (default: check).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 images of shape
        (50000, 32, 32, 3) (channels first if `image_data_format()` says so)
        and uint8 labels of shape (50000, 1); the test set has 10000 of each.
    """
    if label_mode not in ("fine", "coarse"):
        raise ValueError(
            f'`label_mode` must be one of `"fine"`, `"coarse"`. Received: label_mode={label_mode}.'
        )
    path = fetch("cifar-100-python", ORIGIN, CIFAR100_SHA256, verify, untar=True)
    x_train, y_train = load_batch(os.path.join(path, "train"), label_key=label_mode + "_labels")
    x_test, y_test = load_batch(os.path.join(path, "test"), label_key=label_mode + "_labels")
    return finish(x_train, y_train, x_test, y_test)


# Names Keras 2 code imports from this module, resolved on first access (so this module
# imports nothing more at load time).
from openkeras.engine.lazy_exports import lazy_exports  # noqa: E402

__getattr__ = lazy_exports(__name__, {
    "get_file": "openkeras.utils.data_utils:get_file",
})
