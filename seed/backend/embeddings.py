"""Embeddings as one array: ``[N, C, D]`` crops per key (C = 1 for plain vectors).

Scorers gather rows of this array per trial, so a trial list is scored with array operations
instead of a Python loop.  Keys with fewer crops than the widest key are zero-padded and
``counts`` says how many rows are real.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional

import numpy as np

from seed.data import SeedDataError, load_embedding_dict

__all__ = ["EmbeddingSet"]


@dataclass
class EmbeddingSet:
    keys: list
    data: np.ndarray        # float32 [N, C, D]
    counts: np.ndarray      # int64 [N], real crops per key (1 .. C)
    source: str = "<memory>"

    def __post_init__(self):
        self._index = {k: i for i, k in enumerate(self.keys)}
        if len(self._index) != len(self.keys):
            raise ValueError(f"{self.source}: duplicate keys")

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_dict(cls, table: dict, source: str = "<memory>", keys: Optional[Iterable[str]] = None):
        """Stack ``key -> vector [D] or crops [C, D]``; ``keys`` picks (and orders) a subset.

        A key of ``keys`` that is absent, a dimension mismatch or an empty matrix is an error
        naming the source and the key.
        """
        keys = list(table) if keys is None else list(keys)
        if not keys:
            raise SeedDataError(source, "no embeddings")
        arrays = []
        dim = None
        for k in keys:
            a = table.get(k)
            if a is None:
                raise SeedDataError(source, "embedding not found", key=k)
            a = np.asarray(a, dtype=np.float32)
            if a.ndim == 1:
                a = a[None, :]
            if a.ndim != 2 or a.shape[0] == 0 or a.shape[1] == 0:
                raise SeedDataError(source, f"embedding has shape {a.shape}; expected [D] or [crops, D]", key=k)
            if dim is None:
                dim = a.shape[1]
            elif a.shape[1] != dim:
                raise SeedDataError(source, f"dimension {a.shape[1]} differs from the first entry's {dim}", key=k)
            arrays.append(a)
        counts = np.array([a.shape[0] for a in arrays], dtype=np.int64)
        c = int(counts.max())
        if c == 1:
            data = np.stack([a[0] for a in arrays])[:, None, :]
        else:
            data = np.zeros((len(arrays), c, dim), dtype=np.float32)
            for i, a in enumerate(arrays):
                data[i, :a.shape[0]] = a
        return cls(keys, data, counts, str(source))

    @classmethod
    def from_scp(cls, scp, keys: Optional[Iterable[str]] = None):
        """Load an ark/scp (vectors or per-crop matrices); ``keys`` as in ``from_dict``."""
        return cls.from_dict(load_embedding_dict(scp), str(scp), keys)

    @classmethod
    def from_array(cls, x: np.ndarray, keys: Optional[list] = None, source: str = "<memory>"):
        """Wrap ``[N, D]`` vectors or ``[N, C, D]`` crops (all real) under ``keys``."""
        x = np.asarray(x, dtype=np.float32)
        if x.ndim == 2:
            x = x[:, None, :]
        if x.ndim != 3:
            raise ValueError(f"expected [N, D] or [N, C, D], got shape {x.shape}")
        keys = [str(i) for i in range(len(x))] if keys is None else list(keys)
        return cls(keys, x, np.full(len(x), x.shape[1], dtype=np.int64), source)

    # ------------------------------------------------------------------ access
    def __len__(self) -> int:
        return len(self.keys)

    @property
    def dim(self) -> int:
        return self.data.shape[2]

    @property
    def max_crops(self) -> int:
        return self.data.shape[1]

    @property
    def is_multicrop(self) -> bool:
        return self.data.shape[1] > 1

    def crop_mask(self) -> np.ndarray:
        """bool [N, C]: which rows are real crops."""
        return np.arange(self.max_crops)[None, :] < self.counts[:, None]

    def vectors(self) -> np.ndarray:
        """One vector per key: the mean of its crops (the key's vector when C = 1)."""
        if not self.is_multicrop:
            return self.data[:, 0, :]
        return self.data.sum(axis=1) / self.counts[:, None].astype(np.float32)

    def rows(self, keys, what: str = "key") -> np.ndarray:
        """Row index of every key; the first one missing is an error naming it and ``what``."""
        try:
            return np.array(list(map(self._index.__getitem__, keys)), dtype=np.int64).reshape(-1)
        except KeyError as e:
            raise SeedDataError(self.source, f"{what} has no embedding here", key=e.args[0]) from None
