"""Training state in model files: the epoch count and every random generator's state.

With the weights and the optimizer state (``optimizer_weights``, which holds ``iterations``,
the step a learning-rate schedule reads), this is what a run needs to continue bitwise as if it
had never stopped: the global torch generator (shuffling order, Dropout, noise layers), the CUDA
generators when CUDA is in use, and numpy's and Python's global generators (image augmentation,
``pad_sequences``-style helpers). It is stored in an HDF5 group ``training_state`` as plain
datasets and attributes (never pickle); Keras and tf.keras ignore the group.

Layout: attribute ``epoch`` (epochs completed, the ``initial_epoch`` to continue from);
datasets ``torch_cpu`` (uint8), ``cuda_<i>`` (uint8, one per device), ``numpy_keys`` (uint32,
attributes ``pos``, ``has_gauss``, ``cached_gaussian``) and ``python_state`` (int64, attribute
``gauss_next``).
"""

import itertools
import random
import warnings

import numpy as np
import torch

GROUP = "training_state"
_MT_WORDS = 624  # the Mersenne Twister state numpy and Python use


def capture(model=None):
    """The current training state: ``{'epoch', 'torch_cpu', 'cuda', 'numpy', 'python'}``.

    Args:
        model: the model whose completed epoch count is recorded (0 when it never trained).
    """
    version, words, gauss_next = random.getstate()
    name, keys, pos, has_gauss, cached = np.random.get_state()
    cuda = []
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        cuda = [s.numpy() for s in torch.cuda.get_rng_state_all()]
    return {
        "epoch": int(getattr(model, "_epochs_done", 0) or 0),
        "torch_cpu": torch.get_rng_state().numpy(),
        "cuda": cuda,
        "numpy": (name, np.asarray(keys, np.uint32), int(pos), int(has_gauss), float(cached)),
        "python": (version, np.asarray(words, np.int64), gauss_next),
    }


def restore(state):
    """Set every generator to the state ``capture`` returned (CUDA ones only if present)."""
    torch.set_rng_state(torch.from_numpy(np.ascontiguousarray(state["torch_cpu"])))
    if state["cuda"] and torch.cuda.is_available():
        count = torch.cuda.device_count()
        if len(state["cuda"]) != count:
            warnings.warn(f"The saved training state has {len(state['cuda'])} CUDA generator "
                          f"state(s) but {count} CUDA device(s) are present; the CUDA "
                          "generators were not restored.", stacklevel=3)
        else:
            torch.cuda.set_rng_state_all([torch.from_numpy(np.ascontiguousarray(s))
                                          for s in state["cuda"]])
    name, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((name, keys, pos, has_gauss, cached))
    version, words, gauss_next = state["python"]
    random.setstate((version, tuple(int(w) for w in words), gauss_next))


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
    from openkeras.saving.hdf5_format import FileFormatError

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


# ------------------------------------------------------------------------ resuming
def attach(model, state):
    """Keep a loaded training state on ``model`` until ``fit`` continues from it."""
    if state is not None:
        model.__dict__["_saved_training_state"] = state
        model.__dict__["_epochs_done"] = state["epoch"]


def resume(model, initial_epoch):
    """Called by ``fit`` before its first epoch: the epoch to start from.

    A callback (``BackupAndRestore``) may have asked for an epoch (``model._resume_epoch``).
    Otherwise, when the model was loaded from a file with a training state and ``fit`` continues
    at the stored epoch (``initial_epoch=N``, N > 0), the random generators are set to their
    saved state, so the run continues exactly as the one that was saved would have. A new run
    (another ``initial_epoch``) keeps the generators as they are.
    """
    epoch = model.__dict__.pop("_resume_epoch", None)
    if epoch is not None:
        model.__dict__.pop("_saved_training_state", None)
        return epoch
    state = model.__dict__.pop("_saved_training_state", None)
    if state is not None and state["epoch"] and state["epoch"] == initial_epoch:
        restore(state)
    return initial_epoch


def skip_done_batches(model, batches):
    """For a run resumed in the middle of an epoch: pass over the batches already trained.

    The generators hold the epoch's starting state, so the first batch draws the same
    shuffling order as the interrupted run did; after the skipped batches they are set to the
    state saved with the backup.

    Returns:
        the number of batches skipped.
    """
    done = model.__dict__.pop("_resume_step", 0)
    state = model.__dict__.pop("_resume_rng", None)
    if done:
        for _ in itertools.islice(batches, done):
            pass
        restore(state)
    return done
