"""DET curves: miss rate against false-alarm rate on normal-deviate (probit) axes.

``det_curve`` gives the tie-aware points of ``seed.metrics.curve``.  ``plot_det_grid`` draws small
multiples -- one panel per condition, one colour/line style per system that is the same in every
panel, one figure legend outside the panels -- because a single panel with two dozen curves cannot
be read.  ``plot_det`` is its one-panel case.  Figures are built on the Agg canvas directly (no
pyplot, no global backend switch) and the PNG is written atomically.
"""
from __future__ import annotations

import math
import textwrap
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from seed.metrics.curve import MetricsError, error_curve
from seed.metrics.dcf import min_dcf_from_curve
from seed.metrics.eer import eer_from_curve

__all__ = ["det_curve", "plot_det", "plot_det_grid", "det_grid_figure", "system_styles", "DET_TICKS"]

# Tick positions (as rates) used by NIST-style DET plots.
DET_TICKS = (0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.4)

# Colour-blind-safe qualitative colours (Okabe & Ito, plus black and two Tableau shades), in the
# order systems receive them; after the last one the line style changes.
_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
            "#8C564B", "#7F7F7F", "#BCBD22")
_LINESTYLES = ("-", "--", "-.", ":")
_PANEL_IN = 2.7          # side of one square DET panel, inches
_LEGEND_PT = 9           # figure legend font size
_TICK_PT = 7             # tick label font size


def det_curve(scores, labels) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(fpr, fnr, thresholds)``, lowest threshold first (fpr falls, fnr rises).

    Threshold ``thresholds[j]`` accepts scores ``>= thresholds[j]``; the last one is ``+inf``.
    """
    c = error_curve(scores, labels, with_thresholds=True)
    return c.fpr, c.fnr, c.thresholds


def system_styles(system_order: Sequence[str]) -> Dict[str, Tuple[str, str]]:
    """``name -> (colour, linestyle)``: fixed by position, so one order gives the same look everywhere.

    Colours cycle first, then the line style changes; a colour+style pair is never reused.
    """
    n_max = len(_COLOURS) * len(_LINESTYLES)
    if len(system_order) > n_max:
        raise ValueError(f"{len(system_order)} systems cannot get distinct colour+line-style pairs "
                         f"(at most {n_max}); plot fewer systems per figure")
    if len(set(system_order)) != len(system_order):
        dup = next(s for i, s in enumerate(system_order) if s in system_order[:i])
        raise ValueError(f"system_order lists {dup!r} twice")
    return {s: (_COLOURS[i % len(_COLOURS)], _LINESTYLES[i // len(_COLOURS)])
            for i, s in enumerate(system_order)}


def _probit(p: np.ndarray, lo: float) -> np.ndarray:
    from scipy.special import ndtri       # the normal inverse CDF; far lighter to import than scipy.stats
    return ndtri(np.clip(p, lo, 1 - lo))


def _thin(x: np.ndarray, y: np.ndarray, step: float) -> np.ndarray:
    """Indices keeping the drawn shape: one point per ``step`` of path length (plus the ends)."""
    if len(x) <= 2:
        return np.arange(len(x))
    seg = np.hypot(np.diff(x), np.diff(y))
    arc = np.r_[0.0, np.cumsum(seg)]
    _, idx = np.unique(np.floor(arc / step), return_index=True)
    return np.unique(np.r_[idx, len(x) - 1])


def _det_ticks(curves, lowest_rate: Optional[float], worst_eer: float) -> Tuple[float, float, List[float]]:
    """Axis limits and tick rates shared by all panels.

    Lower limit: ``lowest_rate``, default one error in the largest trial list (at least 0.01 %).
    Upper limit: 50 %, or 80 % when some EER lies above 40 % so that its EER point stays in view.
    Ticks: decades first, then the others by preference, each kept only where its label has room.
    """
    if lowest_rate is None:
        smallest = min(1.0 / max(c.n_target, c.n_nontarget) for c in curves)
        lowest_rate = max(DET_TICKS[0], smallest)
    hi = 0.5 if worst_eer <= 0.4 else 0.8
    lo = min(lowest_rate, 0.1)
    candidates = [t for t in DET_TICKS + ((0.6, 0.8) if hi > 0.5 else ()) if lo * 0.999 <= t <= hi]
    preference = sorted(candidates, key=lambda t: (f"{t:g}".rstrip("0")[-1] != "1", -t))
    inch_per_unit = 0.85 * _PANEL_IN / float(np.diff(_probit(np.array([lo, hi]), lo * 0.5))[0])
    label_in = lambda t: len(f"{100 * t:g}") * 0.6 * _TICK_PT / 72
    kept = []
    for t in preference:
        x = _probit(np.array([t]), lo * 0.5)[0]
        if all(abs(x - _probit(np.array([k]), lo * 0.5)[0]) * inch_per_unit >= (label_in(t) + label_in(k)) / 2 + 0.07
               for k in kept):
            kept.append(t)
    return lo, hi, sorted(kept)


def _counts(curves) -> str:
    """``"1000 tgt / 50000 non"``, or the ranges when the systems of a panel used different trials."""
    nt = sorted({c.n_target for c in curves})
    nn = sorted({c.n_nontarget for c in curves})
    span = lambda v: str(v[0]) if len(v) == 1 else f"{v[0]}-{v[-1]}"
    return f"{span(nt)} tgt / {span(nn)} non-tgt"


def _measure(panels, p_target):
    """``{condition: {system: (curve, eer_rate, min_dcf)}}``; bad input names its panel and system."""
    if not isinstance(panels, Mapping) or not panels:
        raise ValueError("plot_det_grid needs at least one panel (condition -> {system: (scores, labels)})")
    out = {}
    for cond, systems in panels.items():
        if not isinstance(systems, Mapping) or not systems:
            raise ValueError(f"DET panel {cond!r} has no systems")
        out[cond] = {}
        for name, entry in systems.items():
            if not isinstance(entry, (tuple, list)) or len(entry) != 2:
                raise ValueError(f"DET panel {cond!r}, system {name!r}: expected (scores, labels), "
                                 f"got {type(entry).__name__}")
            try:
                c = error_curve(*entry)
                out[cond][name] = (c, eer_from_curve(c) / 100, min_dcf_from_curve(c, [p_target])[0])
            except MetricsError as e:
                raise MetricsError(f"DET panel {cond!r}, system {name!r}: {e}") from None
    return out


def _draw_panel(ax, cond, systems, shown, styles, axes) -> None:
    """One condition: a curve and EER dot per system, then its EER/minDCF rows beside the axes."""
    from matplotlib.lines import Line2D
    clip, edge = axes["clip"], axes["edge"]
    rows = []
    for name in shown:
        colour, ls = styles[name]
        if name not in systems:
            rows.append((Line2D([], [], color=colour, ls=ls, lw=1.4), "   -- no scores --"))
            continue
        c, eer, dcf = systems[name]
        x, y = _probit(c.fpr, clip), _probit(c.fnr, clip)
        keep = _thin(x, y, axes["step"])
        line, = ax.plot(x[keep], y[keep], color=colour, ls=ls, lw=1.4, label=name, gid=f"det|{cond}|{name}")
        e = _probit(np.array([eer]), clip)[0]
        ax.plot([e], [e], "o", ms=5, mfc=colour, mec="white", mew=0.6, color=colour,
                label="_eer", gid=f"eer|{cond}|{name}", zorder=3)
        rows.append((line, f"{100 * eer:6.2f}  {dcf:.3f}"))
    ax.plot(edge, edge, ls=":", lw=0.8, color="0.7", zorder=0)
    ax.set_xticks(axes["pos"], axes["labels"], fontsize=_TICK_PT)
    ax.set_yticks(axes["pos"], axes["labels"], fontsize=_TICK_PT)
    ax.set_xlim(*edge)
    ax.set_ylim(*edge)
    ax.set_aspect("equal")
    ax.grid(True, ls="--", lw=0.5, alpha=0.5)
    head = f"{cond}\n" if cond else ""
    ax.set_title(head + _counts([c for c, _, _ in systems.values()]), fontsize=8.5)
    # Numbers beside the panel, never over the curves: row k is system k of the figure legend.
    leg = ax.legend([h for h, _ in rows], [t for _, t in rows], loc="upper left", bbox_to_anchor=(1.02, 1.0),
                    borderaxespad=0, handlelength=1.6, handletextpad=0.4, labelspacing=0.3, frameon=False,
                    title="  EER%  minDCF", title_fontsize=7, alignment="left",
                    prop={"family": "monospace", "size": 7})
    leg.set_in_layout(True)


def det_grid_figure(panels: Mapping[str, Mapping[str, Tuple[Sequence[float], Sequence[int]]]],
                    title: str = "", p_target: float = 0.01, system_order: Optional[Sequence[str]] = None,
                    ncols: Optional[int] = None, lowest_rate: Optional[float] = None):
    """Build (do not save) the small-multiples DET figure of ``plot_det_grid``; returns the Figure.

    Artists carry ``gid`` ``"det|<condition>|<system>"`` (curve) and ``"eer|<condition>|<system>"``
    (EER marker) so that callers and tests can find them.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    measured = _measure(panels, p_target)
    seen = list(dict.fromkeys(s for systems in measured.values() for s in systems))
    if system_order is None:
        system_order = seen
    else:
        system_order = list(system_order)
        missing = [s for s in seen if s not in system_order]
        if missing:
            raise ValueError(f"system {missing[0]!r} is plotted but not in system_order")
    styles = system_styles(system_order)
    shown = [s for s in system_order if s in seen]        # legend rows; colours keep the full order
    n = len(measured)
    if ncols is None:
        ncols = math.ceil(n / math.ceil(n / 4))           # rows of at most 4, as even as possible
    if not isinstance(ncols, int) or ncols < 1:
        raise ValueError(f"ncols must be a positive integer, got {ncols!r}")
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)

    everything = [m for systems in measured.values() for m in systems.values()]
    lo, hi, ticks = _det_ticks([c for c, _, _ in everything], lowest_rate, max(e for _, e, _ in everything))
    clip = lo * 0.5                       # curves run just past the axes instead of stopping on them
    edge = _probit(np.array([lo, hi]), clip)
    pos = _probit(np.array(ticks), clip)
    tick_labels = [f"{100 * t:g}" for t in ticks]

    # Text widths are estimated (0.6 em a character): wrap or widen so that nothing is cut.
    entry_in = max(len(s) for s in shown) * 0.6 * _LEGEND_PT / 72 + 0.9
    width = max(ncols * (_PANEL_IN + 1.45) + 0.6, entry_in + 0.4)
    legend_cols = max(1, min(len(shown), 4, int((width - 0.4) // entry_in)))
    legend_rows = math.ceil(len(shown) / legend_cols)
    wrap = lambda text, pt: textwrap.fill(text, width=max(20, int(width * 72 / (pt * 0.6))))
    where = "each panel" if n > 1 else "the panel"
    legend_title = wrap(f"Systems (dot = EER point).  Beside {where}: EER (%) and minDCF (p_target "
                        f"{p_target:g}) of each system, in the order of this legend (read row by row).", 8.5)
    title = wrap(title, 11) if title else ""
    lines_in = lambda text, pt: (text.count("\n") + 1) * pt * 1.3 / 72 if text else 0.0
    height = (nrows * (_PANEL_IN + 0.8) + 0.3 + lines_in(title, 11) + lines_in(legend_title, 8.5)
              + legend_rows * _LEGEND_PT * 1.9 / 72)
    fig = Figure(figsize=(width, height), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(nrows, ncols)
    axes = dict(edge=edge, pos=pos, labels=tick_labels, clip=clip, step=(edge[1] - edge[0]) / 2000)
    for k, (cond, systems) in enumerate(measured.items()):
        ax = fig.add_subplot(grid[k // ncols, k % ncols])
        _draw_panel(ax, cond, systems, shown, styles, axes)
        if k + ncols >= n:                # no panel below: this one carries the x label
            ax.set_xlabel("False positive rate (%)", fontsize=8)
        if k % ncols == 0:
            ax.set_ylabel("False negative rate (%)", fontsize=8)
    # Matplotlib fills legend columns first; feed it column by column so it reads in rows, in order.
    order = [i for j in range(legend_cols) for i in range(j, len(shown), legend_cols)]
    handles = [Line2D([], [], color=styles[shown[i]][0], ls=styles[shown[i]][1], lw=1.8, marker="o",
                      ms=4.5, mfc=styles[shown[i]][0], mec="white", mew=0.6) for i in order]
    fig.legend(handles, [shown[i] for i in order], loc="outside lower center", ncols=legend_cols,
               fontsize=_LEGEND_PT, frameon=False, title_fontsize=8.5,
               title=legend_title)
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


def _save_png(fig, out_png) -> None:
    from seed.data import atomic_write
    with atomic_write(out_png, mode="wb") as f:
        fig.savefig(f, format="png")


def plot_det_grid(panels: Mapping[str, Mapping[str, Tuple[Sequence[float], Sequence[int]]]], out_png,
                  title: str = "", p_target: float = 0.01, system_order: Optional[Sequence[str]] = None,
                  ncols: Optional[int] = None, lowest_rate: Optional[float] = None):
    """One DET panel per ``condition -> {system: (scores, labels)}``, saved to ``out_png`` atomically.

    Panels keep the mapping's order, share probit axes (limits from the largest trial list, or
    ``lowest_rate``) and are titled with their trial counts.  Each system keeps one colour and line
    style in every panel, fixed by its position in ``system_order`` (default: first appearance), so
    the same order gives the same colours across figures.  EER points are marked; EER and minDCF at
    ``p_target`` are listed beside each panel; one legend below the panels names the systems.
    Returns the matplotlib Figure (already saved; inspect it or let it be collected).
    """
    fig = det_grid_figure(panels, title=title, p_target=p_target, system_order=system_order,
                          ncols=ncols, lowest_rate=lowest_rate)
    _save_png(fig, out_png)
    return fig


def plot_det(systems: Mapping[str, Tuple[Sequence[float], Sequence[int]]], out_png,
             title: str = "", p_target: float = 0.01, lowest_rate: float = None):
    """All ``name -> (scores, labels)`` curves in one panel: ``plot_det_grid`` with a single condition."""
    if not systems:
        raise ValueError("plot_det needs at least one system")
    return plot_det_grid({"": systems}, out_png, title=title, p_target=p_target, lowest_rate=lowest_rate)
