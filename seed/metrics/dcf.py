"""Normalised minimum detection cost (NIST SRE16 eq. 2-4, as Kaldi ``sid/compute_min_dcf.py``).

    C_det(t) = c_miss * FNR(t) * p_target + c_fa * FPR(t) * (1 - p_target)
    minDCF   = min_t C_det(t) / min(c_miss * p_target, c_fa * (1 - p_target))

The minimum runs over every distinct score used as threshold plus the reject-all and
accept-all points (``seed.metrics.curve``), so minDCF <= 1 always.  Report p_target 0.01 (Kaldi,
WeSpeaker) and 0.05 (ESPnet-SPK) side by side: the two are not comparable.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from seed.metrics.curve import ErrorCurve, MetricsError, error_curve

__all__ = ["compute_min_dcf", "min_dcf_from_curve"]

_BLOCK = 1 << 16


def _check_costs(p_target: float, c_miss: float, c_fa: float) -> None:
    if not 0.0 < p_target < 1.0:
        raise MetricsError(f"p_target must lie strictly between 0 and 1, got {p_target}")
    if not (c_miss > 0 and c_fa > 0):
        raise MetricsError(f"c_miss and c_fa must be positive, got {c_miss}, {c_fa}")


def min_dcf_from_curve(curve: ErrorCurve, p_targets: Sequence[float],
                       c_miss: float = 1.0, c_fa: float = 1.0) -> list:
    """Normalised minDCF for each p_target, from one curve (one pass, cache-sized blocks)."""
    for p in p_targets:
        _check_costs(p, c_miss, c_fa)
    # C_det at point j = a * tgt_below + b * (n_nontarget - nontgt_below)
    #                  = (a + b) * tgt_below - b * n_below + b * n_nontarget
    coefs = [(c_miss * p / curve.n_target, c_fa * (1 - p) / curve.n_nontarget) for p in p_targets]
    best = [np.inf] * len(coefs)
    tb_all, nb_all = curve.tgt_below, curve.n_below
    for i0 in range(0, len(tb_all), _BLOCK):
        tb = tb_all[i0:i0 + _BLOCK].astype(np.float64)
        nb = nb_all[i0:i0 + _BLOCK].astype(np.float64)
        for i, (a, b) in enumerate(coefs):
            c = tb * (a + b)
            c -= nb * b
            best[i] = min(best[i], float(c.min()))
    out = []
    for (a, b), p, v in zip(coefs, p_targets, best):
        c_det = v + b * curve.n_nontarget
        out.append(max(c_det, 0.0) / min(c_miss * p, c_fa * (1 - p)))
    return out


def compute_min_dcf(scores, labels, p_target: float, c_miss: float = 1.0,
                    c_fa: float = 1.0) -> float:
    """Normalised minDCF of ``scores`` with ``labels`` (1 target, 0 non-target)."""
    _check_costs(p_target, c_miss, c_fa)
    return min_dcf_from_curve(error_curve(scores, labels), [p_target], c_miss, c_fa)[0]
