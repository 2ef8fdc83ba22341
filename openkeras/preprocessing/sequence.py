"""Sequence preprocessing: padding, time-series windows and skip-gram pairs."""

import json
import random

import numpy as np

from openkeras.utils.data_utils import Sequence


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre",
                  value=0.0) -> np.ndarray:
    """Pad (or truncate) sequences to a common length.

    Args:
        sequences: List of sequences (each a list or array; its items may be arrays).
        maxlen: Length of the output; the longest sequence when None.
        dtype: Output dtype (use `object` for variable-length strings).
        padding: 'pre' or 'post': pad before or after each sequence.
        truncating: 'pre' or 'post': cut values at the start or the end of
            sequences longer than `maxlen`.
        value: Padding value.

    Returns:
        Array of shape `(len(sequences), maxlen) + item_shape`.
    """
    if not hasattr(sequences, "__len__"):
        raise ValueError("`sequences` must be iterable.")
    lengths = []
    sample_shape = ()
    found_shape = False
    for x in sequences:
        try:
            lengths.append(len(x))
        except TypeError as e:
            raise ValueError(
                f"`sequences` must be a list of iterables. Found non-iterable: {x}"
            ) from e
        if not found_shape and len(x):
            sample_shape = np.asarray(x).shape[1:]
            found_shape = True
    if maxlen is None:
        maxlen = max(lengths, default=0)
    elif not isinstance(maxlen, (int, np.integer)) or maxlen < 0:
        raise ValueError("pad_sequences: `maxlen` must be a non-negative integer or None. "
                         f"Received: maxlen={maxlen!r}")
    if isinstance(value, str) and np.dtype(dtype).kind not in ("O", "U", "S"):
        raise ValueError(
            f"`dtype` {dtype} is not compatible with `value`'s type: {type(value)}\n"
            "You should set `dtype=object` for variable length strings."
        )
    x = np.full((len(sequences), maxlen) + sample_shape, value, dtype=dtype)
    for idx, s in enumerate(sequences):
        if not len(s) or maxlen == 0:
            continue
        if truncating == "pre":
            trunc = s[-maxlen:]
        elif truncating == "post":
            trunc = s[:maxlen]
        else:
            raise ValueError(f'Truncating type "{truncating}" not understood')
        trunc = np.asarray(trunc, dtype=dtype)
        if trunc.shape[1:] != sample_shape:
            raise ValueError(
                f"Shape of sample {trunc.shape[1:]} of sequence at position {idx} is different "
                f"from expected shape {sample_shape}"
            )
        if padding == "post":
            x[idx, : len(trunc)] = trunc
        elif padding == "pre":
            x[idx, -len(trunc):] = trunc
        else:
            raise ValueError(f'Padding type "{padding}" not understood')
    return x


def make_sampling_table(size, sampling_factor=1e-5) -> np.ndarray:
    """Word-rank based sampling probabilities for `skipgrams` (Zipf's law).

    Args:
        size: Number of words (ranks 0..size-1, most frequent first).
        sampling_factor: The sampling factor of the word2vec formula.

    Returns:
        Array of length `size`: the probability of sampling the i-th most common word.
    """
    gamma = 0.577
    rank = np.arange(size, dtype="float64")
    rank[0] = 1
    inv_fq = rank * (np.log(rank) + gamma) + 0.5 - 1.0 / (12.0 * rank)
    f = sampling_factor * inv_fq
    return np.minimum(1.0, f / np.sqrt(f))


def skipgrams(sequence, vocabulary_size, window_size=4, negative_samples=1.0, shuffle=True,
              categorical=False, sampling_table=None, seed=None):
    """Skip-gram word pairs: (word, context word) labelled 1 and random pairs labelled 0.

    Args:
        sequence: A sequence of word indices; 0 is skipped (padding).
        vocabulary_size: One more than the largest word index.
        window_size: Distance within which words count as context.
        negative_samples: Ratio of negative to positive pairs.
        shuffle: Whether to shuffle the pairs.
        categorical: Labels as `[0, 1]`/`[1, 0]` instead of 1/0.
        sampling_table: Array from `make_sampling_table`; word `i` is kept with
            probability `sampling_table[i]`.
        seed: Random seed for the shuffle.

    Returns:
        `(couples, labels)`: lists of `[word, context]` pairs and their labels.
    """
    couples = []
    labels = []
    for i, wi in enumerate(sequence):
        if not wi:
            continue
        if sampling_table is not None and sampling_table[wi] < random.random():
            continue
        for j in range(max(0, i - window_size), min(len(sequence), i + window_size + 1)):
            if j != i and sequence[j]:
                couples.append([wi, sequence[j]])
                labels.append([0, 1] if categorical else 1)
    if negative_samples > 0:
        num_negative = int(len(labels) * negative_samples)
        words = [c[0] for c in couples]
        random.shuffle(words)
        couples += [[words[i % len(words)], random.randint(1, vocabulary_size - 1)]
                    for i in range(num_negative)]
        labels += [[1, 0] if categorical else 0 for _ in range(num_negative)]
    if shuffle:
        if seed is None:
            seed = random.randint(0, 10_000_000)
        random.seed(seed)
        random.shuffle(couples)
        random.seed(seed)
        random.shuffle(labels)
    return couples, labels


class TimeseriesGenerator(Sequence):
    """Batches of sliding windows over a time series, with the target after each window.

    Args:
        data: Indexable series (list or array) with time as the first axis.
        targets: Targets aligned with `data` (same length).
        length: Length of each output window, in time steps before sampling.
        sampling_rate: Period between successive steps inside a window.
        stride: Period between successive windows.
        start_index: First time step usable as the start of a window.
        end_index: Last time step usable as a target (default: the last one).
        shuffle: Draw the windows at random instead of in order.
        reverse: Return each window in reverse time order.
        batch_size: Windows per batch (the last batch may be smaller).
    """

    def __init__(self, data, targets, length, sampling_rate=1, stride=1, start_index=0,
                 end_index=None, shuffle=False, reverse=False, batch_size=128):
        if len(data) != len(targets):
            raise ValueError(
                f"Data and targets have to be of same length. Data length is {len(data)} "
                f"while target length is {len(targets)}"
            )
        self.data = data
        self.targets = targets
        self.length = length
        self.sampling_rate = sampling_rate
        self.stride = stride
        self._start_index = start_index
        self.start_index = start_index + length
        self.end_index = len(data) - 1 if end_index is None else end_index
        self.shuffle = shuffle
        self.reverse = reverse
        self.batch_size = batch_size
        if self.start_index > self.end_index:
            raise ValueError(
                f"`start_index+length={self.start_index} > end_index={self.end_index}` is "
                "disallowed, as no part of the sequence would be left to be used as current step."
            )

    def __len__(self):
        span = self.batch_size * self.stride
        return (self.end_index - self.start_index + span) // span

    def __getitem__(self, index):
        if self.shuffle:
            rows = np.random.randint(self.start_index, self.end_index + 1, size=self.batch_size)
        else:
            i = self.start_index + self.batch_size * self.stride * index
            rows = np.arange(i, min(i + self.batch_size * self.stride, self.end_index + 1),
                             self.stride)
        samples = np.array([self.data[row - self.length:row:self.sampling_rate] for row in rows])
        targets = np.array([self.targets[row] for row in rows])
        if self.reverse:
            return samples[:, ::-1, ...], targets
        return samples, targets

    def get_config(self) -> dict:
        """The constructor arguments, with `data` and `targets` as JSON strings."""

        def to_json(values, what):
            if isinstance(values, np.ndarray):
                values = values.tolist()
            try:
                return json.dumps(values)
            except TypeError as e:
                raise TypeError(f"{what} is not JSON serializable: {values!r}") from e

        return {
            "data": to_json(self.data, "Data"),
            "targets": to_json(self.targets, "Targets"),
            "length": self.length,
            "sampling_rate": self.sampling_rate,
            "stride": self.stride,
            "start_index": self._start_index,
            "end_index": self.end_index,
            "shuffle": self.shuffle,
            "reverse": self.reverse,
            "batch_size": self.batch_size,
        }

    def to_json(self, **kwargs) -> str:
        """A JSON string `{"class_name": "TimeseriesGenerator", "config": ...}`."""
        return json.dumps({"class_name": type(self).__name__, "config": self.get_config()},
                          **kwargs)


def timeseries_generator_from_json(json_string) -> TimeseriesGenerator:
    """Rebuild a `TimeseriesGenerator` from the output of its `to_json()`."""
    config = dict(json.loads(json_string)["config"])
    config["data"] = np.array(json.loads(config["data"]))
    config["targets"] = np.array(json.loads(config["targets"]))
    return TimeseriesGenerator(**config)


# Names Keras 2 code imports from this module, resolved on first access (so this module
# imports nothing more at load time).
from openkeras.engine.lazy_exports import lazy_exports  # noqa: E402

__getattr__ = lazy_exports(__name__, {
    "utils": "openkeras.utils",
})
