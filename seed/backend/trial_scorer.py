"""The one way a trial list is scored: `seed.bin.score`, the stage-6 report and the strength sweep all
go through `TrialScorer`, so the same embeddings and options give the same scores on every path
(vectors or per-crop matrices, cosine with an optional mean, PLDA, S-norm / AS-norm).

`SCORING_DEFAULTS` is the one table of scoring settings; CLIs and recipes read it instead of
repeating numbers.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from seed.backend.cosine import CosineScorer
from seed.backend.crops import CropDistanceScorer
from seed.backend.embeddings import EmbeddingSet
from seed.backend.plda_backend import PldaScorer
from seed.backend.score_norm import NORM_METHODS, normalize_scores
from seed.backend.scoring import score_pairs, trial_rows

__all__ = ["SCORING_DEFAULTS", "CROP_SCORES", "TrialScorer"]

SCORING_DEFAULTS = {
    "top_k": 300,             # AS-norm cohort scores kept per side (WeSpeaker 300; ESPnet uses 500)
    "std_ddof": 0,            # cohort std: 0 = population (WeSpeaker), 1 = sample (ESPnet's torch.std)
    "crop_score": "distance",  # per-crop embeddings, cosine back-end: ESPnet's -mean pairwise distance
}
CROP_SCORES = ("distance", "mean")


class TrialScorer:
    """A back-end scorer plus its normalisation; prepares each embedding set once, then scores trials.

    Build it with `cosine(...)` or `plda(...)`. Sets are prepared lazily and cached by identity, so an
    enrolment set scored against seven conditions is prepared once.
    """

    def __init__(self, scorer, cohort: Optional[EmbeddingSet] = None, top_k: Optional[int] = None,
                 std_ddof: Optional[int] = None):
        self.scorer = scorer
        self.cohort_set = cohort
        self.top_k = SCORING_DEFAULTS["top_k"] if top_k is None else int(top_k)
        self.std_ddof = SCORING_DEFAULTS["std_ddof"] if std_ddof is None else int(std_ddof)
        if self.top_k < 1:
            raise ValueError(f"top-k must be >= 1, got {self.top_k}")
        self._prepared = {}

    @classmethod
    def cosine(cls, multicrop: bool, mean: Optional[np.ndarray] = None, crop_score: Optional[str] = None,
               **norm_options) -> "TrialScorer":
        """Cosine (after subtracting `mean` when given); per-crop sets by `crop_score`."""
        crop_score = crop_score or SCORING_DEFAULTS["crop_score"]
        if crop_score not in CROP_SCORES:
            raise ValueError(f"crop score must be one of {CROP_SCORES}, got {crop_score!r}")
        scorer = CropDistanceScorer(mean) if multicrop and crop_score == "distance" else CosineScorer(mean)
        return cls(scorer, **norm_options)

    @classmethod
    def plda(cls, backend, **norm_options) -> "TrialScorer":
        """PLDA log-likelihood ratios (per-crop sets are averaged first)."""
        return cls(PldaScorer(backend), **norm_options)

    @property
    def name(self) -> str:
        return self.scorer.name

    def prepare(self, emb: EmbeddingSet):
        hit = self._prepared.get(id(emb))
        if hit is None or hit[0] is not emb:
            hit = (emb, self.scorer.prepare(emb))
            self._prepared[id(emb)] = hit
        return hit[1]

    def raw(self, trials, enroll: EmbeddingSet, test: EmbeddingSet) -> np.ndarray:
        """Unnormalised scores in trial order (float64)."""
        ie, it = trial_rows(trials, enroll, test)
        return score_pairs(self.scorer, self.prepare(enroll), self.prepare(test), ie, it)

    def normalize(self, scores, trials, enroll: EmbeddingSet, test: EmbeddingSet, norm: str) -> np.ndarray:
        """`scores` (from `raw`) normalised by `norm` against the cohort."""
        if norm == "none":
            return np.asarray(scores, dtype=np.float64)
        if norm not in NORM_METHODS:
            raise ValueError(f"unknown score normalisation {norm!r}; choose one of {', '.join(NORM_METHODS)}")
        if self.cohort_set is None:
            raise ValueError(f"score normalisation {norm} needs a cohort")
        ie, it = trial_rows(trials, enroll, test)
        a, b = self.prepare(enroll), self.prepare(test)
        return normalize_scores(self.scorer, scores, a, b, ie, it, self.prepare(self.cohort_set), method=norm,
                                top_k=self.top_k, ddof=self.std_ddof, enroll_keys=enroll.keys,
                                test_keys=test.keys)

    def score(self, trials, enroll: EmbeddingSet, test: EmbeddingSet, norm: str = "none") -> np.ndarray:
        return self.normalize(self.raw(trials, enroll, test), trials, enroll, test, norm)

    def describe(self, norm: str) -> str:
        """What `score(..., norm)` did, for logs: e.g. 'cosine, asnorm (top 100 of 100 cohort)'."""
        if norm == "none":
            return self.name
        n = len(self.cohort_set)
        k = n if norm == "snorm" else min(self.top_k, n)
        return f"{self.name}, {norm} (top {k} of {n} cohort)"
