"""K.ctc_batch_cost, K.ctc_decode and K.ctc_label_dense_to_sparse against torch and numpy.

As Keras 2.2.4 on TensorFlow, the blank is the last class and the log-probabilities are
``log(y_pred + epsilon())``, renormalized (TensorFlow's CTC ops take logits).
"""

import itertools

import numpy as np
import pytest
import torch

import openkeras.backend as K

RNG = np.random.default_rng(3)
EPS = 1e-7


def softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def numpy_ctc_nll(logp, labels, blank):
    """The CTC negative log-likelihood by the forward recursion over the blank-extended labels."""
    ext = [blank]
    for c in labels:
        ext += [c, blank]
    alpha = np.full(len(ext), -np.inf)
    alpha[0] = logp[0, blank]
    if len(ext) > 1:
        alpha[1] = logp[0, ext[1]]
    for t in range(1, len(logp)):
        new = np.full_like(alpha, -np.inf)
        for s, c in enumerate(ext):
            terms = [alpha[s]]
            if s >= 1:
                terms.append(alpha[s - 1])
            if s >= 2 and c != blank and c != ext[s - 2]:
                terms.append(alpha[s - 2])
            new[s] = np.logaddexp.reduce(terms) + logp[t, c]
        alpha = new
    return -np.logaddexp.reduce(alpha[-2:] if len(ext) > 1 else alpha[-1:])


def keras_log_probs(y_pred):
    logp = np.log(y_pred.astype(np.float64) + EPS)
    return logp - np.logaddexp.reduce(logp, axis=-1, keepdims=True)


def test_ctc_batch_cost_matches_torch_ctc_loss_and_numpy():
    batch, time, classes = 4, 12, 6  # classes 0..4 are labels, 5 is the blank
    y_pred = softmax(RNG.standard_normal((batch, time, classes))).astype("float32")
    labels = np.array([[1, 2, 2, 3], [0, 4, 0, 0], [3, 3, 3, 1], [2, 0, 0, 0]], dtype="float32")
    label_length = np.array([[4], [2], [3], [1]])
    input_length = np.array([[12], [10], [12], [7]])
    cost = K.ctc_batch_cost(labels, torch.as_tensor(y_pred), input_length, label_length)
    assert cost.shape == (batch, 1)
    # torch.nn.CTCLoss on the log of the probabilities, the blank given as the last index
    reference = torch.nn.CTCLoss(blank=classes - 1, reduction="none")(
        torch.log(torch.as_tensor(y_pred, dtype=torch.float64)).transpose(0, 1),
        torch.as_tensor(labels).long(), torch.as_tensor(input_length[:, 0]),
        torch.as_tensor(label_length[:, 0]))
    np.testing.assert_allclose(cost[:, 0].numpy(), reference.numpy(), rtol=1e-5, atol=1e-5)
    logp = keras_log_probs(y_pred)
    for i in range(batch):
        expected = numpy_ctc_nll(logp[i, :input_length[i, 0]],
                                 labels[i, :label_length[i, 0]].astype(int), classes - 1)
        np.testing.assert_allclose(float(cost[i, 0]), expected, rtol=1e-5, atol=1e-5)


def test_ctc_batch_cost_is_differentiable():
    logits = torch.randn(2, 8, 4, requires_grad=True)
    cost = K.ctc_batch_cost(torch.tensor([[0, 1], [2, 2]]), torch.softmax(logits, -1),
                            torch.tensor([[8], [8]]), torch.tensor([[2], [2]]))
    cost.sum().backward()
    assert torch.isfinite(logits.grad).all() and float(logits.grad.abs().sum()) > 0


def numpy_greedy(y_pred, lengths):
    blank = y_pred.shape[-1] - 1
    paths, scores = [], []
    for row, n in zip(y_pred, lengths, strict=True):
        best = row[:n].argmax(-1)
        path = [int(c) for k, c in enumerate(best)
                if c != blank and (k == 0 or c != best[k - 1])]
        paths.append(path)
        scores.append(-np.log(row[:n].max(-1) + EPS).sum())
    return paths, np.array(scores)


def dense(paths):
    width = max(len(p) for p in paths)
    return np.array([p + [-1] * (width - len(p)) for p in paths])


def test_ctc_decode_greedy_matches_numpy():
    y_pred = softmax(2 * RNG.standard_normal((5, 9, 4))).astype("float32")
    lengths = np.array([9, 5, 9, 1, 7])
    (decoded,), log_prob = K.ctc_decode(torch.as_tensor(y_pred), lengths)
    paths, scores = numpy_greedy(y_pred, lengths)
    np.testing.assert_array_equal(decoded.numpy(), dense(paths))
    assert log_prob.shape == (5, 1)
    np.testing.assert_allclose(log_prob[:, 0].numpy(), scores, rtol=1e-5)


def test_ctc_decode_greedy_merges_repeats_but_not_across_blanks():
    # steps: a a blank a b b -> "a a b" ; the blank is class 2
    best = [0, 0, 2, 0, 1, 1]
    y_pred = np.full((1, 6, 3), 0.1, dtype="float32")
    y_pred[0, np.arange(6), best] = 0.8
    (decoded,), _ = K.ctc_decode(y_pred, [6])
    np.testing.assert_array_equal(decoded.numpy(), [[0, 0, 1]])


def path_probability(probs, labels, blank):
    """The probability of ``labels`` summed over all alignments, by enumeration."""
    total = 0.0
    for alignment in itertools.product(range(probs.shape[1]), repeat=len(probs)):
        collapsed = [c for k, c in enumerate(alignment)
                     if c != blank and (k == 0 or c != alignment[k - 1])]
        if collapsed == labels:
            total += np.prod(probs[np.arange(len(probs)), alignment])
    return total


def test_ctc_decode_beam_search_finds_the_brute_force_best_labels():
    # 2 labels + blank over 5 steps: every label sequence and its probability by enumeration
    y_pred = softmax(RNG.standard_normal((3, 5, 3))).astype("float32")
    decoded, log_prob = K.ctc_decode(y_pred, np.full(3, 5), greedy=False, beam_width=50,
                                     top_paths=2)
    assert len(decoded) == 2 and log_prob.shape == (3, 2)
    probs = np.exp(keras_log_probs(y_pred))
    for i in range(3):
        seqs = {(): 0.0}
        for n in range(1, 6):
            for seq in itertools.product(range(2), repeat=n):
                seqs[seq] = 0.0
        scored = sorted(((path_probability(probs[i], list(s), 2), s) for s in seqs),
                        reverse=True)
        for k in range(2):
            got = [int(c) for c in decoded[k][i].numpy() if c >= 0]
            assert got == list(scored[k][1])
            np.testing.assert_allclose(float(log_prob[i, k]), np.log(scored[k][0]), rtol=1e-5)


def test_ctc_decode_beam_search_equals_greedy_on_peaked_inputs():
    best = RNG.integers(0, 5, size=(4, 10))
    y_pred = np.full((4, 10, 5), 0.01, dtype="float32")
    for i in range(4):
        y_pred[i, np.arange(10), best[i]] = 0.96
    (greedy,), _ = K.ctc_decode(y_pred, np.full(4, 10))
    (beam,), log_prob = K.ctc_decode(y_pred, np.full(4, 10), greedy=False, beam_width=10)
    np.testing.assert_array_equal(beam.numpy(), greedy.numpy())
    assert (log_prob[:, 0].numpy() > np.log(0.96) * 10 - 1e-4).all()
    with pytest.raises(ValueError, match="top_paths"):
        K.ctc_decode(y_pred, np.full(4, 10), greedy=False, beam_width=1, top_paths=2)


def test_ctc_label_dense_to_sparse_keeps_the_valid_labels():
    labels = torch.tensor([[3, 0, 7], [1, 2, 9], [5, 5, 5]])
    sparse = K.ctc_label_dense_to_sparse(labels, torch.tensor([2, 3, 0]))
    assert sparse.is_sparse and tuple(sparse.shape) == (3, 3)
    np.testing.assert_array_equal(sparse.indices().t().numpy(),
                                  [[0, 0], [0, 1], [1, 0], [1, 1], [1, 2]])
    np.testing.assert_array_equal(sparse.values().numpy(), [3, 0, 1, 2, 9])
