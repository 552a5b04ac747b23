"""Training pairs `<input_key> <target_key>` as index arrays into one in-memory embedding matrix."""
from __future__ import annotations

import hashlib

import numpy as np

from seed.data import SeedDataError


def read_pairs(path, key_to_index: dict) -> tuple[np.ndarray, np.ndarray, str]:
    """(input rows, target rows, sha256 of the file) for a pairs file; every key must be known.

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
            inputs.append(key_to_index[fields[0]])
            targets.append(key_to_index[fields[1]])
    if not inputs:
        raise SeedDataError(path, "no pairs")
    return (np.asarray(inputs, dtype=np.int64), np.asarray(targets, dtype=np.int64),
            digest.hexdigest())
