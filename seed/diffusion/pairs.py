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
