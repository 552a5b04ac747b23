"""Embedding ark/scp I/O through kaldiio, with atomic writes.

An scp maps keys to `file.ark:offset`; one row per key (a vector) or, with crop policies,
a matrix per key (one row per crop; `meta.yaml` says `rows_per_utt`).
"""
import os
from pathlib import Path

import kaldiio
import numpy as np

from seed.data.atomic import temporary_path
from seed.data.errors import SeedDataError
from seed.data.kvfile import read_kv


def load_embedding_dict(scp):
    """key → float32 array (vector or per-crop matrix), in scp order; reads each ark once, in order."""
    scp = Path(scp)
    table = read_kv(scp)
    out = {}
    try:
        for key, arr in kaldiio.load_scp_sequential(str(scp)):
            out[key] = np.asarray(arr, dtype=np.float32)
    except Exception as e:   # kaldiio reads in scp order: the failing entry is the one after the last read
        check_declared_sizes(scp, table, out)     # ... unless the last one read was itself cut short
        keys = list(table)
        key = keys[len(out)] if len(out) < len(keys) else None
        reason = str(e).replace("\n", " ").strip() or type(e).__name__
        where = f" ({table[key]})" if key is not None else ""
        raise SeedDataError(scp, f"cannot read the embedding{where}: {type(e).__name__}: {reason} "
                                 "(truncated or overwritten ark, or a wrong offset?)", key=key) from None
    if len(out) != len(table):
        missing = next(k for k in table if k not in out)
        raise SeedDataError(scp, "entry could not be read", key=missing)
    check_declared_sizes(scp, table, out)
    for key, arr in out.items():
        if not np.isfinite(arr).all():
            raise SeedDataError(scp, "embedding contains NaN or inf", key=key)
        if not np.any(arr, axis=-1).all():   # one policy for every step: a zero vector has no direction to score
            raise SeedDataError(scp, "embedding is all zeros (from a degenerate input such as digital silence?)",
                                key=key)
    return out


def _declared_size(f, offset):
    """Values that the Kaldi binary header at `offset` declares (float/double vector or matrix), or None
    for anything else (compressed matrices, text entries): those are left to kaldiio."""
    f.seek(offset)
    head = f.read(15)
    if head[:2] != b"\0B" or head[2:4] not in (b"FV", b"FM", b"DV", b"DM") or head[4:6] != b" \x04":
        return None
    first = int.from_bytes(head[6:10], "little", signed=True)
    if head[3:4] == b"V":
        return first
    if head[10:11] != b"\x04":
        return None
    return first * int.from_bytes(head[11:15], "little", signed=True)


def check_declared_sizes(scp, table, arrays):
    """Refuse an entry that holds fewer values than its header declares: kaldiio reads a cut ark entry
    as a shorter vector without a word (and the next entry's read then fails under the wrong key).
    kaldiio reads exactly the declared bytes, so only a read that hits the end of the file comes up
    short: the entry at the highest offset of each ark is the one to check (one header read per ark)."""
    last = {}
    for key in arrays:
        ark, sep, offset = table[key].rpartition(":")
        if sep and offset.isdigit() and int(offset) >= last.get(ark, (-1, None))[0]:
            last[ark] = (int(offset), key)
    for ark, (offset, key) in last.items():
        try:
            with open(ark, "rb") as f:
                declared = _declared_size(f, offset)   # kaldiio offsets point at the "\0B" marker
        except OSError as e:
            raise SeedDataError(scp, f"cannot reopen the ark: {e.strerror}") from None
        if declared is not None and declared != arrays[key].size:
            raise SeedDataError(scp, f"ark entry cut short ({table[key]}): its header declares {declared} "
                                     f"values, the file holds {arrays[key].size} (truncated or overwritten ark?)",
                                key=key)


def load_embeddings(scp, allow_matrix=False):
    """(keys, float32 [N, D]) for vector embeddings — the fast path for training and scoring.

    Per-crop matrices are an error unless `allow_matrix`, in which case every matrix must have the
    same number of rows and the result is [N, rows, D].
    """
    table = load_embedding_dict(scp)
    keys = list(table)
    if not keys:
        raise SeedDataError(scp, "no embeddings")
    first = table[keys[0]]
    for k in keys:
        a = table[k]
        if a.shape != first.shape and not (a.ndim == 1 and first.ndim == 1):
            raise SeedDataError(scp, f"shape {a.shape} differs from the first entry's {first.shape}", key=k)
        if a.ndim == 1 and a.shape != first.shape:
            raise SeedDataError(scp, f"dimension {a.shape[0]} differs from the first entry's {first.shape[0]}", key=k)
        if a.ndim == 2 and not allow_matrix and a.shape[0] != 1:
            raise SeedDataError(scp, f"holds a {a.shape[0]}-row matrix (per-crop embeddings); "
                                "this tool needs one vector per key", key=k)
    stacked = np.stack([table[k] for k in keys]).astype(np.float32, copy=False)
    if stacked.ndim == 3 and not allow_matrix:
        stacked = stacked[:, 0, :]
    return keys, np.ascontiguousarray(stacked)


class EmbeddingWriter:
    """Write `ark` + `scp` under temporary names; rename both only when the block exits cleanly.

    The scp written into the temporary file already points at the final ark name, so the rename
    needs no rewrite. Keys must be unique and free of whitespace.
    """

    def __init__(self, ark_path, scp_path):
        self.ark_path, self.scp_path = Path(ark_path).resolve(), Path(scp_path).resolve()
        self.ark_path.parent.mkdir(parents=True, exist_ok=True)
        self.scp_path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp_ark = temporary_path(self.ark_path)
        self._tmp_scp = temporary_path(self.scp_path)
        self._keys = set()
        self.count = 0

    def __enter__(self):
        self._ark = open(self._tmp_ark, "wb")
        self._scp = open(self._tmp_scp, "w", encoding="utf-8")
        return self

    def write(self, key, array):
        if not key or any(c.isspace() for c in key):
            raise SeedDataError(self.scp_path, "embedding keys must be non-empty without whitespace", key=key)
        if key in self._keys:
            raise SeedDataError(self.scp_path, "duplicate embedding key", key=key)
        array = np.asarray(array, dtype=np.float32)
        if not np.isfinite(array).all():
            raise SeedDataError(self.scp_path, "refusing to write a NaN/inf embedding", key=key)
        self._keys.add(key)
        offset = self._ark.tell() + len(key.encode("utf-8")) + 1
        kaldiio.save_ark(self._ark, {key: array})
        self._scp.write(f"{key} {self.ark_path}:{offset}\n")
        self.count += 1

    def __exit__(self, exc_type, exc, tb):
        self._ark.close()
        self._scp.close()
        if exc_type is None:
            os.replace(self._tmp_ark, self.ark_path)
            os.replace(self._tmp_scp, self.scp_path)
        else:
            for p in (self._tmp_ark, self._tmp_scp):
                p.unlink(missing_ok=True)
        return False


def write_embeddings(ark_path, scp_path, items):
    """Write an iterable of (key, array) atomically; returns the count."""
    with EmbeddingWriter(ark_path, scp_path) as w:
        for key, arr in items:
            w.write(key, arr)
    return w.count
