"""Stage 6: score every (system, backend, norm, condition) through the one `TrialScorer`.

Systems:
- `baseline`: the extractor's embeddings, scored as they are;
- `centering`: cosine after subtracting the mean of SEED's clean training crops (a free,
  unsupervised control; PLDA centres with that mean already, so it has cosine rows only);
- `domain_centering`: the mean of the adaptation set instead: cosine after subtracting it, and PLDA
  with it as the centring mean (`PldaBackend.with_center`: mean adaptation, the rest as trained);
- `seed` and every other SEED system of the systems file: enhanced embeddings (enrolment and test
  alike), one run per eval seed, plus `<name>_centered` (cosine after subtracting the mean of the
  enhanced clean training crops) and `<name>_domain_centered` (the adaptation set's mean after the
  same enhancement; cosine and PLDA);
- `EnhancedSystem`: SEED with other enhancement options, enhanced in memory exactly as stage 4 does
  (the whole set's scp in file order, so the same (model, seed, set) draws the same noise) — the
  strength sweep.
The enrolment side of every trial is the clean test set; the test side is the condition's copy
(same utterance ids). Each system's enrolment rows and cohort are prepared once. Besides one row per
condition, each (system, backend, norm) gets a `mismatched_pooled` row: the metrics of all mismatched
conditions' trials pooled at one threshold (on small trial lists a condition's EER rests on a handful
of errors; the pooled one on several times more).
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from seed.backend import EmbeddingSet, PldaBackend, mean_embedding
from seed.backend.trial_scorer import TrialScorer
from seed.data import SeedDataError, load_embedding_dict
from seed.metrics import compute_metrics, write_scores
from seed.report.tables import CLEAN, POOLED, pooled_trials
from seed.simulate.conditions import condition_set


def _scp(folder, name):
    p = Path(folder) / name / "embedding.scp"
    if not p.is_file():
        raise SeedDataError(p, "embedding scp not found (did stage 2/4 finish?)")
    return p


@dataclasses.dataclass
class System:
    """A family of report rows: where its embeddings and its backend come from."""
    name: str              # baseline, centering, seed, a variant / OOD name, or X_centered
    embed_dir: Path        # folder with <set>/embedding.scp
    backend_dir: Path      # folder with plda/, cohort.scp, centering.scp
    eval_seed: int = None  # for stochastic systems
    centering: bool = False
    centering_scp: Path = None  # the centering set (default: backend_dir/centering.scp)
    cohort_scp: Path = None     # the AS-norm cohort (default: backend_dir/cohort.scp)

    @property
    def domain(self) -> bool:
        """A domain mean (not the training one): PLDA rows too, with it as PLDA's centring mean."""
        return self.centering and self.centering_scp is not None

    def embeddings(self, name, keys) -> EmbeddingSet:
        return EmbeddingSet.from_scp(_scp(self.embed_dir, name), keys=keys)

    def centering_mean(self) -> np.ndarray:
        scp = self.centering_scp or Path(self.backend_dir) / "centering.scp"
        return mean_embedding(EmbeddingSet.from_scp(scp))

    def plda(self) -> PldaBackend:
        return PldaBackend.load(Path(self.backend_dir) / "plda")

    def cohort(self) -> EmbeddingSet:
        return EmbeddingSet.from_scp(self.cohort_scp or Path(self.backend_dir) / "cohort.scp")


class EnhancedSystem(System):
    """SEED with given enhancement options, computed in memory from the extractor's embeddings
    exactly as stage 4 computes them (a whole scp, in file order); its centering mean is that of
    `centering_keys` in `centering_scp` enhanced with the first eval seed — stage 5's, when
    `centering_scp` is the training copies' scp. Cosine rows only (no PLDA/cohort is trained)."""

    def __init__(self, name, model, embed_dir, eval_seed, first_seed, centering_scp, centering_keys,
                 centering=False, cache=None):
        super().__init__(name, Path(embed_dir), Path(), eval_seed, centering)
        self.model, self.first_seed, self.centering_scp = model, first_seed, Path(centering_scp)
        self.centering_keys = list(centering_keys)
        self.cache = {} if cache is None else cache   # shared by the plain and the centred twin

    domain = False                                     # cosine rows only

    def _enhanced(self, scp, seed):
        key = (str(scp), seed)
        if key not in self.cache:
            from seed.diffusion.scp import enhance_table
            self.cache[key] = enhance_table(self.model, load_embedding_dict(scp), seed=seed)
        return self.cache[key]

    def embeddings(self, name, keys) -> EmbeddingSet:
        scp = _scp(self.embed_dir, name)
        return EmbeddingSet.from_dict(self._enhanced(scp, self.eval_seed), f"{scp} (enhanced)", keys)

    def centering_mean(self) -> np.ndarray:
        table = self._enhanced(self.centering_scp, self.first_seed)
        return mean_embedding(EmbeddingSet.from_dict(table, f"{self.centering_scp} (enhanced)", self.centering_keys))

    def plda(self):
        raise ValueError(f"{self.name}: in-memory SEED systems are scored with cosine only")

    cohort = plda


def make_scorer(system, backend, multicrop, norms, top_k=None):
    """The TrialScorer of one (system, backend); the cohort is loaded only when a norm needs it."""
    cohort = system.cohort() if any(n != "none" for n in norms) else None
    if backend == "plda":
        plda = system.plda()
        return TrialScorer.plda(plda.with_center(system.centering_mean()) if system.centering else plda,
                                cohort=cohort, top_k=top_k)
    mean = system.centering_mean() if system.centering else None
    return TrialScorer.cosine(multicrop, mean, cohort=cohort, top_k=top_k)


def score_path(scores_dir, system, eval_seed, backend, norm, condition):
    """Where stage 6 keeps one score list: <scores_dir>/<system>[_seed<S>]/<backend>_<norm>/<condition>.scores
    (written here, read back by seed.report.replicates)."""
    tag = system if eval_seed is None else f"{system}_seed{eval_seed}"
    return Path(scores_dir) / tag / f"{backend}_{norm}" / f"{condition}.scores"


def evaluate_system(system, trials, test_set, conditions, backends, norms, top_k=None, scores_dir=None,
                    eer_method="interp", store=None):
    """Rows of metrics for one system over every backend × norm × condition; writes score files when
    `scores_dir` is given. Also returns {condition: scores} of the first backend and norm (DET plot).
    `eer_method`: `interp` (the project's) or `espnet` (ESPnet-SPK's convention, seed.metrics.eer).
    `store`: a dict that receives every score list as `store[(system, eval_seed, backend, norm, condition)]`
    (the speaker parts and the bootstrap intervals are computed from it: seed.report.selection)."""
    rows, det = [], {}
    enroll = system.embeddings(test_set, sorted(set(trials.enroll)))
    tests = {c: system.embeddings(condition_set(test_set, c), sorted(set(trials.test))) for c in conditions}
    multicrop = enroll.is_multicrop or any(t.is_multicrop for t in tests.values())
    mismatched = [c for c in conditions if c != CLEAN]
    for backend in backends:
        if system.centering and backend != "cosine" and not system.domain:
            continue
        scorer = make_scorer(system, backend, multicrop, norms, top_k)
        pooled = {norm: [] for norm in norms}
        for c in conditions:
            raw = scorer.raw(trials, enroll, tests[c])
            for norm in norms:
                s = scorer.normalize(raw, trials, enroll, tests[c], norm)
                if scores_dir is not None:
                    write_scores(score_path(scores_dir, system.name, system.eval_seed, backend, norm, c), trials.enroll,
                                 trials.test, s)
                rows.append({"condition": c, "system": system.name, "backend": backend, "norm": norm,
                             "eval_seed": system.eval_seed, **compute_metrics(s, trials.labels, eer_method=eer_method)})
                if store is not None:
                    store[(system.name, system.eval_seed, backend, norm, c)] = np.asarray(s, dtype=np.float64)
                if c != CLEAN:
                    pooled[norm].append(s)
                if backend == backends[0] and norm == norms[0]:
                    det[c] = s
        if len(mismatched) > 1:   # one operating point over every mismatched trial: more errors to rest on
            rows += [{"condition": POOLED, "system": system.name, "backend": backend, "norm": norm,
                      "eval_seed": system.eval_seed,
                      **compute_metrics(*pooled_trials(pooled[norm], trials.labels), eer_method=eer_method)}
                     for norm in norms]
    return rows, det
