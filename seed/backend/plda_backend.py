"""The PLDA back-end as one object: centring, LDA, length normalisation, PLDA; saved to a folder.

Pipeline (Kaldi voxceleb/v2 stages 10-11): subtract the training mean -> LDA to ``lda_dim``
(optional) -> scale every vector to norm sqrt(dim) (``ivector-normalize-length``) -> PLDA; at
scoring time each vector takes the same path, then Kaldi's PLDA-space length normalisation
(``ivector-plda-scoring --normalize-length=true``), then the log-likelihood ratio.

A PLDA folder holds ``plda.npz`` (all arrays), ``config.yaml`` (options, training summary, the
npz checksum; written last, so a folder without it is incomplete) and ``plda.txt`` (the PLDA part
in Kaldi text form, for Kaldi's ``ivector-plda-scoring`` after the same preprocessing).
"""
from __future__ import annotations

import dataclasses
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np
import yaml

from seed.backend.embeddings import EmbeddingSet
from seed.backend.kaldi_plda import is_kaldi_plda, read_kaldi_plda, write_kaldi_plda
from seed.backend.lda import fit_lda
from seed.backend.plda import PLDA
from seed.backend.scoring import Rows
from seed.data import SeedDataError, atomic_write
from seed.data.outputs import remove_outputs

__all__ = ["PldaBackend", "PldaScorer", "clear_plda_dir", "length_normalize"]

FORMAT_VERSION = 1
FILES = ("config.yaml", "plda.npz", "plda.txt")   # config.yaml first: without it a folder is incomplete


def clear_plda_dir(out_dir) -> None:
    """Remove a previous back-end from ``out_dir`` (config.yaml first); call it before training, so a
    failed run leaves no folder that loads."""
    remove_outputs(out_dir, FILES)


def length_normalize(x: np.ndarray) -> np.ndarray:
    """Scale rows to norm sqrt(dim), as Kaldi's ``ivector-normalize-length``."""
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    return x * (np.sqrt(x.shape[1]) / np.maximum(norm, np.finfo(float).tiny))


@dataclass
class PldaBackend:
    plda: PLDA
    center: Optional[np.ndarray] = None     # training mean, subtracted first
    lda: Optional[np.ndarray] = None        # [lda_dim, D]
    length_norm: bool = True                # before PLDA
    plda_length_norm: bool = True           # Kaldi's PLDA-space normalisation at scoring
    info: dict = field(default_factory=dict)

    @property
    def input_dim(self) -> int:
        if self.lda is not None:
            return self.lda.shape[1]
        return self.plda.dim

    # ------------------------------------------------------------------ training
    @classmethod
    def train(cls, x: np.ndarray, spk: np.ndarray, lda_dim: Optional[int] = None, center: bool = True,
              length_norm: bool = True, plda_length_norm: bool = True, n_iter: int = 10,
              init: str = "moments") -> "PldaBackend":
        """Fit every stage on ``x [N, D]`` with speaker indices ``spk [N]``."""
        x = np.asarray(x, dtype=np.float64)
        spk = np.asarray(spk, dtype=np.int64)
        mean = x.mean(axis=0) if center else None
        y = x - mean if center else x
        lda = None
        if lda_dim is not None:
            lda, _ = fit_lda(y, spk, lda_dim)
            y = y @ lda.T
        if length_norm:
            y = length_normalize(y)
        plda = PLDA.fit(y, spk, n_iter=n_iter, init=init)
        info = {"n_utterances": int(len(x)), "n_speakers": int(spk.max()) + 1, "input_dim": int(x.shape[1]),
                "plda_dim": int(plda.dim), "em_iterations": int(n_iter), "init": init,
                "log_likelihood": [float(v) for v in plda.log_likelihood]}
        return cls(plda, mean, lda, length_norm, plda_length_norm, info)

    def with_center(self, mean: np.ndarray) -> "PldaBackend":
        """This back-end with another centring mean (the target domain's unlabelled mean instead of the
        training one: mean adaptation; the LDA, PLDA and the rest stay as trained)."""
        mean = np.asarray(mean, dtype=np.float64)
        if self.center is None:
            raise ValueError("this PLDA back-end has no centring stage (a Kaldi PLDA, or trained without "
                             "centring): it cannot take another mean")
        if mean.shape != self.center.shape:
            raise ValueError(f"the mean has dimension {mean.shape[-1]}; this PLDA back-end takes {self.input_dim}")
        return dataclasses.replace(self, center=mean)

    # ------------------------------------------------------------------ transforms
    def preprocess(self, x: np.ndarray) -> np.ndarray:
        """Centring, LDA and length normalisation: the space the PLDA was trained in."""
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.input_dim:
            raise ValueError(f"embeddings have shape {x.shape}; this PLDA back-end takes dimension "
                             f"{self.input_dim}")
        if self.center is not None:
            x = x - self.center
        if self.lda is not None:
            x = x @ self.lda.T
        if self.length_norm:
            x = length_normalize(x)
        return x

    def project(self, x: np.ndarray, n_examples: int = 1) -> np.ndarray:
        """Embeddings -> PLDA space (W = I, B = diag(psi)), ready for ``PLDA.llr``."""
        return self.plda.project(self.preprocess(x), n_examples, self.plda_length_norm)

    def score(self, enroll: np.ndarray, test: np.ndarray) -> np.ndarray:
        """Row-wise LLR of enroll row i against test row i."""
        return self.plda.llr(self.project(enroll), self.project(test))

    # ------------------------------------------------------------------ persistence
    def save(self, out_dir) -> None:
        """Write ``plda.npz``, ``plda.txt`` and (last) ``config.yaml`` into ``out_dir``."""
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        clear_plda_dir(out_dir)                                  # incomplete until config.yaml is rewritten
        arrays = {"plda_mean": self.plda.mean, "plda_transform": self.plda.transform, "plda_psi": self.plda.psi}
        if self.center is not None:
            arrays["center"] = self.center
        if self.lda is not None:
            arrays["lda"] = self.lda
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        blob = buf.getvalue()
        with atomic_write(out_dir / "plda.npz", mode="wb") as f:
            f.write(blob)
        write_kaldi_plda(out_dir / "plda.txt", self.plda)
        config = {
            "format_version": FORMAT_VERSION,
            "model": "two-covariance PLDA",
            "center": self.center is not None,
            "lda_dim": None if self.lda is None else int(self.lda.shape[0]),
            "length_norm": bool(self.length_norm),
            "plda_length_norm": bool(self.plda_length_norm),
            "training": self.info,
            "files": {"plda.npz": {"sha256": hashlib.sha256(blob).hexdigest()},
                      "plda.txt": "the PLDA stage in Kaldi text form (after centring/LDA/length norm)"},
        }
        with atomic_write(out_dir / "config.yaml") as f:
            yaml.safe_dump(config, f, sort_keys=False)

    @classmethod
    def load(cls, path) -> "PldaBackend":
        """Load a folder written by ``save``, or a Kaldi text PLDA file (then no preprocessing
        other than Kaldi's PLDA-space length normalisation is applied)."""
        path = Path(path)
        if path.is_file():
            if not is_kaldi_plda(path):
                raise SeedDataError(path, "neither a PLDA folder (config.yaml + plda.npz) nor a Kaldi PLDA")
            return cls(read_kaldi_plda(path), length_norm=False, info={"source": f"kaldi:{path}"})
        cfg_path = path / "config.yaml"
        if not cfg_path.is_file():
            raise SeedDataError(path, "not a complete PLDA folder: config.yaml is missing "
                                "(rerun python -m seed.bin.train_plda)")
        cfg = yaml.safe_load(cfg_path.read_text(encoding="utf-8")) or {}
        if cfg.get("format_version") != FORMAT_VERSION:
            raise SeedDataError(cfg_path, f"unsupported format_version {cfg.get('format_version')!r}")
        npz_path = path / "plda.npz"
        if not npz_path.is_file():
            raise SeedDataError(npz_path, "file not found")
        blob = npz_path.read_bytes()
        want = cfg.get("files", {}).get("plda.npz", {}).get("sha256")
        if want != hashlib.sha256(blob).hexdigest():
            raise SeedDataError(npz_path, "checksum differs from config.yaml (file replaced or truncated)")
        with np.load(io.BytesIO(blob)) as z:
            arrays = {k: z[k] for k in z.files}
        plda = PLDA(arrays["plda_mean"], arrays["plda_transform"], arrays["plda_psi"],
                    list(cfg.get("training", {}).get("log_likelihood", [])))
        if bool(cfg["center"]) != ("center" in arrays) or (cfg["lda_dim"] is not None) != ("lda" in arrays):
            raise SeedDataError(npz_path, "arrays do not match config.yaml (center/lda)")
        return cls(plda, arrays.get("center"), arrays.get("lda"), bool(cfg["length_norm"]),
                   bool(cfg["plda_length_norm"]), cfg.get("training", {}))


class PldaScorer:
    """Scorer (``seed.backend.scoring``) for a PLDA back-end; per-crop embeddings are averaged.

    Each embedding is projected once; a trial then costs one dot product, because for a single
    enrollment utterance the LLR is ``sum(a u v) + q(u) + q(v) + c`` (``PLDA.llr_terms``).
    """

    name = "plda"

    def __init__(self, backend: PldaBackend):
        self.backend = backend
        self.a, be, bt, self.c = backend.plda.llr_terms(1)
        self.be, self.bt = be, bt

    def prepare(self, emb: EmbeddingSet) -> Rows:
        if emb.dim != self.backend.input_dim:
            raise ValueError(f"{emb.source}: embeddings have dimension {emb.dim}; the PLDA back-end "
                             f"takes {self.backend.input_dim}")
        u = self.backend.project(emb.vectors())
        sq = u * u
        return Rows(u=u, ua=u * self.a, qe=sq @ self.be, qt=sq @ self.bt)

    def score_rows(self, a: Rows, b: Rows) -> np.ndarray:
        return np.einsum("ij,ij->i", a["ua"], b["u"]) + a["qe"] + b["qt"] + self.c

    def score_matrix(self, a: Rows, b: Rows) -> np.ndarray:
        return a["ua"] @ b["u"].T + a["qe"][:, None] + b["qt"][None, :] + self.c
