"""Synthetic paired embeddings with a known clean answer, for tests, benchmarks and smoke runs.

Clean crops are tight clusters around speaker centres; each corruption type adds its own fixed
direction (random strength) plus isotropic jitter, like an additive-noise condition moving every
embedding the same way. A working SEED model must move corrupted embeddings back towards clean.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np


def make_synthetic_pairs(num_speakers: int = 8, crops_per_speaker: int = 32, dim: int = 16,
                         num_corruptions: int = 3, strength: float = 0.8, seed: int = 0):
    """(keys, float32 [K, D] unit vectors, pairs [(input_key, target_key)]).

    Keys are `spkS-cropI` (clean) and `spkS-cropI-augC`; pairs are clean→clean plus every
    augmented→clean, as the simulation stage writes them.
    """
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(num_speakers, dim))
    directions = rng.normal(size=(num_corruptions, dim))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    unit = lambda v: v / np.linalg.norm(v, axis=-1, keepdims=True)  # noqa: E731
    keys, rows, pairs = [], [], []
    for s in range(num_speakers):
        for i in range(crops_per_speaker):
            clean = unit(centres[s] + 0.35 * rng.normal(size=dim))
            ck = f"spk{s}-crop{i}"
            keys.append(ck)
            rows.append(clean)
            pairs.append((ck, ck))
            for c in range(num_corruptions):
                noisy = unit(clean + strength * rng.uniform(0.5, 1.5) * directions[c]
                             + 0.05 * rng.normal(size=dim))
                ak = f"{ck}-aug{c}"
                keys.append(ak)
                rows.append(noisy)
                pairs.append((ak, ck))
    return keys, np.asarray(rows, dtype=np.float32), pairs


def write_synthetic_pairs(out_dir, **kwargs) -> tuple[Path, Path]:
    """Write embedding.ark/.scp and a pairs file into `out_dir`; returns (scp, pairs) paths."""
    from seed.data import atomic_write, write_embeddings
    out_dir = Path(out_dir)
    keys, rows, pairs = make_synthetic_pairs(**kwargs)
    write_embeddings(out_dir / "embedding.ark", out_dir / "embedding.scp", zip(keys, rows))
    with atomic_write(out_dir / "pairs") as f:
        f.writelines(f"{a} {b}\n" for a, b in pairs)
    return out_dir / "embedding.scp", out_dir / "pairs"
