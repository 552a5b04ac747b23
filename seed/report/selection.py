"""Choose on dev, report on test: the main list's speakers split in two halves.

`split_speakers` orders the list's speakers by a stable hash of their names (derive_seed, never the
corpus's order) and gives the first half to dev and the rest to test; a part keeps the trials whose
two speakers both lie in it (cross-part non-target trials are dropped from both). On dev, for each
SEED model (the recipe's own, each out-of-domain one), every candidate — the free controls and
every system of that model: the recipe's settings, its variants, every strength-sweep setting,
each with its centering twins; cosine, no normalisation — is ranked by its pooled mismatched EER
(mean over eval seeds), and a SEED candidate is eligible only if its clean EER is no worse than the
best control's (the control with the lower pooled mismatched EER on dev). Ties go to the control (it
is free), then to a recipe setting over its own sweep row. The chosen candidate and the dev-best
control are then reported on the test speakers, with speaker-bootstrap intervals drawn from the
test speakers alone (seed.report.intervals). By construction the chosen candidate is never worse
than the best free control on dev. With tens of speakers a half is small: the test intervals say
how much a dev choice can be trusted.
"""
from __future__ import annotations

import re

import numpy as np

from seed.data import derive_seed
from seed.metrics import compute_metrics
from seed.report.intervals import BOOTSTRAP_SEED, N_BOOTSTRAP, ReplicateEers, SpeakerBootstrap
from seed.report.tables import (CLEAN, CONTROLS, POOLED, aggregate_rows, best_controls, fmt_rel_ci, pooled_trials,
                                rel_change, target_errors)

BACKEND, NORM = "cosine", "none"          # the sweep's scoring: the one every candidate has


def split_speakers(speakers):
    """(dev speakers, test speakers): halves of the hash-ordered speakers (module docstring)."""
    ordered = sorted(set(speakers), key=lambda s: (derive_seed(BOOTSTRAP_SEED, "dev/test split", s), s))
    half = len(ordered) // 2
    return sorted(ordered[:half]), sorted(ordered[half:])


def part_mask(enroll_spk, test_spk, speakers):
    keep = set(speakers)
    return np.array([e in keep and t in keep for e, t in zip(enroll_spk, test_spk)], dtype=bool)


def part_rows(store, labels, mask, conditions, eer_method="interp"):
    """Per-seed metric rows (as evaluate_system's, with the pooled row) of every cosine/none score list
    of `store`, on the trials of `mask`."""
    rows = []
    mismatched = [c for c in conditions if c != CLEAN]
    lists = sorted({k[:4] for k in store if k[2:4] == (BACKEND, NORM)}, key=str)
    y = labels[mask]
    for system, seed, backend, norm in lists:
        if not all((system, seed, backend, norm, c) in store for c in conditions):
            continue
        row = {"system": system, "backend": backend, "norm": norm, "eval_seed": seed}
        for c in conditions:
            rows.append({**row, "condition": c,
                         **compute_metrics(store[(system, seed, backend, norm, c)][mask], y, eer_method=eer_method)})
        if mismatched:   # with one mismatched condition its "pooled" row is that condition's
            pooled = pooled_trials([store[(system, seed, backend, norm, c)][mask] for c in mismatched], y)
            rows.append({**row, "condition": POOLED, **compute_metrics(*pooled, eer_method=eer_method)})
    return rows


def model_of(system, variants=None):
    """The SEED model a system name belongs to: 'seed@s=0.2,t=50_domain_centered' -> 'seed'; a variant
    (same model, other enhancement options) maps to its model through `variants` {variant: model}."""
    base = re.sub(r"(_domain_centered|_centered)$", "", system.split("@", 1)[0])
    return (variants or {}).get(base, base)


def choose(dev_agg, models, variants=None):
    """{model: chosen system} on dev (module docstring), and the dev-best control."""
    idx = {(r["condition"], r["system"]): r for r in dev_agg if (r["backend"], r["norm"]) == (BACKEND, NORM)}
    control = best_controls(dev_agg).get((BACKEND, NORM))
    if control is None:
        raise ValueError("no free control on dev: the dev/test choice needs the centering rows")
    bar = idx[(CLEAN, control)]["eer"]
    chosen = {}
    for model in models:
        candidates = [c for c in CONTROLS if (POOLED, c) in idx]
        candidates += sorted(s for (cond, s) in idx if cond == POOLED and s not in CONTROLS and s != "baseline"
                             and model_of(s, variants) == model and idx[(CLEAN, s)]["eer"] <= bar)
        # ties: the control (free), then a recipe setting over the same setting's sweep row
        chosen[model] = min(candidates, key=lambda s: (idx[(POOLED, s)]["eer"], s not in CONTROLS, "@" in s))
    return chosen, control


class DevTest:
    """The dev/test split of one trial list, its rows per part and its choice (module docstring)."""

    def __init__(self, store, trials, enroll_spk, test_spk, conditions, name, eer_method="interp",
                 n_boot=N_BOOTSTRAP):
        self.dev_speakers, self.test_speakers = split_speakers(set(enroll_spk) | set(test_spk))
        if len(self.dev_speakers) < 2:
            raise ValueError(f"{name}: {len(self.dev_speakers) + len(self.test_speakers)} speakers: too few "
                             "to split into dev and test")
        self.conditions = list(conditions)
        if CLEAN not in self.conditions or len(self.conditions) < 2:
            raise ValueError(f"{name}: the choice needs the clean list and at least one mismatched condition")
        labels = self.labels = np.asarray(trials.labels)
        self.masks = {p: part_mask(enroll_spk, test_spk, spk)
                      for p, spk in (("dev", self.dev_speakers), ("test", self.test_speakers))}
        for part, mask in self.masks.items():
            y = labels[mask]
            if y.sum() == 0 or y.sum() == len(y):
                raise ValueError(f"{name}: the {part} speakers have no target or no non-target trial")
        self.agg = {p: aggregate_rows(part_rows(store, labels, m, conditions, eer_method))
                    for p, m in self.masks.items()}
        test = self.masks["test"]
        boot = SpeakerBootstrap([e for e, k in zip(enroll_spk, test) if k], [t for t, k in zip(test_spk, test) if k],
                                n_boot, name=f"{name}:test")
        self.replicates = ReplicateEers(store, labels, boot, [c for c in conditions if c != CLEAN], mask=test)

    def result(self, models, fixed, variants=None):
        """{"chosen", "control", "rows", ...}: per model its chosen system and its `fixed` systems (the
        recipe's settings, e.g. seed, seed_centered), each on dev and on test vs the dev-best control."""
        chosen, control = choose(self.agg["dev"], models, variants)
        dev = {(r["condition"], r["system"]): r for r in self.agg["dev"] if (r["backend"], r["norm"]) == (BACKEND, NORM)}
        test = {(r["condition"], r["system"]): r for r in self.agg["test"]
                if (r["backend"], r["norm"]) == (BACKEND, NORM)}
        rows = []
        for model in models:
            names = [chosen[model]] + [s for s in fixed.get(model, []) if s != chosen[model] and (POOLED, s) in dev]
            for system in names:
                row = {"model": model, "system": system, "chosen": system == chosen[model], "control": control}
                for part, idx in (("dev", dev), ("test", test)):
                    for cond, key in ((POOLED, "pooled"), (CLEAN, "clean")):
                        r, c = idx[(cond, system)], idx[(cond, control)]
                        row[f"{part}_{key}_eer"], row[f"{part}_{key}_errors"] = r["eer"], target_errors(r)
                        row[f"{part}_{key}_control_eer"] = c["eer"]
                        row[f"{part}_{key}_rel_change"] = rel_change(r["eer"], c["eer"])
                    rels = [rel_change(idx[(k, system)]["eer"], idx[(k, control)]["eer"])
                            for k in self.conditions if k != CLEAN and idx[(k, control)]["eer"] > 0]
                    row[f"{part}_mean_rel_change"] = float(np.mean(rels)) if rels else None
                row["test_intervals"] = (self.replicates.intervals(system, control, BACKEND, NORM)
                                         if system != control else None)
                rows.append(row)
        return {"chosen": chosen, "control": control, "dev_speakers": self.dev_speakers,
                "test_speakers": self.test_speakers,
                "n_trials": {p: {"target": int(self.labels[m].sum()), "nontarget": int((1 - self.labels[m]).sum())}
                             for p, m in self.masks.items()},
                "rows": rows}


def render_dev_test_md(result, names):
    """The RESULTS.md section of a dev/test choice; `names`: {system: display name}."""
    n = result["n_trials"]
    ctl = names.get(result["control"], result["control"])
    boot = next((r["test_intervals"] for r in result["rows"] if r["test_intervals"]), None)
    lines = ["", "## Chosen on dev, reported on test (the main list's speakers split in halves)", "",
             f"Dev: {len(result['dev_speakers'])} speakers ({n['dev']['target']} target / {n['dev']['nontarget']} "
             f"non-target trials); test: {len(result['test_speakers'])} speakers ({n['test']['target']} / "
             f"{n['test']['nontarget']}); trials across the halves belong to neither. Cosine, no normalisation. "
             "Per model, the candidates are the free controls and every system of that model (the recipe's "
             "settings, its variants, every strength-sweep setting, each with its centering twins); the chosen one "
             "has the lowest dev pooled mismatched EER among those whose dev clean EER is no worse than the best "
             f"control's (ties: the control). Best free control on dev: **{ctl}**; every change below is against it. "
             + (f"Intervals: {boot['level']:g} % speaker bootstrap over the {boot['n_speakers']} test speakers "
                f"({boot['n_boot']} replicates, seed.report.intervals). " if boot else "")
             + "Rule and split: seed.report.selection.", "",
             DEV_TEST_HEADER.format(first="model"), DEV_TEST_RULE]
    lines += [dev_test_line(r["model"], r, names) for r in result["rows"]]
    return "\n".join(lines) + "\n"


DEV_TEST_HEADER = ("| {first} | system | dev: pooled mismatched EER % (vs best control) | dev: clean EER % (vs best "
                   "control) | test: pooled mismatched EER % [errors] (best control) | **test vs best control: "
                   "pooled** | test: mean over mismatched conditions | test: clean EER % [errors] (vs best control) |")
DEV_TEST_RULE = "|---|---|---|---|---|---|---|---|"


def dev_test_line(first, r, names):
    """One table line of a dev/test row (`render_dev_test_md`, seed.bin.summarise_sweeps --dev-test)."""
    ci = r["test_intervals"] or {}
    name = names.get(r["system"], r["system"])
    return (f"| {first} | {'**chosen**: ' if r['chosen'] else ''}{name} | "
            f"{r['dev_pooled_eer']:.2f} ({fmt_rel_ci(r['dev_pooled_rel_change'])}) | "
            f"{r['dev_clean_eer']:.2f} ({fmt_rel_ci(r['dev_clean_rel_change'])}) | "
            f"{r['test_pooled_eer']:.2f} [{r['test_pooled_errors']}] ({r['test_pooled_control_eer']:.2f}) | "
            f"{fmt_rel_ci(r['test_pooled_rel_change'], ci.get('pooled'))} | "
            f"{fmt_rel_ci(r['test_mean_rel_change'], ci.get('mean_mismatched'))} | "
            f"{r['test_clean_eer']:.2f} [{r['test_clean_errors']}] "
            f"({fmt_rel_ci(r['test_clean_rel_change'], ci.get('clean'))}) |")
