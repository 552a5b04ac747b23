"""DET curves: miss rate against false-alarm rate on normal-deviate (probit) axes.

``det_curve`` gives the tie-aware points of ``seed.metrics.curve``; ``plot_det`` draws several
systems on one figure (matplotlib, Agg backend, no display needed) and writes a PNG atomically.
"""
from __future__ import annotations

from typing import Mapping, Sequence, Tuple

import numpy as np

from seed.metrics.curve import error_curve
from seed.metrics.dcf import min_dcf_from_curve
from seed.metrics.eer import eer_from_curve

__all__ = ["det_curve", "plot_det", "DET_TICKS"]

# Tick positions (as rates) used by NIST-style DET plots.
DET_TICKS = (0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.4)


def det_curve(scores, labels) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(fpr, fnr, thresholds)``, lowest threshold first (fpr falls, fnr rises).

    Threshold ``thresholds[j]`` accepts scores ``>= thresholds[j]``; the last one is ``+inf``.
    """
    c = error_curve(scores, labels, with_thresholds=True)
    return c.fpr, c.fnr, c.thresholds


def _probit(p: np.ndarray, lo: float) -> np.ndarray:
    from scipy.stats import norm
    return norm.ppf(np.clip(p, lo, 1 - lo))


def _thin(x: np.ndarray, y: np.ndarray, step: float) -> np.ndarray:
    """Indices keeping the drawn shape: one point per ``step`` of path length (plus the ends)."""
    if len(x) <= 2:
        return np.arange(len(x))
    seg = np.hypot(np.diff(x), np.diff(y))
    arc = np.r_[0.0, np.cumsum(seg)]
    _, idx = np.unique(np.floor(arc / step), return_index=True)
    return np.unique(np.r_[idx, len(x) - 1])


def plot_det(systems: Mapping[str, Tuple[Sequence[float], Sequence[int]]], out_png,
             title: str = "", p_target: float = 0.01, lowest_rate: float = None) -> None:
    """Draw one DET curve per ``name -> (scores, labels)`` and save ``out_png`` atomically.

    The legend gives each system's EER and minDCF@``p_target``; the EER point is marked.
    ``lowest_rate`` sets the lower axis limit (default: from the data, at least 0.01 %).
    """
    if not systems:
        raise ValueError("plot_det needs at least one system")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from seed.data import atomic_write

    curves = {}
    for name, (scores, labels) in systems.items():
        c = error_curve(scores, labels)
        curves[name] = (c, eer_from_curve(c) / 100, min_dcf_from_curve(c, [p_target])[0])
    if lowest_rate is None:
        smallest = min(1.0 / max(c.n_target, c.n_nontarget) for c, _, _ in curves.values())
        lowest_rate = max(DET_TICKS[0], smallest)
    ticks = [t for t in DET_TICKS if t >= lowest_rate * 0.999]
    if len(ticks) > 9:                    # a wide range: fewer ticks at the crowded low end
        ticks = [t for t in ticks if t >= 0.005 or t == ticks[0] or str(t).rstrip("0").endswith("1")]
    lo = min(ticks[0], lowest_rate)
    hi = 0.5

    fig, ax = plt.subplots(figsize=(5.5, 5.5), dpi=120)
    span = _probit(np.array([hi]), lo)[0] - _probit(np.array([lo]), lo)[0]
    for name, (c, eer, dcf) in curves.items():
        x, y = _probit(c.fpr, lo * 0.5), _probit(c.fnr, lo * 0.5)
        keep = _thin(x, y, span / 2000)
        line, = ax.plot(x[keep], y[keep], lw=1.5,
                        label=f"{name}  (EER {100 * eer:.2f}%, minDCF@{p_target:g} {dcf:.3f})")
        e = _probit(np.array([eer]), lo * 0.5)[0]
        ax.plot([e], [e], "o", ms=4, color=line.get_color())
    edge = _probit(np.array([lo, hi]), lo * 0.5)
    ax.plot(edge, edge, ls=":", lw=0.8, color="0.5")
    pos = _probit(np.array(ticks), lo * 0.5)
    labels = [f"{100 * t:g}" for t in ticks]
    ax.set_xticks(pos, labels)
    ax.set_yticks(pos, labels)
    ax.set_xlim(*edge)
    ax.set_ylim(*edge)
    ax.set_xlabel("False positive rate (%)")
    ax.set_ylabel("False negative rate (%)")
    ax.grid(True, ls="--", lw=0.5, alpha=0.6)
    if title:
        ax.set_title(title)
    ax.legend(loc="upper right", fontsize=7)
    fig.tight_layout()
    with atomic_write(out_png, mode="wb") as f:
        fig.savefig(f, format="png")
    plt.close(fig)
