"""Cosine scoring, optionally after subtracting a mean embedding (WeSpeaker's ``cal_mean``).

Per-crop embeddings are reduced to one vector per key as the mean of the L2-normalised crops
(each crop weighs the same), then normalised again: "cosine of the crop mean".
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from seed.backend.embeddings import EmbeddingSet
from seed.backend.scoring import Rows

__all__ = ["l2_normalize", "mean_embedding", "CosineScorer"]


def l2_normalize(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """``x / ||x||`` along ``axis``; an all-zero vector stays zero (it scores 0 against anything)."""
    norm = np.linalg.norm(x, axis=axis, keepdims=True)
    return x / np.maximum(norm, np.finfo(np.float32).tiny)


def mean_embedding(emb: EmbeddingSet) -> np.ndarray:
    """Mean vector of a set (each key weighs once; crops are averaged first), float32 [D]."""
    return emb.vectors().astype(np.float64).mean(axis=0).astype(np.float32)


class CosineScorer:
    """Cosine similarity; ``mean`` (e.g. of the training set) is subtracted first when given."""

    name = "cosine"

    def __init__(self, mean: Optional[np.ndarray] = None):
        self.mean = None if mean is None else np.asarray(mean, dtype=np.float32)

    def _check_dim(self, emb: EmbeddingSet) -> None:
        if self.mean is not None and self.mean.shape != (emb.dim,):
            raise ValueError(f"{emb.source}: embeddings have dimension {emb.dim} but the mean has "
                             f"{self.mean.shape[0]}")

    def prepare(self, emb: EmbeddingSet) -> Rows:
        self._check_dim(emb)
        if emb.is_multicrop:
            x = emb.data if self.mean is None else emb.data - self.mean
            x = l2_normalize(x) * emb.crop_mask()[:, :, None]
            x = x.sum(axis=1)
            return Rows(x=np.ascontiguousarray(l2_normalize(x), dtype=np.float32))
        # one vector per key: one copy, norms by a row-wise dot, in-place division (fewer passes
        # over a 100k x 256 matrix than norm + broadcast divide)
        x = np.array(emb.data[:, 0, :], dtype=np.float32, order="C", copy=True)
        if self.mean is not None:
            x -= self.mean
        norm = np.sqrt(np.einsum("ij,ij->i", x, x))
        x /= np.maximum(norm, np.finfo(np.float32).tiny)[:, None]
        return Rows(x=x)

    def score_rows(self, a: Rows, b: Rows) -> np.ndarray:
        return np.einsum("ij,ij->i", a["x"], b["x"])

    def score_matrix(self, a: Rows, b: Rows) -> np.ndarray:
        return a["x"] @ b["x"].T
