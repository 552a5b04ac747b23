"""Kaldi PLDA models in text form (``ivector-copy-plda --binary=false plda plda.txt``).

Layout (``Plda::Write``): ``<Plda>``, the mean vector ``[ ... ]``, the D x D transform
``[ rows ]`` and the psi vector ``[ ... ]``, then ``</Plda>``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from seed.backend.plda import PLDA
from seed.data import SeedDataError, atomic_write

__all__ = ["read_kaldi_plda", "write_kaldi_plda", "is_kaldi_plda"]


def is_kaldi_plda(path) -> bool:
    """True when ``path`` is a file starting with a Kaldi PLDA token (text or binary)."""
    path = Path(path)
    if not path.is_file():
        return False
    with open(path, "rb") as f:
        head = f.read(16)
    return head.lstrip().startswith(b"<Plda>") or head.startswith(b"\0B<Plda>")


def _bracketed(tokens, pos, path, what):
    if pos >= len(tokens) or tokens[pos] != "[":
        raise SeedDataError(path, f"expected '[' opening the {what}")
    end = tokens.index("]", pos) if "]" in tokens[pos:] else -1
    if end < 0:
        raise SeedDataError(path, f"the {what} has no closing ']'")
    try:
        values = np.array([float(t) for t in tokens[pos + 1:end]], dtype=np.float64)
    except ValueError as e:
        raise SeedDataError(path, f"non-numeric value in the {what}: {e}") from None
    return values, end + 1


def read_kaldi_plda(path) -> PLDA:
    """Read a text-form Kaldi PLDA; a binary one is an error that says how to convert it."""
    path = Path(path)
    data = path.read_bytes()
    if data.startswith(b"\0B"):
        raise SeedDataError(path, "binary Kaldi PLDA: convert it with "
                            "'ivector-copy-plda --binary=false plda plda.txt'")
    tokens = data.decode("utf-8", errors="replace").split()
    if not tokens or tokens[0] != "<Plda>":
        raise SeedDataError(path, "not a Kaldi PLDA (no leading <Plda> token)")
    mean, pos = _bracketed(tokens, 1, path, "mean vector")
    transform, pos = _bracketed(tokens, pos, path, "transform matrix")
    psi, pos = _bracketed(tokens, pos, path, "psi vector")
    if pos >= len(tokens) or tokens[pos] != "</Plda>":
        raise SeedDataError(path, "missing closing </Plda> token")
    d = mean.size
    if transform.size != d * d or psi.size != d:
        raise SeedDataError(path, f"mean has {d} values but the transform has {transform.size} "
                            f"(expected {d * d}) and psi {psi.size}")
    return PLDA(mean, transform.reshape(d, d), psi)


def write_kaldi_plda(path, plda: PLDA) -> None:
    """Write ``plda`` in Kaldi's text form, atomically."""
    def vec(v):
        return " [ " + " ".join(f"{x:.9g}" for x in v) + " ]\n"
    with atomic_write(path) as f:
        f.write("<Plda> ")
        f.write(vec(plda.mean))
        f.write(" [\n")
        rows = ["  " + " ".join(f"{x:.9g}" for x in row) for row in plda.transform]
        f.write(" \n".join(rows) + " ]\n")
        f.write(vec(plda.psi))
        f.write("</Plda> \n")
