"""Numeric comparison shared by the tests (explicit tolerances, tensors or arrays)."""

import numpy as np
import torch

RTOL, ATOL = 1e-5, 1e-6


def assert_close(actual, expected, rtol=RTOL, atol=ATOL):
    """np.testing.assert_allclose on arrays, numbers or torch tensors (detached, on the CPU)."""
    actual, expected = (x.detach().cpu().numpy() if torch.is_tensor(x) else x for x in (actual, expected))
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=rtol, atol=atol)
