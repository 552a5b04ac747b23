"""Tie-aware miss / false-alarm curve, computed with one sort.

Every metric here (EER, minDCF, DET) is read off the same operating points: accept a trial when
``score >= threshold``, with one threshold per *distinct* score value (tied scores move together)
plus ``+inf`` (reject everything).  Point ``j`` counts the trials whose score lies below the
``j``-th smallest distinct value:

    FNR_j = (#targets below) / N_target          (rises from 0 to 1)
    FPR_j = (#non-targets not below) / N_nontarget  (falls from 1 to 0)

Speed: the target bit is packed into the low bit of an order-preserving integer key, so a single
``numpy.sort`` of ``uint64`` keys gives both the order and the labels (an ``argsort`` plus a gather
would cost several sorts).  When the scores span less than half the ``int64`` key range -- every
score set in [-2, 2] (cosine), any single-signed set -- the packing is exact.  Otherwise the last
mantissa bit is given up: two scores that differ only in that bit (a relative difference of
2**-52) count as tied.  Scores are float32 or computed from float32 embeddings in practice, so
no real score list is affected.
"""
from __future__ import annotations

from dataclasses import dataclass
import sys
from typing import Optional

import numpy as np

__all__ = ["MetricsError", "ErrorCurve", "check_scores_labels", "error_curve"]

_SIGN = np.uint64(1 << 63)
_LOW63 = np.int64((1 << 63) - 1)
_ONE = np.uint64(1)


class MetricsError(ValueError):
    """Scores/labels that cannot give a metric (empty, one class, NaN/inf, bad labels)."""


@dataclass(frozen=True)
class ErrorCurve:
    """Operating points at every distinct threshold, lowest threshold first.

    ``n_below[j]`` trials (``tgt_below[j]`` of them targets) score below threshold ``j``;
    the last point (j = number of distinct scores) is the reject-all threshold ``+inf``.
    ``thresholds`` (length = number of points) is filled when asked for.
    """

    tgt_below: np.ndarray
    n_below: np.ndarray
    n_target: int
    n_nontarget: int
    thresholds: Optional[np.ndarray] = None

    @property
    def fnr(self) -> np.ndarray:
        return self.tgt_below / self.n_target

    @property
    def fpr(self) -> np.ndarray:
        return (self.n_nontarget - (self.n_below - self.tgt_below)) / self.n_nontarget

    def rates_at(self, j: int) -> tuple:
        """(FNR, FPR) of point ``j`` without building the full arrays."""
        t = int(self.tgt_below[j])
        return t / self.n_target, (self.n_nontarget - (int(self.n_below[j]) - t)) / self.n_nontarget

    def __len__(self) -> int:
        return len(self.n_below)


def check_scores_labels(scores, labels):
    """Validate and return ``(float64 scores, bool target mask, n_target, n_nontarget)``.

    Raises MetricsError naming the first offending position for NaN/inf scores or labels other
    than 0/1, and for empty or single-class input (no EER/minDCF is defined there).
    """
    s = np.asarray(scores)
    if s.ndim != 1:
        raise MetricsError(f"scores must be a 1-D array, got shape {s.shape}")
    if s.size == 0:
        raise MetricsError("no scores given: EER/minDCF need target and non-target trials")
    if s.dtype.kind not in "fiu":
        raise MetricsError(f"scores must be numbers, got dtype {s.dtype}")
    s = s.astype(np.float64, copy=False)
    if not np.isfinite(s).all():
        i = int(np.flatnonzero(~np.isfinite(s))[0])
        raise MetricsError(f"score #{i} is {s[i]}: NaN/inf scores cannot be ranked")
    lab = np.asarray(labels)
    if lab.shape != s.shape:
        raise MetricsError(f"{lab.shape[0] if lab.ndim else lab.size} labels for {s.size} scores")
    if lab.dtype == np.bool_:
        tgt = lab
    elif lab.dtype.kind in "iuf":
        if lab.min() < 0 or lab.max() > 1 or (lab.dtype.kind == "f" and not np.isin(lab, (0, 1)).all()):
            bad = int(np.flatnonzero((lab != 0) & (lab != 1))[0])
            raise MetricsError(f"label #{bad} is {lab[bad].item()!r}: labels must be 1 (target) or 0 (non-target)")
        tgt = lab.view(np.bool_) if lab.dtype.itemsize == 1 and lab.dtype.kind in "iu" else lab != 0
    else:
        raise MetricsError(f"labels must be 0/1 or bool, got dtype {lab.dtype}")
    n_t = int(np.count_nonzero(tgt))
    n_n = s.size - n_t
    if n_t == 0 or n_n == 0:
        which = "target" if n_t == 0 else "non-target"
        raise MetricsError(f"no {which} trials among {s.size}: EER/minDCF need both classes")
    return s, tgt, n_t, n_n


_BLOCK = 1 << 16      # work in cache-sized blocks: the passes below are memory-bound


def _ordered_int(s: np.ndarray) -> np.ndarray:
    """int64 keys with the same order as the float64 scores (after -0.0 -> +0.0)."""
    k = (s + 0.0).view(np.int64)          # new array; -0.0 + 0.0 == +0.0
    m = k >> 63                           # 0 for >= 0, -1 for < 0
    np.bitwise_and(m, _LOW63, out=m)
    np.bitwise_xor(k, m, out=k)           # negative floats: flip the magnitude bits
    return k


def _decode(ordered: np.ndarray) -> np.ndarray:
    """Inverse of _ordered_int."""
    m = ordered >> 63
    m &= _LOW63
    return (ordered ^ m).view(np.float64)


def _sorted_keys(s: np.ndarray, tgt: np.ndarray):
    """Sorted uint64 keys ``(score key << 1) | is_target``; see the module docstring."""
    kmin = int(_ordered_int(np.array([s.min()]))[0])
    kmax = int(_ordered_int(np.array([s.max()]))[0])
    exact = kmax - kmin < (1 << 63)
    key = np.empty(s.size, dtype=np.uint64)
    for i0 in range(0, s.size, _BLOCK):
        kb = _ordered_int(s[i0:i0 + _BLOCK])
        if exact:
            kb -= np.int64(kmin)              # 0 .. 2**63-1, no overflow
            ub = kb.view(np.uint64)
            ub <<= _ONE
        else:
            ub = kb.view(np.uint64)
            ub ^= _SIGN                       # unsigned order
            ub &= ~_ONE
        np.bitwise_or(ub, tgt[i0:i0 + _BLOCK], out=key[i0:i0 + _BLOCK])
    key.sort()
    return key, exact, kmin


def error_curve(scores, labels, with_thresholds: bool = False) -> ErrorCurve:
    """Miss/false-alarm counts at every distinct threshold; O(n log n), one sort."""
    s, tgt, n_t, n_n = check_scores_labels(scores, labels)
    key, exact, kmin = _sorted_keys(s, tgt)
    n = s.size
    idt = np.int32 if n < 2**31 - 1 else np.int64
    tgt_below = np.empty(n + 1, dtype=idt)
    n_below = np.empty(n + 1, dtype=idt)
    tgt_below[0] = n_below[0] = 0
    w = 1                                  # points written so far
    carry = 0                              # targets before the current block
    below = np.empty(_BLOCK + 1, dtype=idt)  # below[l]: targets before local position l
    for i0 in range(0, n, _BLOCK):
        kb = key[i0:i0 + _BLOCK]
        m = kb.size
        if sys.byteorder == "little":
            is_tgt = np.bitwise_and(kb.view(np.uint8)[::8], 1)
        else:
            is_tgt = (kb & _ONE).astype(np.uint8)
        below[0] = carry
        np.cumsum(is_tgt, dtype=idt, out=below[1:m + 1])
        below[1:m + 1] += carry
        group = kb >> _ONE
        if i0 == 0:
            first = np.flatnonzero(group[1:] != group[:-1]) + 1
        else:
            new = np.empty(m, dtype=bool)
            new[0] = group[0] != last_group
            np.not_equal(group[1:], group[:-1], out=new[1:])
            first = np.flatnonzero(new)
        k = first.size
        n_below[w:w + k] = first + i0
        tgt_below[w:w + k] = below[first]
        w += k
        carry = int(below[m])
        last_group = group[-1]
    tgt_below[w] = n_t
    n_below[w] = n
    tgt_below = tgt_below[:w + 1]
    n_below = n_below[:w + 1]

    thresholds = None
    if with_thresholds:
        first_keys = key[n_below[:-1]] >> _ONE
        if exact:
            ordered = first_keys.view(np.int64) + np.int64(kmin)
        else:
            ordered = ((first_keys << _ONE) ^ _SIGN).view(np.int64)
        thresholds = np.append(_decode(ordered), np.inf)
    return ErrorCurve(tgt_below, n_below, n_t, n_n, thresholds)
