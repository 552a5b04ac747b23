"""EERs of many weightings of one score list at once: the engine of the speaker bootstrap.

Each trial belongs to a cluster (in the speaker bootstrap: its unordered speaker pair) and every
replicate gives each cluster a non-negative integer weight (how many copies of its trials the
resampled speakers make). The EER of a replicate is the `interp` EER (seed.metrics.eer) of the trial
list in which every trial appears `weight` times, computed without building that list:

- one sort of the scores; tied scores form one operating point, as in seed.metrics.curve;
- a coarse pass: the trials are cut at ~`bins` tie-group boundaries, the weighted counts at every cut
  are one matrix product (replicates × clusters) @ (clusters × cuts), and the cut where FNR − FPR
  turns non-negative brackets each replicate's crossing;
- a fine pass walks only the trials of that bracket (~n / bins of them) to the exact crossing.
Weights are integers held in float64, so every count is exact and a weighting of all ones gives
`compute_eer` bit for bit.
"""
from __future__ import annotations

import numpy as np

from seed.metrics.curve import MetricsError, check_scores_labels

__all__ = ["weighted_eers"]

_MAX_CELLS = 20_000_000       # replicates × clusters (and clusters × cuts) per block: ~160 MB of float64


def _prepare(scores, labels, clusters, bins):
    s, tgt, _, _ = check_scores_labels(scores, labels)
    clusters = np.asarray(clusters, dtype=np.int64)
    if clusters.shape != s.shape:
        raise MetricsError(f"clusters must have one entry per score: {clusters.shape} vs {s.shape}")
    order = np.argsort(s, kind="stable")
    s, tgt, clusters = s[order], tgt[order], clusters[order]
    starts = np.r_[True, s[1:] != s[:-1]]          # trial j opens a tie group (= an operating point)
    group_start = np.flatnonzero(starts)
    n = len(s)
    cut_groups = np.unique(np.searchsorted(group_start, np.linspace(0, n, bins + 1), side="right") - 1)
    cuts = np.unique(np.r_[group_start[cut_groups], n])   # trial positions at group starts, 0 ... n
    return s, tgt, clusters, starts, cuts


def weighted_eers(scores, labels, clusters, weights, bins=256):
    """EER in percent for each row of `weights` (replicates × clusters): see the module docstring.
    A replicate without target or without non-target weight gets NaN."""
    weights = np.asarray(weights, dtype=np.float64)
    n_clusters = weights.shape[1]
    bins = int(np.clip(_MAX_CELLS // max(n_clusters, 1), 16, bins))
    s, tgt, clusters, starts, cuts = _prepare(scores, labels, clusters, bins)
    if clusters.min() < 0 or clusters.max() >= n_clusters:
        raise MetricsError(f"cluster ids must lie in 0..{n_clusters - 1}")
    bin_of = np.searchsorted(cuts, np.arange(len(s)), side="right") - 1
    n_bins = len(cuts) - 1
    cell = clusters * n_bins + bin_of
    tcount = np.bincount(cell[tgt], minlength=n_clusters * n_bins).reshape(n_clusters, n_bins).astype(float)
    ncount = np.bincount(cell[~tgt], minlength=n_clusters * n_bins).reshape(n_clusters, n_bins).astype(float)
    block = max(1, _MAX_CELLS // max(n_clusters, n_bins, 1))
    out = np.empty(len(weights))
    for lo in range(0, len(weights), block):
        out[lo:lo + block] = _block_eers(weights[lo:lo + block], s, tgt, clusters, starts, cuts, tcount, ncount)
    return out


def _block_eers(w, s, tgt, clusters, starts, cuts, tcount, ncount):
    n = len(s)
    zeros = np.zeros((len(w), 1))
    t_cut = np.hstack([zeros, np.cumsum(w @ tcount, axis=1)])     # target weight below each cut
    n_cut = np.hstack([zeros, np.cumsum(w @ ncount, axis=1)])     # non-target weight below each cut
    t_tot, n_tot = t_cut[:, -1:], n_cut[:, -1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        d_cut = t_cut / t_tot - (n_tot - n_cut) / n_tot
        first = np.argmax(d_cut >= 0, axis=1)                    # >= 1: d = -1 at cut 0, +1 at the last
        b = np.maximum(first - 1, 0)                             # the bin holding the crossing
        width = int((cuts[1:] - cuts[:-1]).max())
        pos = cuts[b][:, None] + np.arange(width + 1)[None, :]   # trial positions of the bin, and its end
        inside = pos < cuts[b + 1][:, None] + 1
        pos_c = np.minimum(pos, n - 1)
        rows = np.arange(len(w))[:, None]
        wt = np.where(pos[:, :-1] < cuts[b + 1][:, None], w[rows, clusters[pos_c[:, :-1]]], 0.0)
        is_t = tgt[pos_c[:, :-1]]
        t_pts = t_cut[rows, b[:, None]] + np.hstack([zeros, np.cumsum(np.where(is_t, wt, 0.0), axis=1)])
        n_pts = n_cut[rows, b[:, None]] + np.hstack([zeros, np.cumsum(np.where(is_t, 0.0, wt), axis=1)])
        point = inside & np.where(pos < n, starts[pos_c], True)  # only group starts are operating points
        fnr = t_pts / t_tot
        fpr = (n_tot - n_pts) / n_tot
        d = fnr - fpr
        hi = np.argmax(point & (d >= 0), axis=1)
        lo_mask = point & (d < 0)
        lo = lo_mask.shape[1] - 1 - np.argmax(lo_mask[:, ::-1], axis=1)
        r = np.arange(len(w))
        d1, d0 = d[r, hi], d[r, lo]
        f1, f0 = fnr[r, hi], fnr[r, lo]
        eer = np.where(d1 == 0, f1, f0 + (-d0 / (d1 - d0)) * (f1 - f0))
    eer[(t_tot[:, 0] <= 0) | (n_tot[:, 0] <= 0)] = np.nan
    return 100.0 * eer
