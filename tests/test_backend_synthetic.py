"""Synthetic speaker embeddings from a known two-covariance model, shared by the backend tests
(imported as ``test_backend_synthetic``), plus checks that the generator draws what it claims."""
import numpy as np


def random_rotation(rng, d):
    q, r = np.linalg.qr(rng.standard_normal((d, d)))
    return q * np.sign(np.diag(r))


def two_cov_model(rng, d=8, within_eigs=None, between_eigs=None, mean_scale=2.0):
    """(mu, B, W): B fairly isotropic, W strongly anisotropic (eigenvalues 0.01 .. 30 by default)."""
    within_eigs = np.logspace(-2, 1.5, d) if within_eigs is None else np.asarray(within_eigs)
    between_eigs = np.linspace(0.5, 2.0, d) if between_eigs is None else np.asarray(between_eigs)
    qb, qw = random_rotation(rng, d), random_rotation(rng, d)
    return mean_scale * rng.standard_normal(d), (qb * between_eigs) @ qb.T, (qw * within_eigs) @ qw.T


def draw(rng, model, n_spk, n_utt):
    """x [n_spk * n_utt, d] and speaker index per row."""
    mu, b, w = model
    d = len(mu)
    y = rng.standard_normal((n_spk, d)) @ np.linalg.cholesky(b).T
    e = rng.standard_normal((n_spk, n_utt, d)) @ np.linalg.cholesky(w).T
    return (mu + y[:, None, :] + e).reshape(-1, d), np.repeat(np.arange(n_spk), n_utt)


def pair_trials(rng, spk, n_trials):
    """Random distinct pairs of rows (i, j) and their target labels."""
    i = rng.integers(0, len(spk), n_trials)
    j = (i + rng.integers(1, len(spk), n_trials)) % len(spk)
    return i, j, (spk[i] == spk[j]).astype(np.int8)


def balanced_trials(rng, spk, n_each):
    """n_each target and n_each non-target pairs of distinct rows."""
    by_spk = {s: np.flatnonzero(spk == s) for s in np.unique(spk)}
    tgt = []
    for _ in range(n_each):
        rows = by_spk[rng.choice(list(by_spk))]
        a, b = rng.choice(rows, 2, replace=False)
        tgt.append((a, b))
    non = []
    while len(non) < n_each:
        a, b = rng.integers(0, len(spk), 2)
        if spk[a] != spk[b]:
            non.append((a, b))
    pairs = np.array(tgt + non)
    return pairs[:, 0], pairs[:, 1], np.r_[np.ones(n_each), np.zeros(n_each)].astype(np.int8)


def test_generator_draws_the_model():
    rng = np.random.default_rng(0)
    model = two_cov_model(rng, d=4)
    x, spk = draw(rng, model, 4000, 5)
    means = x.reshape(4000, 5, 4).mean(axis=1)
    within = np.cov((x.reshape(4000, 5, 4) - means[:, None]).reshape(-1, 4).T) * 5 / 4
    np.testing.assert_allclose(within, model[2], atol=0.05 * np.abs(model[2]).max())
    np.testing.assert_allclose(x.mean(axis=0), model[0], atol=0.1)
    i, j, lab = balanced_trials(rng, spk, 50)
    assert lab.sum() == 50 and np.all((spk[i] == spk[j]) == lab) and np.all(i != j)
    i, j, lab = pair_trials(rng, spk, 100)
    assert np.all(i != j) and np.all((spk[i] == spk[j]) == lab)
