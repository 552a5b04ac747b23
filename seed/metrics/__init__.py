"""Verification metrics: EER, normalised minDCF and DET curves (definitions: docs and §6 of the
recipe conventions), all from one tie-aware sort of the scores.

    from seed.metrics import compute_eer, compute_min_dcf, compute_metrics
    compute_eer(scores, labels)                  # percent; method="espnet" matches ESPnet-SPK
    compute_min_dcf(scores, labels, p_target=0.01)
    compute_metrics(scores, labels)              # {"eer", "min_dcf_p0.01", "min_dcf_p0.05", ...}
    plot_det_grid({cond: {system: (scores, labels)}}, "det.png")   # one DET panel per condition
"""
from seed.metrics.curve import ErrorCurve, MetricsError, check_scores_labels, error_curve
from seed.metrics.dcf import compute_min_dcf, min_dcf_from_curve
from seed.metrics.det import DET_TICKS, det_curve, det_grid_figure, plot_det, plot_det_grid
from seed.metrics.eer import EER_METHODS, compute_eer, eer_from_curve
from seed.metrics.scorefile import align_scores, read_scores, write_scores
from seed.metrics.summary import DEFAULT_P_TARGETS, compute_metrics, dcf_key, format_metrics

__all__ = [
    "ErrorCurve", "MetricsError", "check_scores_labels", "error_curve", "compute_min_dcf",
    "min_dcf_from_curve", "DET_TICKS", "det_curve", "det_grid_figure", "plot_det", "plot_det_grid", "EER_METHODS", "compute_eer",
    "eer_from_curve", "align_scores", "read_scores", "write_scores", "DEFAULT_P_TARGETS",
    "compute_metrics", "dcf_key", "format_metrics",
]
