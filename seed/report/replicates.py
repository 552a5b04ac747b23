"""Training-seed replicates: is a variant's difference larger than the noise of training itself?

A recipe run gives one trained model; its SEED rows average over eval seeds (enhancement noise) but
not over training seeds (init, shuffling, timesteps), and a change of the inputs by 5e-6 already moved
CAM++ CI rows by several points. A *group* here is one variant trained with several `train.seed`
values, each run by the recipe (its results folder: results.json + the score files of stage 6). For
each group this module scores, from the stored score files, one SEED system (e.g.
`seed_domain_centered`, or `mini_domain_centered` for an OOD model) against one control (e.g.
`domain_centering`) on the same trial list:
- per training seed: the mean relative EER change over the mismatched conditions and the pooled
  mismatched EER (each the mean over the run's eval seeds, as in RESULTS.md), and their spread;
- the seed-averaged system (every training seed × eval seed averaged, as eval seeds are in the
  tables), with the 95 % speaker-bootstrap interval of its change vs the control
  (seed.report.intervals: the same replicates for every system, so the interval is of the difference);
- `versus` pairs (variant B vs variant A, both seed-averaged, paired on the same replicates): whether
  one variant beats another beyond both speaker sampling and — through the per-seed spread — training.
The control must have the same scores in every run of a comparison (it does not depend on SEED): a
run of another protocol is an error naming it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from seed.data import SeedDataError, read_kv, read_trials
from seed.metrics import compute_metrics
from seed.metrics.scorefile import align_scores, read_scores
from seed.report.evaluate import score_path
from seed.report.intervals import N_BOOTSTRAP, ReplicateEers, SpeakerBootstrap, trial_speakers
from seed.report.tables import CLEAN, pooled_trials, rel_change, target_errors


@dataclass
class Run:
    """One recipe run (results folder) of a group, and the SEED system scored from it."""
    results_dir: Path
    system: str
    meta: dict = field(repr=False)

    @classmethod
    def load(cls, spec, default_system):
        """`DIR[@SYSTEM]`: a stage-6 results folder and the system to score (default `default_system`)."""
        path, _, system = spec.partition("@")
        results_dir = Path(path)
        meta_file = results_dir / "results.json"
        try:
            meta = json.loads(meta_file.read_text(encoding="utf-8"))
        except OSError as e:
            raise SeedDataError(meta_file, f"cannot read a recipe's results.json ({e.strerror})") from None
        except ValueError as e:
            raise SeedDataError(meta_file, f"not JSON ({e})") from None
        for key in ("test_list", "conditions", "eval_seeds", "eer_method"):
            if key not in meta:
                raise SeedDataError(meta_file, "not a stage-6 results.json", key=key)
        return cls(results_dir, system or default_system, meta)

    def score_file(self, system, eval_seed, backend, norm, condition):
        return score_path(self.results_dir / "scores" / self.meta["test_list"], system, eval_seed, backend, norm,
                          condition)


def _scores(trials, path):
    return align_scores(trials, read_scores(path), path)


def _eer(scores, labels, method):
    return compute_metrics(scores, labels, eer_method=method)["eer"]


@dataclass
class GroupStats:
    variant: str
    n_seeds: int
    per_seed: list            # [{mean_rel, pooled_eer, clean_eer}] vs the control, one per training seed
    mean_rel: float           # seed-averaged system: mean relative change over mismatched conditions
    pooled_eer: float
    pooled_target_errors: int
    pooled_rel: float
    clean_eer: float
    intervals: dict           # seed.report.intervals.ReplicateEers.intervals of the seed-averaged system


class ReplicateComparison:
    """Score files of every group's runs on one trial list, and the statistics of the module docstring."""

    CONTROL = "__control__"

    def __init__(self, groups, trials_file, utt2spk_file, control, backend="cosine", norm="none",
                 n_boot=N_BOOTSTRAP, default_system="seed_domain_centered"):
        self.trials = read_trials(trials_file)
        self.labels = np.asarray(self.trials.labels)
        self.backend, self.norm, self.control = backend, norm, control
        self.groups = {label: [Run.load(s, default_system) for s in specs] for label, specs in groups}
        first = next(iter(self.groups.values()))[0]
        self.conditions = list(first.meta["conditions"])
        self.mismatched = [c for c in self.conditions if c != CLEAN]
        self.method = first.meta["eer_method"]
        self.store, self._eer_cache = {}, {}
        self.seeds = {self.CONTROL: [None]}   # (training-seed index, eval seed) of every group's scores
        control_ref, control_run = {}, first
        for label, runs in self.groups.items():
            for k, run in enumerate(runs):
                if list(run.meta["conditions"]) != self.conditions:
                    raise SeedDataError(run.results_dir / "results.json", "other conditions than "
                                        f"{first.results_dir}: not the same protocol", key="conditions")
                for c in self.conditions:
                    path = run.score_file(control, None, backend, norm, c)
                    s = _scores(self.trials, path)
                    if c not in control_ref:
                        control_ref[c] = s
                    elif not np.allclose(s, control_ref[c], rtol=0, atol=1e-6):
                        raise SeedDataError(path, f"the control's scores differ from those of {control_run.results_dir}"
                                            " (another protocol or extractor?)", key=control)
                    for e in run.meta["eval_seeds"]:
                        if c == CLEAN:
                            self.seeds.setdefault(label, []).append((k, e))
                        self.store[(label, (k, e), backend, norm, c)] = _scores(
                            self.trials, run.score_file(run.system, e, backend, norm, c))
        for c, s in control_ref.items():
            self.store[(self.CONTROL, None, backend, norm, c)] = s
        enroll_spk, test_spk = trial_speakers(self.trials, read_kv(utt2spk_file), utt2spk_file)
        boot = SpeakerBootstrap(enroll_spk, test_spk, n_boot, name=first.meta["test_list"])
        self.replicates = ReplicateEers(self.store, self.labels, boot, self.mismatched)

    def _eers(self, label, seeds):
        """{condition: mean EER over `seeds`} and the mean pooled EER of `label` (as the tables average);
        computed once per (label, seeds): the control and every group are asked for again."""
        cached = self._eer_cache.get((label, tuple(seeds)))
        if cached is not None:
            return cached

        def key(s, c):
            return (label, s, self.backend, self.norm, c)
        per = {c: float(np.mean([_eer(self.store[key(s, c)], self.labels, self.method) for s in seeds]))
               for c in self.conditions}
        pooled = float(np.mean([_eer(*pooled_trials([self.store[key(s, c)] for c in self.mismatched], self.labels),
                                     self.method) for s in seeds]))
        self._eer_cache[(label, tuple(seeds))] = per, pooled
        return per, pooled

    def _pooled_errors(self, pooled_eer):
        return target_errors({"eer": pooled_eer, "n_target": int(self.labels.sum()) * len(self.mismatched)})

    def _mean_rel(self, per, ref):
        rels = [rel_change(per[c], ref[c]) for c in self.mismatched]
        rels = [r for r in rels if r is not None]   # a control EER of 0 has no relative change
        return float(np.mean(rels)) if rels else None

    def group(self, label):
        ref, ref_pooled = self._eers(self.CONTROL, self.seeds[self.CONTROL])
        runs = self.groups[label]
        per_seed = []
        for k, run in enumerate(runs):
            per, pooled = self._eers(label, [(k, e) for e in run.meta["eval_seeds"]])
            per_seed.append({"results_dir": str(run.results_dir), "system": run.system,
                             "mean_rel": self._mean_rel(per, ref), "pooled_eer": pooled,
                             "pooled_rel": rel_change(pooled, ref_pooled), "clean_eer": per[CLEAN]})
        per, pooled = self._eers(label, self.seeds[label])
        return GroupStats(label, len(runs), per_seed, self._mean_rel(per, ref), pooled, self._pooled_errors(pooled),
                          rel_change(pooled, ref_pooled), per[CLEAN],
                          self.replicates.intervals(label, self.CONTROL, self.backend, self.norm))

    def control_stats(self):
        per, pooled = self._eers(self.CONTROL, self.seeds[self.CONTROL])
        return {"pooled_eer": pooled, "pooled_target_errors": self._pooled_errors(pooled), "clean_eer": per[CLEAN]}

    def versus(self, label, reference):
        """B vs A, both seed-averaged: point changes and paired speaker-bootstrap intervals."""
        a, pa = self._eers(reference, self.seeds[reference])
        b, pb = self._eers(label, self.seeds[label])
        return {"mean_rel": self._mean_rel(b, a), "pooled_rel": rel_change(pb, pa),
                "clean_rel": rel_change(b[CLEAN], a[CLEAN]),
                "intervals": self.replicates.intervals(label, reference, self.backend, self.norm)}
