"""ESPnet-SPK / SEED-paper multi-crop score: minus the mean pairwise Euclidean distance.

Each utterance has several crop embeddings; all crops are L2-normalised and

    score(e, t) = - mean_{i, j} || e_i / |e_i| - t_j / |t_j| ||

over every enroll crop i and test crop j (``pyscripts/utils/spk_calculate_scores_from_embeddings.py``
does ``-mean(cdist(enroll_crops, test_crops))``).  For unit vectors ``|a - b|^2 = 2 - 2 cos``, so
one crop against one crop ranks like cosine; across crops it is not the cosine of the averaged
embeddings (``CosineScorer`` gives that alternative).  Keys with different crop counts are fine
(e.g. a cohort of speaker-mean vectors): the mean runs over the real crops only.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from seed.backend.cosine import l2_normalize
from seed.backend.embeddings import EmbeddingSet
from seed.backend.scoring import Rows

__all__ = ["CropDistanceScorer"]

_MATRIX_ELEMENTS = 1 << 22   # crop-pair distances per block in score_matrix


class CropDistanceScorer:
    """``-mean pairwise distance`` of L2-normalised crops (mean subtracted first if given)."""

    name = "crop-distance"

    def __init__(self, mean: Optional[np.ndarray] = None):
        self.mean = None if mean is None else np.asarray(mean, dtype=np.float32)

    def prepare(self, emb: EmbeddingSet) -> Rows:
        if self.mean is not None and self.mean.shape != (emb.dim,):
            raise ValueError(f"{emb.source}: embeddings have dimension {emb.dim} but the mean has "
                             f"{self.mean.shape[0]}")
        # float64: distances of near-identical crops come from 2 - 2 cos, which float32 would
        # only resolve to ~3e-4
        x = emb.data.astype(np.float64)
        if self.mean is not None:
            x -= self.mean
        mask = emb.crop_mask()
        x = l2_normalize(x) * mask[:, :, None]
        weight = mask / emb.counts[:, None]          # 1/count on real crops, 0 on padding
        return Rows(x=x, w=weight.astype(np.float64))

    @staticmethod
    def _distance(gram: np.ndarray) -> np.ndarray:
        return np.sqrt(np.maximum(2.0 - 2.0 * gram, 0.0))

    def score_rows(self, a: Rows, b: Rows) -> np.ndarray:
        gram = np.matmul(a["x"], b["x"].transpose(0, 2, 1))
        return -np.einsum("bi,bij,bj->b", a["w"], self._distance(gram), b["w"])

    def score_matrix(self, a: Rows, b: Rows) -> np.ndarray:
        ca, cb = a["x"].shape[1], b["x"].shape[1]
        xb = b["x"].reshape(-1, b["x"].shape[2])
        out = np.empty((len(a), len(b)), dtype=np.float64)
        step = max(1, _MATRIX_ELEMENTS // max(1, ca * xb.shape[0]))
        for i0 in range(0, len(a), step):
            xa = a["x"][i0:i0 + step].reshape(-1, a["x"].shape[2])
            d = self._distance(xa @ xb.T).reshape(-1, ca, len(b), cb)
            out[i0:i0 + step] = -np.einsum("ai,aibj,bj->ab", a["w"][i0:i0 + step], d, b["w"], optimize=True)
        return out
