"""Two-covariance PLDA: EM recovers a known model, beats cosine on anisotropic within-speaker
noise, LLR equals the Gaussian likelihood ratio, LDA / length-norm paths, save/load, Kaldi text."""
import numpy as np
import pytest
import yaml

from seed.backend import (PLDA, EmbeddingSet, PldaBackend, PldaScorer, fit_lda, length_normalize,
                          read_kaldi_plda, write_kaldi_plda)
from seed.data import SeedDataError
from seed.metrics import compute_eer
from test_backend_synthetic import balanced_trials, draw, two_cov_model


@pytest.fixture(scope="module")
def model():
    return two_cov_model(np.random.default_rng(0), d=8)


@pytest.fixture(scope="module")
def train(model):
    return draw(np.random.default_rng(1), model, 3000, 10)


@pytest.fixture(scope="module")
def heldout(model):
    rng = np.random.default_rng(2)
    x, spk = draw(rng, model, 300, 6)
    i, j, lab = balanced_trials(rng, spk, 2000)
    return x, i, j, lab


def rel_err(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


@pytest.mark.parametrize("init", ["moments", "identity"])
def test_em_recovers_the_covariances(model, train, init):
    mu, b, w = model
    x, spk = train
    plda = PLDA.fit(x, spk, n_iter=10 if init == "moments" else 40, init=init)
    assert np.linalg.cond(w) > 1000                       # strongly anisotropic within-speaker noise
    assert rel_err(plda.within_covariance, w) < 0.03
    assert rel_err(plda.between_covariance, b) < 0.08
    assert np.abs(plda.mean - mu).max() < 0.1
    ll = np.array(plda.log_likelihood)
    assert np.all(np.diff(ll) >= -1e-10), "EM must never lower the likelihood"
    # the stored parametrisation is Kaldi's: T W T^T = I, T B T^T = diag(psi), psi descending
    t = plda.transform
    np.testing.assert_allclose(t @ plda.within_covariance @ t.T, np.eye(8), atol=1e-9)
    np.testing.assert_allclose(t @ plda.between_covariance @ t.T, np.diag(plda.psi), atol=1e-9)
    assert np.all(np.diff(plda.psi) <= 0)


def test_em_from_moments_is_converged_after_kaldis_ten_iterations(train):
    x, spk = train
    ll10 = PLDA.fit(x, spk, n_iter=10).log_likelihood[-1]
    ll60 = PLDA.fit(x, spk, n_iter=60, init="identity").log_likelihood[-1]
    assert ll10 == pytest.approx(ll60, abs=1e-4)


def test_plda_clearly_beats_cosine(train, heldout):
    x, spk = train
    xt, i, j, lab = heldout
    backend = PldaBackend.train(x, spk, length_norm=False, plda_length_norm=False)
    plda_eer = compute_eer(backend.score(xt[i], xt[j]), lab)
    c = xt - x.mean(axis=0)
    c /= np.linalg.norm(c, axis=1, keepdims=True)
    cos_eer = compute_eer(np.einsum("ij,ij->i", c[i], c[j]), lab)
    assert plda_eer < 3.0 and cos_eer > 25.0, (plda_eer, cos_eer)
    assert cos_eer - plda_eer > 20.0
    # Kaldi's default pipeline (length norms) still wins by far on this data
    default_eer = compute_eer(PldaBackend.train(x, spk).score(xt[i], xt[j]), lab)
    assert default_eer < cos_eer / 4


def gaussian_logpdf(x, cov):
    d = x.shape[-1]
    _, logdet = np.linalg.slogdet(cov)
    sol = np.linalg.solve(cov, x.T).T
    return -0.5 * (d * np.log(2 * np.pi) + logdet + np.sum(x * sol, axis=-1))


def test_llr_equals_the_gaussian_likelihood_ratio(model, train):
    """log p(e, t | same speaker) - log p(e) - log p(t), written out with full covariances."""
    x, spk = train
    plda = PLDA.fit(x, spk)
    w, b, mu = plda.within_covariance, plda.between_covariance, plda.mean
    rng = np.random.default_rng(5)
    e, t = x[rng.integers(0, len(x), 50)], x[rng.integers(0, len(x), 50)]
    tot = w + b
    joint = np.block([[tot, b], [b, tot]])
    ref = (gaussian_logpdf(np.hstack([e - mu, t - mu]), joint)
           - gaussian_logpdf(e - mu, tot) - gaussian_logpdf(t - mu, tot))
    got = plda.llr(plda.project(e, normalize_length=False), plda.project(t, normalize_length=False))
    np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-9)
    # symmetric for single-utterance enrollment
    np.testing.assert_allclose(got, plda.llr(plda.project(t, normalize_length=False),
                                             plda.project(e, normalize_length=False)), rtol=1e-12)


def test_llr_with_several_enrollment_utterances(train):
    """n-utterance enrollment: the closed form equals the Gaussian predictive ratio."""
    x, spk = train
    plda = PLDA.fit(x, spk)
    w, b, mu = plda.within_covariance, plda.between_covariance, plda.mean
    enroll, test = x[spk == 3][:4], x[spk == 3][4:6]
    n = len(enroll)
    ubar = plda.project(enroll, normalize_length=False).mean(axis=0, keepdims=True)
    got = plda.llr(np.repeat(ubar, 2, axis=0), plda.project(test, normalize_length=False), n_enroll=n)
    # p(t | enroll) = N(mu + K (ebar - mu), W + B - K B) with K = B (B + W/n)^-1
    ebar = enroll.mean(axis=0)
    k = b @ np.linalg.inv(b + w / n)
    pred_mean = mu + k @ (ebar - mu)
    pred_cov = w + b - k @ b
    ref = gaussian_logpdf(test - pred_mean, pred_cov) - gaussian_logpdf(test - mu, w + b)
    np.testing.assert_allclose(got, ref, rtol=1e-8)


def test_kaldi_plda_space_length_norm(train):
    x, spk = train
    plda = PLDA.fit(x, spk)
    for n in (1, 3):
        u = plda.project(x[:20], n_examples=n)
        np.testing.assert_allclose((u * u) @ (1 / (plda.psi + 1 / n)), plda.dim, rtol=1e-10)


def test_length_norm_and_centering_path(train):
    x, spk = train
    backend = PldaBackend.train(x, spk)
    y = backend.preprocess(x[:10])
    np.testing.assert_allclose(np.linalg.norm(y, axis=1), np.sqrt(x.shape[1]))
    np.testing.assert_allclose(backend.center, x.mean(axis=0))
    np.testing.assert_allclose(length_normalize(np.array([[3.0, 4.0]])), [[3 * np.sqrt(2) / 5, 4 * np.sqrt(2) / 5]])
    plain = PldaBackend.train(x, spk, center=False, length_norm=False)
    assert plain.center is None
    np.testing.assert_array_equal(plain.preprocess(x[:3]), x[:3])
    # mean adaptation: another centring mean, every trained stage kept; refused where there is no centring
    shifted = backend.with_center(x.mean(axis=0) + 1.0)
    np.testing.assert_allclose(shifted.preprocess(x[:10] + 1.0), y)
    assert shifted.plda is backend.plda and backend.center is not shifted.center
    with pytest.raises(ValueError, match="no centring stage"):
        plain.with_center(x.mean(axis=0))
    with pytest.raises(ValueError, match="dimension 3"):
        backend.with_center(np.zeros(3))


def test_lda_path():
    """Speaker information lives in 6 of 24 dimensions: LDA to 6 keeps it, whitens within-speaker."""
    rng = np.random.default_rng(3)
    model = two_cov_model(rng, d=24, between_eigs=np.r_[np.linspace(2, 6, 6), np.full(18, 1e-6)],
                          within_eigs=np.logspace(-1, 1, 24))
    x, spk = draw(rng, model, 800, 8)
    proj, between = fit_lda(x, spk, 6)
    assert proj.shape == (6, 24) and np.all(np.diff(between) <= 0)
    y = (x - x.mean(axis=0)) @ proj.T
    means = np.stack([y[spk == s].mean(axis=0) for s in range(800)])
    within = (y - means[spk]).T @ (y - means[spk]) / len(y)
    np.testing.assert_allclose(within, np.eye(6), atol=1e-8)
    between_cov = (means - means.mean(axis=0)).T @ (means - means.mean(axis=0)) / 800
    assert np.abs(between_cov - np.diag(np.diag(between_cov))).max() < 0.05 * between_cov.max()

    xt, st = draw(rng, model, 200, 4)
    i, j, lab = balanced_trials(rng, st, 1000)
    c = xt - x.mean(axis=0)
    c /= np.linalg.norm(c, axis=1, keepdims=True)
    cos_eer = compute_eer(np.einsum("ij,ij->i", c[i], c[j]), lab)
    plain = dict(length_norm=False, plda_length_norm=False)
    full = compute_eer(PldaBackend.train(x, spk, **plain).score(xt[i], xt[j]), lab)
    reduced_backend = PldaBackend.train(x, spk, lda_dim=6, **plain)
    assert reduced_backend.lda.shape == (6, 24) and reduced_backend.plda.dim == 6
    reduced = compute_eer(reduced_backend.score(xt[i], xt[j]), lab)
    assert reduced < full + 1.0 and reduced < cos_eer / 3, (reduced, full, cos_eer)
    # the full Kaldi pipeline (centre -> LDA -> length norm -> PLDA) as well
    kaldi_like = compute_eer(PldaBackend.train(x, spk, lda_dim=6).score(xt[i], xt[j]), lab)
    assert kaldi_like < cos_eer / 2, (kaldi_like, cos_eer)
    with pytest.raises(ValueError, match="at least 3 speakers; got 2"):
        fit_lda(x[:16], spk[:16], 2)
    with pytest.raises(ValueError, match="embedding dimension 24"):
        fit_lda(x, spk, 30)


def test_save_load_round_trip(tmp_path, train, heldout):
    x, spk = train
    xt, i, j, _ = heldout
    backend = PldaBackend.train(x, spk, lda_dim=5)
    backend.save(tmp_path / "plda")
    assert sorted(p.name for p in (tmp_path / "plda").iterdir()) == ["config.yaml", "plda.npz", "plda.txt"]
    cfg = yaml.safe_load((tmp_path / "plda" / "config.yaml").read_text())
    assert cfg["lda_dim"] == 5 and cfg["center"] and cfg["length_norm"] and cfg["plda_length_norm"]
    assert cfg["training"]["n_speakers"] == 3000 and len(cfg["training"]["log_likelihood"]) == 10
    loaded = PldaBackend.load(tmp_path / "plda")
    np.testing.assert_array_equal(loaded.score(xt[i], xt[j]), backend.score(xt[i], xt[j]))
    # the Kaldi text copy holds the same PLDA stage (9 significant digits)
    kaldi = read_kaldi_plda(tmp_path / "plda" / "plda.txt")
    y = backend.preprocess(xt[:50])
    np.testing.assert_allclose(kaldi.llr(kaldi.project(y), kaldi.project(y[::-1])),
                               backend.plda.llr(backend.plda.project(y), backend.plda.project(y[::-1])), rtol=1e-6)
    # damaged or incomplete folders are refused
    npz = tmp_path / "plda" / "plda.npz"
    npz.write_bytes(npz.read_bytes()[:-10])
    with pytest.raises(SeedDataError, match="checksum"):
        PldaBackend.load(tmp_path / "plda")
    (tmp_path / "plda" / "config.yaml").unlink()
    with pytest.raises(SeedDataError, match="config.yaml is missing"):
        PldaBackend.load(tmp_path / "plda")


def test_kaldi_text_plda(tmp_path):
    text = ("<Plda>  [ 1 2 ]\n [\n  2 0 \n  0 0.5 ]\n [ 3 0.25 ]\n</Plda> \n")
    (tmp_path / "plda.txt").write_text(text)
    plda = read_kaldi_plda(tmp_path / "plda.txt")
    np.testing.assert_array_equal(plda.mean, [1, 2])
    np.testing.assert_array_equal(plda.transform, [[2, 0], [0, 0.5]])
    np.testing.assert_array_equal(plda.psi, [3, 0.25])
    write_kaldi_plda(tmp_path / "copy.txt", plda)
    again = read_kaldi_plda(tmp_path / "copy.txt")
    np.testing.assert_array_equal(again.transform, plda.transform)
    # a Kaldi PLDA file is accepted where a PLDA folder is expected
    backend = PldaBackend.load(tmp_path / "plda.txt")
    assert backend.center is None and backend.lda is None and not backend.length_norm
    for bad, match in [(b"\0B<Plda> ", "binary Kaldi PLDA"), (b"<Plda> [ 1 2 ] [ 1 0 0 1 ] [ 1 1 ]", "</Plda>"),
                       (b"<Plda> [ 1 2 ] [ 1 0 0 ] [ 1 1 ] </Plda>", "expected 4"),
                       (b"<Plda> [ 1 x ] [ 1 0 0 1 ] [ 1 1 ] </Plda>", "non-numeric"), (b"hello", "not a Kaldi PLDA")]:
        (tmp_path / "bad.txt").write_bytes(bad)
        with pytest.raises(SeedDataError, match=match):
            read_kaldi_plda(tmp_path / "bad.txt")


def test_scorer_matches_backend_and_matrix(train, heldout):
    x, spk = train
    xt, i, j, _ = heldout
    backend = PldaBackend.train(x, spk, lda_dim=6)
    scorer = PldaScorer(backend)
    xt = xt.astype(np.float32)                   # embeddings are float32 on disk
    rows = scorer.prepare(EmbeddingSet.from_array(xt))
    pairs = scorer.score_rows(rows.take(i[:200]), rows.take(j[:200]))
    np.testing.assert_allclose(pairs, backend.score(xt[i[:200]], xt[j[:200]]), rtol=1e-10, atol=1e-10)
    m = scorer.score_matrix(rows.take(np.arange(30)), rows.take(np.arange(40)))
    np.testing.assert_allclose(m[3, 7], backend.score(xt[3:4], xt[7:8])[0], rtol=1e-10)
    with pytest.raises(ValueError, match="dimension 3"):
        scorer.prepare(EmbeddingSet.from_array(np.ones((2, 3))))


def test_bad_training_input():
    x = np.random.default_rng(0).standard_normal((10, 3))
    with pytest.raises(ValueError, match="at least 2 speakers"):
        PLDA.fit(x, np.zeros(10, dtype=int))
    with pytest.raises(ValueError, match="unknown PLDA init"):
        PLDA.fit(x, np.arange(10) % 2, init="random")
    with pytest.raises(ValueError, match="speaker index 1 has no utterances"):
        PLDA.fit(x, np.r_[np.zeros(5, int), np.full(5, 2)])
