"""Score normalisation against a cohort: S-norm and adaptive S-norm (AS-norm, top-k).

For a trial (e, t) with raw score s, each side is scored against every cohort embedding (usually
speaker-mean embeddings of the training set); mu and sigma are the mean and standard deviation of
the side's ``top_k`` highest cohort scores (all of them for S-norm), and

    s' = ((s - mu_e) / sigma_e + (s - mu_t) / sigma_t) / 2.

Statistics are computed once per distinct enroll/test embedding, in blocks of rows against the
whole cohort (one matrix product per block), with the same scorer as the raw scores, so this
works unchanged for cosine, multi-crop distance and PLDA.  ``ddof=0`` (population std) follows
WeSpeaker's ``score_norm.py``; ESPnet-SPK uses ``torch.std`` (``ddof=1``).
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from seed.backend.scoring import Rows, Scorer

__all__ = ["NORM_METHODS", "cohort_stats", "apply_score_norm", "normalize_scores"]

NORM_METHODS = ("none", "snorm", "asnorm")
_MATRIX_ELEMENTS = 1 << 23


def cohort_stats(scorer: Scorer, rows: Rows, cohort: Rows, top_k: Optional[int] = None, ddof: int = 0):
    """``(mean, std)`` per row of ``rows`` over its ``top_k`` best cohort scores (all when None)."""
    n_cohort = len(cohort)
    k = n_cohort if top_k is None else int(top_k)
    if k < 1 or k > n_cohort:
        raise ValueError(f"top_k={k} must lie between 1 and the cohort size {n_cohort}")
    if k - ddof < 1:
        raise ValueError(f"top_k={k} leaves no degrees of freedom for a standard deviation (ddof={ddof})")
    mean = np.empty(len(rows))
    std = np.empty(len(rows))
    step = max(1, _MATRIX_ELEMENTS // n_cohort)
    for i0 in range(0, len(rows), step):
        m = scorer.score_matrix(rows.take(np.arange(i0, min(i0 + step, len(rows)))), cohort)
        if k < n_cohort:
            m = np.partition(m, n_cohort - k, axis=1)[:, n_cohort - k:]
        mean[i0:i0 + step] = m.mean(axis=1)
        std[i0:i0 + step] = m.std(axis=1, ddof=ddof)
    return mean, std


def apply_score_norm(scores, mu_e, sd_e, mu_t, sd_t) -> np.ndarray:
    """``((s - mu_e) / sd_e + (s - mu_t) / sd_t) / 2``, elementwise."""
    s = np.asarray(scores, dtype=np.float64)
    return 0.5 * ((s - mu_e) / sd_e + (s - mu_t) / sd_t)


def normalize_scores(scorer: Scorer, scores: np.ndarray, enroll: Rows, test: Rows, ie: np.ndarray,
                     it: np.ndarray, cohort: Rows, method: str = "asnorm", top_k: Optional[int] = 300,
                     ddof: int = 0, enroll_keys: Sequence[str] = (), test_keys: Sequence[str] = ()):
    """Normalise trial ``scores`` (enroll row ``ie[i]``, test row ``it[i]``) with ``method``.

    Only the rows that occur in some trial get statistics.  A zero cohort standard deviation is
    an error naming the key (when ``*_keys`` are given).
    """
    if method == "none":
        return np.asarray(scores, dtype=np.float64)
    if method not in NORM_METHODS:
        raise ValueError(f"unknown score normalisation {method!r}; choose one of {', '.join(NORM_METHODS)}")
    k = None if method == "snorm" else top_k
    if k is not None and k > len(cohort):
        k = len(cohort)           # ESPnet does the same: the whole cohort is the top-k
    def side_stats(rows, idx, keys, side):
        used, inverse = np.unique(idx, return_inverse=True)
        mu, sd = cohort_stats(scorer, rows.take(used), cohort, k, ddof)
        if (sd <= 0).any():
            bad = int(used[np.flatnonzero(sd <= 0)[0]])
            name = keys[bad] if len(keys) > bad else f"row {bad}"
            raise ValueError(f"{side} '{name}': all its top-{k if k else len(cohort)} cohort scores are "
                             "equal (zero standard deviation); cannot normalise")
        return mu[inverse], sd[inverse]

    if test is enroll:            # one set in both roles (a trial list within one scp): one pass
        mu, sd = side_stats(enroll, np.concatenate([ie, it]), enroll_keys, "enroll/test")
        stats = [(mu[:len(ie)], sd[:len(ie)]), (mu[len(ie):], sd[len(ie):])]
    else:
        stats = [side_stats(enroll, ie, enroll_keys, "enroll"), side_stats(test, it, test_keys, "test")]
    (mu_e, sd_e), (mu_t, sd_t) = stats
    return apply_score_norm(scores, mu_e, sd_e, mu_t, sd_t)
