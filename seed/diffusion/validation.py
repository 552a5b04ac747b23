"""Per-epoch dev check: enhance the dev embeddings, score the trial list, return EER (%).

The EER function is injected (the command line passes `seed.metrics.compute_eer`) so this package
depends only on seed.data. Scoring is the mean pairwise cosine over crops (plain cosine for one
vector per utterance): cheap, and monotone enough to pick the best epoch.
"""
from __future__ import annotations

from typing import Callable

import numpy as np


class TrialValidator:
    """Holds the dev embeddings (vectors or per-crop matrices) of every key in a trial list."""

    def __init__(self, trials, embeddings: dict, eer_fn: Callable, source: str = "<valid>"):
        keys = sorted(set(trials.enroll) | set(trials.test))
        missing = [k for k in keys if k not in embeddings]
        if missing:
            raise ValueError(f"{source}: key '{missing[0]}': in the trial list but not in the dev "
                             f"embeddings ({len(missing)} missing)")
        rows, owner = [], []
        for i, k in enumerate(keys):
            m = np.atleast_2d(np.asarray(embeddings[k], dtype=np.float32))
            rows.append(m)
            owner.append(np.full(len(m), i))
        self.rows = np.concatenate(rows)
        self.owner = np.concatenate(owner)
        self.counts = np.bincount(self.owner, minlength=len(keys)).astype(np.float32)
        index = {k: i for i, k in enumerate(keys)}
        self.enroll = np.array([index[k] for k in trials.enroll])
        self.test = np.array([index[k] for k in trials.test])
        self.labels = np.asarray(trials.labels)
        self.eer_fn = eer_fn

    def scores(self, rows: np.ndarray) -> np.ndarray:
        """Mean pairwise cosine of each trial = dot of the per-key means of unit crop vectors."""
        unit = rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
        means = np.zeros((len(self.counts), rows.shape[1]), dtype=np.float64)
        np.add.at(means, self.owner, unit)
        means /= self.counts[:, None]
        return np.einsum("ij,ij->i", means[self.enroll], means[self.test])

    def baseline(self) -> float:
        """EER of the dev trials before enhancement (context for the log)."""
        return float(self.eer_fn(self.scores(self.rows), self.labels))

    def __call__(self, enhancer, seed: int) -> float:
        return float(self.eer_fn(self.scores(enhancer.enhance_rows(self.rows, seed=seed)), self.labels))
