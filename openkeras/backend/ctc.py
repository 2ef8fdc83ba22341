"""CTC: ``K.ctc_batch_cost``, ``K.ctc_decode`` and ``K.ctc_label_dense_to_sparse``.

As Keras 2.2.4 on TensorFlow: ``y_pred`` holds softmax probabilities (batch, time, classes),
the blank is the last class, and the log-probabilities are ``log(y_pred + epsilon())``
(renormalized, as TensorFlow's CTC ops do with their logits).
"""

import numpy as np
import torch
import torch.nn.functional as F

from openkeras import config
from openkeras.backend.common import to_tensor


def _lengths(x, op):
    x = to_tensor(x, op)
    return x.reshape(-1).to(torch.int64)


def _log_probs(y_pred, op):
    y_pred = to_tensor(y_pred, op)
    if y_pred.dim() != 3:
        raise ValueError(f"K.{op} expects `y_pred` of shape (batch, time, classes). Received: "
                         f"y_pred of shape {tuple(y_pred.shape)}")
    return y_pred, torch.log(y_pred + config.epsilon())


def ctc_label_dense_to_sparse(labels, label_lengths):
    """The first ``label_lengths[i]`` labels of each row of ``labels`` as a sparse COO tensor.

    Args:
        labels: (batch, max_length) integer labels.
        label_lengths: (batch,) the number of valid labels of each row.

    Returns:
        A coalesced ``torch.sparse_coo_tensor`` of ``labels``'s shape holding the valid labels
        (zeros among them stored explicitly), like TensorFlow's SparseTensor.
    """
    labels = to_tensor(labels, "ctc_label_dense_to_sparse")
    lengths = _lengths(label_lengths, "ctc_label_dense_to_sparse")
    if labels.dim() != 2 or lengths.shape[0] != labels.shape[0]:
        raise ValueError(f"K.ctc_label_dense_to_sparse expects labels (batch, max_length) and "
                         f"label_lengths (batch,). Received: labels of shape "
                         f"{tuple(labels.shape)}, label_lengths of shape {tuple(lengths.shape)}")
    keep = torch.arange(labels.shape[1], device=labels.device)[None, :] < lengths.to(
        labels.device)[:, None]
    indices = keep.nonzero().t()
    return torch.sparse_coo_tensor(indices, labels[keep], tuple(labels.shape),
                                   check_invariants=True).coalesce()


def ctc_batch_cost(y_true, y_pred, input_length, label_length):
    """The CTC loss of each sample.

    Args:
        y_true: (batch, max_label_length) labels (numbers of any dtype; the blank is not used).
        y_pred: (batch, time, classes) softmax probabilities; the blank is the last class.
        input_length: (batch, 1) the number of valid steps of each ``y_pred`` row.
        label_length: (batch, 1) the number of valid labels of each ``y_true`` row.

    Returns:
        (batch, 1) the negative log-likelihood of each label sequence.
    """
    y_pred, logp = _log_probs(y_pred, "ctc_batch_cost")
    log_probs = torch.log_softmax(logp, dim=-1).transpose(0, 1)
    targets = to_tensor(y_true, "ctc_batch_cost").to(torch.int64).to(y_pred.device)
    label_length = _lengths(label_length, "ctc_batch_cost").to(y_pred.device)
    # padding after each label (Keras's OCR example pads with -1) is never read: made 0
    valid = torch.arange(targets.shape[1], device=targets.device)[None, :] < label_length[:, None]
    targets = torch.where(valid, targets, torch.zeros_like(targets))
    loss = F.ctc_loss(log_probs, targets, _lengths(input_length, "ctc_batch_cost"), label_length,
                      blank=y_pred.shape[-1] - 1, reduction="none", zero_infinity=False)
    return loss.unsqueeze(1)


def _dense(paths, batch, device):
    """Label sequences as (batch, longest) int64 padded with -1."""
    width = max((len(p) for p in paths), default=0)
    out = torch.full((batch, width), -1, dtype=torch.int64)
    for i, p in enumerate(paths):
        out[i, :len(p)] = torch.as_tensor(p, dtype=torch.int64)
    return out.to(device)


def _greedy(logp, lengths):
    best, index = logp.max(dim=-1)  # (batch, time)
    steps = torch.arange(logp.shape[1], device=logp.device)[None, :]
    valid = steps < lengths.to(logp.device)[:, None]
    blank = logp.shape[-1] - 1
    previous = torch.cat([torch.full_like(index[:, :1], -1), index[:, :-1]], dim=1)
    emit = valid & (index != blank) & (index != previous)
    paths = [index[i][emit[i]].tolist() for i in range(index.shape[0])]
    neg_sum = -(best * valid.to(best.dtype)).sum(dim=1, keepdim=True)
    return [_dense(paths, index.shape[0], logp.device)], neg_sum


def _beam_one(logp, blank, beam_width, top_paths):
    """Prefix beam search over one (time, classes) array of log-probabilities.

    Each beam is a label prefix with the log-probabilities of its alignments so far ending in
    a blank (``pb``) and in its last label (``pnb``). A step scores all beams and all their
    one-label extensions at once with numpy; an extension that equals a kept beam is merged
    into it; the ``beam_width`` best by total probability survive.
    """
    labels = np.array([c for c in range(logp.shape[1]) if c != blank])
    prefixes = [()]
    pb, pnb = np.zeros(1), np.full(1, -np.inf)
    for row in logp:
        total = np.logaddexp(pb, pnb)
        last = np.array([p[-1] if p else -1 for p in prefixes])
        # staying: a blank after anything, or the last label repeated without a blank between
        stay_b = total + row[blank]
        stay_nb = np.where(last >= 0, pnb + row[np.maximum(last, 0)], -np.inf)
        # extending by label c needs a blank in between when c repeats the last label
        ext = np.where(labels[None, :] == last[:, None], pb[:, None], total[:, None])
        ext = ext + row[labels][None, :]
        index = {p: i for i, p in enumerate(prefixes)}
        for i, p in enumerate(prefixes):
            parent = index.get(p[:-1]) if p else None
            if parent is not None:
                column = np.searchsorted(labels, p[-1])
                stay_nb[i] = np.logaddexp(stay_nb[i], ext[parent, column])
                ext[parent, column] = -np.inf
        scores = np.concatenate([np.logaddexp(stay_b, stay_nb), ext.reshape(-1)])
        keep = min(beam_width, int(np.isfinite(scores).sum()) or 1)
        best = np.argpartition(-scores, keep - 1)[:keep]
        best = best[np.argsort(-scores[best], kind="stable")]
        n = len(prefixes)
        new_prefixes, new_b, new_nb = [], [], []
        for k in best.tolist():
            if k < n:
                new_prefixes.append(prefixes[k])
                new_b.append(stay_b[k])
                new_nb.append(stay_nb[k])
            else:
                parent, column = divmod(k - n, len(labels))
                new_prefixes.append(prefixes[parent] + (int(labels[column]),))
                new_b.append(-np.inf)
                new_nb.append(ext[parent, column])
        prefixes, pb, pnb = new_prefixes, np.array(new_b), np.array(new_nb)
    total = np.logaddexp(pb, pnb)
    order = np.argsort(-total, kind="stable")[:top_paths]
    return [list(prefixes[k]) for k in order], [float(total[k]) for k in order]


def ctc_decode(y_pred, input_length, greedy=True, beam_width=100, top_paths=1):
    """The most likely label sequences of softmax outputs, as TensorFlow's CTC decoders.

    Args:
        y_pred: (batch, time, classes) softmax probabilities; the blank is the last class.
        input_length: (batch,) or (batch, 1) the number of valid steps of each row.
        greedy: best class per step (repeats merged, blanks removed) instead of beam search.
        beam_width: the beams kept by the beam search.
        top_paths: how many sequences the beam search returns (greedy returns one).

    Returns:
        (decoded, log_prob): ``decoded`` is a list of ``top_paths`` (batch, longest) int64
        tensors padded with -1; ``log_prob`` is (batch, 1) for greedy (minus the sum of each
        step's largest log-probability, as TensorFlow's greedy decoder) and (batch, top_paths)
        log-probabilities of the paths for beam search.
    """
    y_pred, logp = _log_probs(y_pred, "ctc_decode")
    lengths = _lengths(input_length, "ctc_decode")
    if lengths.shape[0] != y_pred.shape[0]:
        raise ValueError(f"K.ctc_decode: `input_length` must have one entry per sample "
                         f"({y_pred.shape[0]}). Received: {lengths.shape[0]} entries")
    logp = logp.detach()
    if greedy:
        return _greedy(logp, lengths)
    if top_paths < 1 or beam_width < top_paths:
        raise ValueError(f"K.ctc_decode: need 1 <= top_paths <= beam_width. Received: "
                         f"top_paths={top_paths}, beam_width={beam_width}")
    normed = torch.log_softmax(logp.double(), dim=-1).cpu().numpy()
    blank = logp.shape[-1] - 1
    found = [_beam_one(normed[i, :int(n)], blank, beam_width, top_paths)
             for i, n in enumerate(lengths.tolist())]
    decoded = [_dense([f[0][k] if k < len(f[0]) else [] for f in found], len(found), logp.device)
               for k in range(top_paths)]
    scores = [[f[1][k] if k < len(f[1]) else -np.inf for k in range(top_paths)] for f in found]
    return decoded, torch.tensor(scores, dtype=y_pred.dtype, device=logp.device)
