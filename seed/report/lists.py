"""The extra trial lists of a recipe (Vox1-E/H, VC-Mix, VoxSRC-23, ...): scored clean, as distributed,
with every system of the main tables, each list its own section in RESULTS.md and its own key in
results.json. They go through the same `evaluate_system` and `summarise` as the main list (with the
single condition `clean`), so a number means the same thing in every section.
"""
from __future__ import annotations

from pathlib import Path

from seed.data import read_trials
from seed.report.evaluate import evaluate_system
from seed.report.tables import (CLEAN, CONTROLS, METRICS, _fmt, _fmt_rel, _index, aggregate_rows, display_name, leak_note,
                                rel_change, summarise, target_errors)


def evaluate_list(entry, systems, backends, norms, top_k=None, scores_dir=None, eer_method="interp"):
    """One extra list: {"name", "set", "trials", n_target, n_nontarget, rows, per_seed_rows, summary}
    and the DET scores {system: scores} of the first backend and norm (first eval seed)."""
    trials = read_trials(entry["trials"])
    rows, det = [], {}
    for s in systems:
        r, d = evaluate_system(s, trials, entry["set"], [CLEAN], backends, norms, top_k,
                               None if scores_dir is None else Path(scores_dir), eer_method=eer_method)
        rows += r
        if CLEAN in d and s.name not in det:
            det[s.name] = d[CLEAN]
    agg = aggregate_rows(rows)
    summary = summarise(agg, systems=sorted({s.name for s in systems} - {"baseline", *CONTROLS}))
    result = {**entry, "n_target": trials.n_target, "n_nontarget": trials.n_nontarget, "rows": agg,
              "per_seed_rows": rows, "summary": summary}
    return result, det, trials.labels


def render_list_md(result, systems_order, leaked=()):
    """A section: rows = (backend, norm), columns = systems; EER [errors] (vs baseline / vs centering),
    then minDCF@0.01 / @0.05. Rows of a (backend, norm) in `leaked` are marked LABEL-LEAKED."""
    idx = _index(result["rows"])
    combos = list(dict.fromkeys((r["backend"], r["norm"]) for r in result["rows"]))
    here = [s for s in systems_order if any((CLEAN, s, b, n) in idx for b, n in combos)]
    names = [display_name(s) for s in here]
    lines = ["", f"### Trial list `{result['name']}` (clean, as distributed)", "",
             f"`{result['trials']}` on data dir `{result['set']}` — {result['n_target']} target / "
             f"{result['n_nontarget']} non-target trials. EER % [target trials missed at the EER] "
             "(relative EER change vs baseline / vs the centering control); SEED rows: mean ± std over eval seeds.",
             "", "| backend, norm | " + " | ".join(names) + " |", "|" + "---|" * (len(names) + 1)]
    for backend, norm in combos:
        base = idx.get((CLEAN, "baseline", backend, norm))
        center = idx.get((CLEAN, "centering", backend, norm))
        cells = [f"{backend}, {norm}{leak_note(backend, norm, leaked, ' ({})')}"]
        for s in here:
            r = idx.get((CLEAN, s, backend, norm))
            if r is None:
                cells.append("–")
                continue
            cell = f"{_fmt(r['eer'], r['eer_std'])} [{target_errors(r)}]"
            if s != "baseline" and base is not None:
                vs_center = (rel_change(r["eer"], center["eer"]) if center is not None and s != "centering"
                             else None)
                cell += f" ({_fmt_rel(rel_change(r['eer'], base['eer']))}" + \
                    (f" / {_fmt_rel(vs_center)})" if vs_center is not None else ")")
            cells.append(cell)
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "minDCF@0.01 / minDCF@0.05", "", "| backend, norm | " + " | ".join(names) + " |",
              "|" + "---|" * (len(names) + 1)]
    for backend, norm in combos:
        cells = [f"{backend}, {norm}{leak_note(backend, norm, leaked, ' ({})')}"]
        for s in here:
            r = idx.get((CLEAN, s, backend, norm))
            cells.append("–" if r is None else " / ".join(_fmt(r[m], r[m + "_std"], 3) for m in METRICS[1:]))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
