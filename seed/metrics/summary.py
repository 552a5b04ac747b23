"""The metrics dictionary every report uses, and its one-line rendering.

``compute_metrics`` returns ``{"eer", "min_dcf_p0.01", "min_dcf_p0.05", "n_target",
"n_nontarget"}`` (EER in percent), plus ``min_dcf_p<p>`` for any extra p_target asked for
(0.001 for Kaldi's second number).  p_target 0.01 and 0.05 are always present: ESPnet-SPK
publishes 0.05, Kaldi and WeSpeaker 0.01, and the two are not comparable.
"""
from __future__ import annotations

from typing import Iterable

from seed.metrics.curve import error_curve
from seed.metrics.dcf import min_dcf_from_curve
from seed.metrics.eer import eer_from_curve

__all__ = ["DEFAULT_P_TARGETS", "dcf_key", "compute_metrics", "format_metrics"]

DEFAULT_P_TARGETS = (0.01, 0.05)


def dcf_key(p_target: float) -> str:
    """JSON key of minDCF at ``p_target``: ``min_dcf_p0.01``."""
    return f"min_dcf_p{p_target:g}"


def compute_metrics(scores, labels, p_targets: Iterable[float] = (), eer_method: str = "interp",
                    c_miss: float = 1.0, c_fa: float = 1.0) -> dict:
    """EER (%) and minDCF at 0.01, 0.05 and any extra ``p_targets``, from one sort."""
    ps = list(DEFAULT_P_TARGETS)
    for p in p_targets:
        if float(p) not in ps:
            ps.append(float(p))
    curve = error_curve(scores, labels)
    out = {"eer": eer_from_curve(curve, eer_method)}
    for p, v in zip(ps, min_dcf_from_curve(curve, ps, c_miss, c_fa)):
        out[dcf_key(p)] = v
    out["n_target"] = curve.n_target
    out["n_nontarget"] = curve.n_nontarget
    return out


def format_metrics(m: dict) -> str:
    """``EER 1.234% | minDCF@0.01 0.1234 | minDCF@0.05 0.0567 | 37720 trials (18860 target)``."""
    parts = [f"EER {m['eer']:.3f}%"]
    for k, v in m.items():
        if k.startswith("min_dcf_p"):
            parts.append(f"minDCF@{k[len('min_dcf_p'):]} {v:.4f}")
    n = m["n_target"] + m["n_nontarget"]
    parts.append(f"{n} trials ({m['n_target']} target, {m['n_nontarget']} nontarget)")
    return " | ".join(parts)
