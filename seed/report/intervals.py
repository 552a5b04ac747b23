"""Speaker-bootstrap intervals: which SEED-vs-control differences are real with tens of speakers.

The unit of variation of a verification list is the speaker, not the trial (a speaker's trials
rise and fall together), so the interval resamples SPEAKERS with replacement (Bolle et al.'s
"subsets bootstrap"; Poh & Bengio 2007): a replicate draws S of the list's S speakers, and every
trial whose two speakers were drawn counts c(a)·c(b) times (a target trial, a = b: c(a) times),
c = how often each was drawn. Every system is scored on the SAME replicates (a paired bootstrap),
so the interval is that of the difference, not of two independent EERs. Interval: the 2.5 and 97.5
percentiles of the relative EER change over `N_BOOTSTRAP` replicates; a replicate in which the
control's EER is 0 (no error left: CAM++ clean lists) has no relative change and is counted apart.
The replicates are drawn from `derive_seed(BOOTSTRAP_SEED, list name)`: the same list gives the same
intervals in any run.
"""
from __future__ import annotations

import numpy as np

from seed.data import SeedDataError, derive_seed
from seed.metrics.weighted import weighted_eers
from seed.report.tables import CLEAN, POOLED, pooled_trials

N_BOOTSTRAP = 1000
LEVEL = 95.0
BOOTSTRAP_SEED = 2025


def trial_speakers(trials, utt2spk, source="utt2spk"):
    """(enrolment speakers, test speakers) of every trial; a key without a speaker is an error."""
    def spk(u):
        try:
            return utt2spk[u]
        except KeyError:
            raise SeedDataError(source, f"trial utterance has no speaker (key '{u}')") from None
    return [spk(u) for u in trials.enroll], [spk(u) for u in trials.test]


class SpeakerBootstrap:
    """The replicates of one trial list (module docstring); `eers` scores a list on all of them."""

    def __init__(self, enroll_spk, test_spk, n_boot=N_BOOTSTRAP, name="trials"):
        speakers = sorted(set(enroll_spk) | set(test_spk))
        index = {s: i for i, s in enumerate(speakers)}
        e = np.array([index[s] for s in enroll_spk])
        t = np.array([index[s] for s in test_spk])
        n_spk = len(speakers)
        pair_codes, self.clusters = np.unique(np.minimum(e, t) * n_spk + np.maximum(e, t), return_inverse=True)
        a, b = pair_codes // n_spk, pair_codes % n_spk
        rng = np.random.default_rng(derive_seed(BOOTSTRAP_SEED, "speaker bootstrap", name))
        counts = rng.multinomial(n_spk, np.full(n_spk, 1.0 / n_spk), size=n_boot).astype(np.float64)
        self.weights = np.where(a == b, counts[:, a], counts[:, a] * counts[:, b])   # replicates × pairs
        self.n_speakers, self.n_boot, self.speakers = n_spk, n_boot, speakers

    def eers(self, scores, labels, repeats=1):
        """EER % of `scores` on every replicate; `repeats` lists of this trial list concatenated (pooled)."""
        return weighted_eers(scores, labels, np.tile(self.clusters, repeats), self.weights)


def percentile_interval(values):
    """{low, high, n_undefined} of the finite `values` (LEVEL % percentile interval)."""
    values = np.asarray(values, dtype=float)
    ok = np.isfinite(values)
    if not ok.any():
        return {"low": None, "high": None, "n_undefined": int(len(values))}
    lo, hi = np.percentile(values[ok], [(100 - LEVEL) / 2, 100 - (100 - LEVEL) / 2])
    return {"low": float(lo), "high": float(hi), "n_undefined": int((~ok).sum())}


def relative_change(system_eers, control_eers):
    """Per replicate: 100·(system − control) / control; NaN where the control's EER is 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(control_eers > 0, 100.0 * (system_eers - control_eers) / control_eers, np.nan)


class ReplicateEers:
    """EERs per replicate of the stored score lists (cached: a control is compared with many systems).

    `store[(system, eval_seed, backend, norm, condition)]` holds the scores of the trial list `labels`;
    a system's EER of a replicate is the mean over its eval seeds, as in the tables. The store must be
    complete when this is built (it is indexed once)."""

    def __init__(self, store, labels, boot, mismatched, mask=None):
        self.store, self.boot, self.mismatched = store, boot, list(mismatched)
        self.mask = mask
        self.labels = labels if mask is None else labels[mask]
        self.cache = {}
        # indexed once (the store is complete when this is built): seeds per list, and which lists exist
        self._seeds, self._lists = {}, set()
        for system, seed, backend, norm, condition in store:
            self._seeds.setdefault((system, backend, norm), set()).add(seed)
            self._lists.add((system, backend, norm, condition))

    def _scores(self, key):
        s = self.store[key]
        return s if self.mask is None else s[self.mask]

    def seeds(self, system, backend, norm):
        return sorted(self._seeds.get((system, backend, norm), ()), key=lambda s: (s is not None, s))

    def condition(self, system, backend, norm, condition):
        key = (system, backend, norm, condition)
        if key not in self.cache:
            seeds = self.seeds(system, backend, norm)
            if condition == POOLED:
                per = [self.boot.eers(*pooled_trials([self._scores((system, s, backend, norm, c))
                                                       for c in self.mismatched], self.labels), len(self.mismatched))
                       for s in seeds]
            else:
                per = [self.boot.eers(self._scores((system, s, backend, norm, condition)), self.labels) for s in seeds]
            self.cache[key] = np.mean(per, axis=0)
        return self.cache[key]

    def has(self, system, backend, norm, condition):
        return (system, backend, norm, condition) in self._lists

    def intervals(self, system, control, backend, norm, clean=CLEAN):
        """{pooled, mean_mismatched, clean}: percentile intervals of the relative EER change of `system`
        vs `control` (pooled mismatched trials; the mean over mismatched conditions; the clean list)."""
        out = {"n_boot": self.boot.n_boot, "n_speakers": self.boot.n_speakers, "level": LEVEL}
        if not self.has(control, backend, norm, clean) or not self.has(system, backend, norm, clean):
            return out
        conds = [c for c in self.mismatched if self.has(system, backend, norm, c) and self.has(control, backend, norm, c)]
        if len(conds) == len(self.mismatched) and len(conds) > 1:
            out["pooled"] = percentile_interval(relative_change(self.condition(system, backend, norm, POOLED),
                                                                self.condition(control, backend, norm, POOLED)))
        if conds:
            rel = np.mean([relative_change(self.condition(system, backend, norm, c),
                                           self.condition(control, backend, norm, c)) for c in conds], axis=0)
            out["mean_mismatched"] = percentile_interval(rel)
        out["clean"] = percentile_interval(relative_change(self.condition(system, backend, norm, clean),
                                                           self.condition(control, backend, norm, clean)))
        return out
