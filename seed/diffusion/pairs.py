"""Training pairs `<input_key> <target_key>` as index arrays into one in-memory embedding matrix."""
from __future__ import annotations

import hashlib

import numpy as np

from seed.data import SeedDataError


def speaker_share(utt2spk: dict, fraction: float) -> set:
    """The first round(fraction · S) speakers (at least 1) in a fixed hash order of their names: nested
    shares (a quarter is inside the half), independent of the corpus's order and of train.seed."""
    from seed.data import derive_seed
    speakers = sorted(set(utt2spk.values()), key=lambda s: (derive_seed(0, "speaker share", s), s))
    return set(speakers[:max(1, int(round(fraction * len(speakers))))])


def with_clean_share(inputs: np.ndarray, targets: np.ndarray, share: float, source="<pairs>"):
    """The pairs with the clean→clean ones (input == target) at `share` of the total: every corrupted
    pair kept once, the clean pairs thinned or repeated evenly over the file (deterministic, no draw),
    so that the share is the only thing that changes (issue 15 part 3's clean-pair-share variant)."""
    clean, corrupted = np.flatnonzero(inputs == targets), np.flatnonzero(inputs != targets)
    n = int(round(share / (1.0 - share) * len(corrupted)))
    if n and not len(clean):
        raise SeedDataError(source, f"train.clean_pair_share {share}: the pairs have no clean→clean pair to use")
    picks = clean[(np.arange(n) * len(clean)) // max(n, 1)]
    keep = np.sort(np.concatenate([corrupted, picks]), kind="stable")
    return inputs[keep], targets[keep]


def read_pairs(path, key_to_index: dict, keep=None) -> tuple[np.ndarray, np.ndarray, str]:
    """(input rows, target rows, sha256 of the file) for a pairs file; every key must be known.
    `keep(target_key)`: only the pairs it accepts (the sha256 is of the whole file).

    Batches are then built by gathering rows with these arrays, never item by item in Python.
    """
    inputs, targets = [], []
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for lineno, raw in enumerate(f, 1):
            digest.update(raw)
            line = raw.decode("utf-8").strip()
            if not line:
                continue
            fields = line.split()
            if len(fields) != 2:
                raise SeedDataError(path, f"expected '<input_key> <target_key>', got {len(fields)} fields",
                                    line=lineno, key=fields[0])
            for key in fields:
                if key not in key_to_index:
                    raise SeedDataError(path, "not in the embeddings scp", line=lineno, key=key)
            if keep is not None and not keep(fields[1]):
                continue
            inputs.append(key_to_index[fields[0]])
            targets.append(key_to_index[fields[1]])
    if not inputs:
        raise SeedDataError(path, "no pairs" + ("" if keep is None else " of the kept speakers"))
    return (np.asarray(inputs, dtype=np.int64), np.asarray(targets, dtype=np.int64),
            digest.hexdigest())
