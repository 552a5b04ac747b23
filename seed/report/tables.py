"""Turn per-run metric rows into RESULTS.md and a summary a reader can judge SEED by.

A row is one (condition, system, backend, norm, eval seed) with the metrics of
`seed.metrics`; SEED rows over several eval seeds are aggregated to mean ± std. The summary
states the relative EER change of SEED against the baseline AND against the free controls — the
centering control (the baseline minus the mean of SEED's own unlabelled training embeddings) and
domain centering (the baseline minus the mean of the target domain's unlabelled embeddings) — and
against the BEST of them, because any gain SEED claims must be on top of what a practitioner gets
for free. The best control of a (backend, norm) is the one with the lower pooled mismatched EER
(without a pooled row: the lower mean mismatched EER; ties: the centering control).
"""
import math

import numpy as np

METRICS = ("eer", "min_dcf_p0.01", "min_dcf_p0.05")
LABELS = {"eer": "EER %", "min_dcf_p0.01": "minDCF@0.01", "min_dcf_p0.05": "minDCF@0.05"}
CLEAN = "clean"
POOLED = "mismatched_pooled"   # every mismatched condition's trials scored at one threshold
LEAKED_MARK = "LABEL-LEAKED"   # on every (backend, norm) trained on the trial speakers (seed.report.overlap)
CONTROLS = ("centering", "domain_centering")   # the free controls, in tie-break order
SWEEP_CENTERINGS = ("none", "training", "domain")   # the centerings of a swept setting (seed.report.sweep)


def pooled_trials(score_lists, labels):
    """The pooled mismatched list (POOLED): the scores of every mismatched condition, one after another,
    with the trial labels repeated once per condition -> (scores, labels)."""
    return np.concatenate(score_lists), np.tile(labels, len(score_lists))


def target_errors(row):
    """Target trials missed at the EER threshold (EER × targets): how many errors the EER rests on."""
    return int(round(row["eer"] / 100.0 * row["n_target"]))


def condition_label(condition):
    return "all mismatched, pooled" if condition == POOLED else condition


def aggregate_rows(rows):
    """Group rows by (condition, system, backend, norm); mean and sample std over eval seeds."""
    groups = {}
    for r in rows:
        groups.setdefault((r["condition"], r["system"], r["backend"], r["norm"]), []).append(r)
    out = []
    for (cond, system, backend, norm), rs in groups.items():
        agg = {"condition": cond, "system": system, "backend": backend, "norm": norm,
               "n_target": rs[0]["n_target"], "n_nontarget": rs[0]["n_nontarget"],
               "eval_seeds": [r.get("eval_seed") for r in rs if r.get("eval_seed") is not None]}
        for m in METRICS:
            vals = np.array([r[m] for r in rs], dtype=float)
            agg[m] = float(vals.mean())
            agg[m + "_std"] = float(vals.std(ddof=1)) if len(vals) > 1 else 0.0
        out.append(agg)
    return out


def rel_change(new, old):
    """Relative change in percent (negative = better for error metrics); None when old is 0."""
    return None if old == 0 else 100.0 * (new - old) / old


def _index(agg):
    return {(r["condition"], r["system"], r["backend"], r["norm"]): r for r in agg}


def best_controls(agg):
    """{(backend, norm): the free control with the lower pooled mismatched EER (module docstring)}."""
    idx = _index(agg)
    out = {}
    for backend, norm in sorted({(r["backend"], r["norm"]) for r in agg if r["system"] in CONTROLS}):
        def error(control):
            pooled = idx.get((POOLED, control, backend, norm))
            if pooled is not None:
                return pooled["eer"]
            eers = [r["eer"] for r in agg if (r["system"], r["backend"], r["norm"]) == (control, backend, norm)
                    and r["condition"] not in (CLEAN, POOLED)]
            return float(np.mean(eers)) if eers else math.inf
        present = [c for c in CONTROLS if any((r["system"], r["backend"], r["norm"]) == (c, backend, norm)
                                              for r in agg)]
        out[(backend, norm)] = min(present, key=lambda c: (error(c), CONTROLS.index(c)))
    return out


def _against(idx, system, control, backend, norm, conds):
    """Mean relative EER change over the mismatched `conds`, the pooled one and the clean one, of
    `system` against `control` (None where the control has no row)."""
    rels = [rel_change(idx[(c, system, backend, norm)]["eer"], idx[(c, control, backend, norm)]["eer"])
            for c in conds if c != CLEAN and (c, control, backend, norm) in idx]
    rels = [r for r in rels if r is not None]
    pooled, pooled_c = idx.get((POOLED, system, backend, norm)), idx.get((POOLED, control, backend, norm))
    clean, clean_c = idx.get((CLEAN, system, backend, norm)), idx.get((CLEAN, control, backend, norm))
    return (float(np.mean(rels)) if rels else None,
            rel_change(pooled["eer"], pooled_c["eer"]) if pooled and pooled_c else None,
            rel_change(clean["eer"], clean_c["eer"]) if clean and clean_c else None)


def summarise(agg, systems=("seed",)):
    """Per (system, backend, norm): mean relative EER change over mismatched conditions (against the
    baseline, the centering control, domain centering and the best of the two controls, where they
    have rows), the pooled and clean changes, and how many conditions beat the baseline / the controls
    on EER and on both minDCFs. The one definition of every summary figure: the main tables and the
    strength sweep both use it."""
    idx = _index(agg)
    best = best_controls(agg)
    out = []
    combos = sorted({(r["system"], r["backend"], r["norm"]) for r in agg if r["system"] in systems})
    for system, backend, norm in combos:
        conds = [r["condition"] for r in agg if (r["system"], r["backend"], r["norm"]) == (system, backend, norm)
                 and r["condition"] != POOLED]
        rels, rels_center, beats_base, beats_center, n_center = [], [], 0, 0, 0
        clean = None
        for c in conds:
            s = idx[(c, system, backend, norm)]
            b = idx.get((c, "baseline", backend, norm))
            z = idx.get((c, "centering", backend, norm))
            if b is None:
                continue
            rc = rel_change(s["eer"], b["eer"])
            if c == CLEAN:
                clean = {"eer_rel_change": rc, "eer": s["eer"], "baseline_eer": b["eer"],
                         "min_dcf_p0.01": s["min_dcf_p0.01"], "baseline_min_dcf_p0.01": b["min_dcf_p0.01"],
                         "min_dcf_p0.05": s["min_dcf_p0.05"], "baseline_min_dcf_p0.05": b["min_dcf_p0.05"]}
            elif rc is not None:
                rels.append(rc)
                rz = None if z is None else rel_change(s["eer"], z["eer"])
                if rz is not None:
                    rels_center.append(rz)
            if all(s[m] <= b[m] for m in METRICS):
                beats_base += 1
            if z is not None:
                n_center += 1
                if all(s[m] < z[m] for m in METRICS):
                    beats_center += 1
        pooled = idx.get((POOLED, system, backend, norm))
        pooled_base = idx.get((POOLED, "baseline", backend, norm))
        pooled_center = idx.get((POOLED, "centering", backend, norm))
        control = best.get((backend, norm))
        domain = _against(idx, system, "domain_centering", backend, norm, conds)
        vs_best = _against(idx, system, control, backend, norm, conds) if control else (None, None, None)
        beats_best = sum(all(idx[(c, system, backend, norm)][m] < idx[(c, control, backend, norm)][m] for m in METRICS)
                         for c in conds if control and (c, control, backend, norm) in idx)
        out.append({"system": system, "backend": backend, "norm": norm,
                    "best_control": control,
                    "mean_rel_eer_change_vs_domain_centering_mismatched": domain[0],
                    "pooled_mismatched_eer_rel_change_vs_domain_centering": domain[1],
                    "clean_eer_rel_change_vs_domain_centering": domain[2],
                    "mean_rel_eer_change_vs_best_control_mismatched": vs_best[0],
                    "pooled_mismatched_eer_rel_change_vs_best_control": vs_best[1],
                    "clean_eer_rel_change_vs_best_control": vs_best[2],
                    "conditions_beating_best_control_all_metrics": beats_best,
                    "pooled_mismatched_eer": pooled and pooled["eer"],
                    "pooled_mismatched_target_errors": pooled and target_errors(pooled),
                    "pooled_mismatched_eer_rel_change": (pooled and pooled_base
                                                         and rel_change(pooled["eer"], pooled_base["eer"])),
                    "pooled_mismatched_eer_rel_change_vs_centering": (pooled and pooled_center
                                                                      and rel_change(pooled["eer"], pooled_center["eer"])),
                    "mean_rel_eer_change_mismatched": float(np.mean(rels)) if rels else None,
                    "n_mismatched": len(rels),
                    "mean_rel_eer_change_vs_centering_mismatched": float(np.mean(rels_center)) if rels_center else None,
                    "clean": clean, "n_conditions": len(conds),
                    "conditions_no_worse_than_baseline_all_metrics": beats_base,
                    "conditions_beating_centering_all_metrics": beats_center,
                    "conditions_with_centering": n_center})
    return out


def _fmt(v, std=None, digits=2):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    s = f"{v:.{digits}f}"
    return s if not std else f"{s} ± {std:.{digits}f}"


def _fmt_rel(v):
    return "–" if v is None else f"{v:+.1f} %"


def fmt_rel_ci(v, ci=None):
    """'+3.1 % [-4.0, +9.9]': a relative change and its interval (seed.report.intervals), where there is one."""
    text = _fmt_rel(v)
    if v is None or not ci:
        return text
    if ci.get("low") is None:   # every replicate had a control EER of 0 (where there were replicates)
        n = ci.get("n_undefined")
        return text + (f" [no interval: undefined in all {n} replicates, a control EER of 0]" if n else "")
    text += f" [{ci['low']:+.1f}, {ci['high']:+.1f}]"
    return text + (f" ({ci['n_undefined']} undefined)" if ci.get("n_undefined") else "")


def _ci(s, key):
    return (s.get("vs_best_control_intervals") or {}).get(key)


def _fmt_pooled(s):
    if s.get("pooled_mismatched_eer") is None:
        return "–"
    return (f"{s['pooled_mismatched_eer']:.2f} [{s['pooled_mismatched_target_errors']}] "
            f"({_fmt_rel(s['pooled_mismatched_eer_rel_change'])} / "
            f"{_fmt_rel(s['pooled_mismatched_eer_rel_change_vs_centering'])} / "
            f"{fmt_rel_ci(s.get('pooled_mismatched_eer_rel_change_vs_best_control'), _ci(s, 'pooled'))})")


def display_name(system):
    """Readable system name: seed -> SEED, X_centered -> 'X + centering', X_domain_centered -> 'X + domain
    centering'."""
    names = {"baseline": "baseline", "centering": "centering control", "domain_centering": "domain centering",
             "seed": "SEED"}
    if system.endswith("_domain_centered"):
        return f"{display_name(system[:-len('_domain_centered')])} + domain centering"
    if system.endswith("_centered"):
        return f"{display_name(system[:-len('_centered')])} + centering"
    return names.get(system, system)


def leak_note(backend, norm, leaked, form):
    """The LABEL-LEAKED mark of a (backend, norm) in `leaked`, as `form` (e.g. " ({})"), else ""."""
    return form.format(LEAKED_MARK) if (backend, norm) in leaked else ""


def render_results_md(agg, summary, header_lines, systems_order=("baseline", "centering", "domain_centering", "seed",
                                                                 "seed_centered", "seed_domain_centered"),
                      system_names=None, leaked=()):
    """Markdown: one table per (backend, norm), rows = condition, blocks = systems side by side.
    Every (backend, norm) in `leaked` is marked LABEL-LEAKED in its heading and summary rows."""
    system_names = system_names or {s: display_name(s) for s in {r["system"] for r in agg}}
    idx = _index(agg)
    lines = list(header_lines)
    combos, conditions = [], []
    for r in agg:
        if (r["backend"], r["norm"]) not in combos:
            combos.append((r["backend"], r["norm"]))
        if r["condition"] not in conditions:
            conditions.append(r["condition"])
    systems_present = [s for s in systems_order if any(r["system"] == s for r in agg)]
    systems_present += sorted({r["system"] for r in agg} - set(systems_present))
    for backend, norm in combos:
        here = [s for s in systems_present if any((c, s, backend, norm) in idx for c in conditions)]
        names = [system_names.get(s, s) for s in here]
        lines += ["", f"### {backend}, score normalisation: {norm}{leak_note(backend, norm, leaked, ' — {}')}", "",
                  "EER % [target trials missed at the EER: the errors it rests on] (SEED-based rows: mean ± std "
                  "over eval seeds; in brackets: relative EER change vs baseline)", "",
                  "| condition | trials (tgt/non) | " + " | ".join(names) + " |",
                  "|" + "---|" * (len(names) + 2)]
        for c in conditions:
            base = idx.get((c, "baseline", backend, norm))
            any_row = next((idx[(c, s, backend, norm)] for s in here if (c, s, backend, norm) in idx), None)
            if any_row is None:
                continue
            cells = [condition_label(c), f"{any_row['n_target']}/{any_row['n_nontarget']}"]
            for s in here:
                r = idx.get((c, s, backend, norm))
                if r is None:
                    cells.append("–")
                    continue
                cell = f"{_fmt(r['eer'], r['eer_std'])} [{target_errors(r)}]"
                if s != "baseline" and base is not None and rel_change(r["eer"], base["eer"]) is not None:
                    cell += f" ({_fmt_rel(rel_change(r['eer'], base['eer']))})"
                cells.append(cell)
            lines.append("| " + " | ".join(cells) + " |")
        lines += ["", "minDCF@0.01 / minDCF@0.05", "",
                  "| condition | " + " | ".join(names) + " |", "|" + "---|" * (len(names) + 1)]
        for c in conditions:
            if not any((c, s, backend, norm) in idx for s in here):
                continue
            cells = [condition_label(c)]
            for s in here:
                r = idx.get((c, s, backend, norm))
                cells.append("–" if r is None else
                             f"{_fmt(r['min_dcf_p0.01'], r['min_dcf_p0.01_std'], 3)} / "
                             f"{_fmt(r['min_dcf_p0.05'], r['min_dcf_p0.05_std'], 3)}")
            lines.append("| " + " | ".join(cells) + " |")
    best = best_controls(agg)
    boot = next((s["vs_best_control_intervals"] for s in summary if s.get("vs_best_control_intervals")), None)
    lines += ["", "### Summary", "",
              "Best free control per backend and norm (lower pooled mismatched EER): "
              + ("; ".join(f"{b}/{n}: {system_names.get(c, c)}" for (b, n), c in best.items()) or "none") + "."
              + ("" if not boot else
                 f" In brackets after a change vs the best control: its {boot['level']:g} % speaker-bootstrap interval "
                 f"({boot['n_speakers']} speakers resampled, {boot['n_boot']} replicates, paired: "
                 "seed.report.intervals); an interval that contains 0 is no evidence either way."), "",
              "| system | backend | norm | mean rel. EER change, mismatched: vs baseline | vs centering control "
              "| vs domain centering | **vs best free control** "
              "| pooled mismatched EER % [errors] (vs baseline / vs centering / **vs best control**) "
              "| rel. EER change, clean: vs baseline / **vs best control** "
              "| clean minDCF@0.01 / @0.05 (baseline → system) "
              "| conditions no worse than baseline (all 3 metrics) | conditions beating the best control (all 3 metrics) |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for s in summary:
        clean = s["clean"]
        clean_dcf = "–" if not clean else (
            f"{clean['baseline_min_dcf_p0.01']:.3f} → {clean['min_dcf_p0.01']:.3f} / "
            f"{clean['baseline_min_dcf_p0.05']:.3f} → {clean['min_dcf_p0.05']:.3f}")
        control = s.get("best_control")
        lines.append(f"| {system_names.get(s['system'], s['system'])} | {s['backend']} | {s['norm']}"
                     f"{leak_note(s['backend'], s['norm'], leaked, ' ({})')} | "
                     f"{_fmt_rel(s['mean_rel_eer_change_mismatched'])} over {s['n_mismatched']} | "
                     f"{_fmt_rel(s['mean_rel_eer_change_vs_centering_mismatched'])} | "
                     f"{_fmt_rel(s.get('mean_rel_eer_change_vs_domain_centering_mismatched'))} | "
                     f"{fmt_rel_ci(s.get('mean_rel_eer_change_vs_best_control_mismatched'), _ci(s, 'mean_mismatched'))} | "
                     f"{_fmt_pooled(s)} | "
                     f"{_fmt_rel(clean['eer_rel_change']) if clean else '–'} / "
                     f"{fmt_rel_ci(s.get('clean_eer_rel_change_vs_best_control'), _ci(s, 'clean'))} | {clean_dcf} | "
                     f"{s['conditions_no_worse_than_baseline_all_metrics']}/{s['n_conditions']} | "
                     + (f"{s['conditions_beating_best_control_all_metrics']}/{s['n_conditions']} |" if control
                        else "– |"))
    return "\n".join(lines) + "\n"


def render_sweep_md(agg, summary, conditions, model_notes=None):
    """Markdown of a strength sweep: one row per (model, strength, t*, centred), EER per condition
    and the summary's mean relative changes (the same definition as the main summary)."""
    idx = _index(agg)
    model_notes = model_notes or {}
    lines = ["| model | strength | t* | centering | " + " | ".join(conditions)
             + " | pooled mismatched EER [errors] | mean rel. EER change, mismatched: vs baseline "
               "| vs centering control | vs best free control | rel. EER change, clean |",
             "|" + "---|" * (len(conditions) + 9)]

    def row(label, system, strength="–", t="–", centred="–", summ=None):
        cells = [label, str(strength), str(t), centred]
        for c in conditions:
            r = idx.get((c, system, "cosine", "none"))
            cells.append("–" if r is None else _fmt(r["eer"], r["eer_std"]))
        pooled = idx.get((POOLED, system, "cosine", "none"))
        cells.append("–" if pooled is None else f"{_fmt(pooled['eer'], pooled['eer_std'])} [{target_errors(pooled)}]")
        if summ is None:
            cells += ["–", "–", "–", "–"]
        else:
            cells += [_fmt_rel(summ["mean_rel_eer_change_mismatched"]),
                      _fmt_rel(summ["mean_rel_eer_change_vs_centering_mismatched"]),
                      _fmt_rel(summ.get("mean_rel_eer_change_vs_best_control_mismatched")),
                      _fmt_rel(summ["clean"]["eer_rel_change"]) if summ["clean"] else "–"]
        lines.append("| " + " | ".join(cells) + " |")

    row("baseline", "baseline")
    row("centering control", "centering")
    if any(r["system"] == "domain_centering" for r in agg):
        row("domain centering", "domain_centering")
    for s in sorted(summary, key=lambda s: (s["model"], s["strength"], s["t"], SWEEP_CENTERINGS.index(s["centering"]))):
        if (s["backend"], s["norm"]) != ("cosine", "none"):
            continue
        row(model_notes.get(s["model"], s["model"]), s["system"], f"{s['strength']:g}", s["t"],
            {"none": "none", "training": "training corpus", "domain": "domain"}[s["centering"]], s)
    return "\n".join(lines) + "\n"
