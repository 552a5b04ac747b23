"""Equal error rate, in percent.

``method="interp"`` (default, the documented SEED method; WeSpeaker's): walk the tie-aware
operating points of ``seed.metrics.curve`` (lowest threshold first, FNR rising, FPR falling);
take the first point ``k`` with FNR >= FPR and intersect the straight segment from point ``k-1``
to ``k`` with the line FNR = FPR.  A group of tied scores is one segment, so ties give the
value a random tie-break would give on average rather than an order-dependent one.

``method="espnet"`` reproduces ESPnet-SPK (``espnet2/utils/eer.py``, from voxceleb_trainer):
``sklearn.metrics.roc_curve`` with its default ``drop_intermediate=True``, then
``idx = argmin |fnr - fpr|`` and ``EER = max(fpr[idx], fnr[idx])``.  It is computed here with
numpy (no scikit-learn needed), bit for bit as that code path does it, so numbers published
with ESPnet can be matched.
"""
from __future__ import annotations

import numpy as np

from seed.metrics.curve import ErrorCurve, MetricsError, error_curve

__all__ = ["EER_METHODS", "compute_eer", "eer_from_curve"]

EER_METHODS = ("interp", "espnet")


def _eer_interp(curve: ErrorCurve) -> float:
    # FNR - FPR never decreases along the curve: bisect for the first point where it is >= 0.
    lo, hi = 0, len(curve) - 1            # d(lo) = -1 < 0, d(hi) = +1 >= 0
    while hi - lo > 1:
        mid = (lo + hi) // 2
        fnr, fpr = curve.rates_at(mid)
        if fnr - fpr >= 0:
            hi = mid
        else:
            lo = mid
    fnr1, fpr1 = curve.rates_at(hi)
    d1 = fnr1 - fpr1
    if d1 == 0:
        return fnr1
    fnr0, fpr0 = curve.rates_at(lo)
    d0 = fnr0 - fpr0
    a = -d0 / (d1 - d0)
    return fnr0 + a * (fnr1 - fnr0)


def _eer_espnet(curve: ErrorCurve) -> float:
    # sklearn's _binary_clf_curve lists distinct thresholds from the highest down, with the
    # counts of targets (tps) and non-targets (fps) scoring at or above each.  Our points 0..G-1
    # are the same thresholds lowest first (point G is the reject-all point).
    t_below = curve.tgt_below[:-1][::-1].astype(np.float64)
    n_below = curve.n_below[:-1][::-1].astype(np.float64)
    tps = curve.n_target - t_below
    fps = curve.n_nontarget - (n_below - t_below)
    if len(fps) > 2:                      # drop_intermediate=True
        keep = np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True]
        fps, tps = fps[keep], tps[keep]
    tps = np.r_[0.0, tps]
    fps = np.r_[0.0, fps]
    fpr = fps / fps[-1]
    tpr = tps / tps[-1]
    fnr = 1 - tpr
    idx = int(np.nanargmin(np.absolute(fnr - fpr)))
    return float(max(fpr[idx], fnr[idx]))


def eer_from_curve(curve: ErrorCurve, method: str = "interp") -> float:
    """EER (percent) from an already computed curve."""
    if method == "interp":
        return 100.0 * _eer_interp(curve)
    if method == "espnet":
        return 100.0 * _eer_espnet(curve)
    raise MetricsError(f"unknown EER method {method!r}; choose one of {', '.join(EER_METHODS)}")


def compute_eer(scores, labels, method: str = "interp") -> float:
    """EER in percent of ``scores`` with ``labels`` (1 target, 0 non-target); see module doc."""
    if method not in EER_METHODS:
        raise MetricsError(f"unknown EER method {method!r}; choose one of {', '.join(EER_METHODS)}")
    return eer_from_curve(error_curve(scores, labels), method)
