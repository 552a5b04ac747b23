"""Stage 6: score every (system, backend, norm, condition) in one process and collect metrics.

Systems:
- `baseline`: the extractor's embeddings, scored as they are;
- `centering`: cosine after subtracting the mean of SEED's clean training crops (a free,
  unsupervised control; PLDA centres by itself, so it has cosine rows only);
- `seed`: enhanced embeddings (enrolment and test alike), one run per eval seed;
- extra named systems (e.g. research variants) given as folders of enhanced embeddings.
The enrolment side of every trial is the clean test set; the test side is the condition's copy
(same utterance ids). Each system's enrolment rows and cohort are prepared once.
"""
import dataclasses
from pathlib import Path

import numpy as np

from seed.backend import (CosineScorer, CropDistanceScorer, EmbeddingSet, PldaBackend, PldaScorer, mean_embedding,
                          normalize_scores, score_pairs, trial_rows)
from seed.data import SeedDataError
from seed.metrics import compute_metrics, write_scores

CLEAN = "clean"


@dataclasses.dataclass
class System:
    name: str              # baseline, centering, seed, or a variant name
    embed_dir: Path        # folder with <set>/embedding.scp
    backend_dir: Path      # folder with plda/, cohort.scp, centering.scp
    eval_seed: int = None  # for stochastic systems
    centering: bool = False


def set_name(test_set, condition):
    return test_set if condition == CLEAN else f"{test_set}_{condition}"


def _scp(folder, name):
    p = Path(folder) / name / "embedding.scp"
    if not p.is_file():
        raise SeedDataError(p, "embedding scp not found (did stage 2/4 finish?)")
    return p


def make_scorer(system, backend, multicrop):
    if backend == "plda":
        return PldaScorer(PldaBackend.load(system.backend_dir / "plda"))
    mean = None
    if system.centering:
        mean = mean_embedding(EmbeddingSet.from_scp(system.backend_dir / "centering.scp"))
    return CropDistanceScorer(mean) if multicrop else CosineScorer(mean)


def evaluate_system(system, trials, test_set, conditions, backends, norms, top_k, scores_dir):
    """Rows of metrics for one system over every backend × norm × condition; writes score files."""
    rows, det = [], {}
    enroll = EmbeddingSet.from_scp(_scp(system.embed_dir, test_set), keys=sorted(set(trials.enroll)))
    tests = {c: EmbeddingSet.from_scp(_scp(system.embed_dir, set_name(test_set, c)), keys=sorted(set(trials.test)))
             for c in conditions}
    for backend in backends:
        if system.centering and backend != "cosine":
            continue
        scorer = make_scorer(system, backend, enroll.is_multicrop)
        a = scorer.prepare(enroll)
        cohort = None
        if any(n != "none" for n in norms):
            cohort = scorer.prepare(EmbeddingSet.from_scp(system.backend_dir / "cohort.scp"))
        for c in conditions:
            b = scorer.prepare(tests[c])
            ie, it = trial_rows(trials, enroll, tests[c])
            raw = score_pairs(scorer, a, b, ie, it)
            for norm in norms:
                s = raw if norm == "none" else normalize_scores(
                    scorer, raw, a, b, ie, it, cohort, method=norm, top_k=top_k,
                    enroll_keys=enroll.keys, test_keys=tests[c].keys)
                tag = system.name if system.eval_seed is None else f"{system.name}_seed{system.eval_seed}"
                write_scores(Path(scores_dir) / tag / f"{backend}_{norm}" / f"{c}.scores", trials.enroll,
                             trials.test, s)
                m = compute_metrics(s, trials.labels)
                rows.append({"condition": c, "system": system.name, "backend": backend, "norm": norm,
                             "eval_seed": system.eval_seed, **m})
                if backend == backends[0] and norm == norms[0]:
                    det[c] = s
    return rows, det
