"""S-norm and AS-norm against the formula written out per trial, for cosine, multi-crop and PLDA."""
import numpy as np
import pytest

from seed.backend import (CosineScorer, CropDistanceScorer, EmbeddingSet, PldaBackend, PldaScorer,
                          apply_score_norm, cohort_stats, normalize_scores, score_pairs)
from test_backend_synthetic import draw, two_cov_model


def direct_norm(score_fn, e, t, s, cohort, k, ddof):
    """s' = ((s - mu_e)/sd_e + (s - mu_t)/sd_t) / 2 over each side's k best cohort scores."""
    ce = np.sort([score_fn(e, c) for c in cohort])[::-1][:k]
    ct = np.sort([score_fn(t, c) for c in cohort])[::-1][:k]
    return 0.5 * ((s - ce.mean()) / ce.std(ddof=ddof) + (s - ct.mean()) / ct.std(ddof=ddof))


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    model = two_cov_model(rng, d=6)
    x, spk = draw(rng, model, 60, 5)
    cohort, _ = draw(rng, model, 25, 1)
    ia, ib = rng.integers(0, len(x), 40), rng.integers(0, len(x), 40)
    return x.astype(np.float32), spk, cohort.astype(np.float32), ia, ib


def check(scorer, score_fn, x_set, cohort_set, ia, ib, cohort_items, method, k, ddof, rtol=1e-8):
    rows = scorer.prepare(x_set)
    crows = scorer.prepare(cohort_set)
    raw = score_pairs(scorer, rows, rows, ia, ib)
    got = normalize_scores(scorer, raw, rows, rows, ia, ib, crows, method=method, top_k=k, ddof=ddof)
    kk = len(cohort_items) if method == "snorm" else k
    ref = [direct_norm(score_fn, a, b, s, cohort_items, kk, ddof) for a, b, s in zip(ia, ib, raw)]
    np.testing.assert_allclose(got, ref, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("method,k,ddof", [("asnorm", 5, 0), ("asnorm", 12, 1), ("snorm", None, 0)])
def test_cosine(data, method, k, ddof):
    x, _, cohort, ia, ib = data
    mean = x.mean(axis=0)

    def cos(i, c):
        a, b = x[i].astype(np.float64) - mean, c.astype(np.float64) - mean
        return a @ b / np.linalg.norm(a) / np.linalg.norm(b)

    check(CosineScorer(mean), cos, EmbeddingSet.from_array(x), EmbeddingSet.from_array(cohort), ia, ib,
          list(cohort), method, k, ddof, rtol=1e-4)      # cosine scores are float32


@pytest.mark.parametrize("method,k", [("asnorm", 7), ("snorm", None)])
def test_plda(data, method, k):
    x, spk, cohort, ia, ib = data
    backend = PldaBackend.train(x, spk, lda_dim=4)

    def llr(i, c):
        return backend.score(x[i:i + 1], c[None, :])[0]

    check(PldaScorer(backend), llr, EmbeddingSet.from_array(x), EmbeddingSet.from_array(cohort), ia, ib,
          list(cohort), method, k, 0)


def test_multicrop_distance_with_vector_cohort(data):
    """ESPnet: -mean over enroll crops of the distance to each cohort speaker mean, top-k, norm."""
    x, _, cohort, ia, ib = data
    crops = x.reshape(-1, 3, 6)[:100]                      # 100 utterances x 3 crops
    ia, ib = ia % 100, ib % 100

    def unit(a):
        return a / np.linalg.norm(a, axis=-1, keepdims=True)

    def dist(i, c):
        return -np.mean(np.linalg.norm(unit(crops[i].astype(np.float64)) - unit(c.astype(np.float64)), axis=1))

    check(CropDistanceScorer(), dist, EmbeddingSet.from_array(crops), EmbeddingSet.from_array(cohort), ia, ib,
          list(cohort), "asnorm", 6, 1)


def test_cohort_stats_blocks_and_limits(data):
    x, _, cohort, _, _ = data
    scorer = CosineScorer()
    rows, crows = scorer.prepare(EmbeddingSet.from_array(x)), scorer.prepare(EmbeddingSet.from_array(cohort))
    mu, sd = cohort_stats(scorer, rows, crows, top_k=4)
    full = np.sort(x.astype(np.float64) @ cohort.T.astype(np.float64)
                   / np.linalg.norm(x, axis=1)[:, None] / np.linalg.norm(cohort, axis=1)[None, :], axis=1)[:, -4:]
    np.testing.assert_allclose(mu, full.mean(axis=1), rtol=1e-5)
    np.testing.assert_allclose(sd, full.std(axis=1), rtol=1e-4)
    with pytest.raises(ValueError, match="between 1 and the cohort size 25"):
        cohort_stats(scorer, rows, crows, top_k=26)
    with pytest.raises(ValueError, match="degrees of freedom"):
        cohort_stats(scorer, rows, crows, top_k=1, ddof=1)
    # AS-norm with k beyond the cohort uses the whole cohort (as ESPnet), i.e. S-norm
    raw = np.zeros(3)
    ia = np.arange(3)
    np.testing.assert_allclose(
        normalize_scores(scorer, raw, rows, rows, ia, ia, crows, "asnorm", top_k=1000),
        normalize_scores(scorer, raw, rows, rows, ia, ia, crows, "snorm"))
    np.testing.assert_array_equal(normalize_scores(scorer, raw, rows, rows, ia, ia, crows, "none"), raw)
    with pytest.raises(ValueError, match="unknown score normalisation"):
        normalize_scores(scorer, raw, rows, rows, ia, ia, crows, "znorm")


def test_zero_cohort_spread_is_an_error():
    scorer = CosineScorer()
    rows = scorer.prepare(EmbeddingSet.from_array(np.eye(3, dtype=np.float32), keys=["a", "b", "c"]))
    cohort = scorer.prepare(EmbeddingSet.from_array(np.tile([[0, 0, 1]], (4, 1)).astype(np.float32)))
    with pytest.raises(ValueError, match="enroll/test 'a': all its top-4 cohort scores are equal"):
        normalize_scores(scorer, np.zeros(1), rows, rows, np.array([0]), np.array([1]), cohort, "snorm",
                         enroll_keys=["a", "b", "c"])
    cohort2 = scorer.prepare(EmbeddingSet.from_array(np.array([[0, 0, 1], [0, 0, 1], [0, 1, 0], [0, 1, 0]],
                                                              dtype=np.float32)))
    enroll = scorer.prepare(EmbeddingSet.from_array(np.array([[0, 0.6, 0.8]], dtype=np.float32), keys=["x"]))
    with pytest.raises(ValueError, match="test 'a': all its top-4 cohort scores are equal"):
        normalize_scores(scorer, np.zeros(1), enroll, rows, np.array([0]), np.array([0]), cohort2, "snorm",
                         enroll_keys=["x"], test_keys=["a", "b", "c"])


def test_apply_score_norm_formula():
    assert apply_score_norm(1.0, 0.5, 0.25, 0.0, 2.0) == pytest.approx(0.5 * (2.0 + 0.5))
