"""Reading the pickled batch files of the CIFAR-10/100 python archives, safely."""

import numpy as np

from openkeras.datasets._loading import restricted_load
from openkeras.saving.errors import FileFormatError, reading


def load_batch(fpath, label_key="labels"):
    """Read one CIFAR batch file without unpickling arbitrary objects.

    Args:
        fpath: Path to a batch file (`data_batch_1`, `test_batch`, `train`, ...).
        label_key: Key of the labels: 'labels' (CIFAR-10), 'fine_labels' or
            'coarse_labels' (CIFAR-100).

    Returns:
        `(data, labels)`: uint8 images of shape (n, 3, 32, 32) and the labels.
    """
    with reading(fpath, "the CIFAR batch"):
        with open(fpath, "rb") as f:
            batch = restricted_load(f, encoding="bytes")
        if not isinstance(batch, dict):
            raise FileFormatError(f"{fpath} is not a CIFAR batch file: it holds a "
                                  f"{type(batch).__name__}.")
        batch = {k.decode("utf8") if isinstance(k, bytes) else k: v for k, v in batch.items()}
        missing = {"data", label_key} - set(batch)
        if missing:
            raise FileFormatError(f"{fpath} is not a CIFAR batch file: it lacks {sorted(missing)}.")
        data = batch["data"]
        if isinstance(data, (bytes, bytearray)):
            data = np.frombuffer(data, np.uint8)
        data = np.asarray(data, dtype=np.uint8)
        if data.size % (3 * 32 * 32) or len(batch[label_key]) != data.size // (3 * 32 * 32):
            raise FileFormatError(f"{fpath}: {data.size} pixel values and "
                                  f"{len(batch[label_key])} labels do not make 32x32x3 images.")
        return data.reshape(-1, 3, 32, 32), batch[label_key]
