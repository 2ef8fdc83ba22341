"""CSVLogger: stream each epoch's logs to a CSV file."""

import collections.abc
import csv
import os

import numpy as np

from openkeras.callbacks.base import Callback


class CSVLogger(Callback):
    """Write one CSV row per epoch: 'epoch' (0-based, as Keras) then the log keys, sorted.

    The columns are those of the first epoch, plus 'val_<key>' columns when the first epoch
    has no validation (it may come later, with ``validation_freq``), as the latest tf.keras 2;
    a value an epoch lacks is written 'NA'. Lists and arrays are written
    as '"[1, 2]"'. The file is flushed after every row.

    Args:
        filename: path of the CSV file (str or PathLike), e.g. 'run/log.csv'.
        separator: string separating the fields.
        append: True appends to an existing file (the header is written only if the file is
            empty), False overwrites it.
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = append
        self.keys = None
        self.writer = None
        self.csv_file = None
        self.append_header = True

    def on_train_begin(self, logs=None):
        self.append_header = True
        if self.append and os.path.exists(self.filename):
            with open(self.filename, encoding="utf-8") as f:
                self.append_header = not f.readline()
        directory = os.path.dirname(os.path.abspath(self.filename))
        if not os.path.isdir(directory):
            raise FileNotFoundError(f"CSVLogger: cannot write filename={self.filename!r}: the "
                                    f"directory {directory!r} does not exist.")
        self.csv_file = open(self.filename, "a" if self.append else "w", newline="",
                             encoding="utf-8")
        self.keys = None
        self.writer = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if not any(k.startswith("val_") for k in self.keys):
                self.keys += ["val_" + k for k in self.keys]
        if self.writer is None:
            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch", *self.keys],
                                         delimiter=self.sep)
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((k, _cell(logs[k]) if k in logs else "NA") for k in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None:
            self.csv_file.close()
        self.csv_file = None
        self.writer = None


def _cell(value):
    if isinstance(value, str) or (isinstance(value, np.ndarray) and value.ndim == 0):
        return value
    if isinstance(value, collections.abc.Iterable):
        return '"[%s]"' % ", ".join(map(str, value))
    return value
