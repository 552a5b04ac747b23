"""Speaker overlap between the labelled set (PLDA, AS-norm cohort) and the speakers of the trials.

When a recipe has no --plda-set, PLDA and the cohort learn from SEED's training copies with their
speaker labels; a user adapting to their own corpus trains on speech of the very speakers in the
trials, and the PLDA / AS-norm rows then measure memory, not verification (measured on an 11-speaker
corpus: PLDA clean EER 0.09 %). Stage 5 refuses that unless told to go on; stage 6 marks the rows.
Speakers are compared by label, the only identity a data dir has.
"""
from __future__ import annotations

import json
from pathlib import Path

from seed.data import read_kv

OVERLAP_FILE = "speaker_overlap.json"


def speaker_overlap(recipe):
    """{"labelled_utt2spk", "trial_utt2spk", "speakers"} for the recipe's labelled set and test set (and the
    data dirs of its extra lists), or None when they share no speaker label."""
    data_dir = Path(recipe.pairs_file).parent.parent
    labelled = set(read_kv(recipe.utt2spk).values())
    shared, where = set(), []
    for data_set in [recipe.test_set] + list(recipe.eval_sets):
        utt2spk = data_dir / data_set / "utt2spk"
        if not utt2spk.is_file():
            continue
        # extra lists without speaker labels (utt2spk = utterance itself) share nothing by construction
        common = labelled & set(read_kv(utt2spk).values())
        if common:
            shared |= common
            where.append(str(utt2spk))
    if not shared:
        return None
    return {"labelled_utt2spk": recipe.utt2spk, "trial_utt2spk": ", ".join(where),
            "speakers": sorted(shared)}


def read_overlap(baseline_backend_dir):
    path = Path(baseline_backend_dir) / OVERLAP_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def leaked_combos(backends, norms):
    """The (backend, norm) pairs that use the labelled set: every PLDA one and every cohort-normalised one."""
    return {(b, n) for b in backends for n in norms if b == "plda" or n != "none"}
