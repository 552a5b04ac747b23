"""Two-covariance PLDA (the model of Kaldi's ``ivector-compute-plda`` and WeSpeaker's
``two_cov_plda``), trained by EM, with the Kaldi parametrisation and LLR.

Model: an embedding of speaker s is ``x = mu + y_s + e``, ``y_s ~ N(0, B)`` (between-speaker),
``e ~ N(0, W)`` (within-speaker).  It is stored as Kaldi stores it: ``mean`` (mu), ``transform``
(T with ``T W T^T = I`` and ``T B T^T = diag(psi)``) and ``psi`` (largest first), so a model can be
exchanged with Kaldi in text form (``ivector-copy-plda --binary=false``).

EM follows Kaldi's ``PldaEstimator`` (mu = mean of the speaker means; statistics of the offsets
from the speaker means plus the posterior of each speaker variable), but each iteration is done in
the space where W = I and B is diagonal, so every speaker's posterior is elementwise and the whole
E-step is a handful of array operations whatever the utterance counts.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import List

import numpy as np

from seed.backend.lda import speaker_stats, whitening_transform

__all__ = ["PLDA", "simultaneous_diagonalization"]

_LOG_2PI = math.log(2 * math.pi)


def simultaneous_diagonalization(within: np.ndarray, between: np.ndarray):
    """``(T, psi)`` with ``T within T^T = I`` and ``T between T^T = diag(psi)``, psi descending >= 0."""
    t1 = whitening_transform(within)
    b = t1 @ between @ t1.T
    psi, u = np.linalg.eigh(0.5 * (b + b.T))
    order = np.argsort(psi)[::-1]
    return u[:, order].T @ t1, np.maximum(psi[order], 0.0)


@dataclass
class PLDA:
    mean: np.ndarray          # [D]
    transform: np.ndarray     # [D, D]
    psi: np.ndarray           # [D]
    log_likelihood: List[float] = field(default_factory=list)   # per utterance, after each EM iteration

    def __post_init__(self):
        self.mean = np.asarray(self.mean, dtype=np.float64)
        self.transform = np.asarray(self.transform, dtype=np.float64)
        self.psi = np.asarray(self.psi, dtype=np.float64)
        d = self.mean.shape[0]
        if self.mean.ndim != 1 or self.transform.shape != (d, d) or self.psi.shape != (d,):
            raise ValueError(f"inconsistent PLDA shapes: mean {self.mean.shape}, transform "
                             f"{self.transform.shape}, psi {self.psi.shape}")
        if (self.psi < 0).any():
            raise ValueError("PLDA between-speaker variances (psi) must be >= 0")

    @property
    def dim(self) -> int:
        return self.mean.shape[0]

    @property
    def within_covariance(self) -> np.ndarray:
        tinv = np.linalg.inv(self.transform)
        return tinv @ tinv.T

    @property
    def between_covariance(self) -> np.ndarray:
        tinv = np.linalg.inv(self.transform)
        return (tinv * self.psi) @ tinv.T

    # ------------------------------------------------------------------ training
    @classmethod
    def fit(cls, x: np.ndarray, spk: np.ndarray, n_iter: int = 10, init: str = "moments") -> "PLDA":
        """EM from embeddings ``x [N, D]`` and speaker indices ``spk [N]`` (0..S-1).

        ``init="identity"`` starts from W = B = I exactly as Kaldi does; ``"moments"`` (default)
        from method-of-moments estimates (W: pooled within-speaker scatter; B: covariance of
        the speaker means minus W times the mean 1/n), which starts EM near its fixed point, so
        Kaldi's 10 iterations are enough even when W is far from isotropic.  Needs >= 2 speakers.
        """
        x = np.asarray(x, dtype=np.float64)
        spk = np.asarray(spk, dtype=np.int64)
        if x.ndim != 2 or len(x) != len(spk):
            raise ValueError(f"x must be [N, D] with one speaker index per row; got {x.shape}, {spk.shape}")
        if n_iter < 1:
            raise ValueError(f"n_iter must be >= 1, got {n_iter}")
        means, counts, offset_scatter = speaker_stats(x, spk)
        n_spk, n, d = len(counts), len(x), x.shape[1]
        if n_spk < 2:
            raise ValueError(f"PLDA needs at least 2 speakers, got {n_spk}")
        mu = means.mean(axis=0)
        m = means - mu
        nf = counts.astype(np.float64)[:, None]
        if init == "identity":
            within, between = np.eye(d), np.eye(d)
        elif init == "moments":
            # method of moments: cov(speaker means) = B + W * mean(1/n); clip B to be PSD
            within = offset_scatter / (n - n_spk) if n > n_spk else np.eye(d)
            between = m.T @ m / n_spk - within * float(np.mean(1.0 / counts))
            val, vec = np.linalg.eigh(0.5 * (between + between.T))
            between = (vec * np.maximum(val, 1e-3 * max(val.max(), 1e-12))) @ vec.T
        else:
            raise ValueError(f"unknown PLDA init {init!r}; use 'moments' or 'identity'")
        history = []
        for _ in range(n_iter):
            t, psi = simultaneous_diagonalization(within, between)
            tinv = np.linalg.inv(t)
            u = m @ t.T                           # speaker means where W = I, B = diag(psi)
            gain = nf * psi / (1.0 + nf * psi)    # posterior mean of y_s = gain * u
            y = gain * u
            post_var = psi / (1.0 + nf * psi)     # posterior variance of y_s (diagonal)
            b_stats = y.T @ y + np.diag(post_var.sum(axis=0))
            r = u - y
            w_stats = (r * nf).T @ r + np.diag((nf * post_var).sum(axis=0))
            between = tinv @ b_stats @ tinv.T / n_spk
            within = (offset_scatter + tinv @ w_stats @ tinv.T) / n
            between, within = 0.5 * (between + between.T), 0.5 * (within + within.T)
            history.append(_log_likelihood(within, between, offset_scatter, m, counts, n))
        t, psi = simultaneous_diagonalization(within, between)
        return cls(mu, t, psi, history)

    # ------------------------------------------------------------------ scoring
    def project(self, x: np.ndarray, n_examples: int = 1, normalize_length: bool = True) -> np.ndarray:
        """Kaldi ``TransformIvector``: ``T (x - mu)``, then (by default) scaled so that its squared
        norm under the covariance of an ``n_examples``-average, ``diag(psi + 1/n)``, is the dimension."""
        u = (np.asarray(x, dtype=np.float64) - self.mean) @ self.transform.T
        if normalize_length:
            quad = (u * u) @ (1.0 / (self.psi + 1.0 / n_examples))
            u *= np.sqrt(self.dim / np.maximum(quad, np.finfo(float).tiny))[:, None]
        return u

    def llr_terms(self, n_enroll: int = 1):
        """Coefficients of the LLR as a quadratic form (Kaldi ``LogLikelihoodRatio``):

        ``llr(u, v) = sum(a * u * v) + sum(be * u^2) + sum(bt * v^2) + c`` for an enroll
        average ``u`` of ``n_enroll`` projected embeddings and a projected test ``v``.
        """
        psi, n = self.psi, float(n_enroll)
        k = n * psi / (n * psi + 1.0)
        var_given = 1.0 + psi / (n * psi + 1.0)
        var_without = 1.0 + psi
        a = k / var_given
        be = -0.5 * k * k / var_given
        bt = 0.5 / var_without - 0.5 / var_given
        c = 0.5 * float(np.sum(np.log(var_without) - np.log(var_given)))
        return a, be, bt, c

    def llr(self, u: np.ndarray, v: np.ndarray, n_enroll: int = 1) -> np.ndarray:
        """Row-wise log-likelihood ratio of projected enroll rows ``u`` and test rows ``v``."""
        a, be, bt, c = self.llr_terms(n_enroll)
        return (u * v) @ a + (u * u) @ be + (v * v) @ bt + c


def _log_likelihood(within, between, offset_scatter, m, counts, n) -> float:
    """Per-utterance log-likelihood of the training data under (W, B) (Kaldi's ComputeObjf)."""
    d = within.shape[0]
    t, psi = simultaneous_diagonalization(within, between)
    _, logdet_w = np.linalg.slogdet(within)
    within_part = -0.5 * ((n - len(counts)) * (logdet_w + d * _LOG_2PI)
                          + float(np.sum((t @ offset_scatter) * t)))
    u = m @ t.T
    var = psi[None, :] + 1.0 / counts[:, None]          # covariance of a speaker's mean, diagonal
    means_part = -0.5 * float(np.sum(np.log(var)) + len(counts) * (logdet_w + d * _LOG_2PI)
                              + np.sum(u * u / var))
    return (within_part + means_part) / n
