"""MNIST handwritten digits: 60,000 training and 10,000 test images of 28x28 pixels."""

from openkeras.datasets._loading import ORIGIN_FOLDER, fetch, load_npz

MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def load_data(path="mnist.npz", *, verify=None):
    """Loads the MNIST dataset, downloading it to `<cache>/datasets/mnist.npz` if needed.

    Args:
        path: File name in the cache folder (`openkeras.config.config_dir()/datasets`).
        verify: Check the published sha256 of the file; None reads the
            environment variable OPENKERAS_VERIFY_DATASETS (default: check).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 arrays of shapes
        (60000, 28, 28), (60000,), (10000, 28, 28) and (10000,).
    """
    path = fetch(path, ORIGIN_FOLDER + "mnist.npz", MNIST_SHA256, verify)
    arrays = load_npz(path)
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


# Names Keras 2 code imports from this module, resolved on first access (so this module
# imports nothing more at load time).
from openkeras.engine.lazy_exports import lazy_exports  # noqa: E402

__getattr__ = lazy_exports(__name__, {
    "get_file": "openkeras.utils.data_utils:get_file",
})
