"""Training state in model files: the epoch count and every random generator's state.

The state itself (what it holds, capturing and restoring it, resuming ``fit`` from it) is
``engine.resume``'s; this module stores it in an HDF5 group ``training_state`` as plain
datasets and attributes (never pickle); Keras and tf.keras ignore the group.

Layout: attribute ``epoch`` (epochs completed, the ``initial_epoch`` to continue from);
datasets ``torch_cpu`` (uint8), ``cuda_<i>`` (uint8, one per device), ``numpy_keys`` (uint32,
attributes ``pos``, ``has_gauss``, ``cached_gaussian``) and ``python_state`` (int64, attribute
``gauss_next``).
"""

import numpy as np
import torch

from openkeras.engine.resume import (  # noqa: F401  (the callers' names, kept here)
    attach,
    capture,
    restore,
    resume,
    skip_done_batches,
)
from openkeras.saving.errors import FileFormatError

GROUP = "training_state"
_MT_WORDS = 624  # the Mersenne Twister state numpy and Python use


# ----------------------------------------------------------------------------- files
def write(f, model, state=None, name=GROUP):
    """Store the training state of ``model`` (now, or ``state``) in group ``name`` of ``f``."""
    state = capture(model) if state is None else state
    group = f.create_group(name)
    group.attrs["epoch"] = state["epoch"]
    group.create_dataset("torch_cpu", data=state["torch_cpu"])
    for i, s in enumerate(state["cuda"]):
        group.create_dataset(f"cuda_{i}", data=s)
    algorithm, keys, pos, has_gauss, cached = state["numpy"]
    dset = group.create_dataset("numpy_keys", data=keys)
    dset.attrs["algorithm"] = algorithm
    dset.attrs["pos"], dset.attrs["has_gauss"], dset.attrs["cached_gaussian"] = (
        pos, has_gauss, cached)
    version, words, gauss_next = state["python"]
    dset = group.create_dataset("python_state", data=words)
    dset.attrs["version"] = version
    dset.attrs["gauss_next"] = np.nan if gauss_next is None else gauss_next


def write_if_trained(f, model):
    """``write`` for ``model.save``: only for a compiled model that has trained an epoch.

    A model loaded with a training state that ``fit`` has not used yet saves that state again
    (not the generators' current state), so re-saving a loaded model keeps it resumable.
    """
    if getattr(model, "optimizer", None) is None or not getattr(model, "_epochs_done", 0):
        return
    write(f, model, model.__dict__.get("_saved_training_state"))


def read(f, filepath, name=GROUP):
    """The training state stored in group ``name`` of ``f``, or None when the file has none.

    Raises:
        ValueError: the group is there but is not a valid training state (naming the file and
            the entry).
    """
    if name not in f:
        return None
    group = f[name]

    def array(key, dtype, size=None):
        if key not in group or not hasattr(group[key], "dtype"):
            raise FileFormatError(f"{filepath!r}: {group.name}/{key} is missing.")
        dset = group[key]
        if dset.dtype != dtype or dset.ndim != 1 or (size is not None and dset.shape[0] != size):
            raise FileFormatError(
                f"{filepath!r}: {group.name}/{key} should be a 1-D {np.dtype(dtype).name} array"
                f"{'' if size is None else f' of {size} values'}; it is {dset.dtype} with "
                f"shape {dset.shape}.")
        return dset[()], dset.attrs

    try:
        torch_cpu, _ = array("torch_cpu", np.uint8, torch.get_rng_state().numel())
        keys, np_attrs = array("numpy_keys", np.uint32, _MT_WORDS)
        words, py_attrs = array("python_state", np.int64, _MT_WORDS + 1)
        cuda, i = [], 0
        while f"cuda_{i}" in group:
            cuda.append(array(f"cuda_{i}", np.uint8)[0])
            i += 1
        gauss_next = float(py_attrs["gauss_next"])
        return {
            "epoch": int(group.attrs["epoch"]),
            "torch_cpu": torch_cpu,
            "cuda": cuda,
            "numpy": (str(np_attrs["algorithm"]), keys, int(np_attrs["pos"]),
                      int(np_attrs["has_gauss"]), float(np_attrs["cached_gaussian"])),
            "python": (int(py_attrs["version"]), words,
                       None if np.isnan(gauss_next) else gauss_next),
        }
    except (KeyError, TypeError, ValueError) as e:
        if isinstance(e, FileFormatError):
            raise
        raise FileFormatError(f"{filepath!r}: the {group.name} group is damaged ({e}).") from e
