"""Resuming training: the state a run continues from (epochs done, every random generator).

With the weights and the optimizer state (its ``iterations``, the step a learning-rate
schedule reads), this is what a run needs to continue bitwise as if it had never stopped: the
global torch generator (shuffling order, Dropout, noise layers), the CUDA generators when CUDA
is in use, and numpy's and Python's global generators (image augmentation,
``pad_sequences``-style helpers). ``fit`` calls ``resume`` and ``skip_done_batches``; the
state comes from a model file (``saving.training_state`` reads and writes its layout) or from
a ``BackupAndRestore`` backup.
"""

import itertools
import random
import warnings

import numpy as np
import torch


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
