"""Scorer interface and vectorised trial scoring.

A scorer turns an ``EmbeddingSet`` into prepared rows once (normalised vectors, PLDA-space
features, ...) and then scores *rows against rows*: ``score_rows(a, b)`` pairs row i of ``a``
with row i of ``b``; ``score_matrix(a, b)`` scores every row of ``a`` against every row of ``b``
(cohorts).  Trials are scored by gathering the enroll and test rows of a block of trials and
calling ``score_rows`` once per block -- never a Python loop per trial.
"""
from __future__ import annotations

from typing import Dict, Protocol

import numpy as np

from seed.backend.embeddings import EmbeddingSet

__all__ = ["Rows", "Scorer", "score_pairs", "score_trials", "trial_rows", "TRIAL_BLOCK"]

TRIAL_BLOCK = 4096   # trials per gather: keeps the gathered blocks in cache


class Rows:
    """Arrays that share their first axis (one row per embedding): a scorer's prepared input."""

    def __init__(self, **arrays: np.ndarray):
        lengths = {len(v) for v in arrays.values()}
        if len(lengths) != 1:
            raise ValueError(f"prepared arrays have different lengths: {sorted(lengths)}")
        self.arrays: Dict[str, np.ndarray] = arrays
        self._n = lengths.pop()

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, name: str) -> np.ndarray:
        return self.arrays[name]

    def take(self, idx) -> "Rows":
        # np.take along axis 0 is ~2x faster than fancy indexing for row gathers
        return Rows(**{k: np.take(v, idx, axis=0) for k, v in self.arrays.items()})


class Scorer(Protocol):
    name: str

    def prepare(self, emb: EmbeddingSet) -> Rows: ...

    def score_rows(self, a: Rows, b: Rows) -> np.ndarray: ...

    def score_matrix(self, a: Rows, b: Rows) -> np.ndarray: ...


def score_pairs(scorer: Scorer, a: Rows, b: Rows, ia: np.ndarray, ib: np.ndarray,
                block: int = TRIAL_BLOCK) -> np.ndarray:
    """Score row ``ia[i]`` of ``a`` against row ``ib[i]`` of ``b`` for every i (float64)."""
    ia, ib = np.asarray(ia, dtype=np.int64), np.asarray(ib, dtype=np.int64)
    if ia.shape != ib.shape:
        raise ValueError(f"{len(ia)} enroll rows for {len(ib)} test rows")
    out = np.empty(len(ia), dtype=np.float64)
    for i0 in range(0, len(ia), block):
        out[i0:i0 + block] = scorer.score_rows(a.take(ia[i0:i0 + block]), b.take(ib[i0:i0 + block]))
    return out


def trial_rows(trials, enroll: EmbeddingSet, test: EmbeddingSet):
    """Row indices of every trial's enroll and test key; a missing key is an error naming it."""
    return enroll.rows(trials.enroll, "enroll utterance of the trial list"), \
        test.rows(trials.test, "test utterance of the trial list")


def score_trials(scorer: Scorer, trials, enroll: EmbeddingSet, test: EmbeddingSet) -> np.ndarray:
    """Raw scores of every trial, in trial order."""
    ie, it = trial_rows(trials, enroll, test)
    a = scorer.prepare(enroll)
    b = a if test is enroll else scorer.prepare(test)
    return score_pairs(scorer, a, b, ie, it)
