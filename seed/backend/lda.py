"""Linear discriminant analysis to a given dimension (as Kaldi's ``ivector-compute-lda``).

The projection whitens the within-speaker covariance and keeps the ``dim`` directions of largest
between-speaker variance in that whitened space, so after it the training data's within-speaker
covariance is the identity and the between-speaker covariance is diagonal (largest first).
"""
from __future__ import annotations

import numpy as np

__all__ = ["speaker_stats", "whitening_transform", "fit_lda"]


def speaker_stats(x: np.ndarray, spk: np.ndarray):
    """(speaker means [S, D], counts [S], within-speaker scatter [D, D]) in float64.

    ``spk`` holds speaker indices 0..S-1; the scatter is the sum over utterances of
    ``(x - mean of its speaker)(...)^T``.
    """
    x = np.asarray(x, dtype=np.float64)
    spk = np.asarray(spk, dtype=np.int64)
    n_spk = int(spk.max()) + 1
    counts = np.bincount(spk, minlength=n_spk)
    if (counts == 0).any():
        raise ValueError(f"speaker index {int(np.flatnonzero(counts == 0)[0])} has no utterances")
    sums = np.zeros((n_spk, x.shape[1]))
    np.add.at(sums, spk, x)
    means = sums / counts[:, None]
    dev = x - means[spk]
    return means, counts, dev.T @ dev


def whitening_transform(cov: np.ndarray, floor: float = 1e-10) -> np.ndarray:
    """A matrix ``T`` with ``T cov T^T = I`` (eigenvalues floored at ``floor * largest``)."""
    cov = 0.5 * (cov + cov.T)
    val, vec = np.linalg.eigh(cov)
    val = np.maximum(val, floor * max(val.max(), np.finfo(float).tiny))
    return (vec / np.sqrt(val)).T


def fit_lda(x: np.ndarray, spk: np.ndarray, dim: int):
    """``(projection [dim, D], between-speaker variances [dim])`` of Kaldi-style LDA.

    At most ``min(D, S - 1)`` directions carry between-speaker variance; asking for more is an
    error rather than a projection padded with noise directions.
    """
    x = np.asarray(x, dtype=np.float64)
    n, d = x.shape
    means, counts, within = speaker_stats(x, spk)
    n_spk = len(counts)
    if not 1 <= dim <= d:
        raise ValueError(f"LDA dimension {dim} must be between 1 and the embedding dimension {d}")
    if dim > n_spk - 1:
        raise ValueError(f"LDA dimension {dim} needs at least {dim + 1} speakers; got {n_spk}")
    within /= n
    centred = x - x.mean(axis=0)
    total = centred.T @ centred / n
    between = total - within
    t1 = whitening_transform(within)
    b = t1 @ between @ t1.T
    val, vec = np.linalg.eigh(0.5 * (b + b.T))
    order = np.argsort(val)[::-1][:dim]
    return vec[:, order].T @ t1, np.maximum(val[order], 0.0)
