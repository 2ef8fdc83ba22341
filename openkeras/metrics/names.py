"""Keras 2 spellings of metric log names: 'acc' and 'accuracy' name the same series.

Keras 2.2.4 logs ``metrics=['accuracy']`` as 'acc' and ``metrics=['mae']`` as
'mean_absolute_error'; Keras 2.3.1 and tf.keras log the name the user wrote. openkeras logs
the name the user wrote, and ``Logs``, ``MetricNames`` and the callbacks' ``monitor`` find
an entry under any of its spellings, with any prefix ('val_', an output name): after
``metrics=['accuracy']``, ``logs['val_acc']`` is ``logs['val_accuracy']``.

The exact key is always tried first; other spellings are searched only when it is missing,
so reading a key that is there costs what a plain dict costs.
"""

# Each group lists the spellings Keras 2 (2.2.4 / 2.3.1) or tf.keras use for one metric.
_GROUPS = (
    ("accuracy", "acc"),
    ("crossentropy", "ce"),
    ("mean_squared_error", "mse", "MSE"),
    ("mean_absolute_error", "mae", "MAE"),
    ("mean_absolute_percentage_error", "mape", "MAPE"),
    ("mean_squared_logarithmic_error", "msle", "MSLE"),
    ("kullback_leibler_divergence", "kld", "KLD", "kl_divergence"),
    ("cosine_proximity", "cosine"),
    ("binary_crossentropy", "bce", "BCE"),
    ("logcosh", "log_cosh"),
)
_CANONICAL = {name: group[0] for group in _GROUPS for name in group}
# Longest first, so that 'val_binary_crossentropy' is read as 'binary_crossentropy', not as
# 'binary_' + 'crossentropy'.
_SUFFIXES = sorted(_CANONICAL, key=len, reverse=True)


def canonical(key: str) -> str:
    """``key`` with its metric part spelled one way: 'val_acc' -> 'val_accuracy'.

    The metric part is the end of the key after a '_' (or the whole key); a key without a
    known spelling ('loss', 'val_auc') is returned unchanged.
    """
    for name in _SUFFIXES:
        if key.endswith(name):
            start = len(key) - len(name)
            if start == 0 or key[start - 1] == "_":
                return key[:start] + _CANONICAL[name]
    return key


def resolve(keys, key):
    """The entry of ``keys`` that ``key`` names under another Keras spelling, or None.

    Does not test ``key`` itself (the caller has done so).

    Args:
        keys: the available names (a dict's keys, a list).
        key: the requested name, e.g. 'val_acc'.
    """
    if not isinstance(key, str):
        return None
    target = canonical(key)
    for candidate in keys:
        if isinstance(candidate, str) and candidate != key and canonical(candidate) == target:
            return candidate
    return None


class Logs(dict):
    """A dict of logged values in which every Keras spelling of a key finds the same entry.

    Iteration, ``len``, ``keys()`` and equality see only the keys that were set, so CSV
    files, progress bars and ``json.dumps`` show each value once, under the name the user
    wrote in ``compile``. ``logs['acc']``, ``logs.get('acc')`` and ``'acc' in logs`` also
    find 'accuracy'.
    """

    __slots__ = ()

    def __missing__(self, key):
        found = resolve(self, key)
        if found is None:
            raise KeyError(key)
        return dict.__getitem__(self, found)

    def get(self, key, default=None):
        if dict.__contains__(self, key):
            return dict.__getitem__(self, key)
        found = resolve(self, key)
        return default if found is None else dict.__getitem__(self, found)

    def __contains__(self, key):
        return dict.__contains__(self, key) or resolve(self, key) is not None

    def copy(self):
        return Logs(self)

    def __repr__(self):
        return dict.__repr__(self)


class MetricNames(list):
    """``model.metrics_names``: a list whose ``in`` and ``index`` accept every Keras spelling."""

    __slots__ = ()

    def __contains__(self, name):
        return list.__contains__(self, name) or resolve(self, name) is not None

    def index(self, name, *args):
        try:
            return list.index(self, name, *args)
        except ValueError:
            found = resolve(self, name)
            if found is None:
                raise
            return list.index(self, found, *args)
