"""Scoring back-ends: cosine (optional mean subtraction), ESPnet multi-crop distance,
two-covariance PLDA with LDA and length normalisation, and S-norm / AS-norm.

Every scorer prepares an ``EmbeddingSet`` once and scores gathered rows in blocks:

    from seed.backend import EmbeddingSet, CosineScorer, score_trials
    enroll = EmbeddingSet.from_scp("exp/embed/x/test/embedding.scp")
    scores = score_trials(CosineScorer(mean), trials, enroll, enroll)
"""
from seed.backend.cosine import CosineScorer, l2_normalize, mean_embedding
from seed.backend.crops import CropDistanceScorer
from seed.backend.embeddings import EmbeddingSet
from seed.backend.kaldi_plda import is_kaldi_plda, read_kaldi_plda, write_kaldi_plda
from seed.backend.lda import fit_lda, speaker_stats, whitening_transform
from seed.backend.plda import PLDA, simultaneous_diagonalization
from seed.backend.plda_backend import PldaBackend, PldaScorer, length_normalize
from seed.backend.score_norm import NORM_METHODS, apply_score_norm, cohort_stats, normalize_scores
from seed.backend.scoring import Rows, Scorer, score_pairs, score_trials, trial_rows

__all__ = [
    "CosineScorer", "l2_normalize", "mean_embedding", "CropDistanceScorer", "EmbeddingSet", "is_kaldi_plda",
    "read_kaldi_plda", "write_kaldi_plda", "fit_lda", "speaker_stats", "whitening_transform", "PLDA",
    "simultaneous_diagonalization", "PldaBackend", "PldaScorer", "length_normalize", "NORM_METHODS",
    "apply_score_norm", "cohort_stats", "normalize_scores", "Rows", "Scorer", "score_pairs", "score_trials",
    "trial_rows",
]
