"""Fashion-MNIST: 70,000 28x28 grayscale images of 10 kinds of clothing."""

import gzip
import os

import numpy as np

from openkeras.datasets._loading import ORIGIN_FOLDER, fetch
from openkeras.saving.errors import FileFormatError, reading

# sha256 of the four published files (Keras itself does not check them).
FILES = {
    "train-labels-idx1-ubyte.gz":
        "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    "train-images-idx3-ubyte.gz":
        "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    "t10k-labels-idx1-ubyte.gz":
        "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    "t10k-images-idx3-ubyte.gz":
        "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
}


# The largest published file unpacks to 47 MB; anything much larger is not Fashion-MNIST.
_MAX_BYTES = 64 * 2**20


def _read_idx(path, offset):
    with reading(path, "the gzip data"), gzip.open(path, "rb") as f:
        data = f.read(_MAX_BYTES + 1)
        if len(data) > _MAX_BYTES:
            raise FileFormatError(f"it unpacks to more than {_MAX_BYTES} bytes.")
        if len(data) < offset:
            raise FileFormatError(f"it holds {len(data)} bytes, less than its {offset}-byte "
                                  "header.")
        return np.frombuffer(data, np.uint8, offset=offset)


def load_data(*, verify=None):
    """Loads Fashion-MNIST, downloading it to `<cache>/datasets/fashion-mnist/` if needed.

    Args:
        verify: Check the published sha256 of each file; None reads the
            environment variable OPENKERAS_VERIFY_DATASETS (default: check).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 arrays of shapes
        (60000, 28, 28), (60000,), (10000, 28, 28) and (10000,).
    """
    subdir = os.path.join("datasets", "fashion-mnist")
    paths = [fetch(name, ORIGIN_FOLDER + name, sha, verify, cache_subdir=subdir)
             for name, sha in FILES.items()]
    y_train = _read_idx(paths[0], 8)
    x_train = _images(paths[1], len(y_train))
    y_test = _read_idx(paths[2], 8)
    x_test = _images(paths[3], len(y_test))
    return (x_train, y_train), (x_test, y_test)


def _images(path, count):
    pixels = _read_idx(path, 16)
    if pixels.size != count * 28 * 28:
        raise FileFormatError(f"Cannot load {path!r}: it holds {pixels.size} pixels, not "
                              f"{count} images of 28x28 (one per label).")
    return pixels.reshape(count, 28, 28)
# Names Keras 2 code imports from this module, resolved on first access (so this module
# imports nothing more at load time).
from openkeras.engine.lazy_exports import lazy_exports  # noqa: E402

__getattr__ = lazy_exports(__name__, {
    "get_file": "openkeras.utils.data_utils:get_file",
})
