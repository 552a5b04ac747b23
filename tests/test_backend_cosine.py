"""EmbeddingSet, cosine (with mean subtraction), multi-crop distance / crop-mean scores, and the
vectorised trial scoring, each against a direct per-trial computation."""
import numpy as np
import pytest

from seed.backend import (CosineScorer, CropDistanceScorer, EmbeddingSet, l2_normalize, mean_embedding,
                          score_pairs, score_trials)
from seed.data import SeedDataError, Trials


def unit(v):
    return v / np.linalg.norm(v)


@pytest.fixture
def vectors():
    rng = np.random.default_rng(0)
    keys = [f"u{i}" for i in range(30)]
    return EmbeddingSet.from_dict({k: rng.standard_normal(6).astype(np.float32) for k in keys}, "vec.scp")


@pytest.fixture
def crops():
    """Utterances with 1 to 4 crops each (e.g. short utterances give fewer crops)."""
    rng = np.random.default_rng(1)
    table = {f"c{i}": rng.standard_normal((1 + i % 4, 6)).astype(np.float32) for i in range(20)}
    table["c0"] = table["c0"][0]                       # a plain vector among matrices
    return table


def test_embedding_set_from_dict(crops):
    es = EmbeddingSet.from_dict(crops, "crops.scp")
    assert es.data.shape == (20, 4, 6) and es.is_multicrop and es.dim == 6
    np.testing.assert_array_equal(es.counts[:5], [1, 2, 3, 4, 1])
    np.testing.assert_array_equal(es.data[1, 2:], 0)                   # padding
    np.testing.assert_allclose(es.vectors()[2], crops["c2"].mean(axis=0), rtol=1e-6)
    np.testing.assert_array_equal(es.rows(["c3", "c0"]), [3, 0])
    sub = EmbeddingSet.from_dict(crops, "crops.scp", keys=["c5", "c1"])
    assert sub.keys == ["c5", "c1"] and sub.max_crops == 2
    with pytest.raises(SeedDataError, match=r"crops.scp: key 'zz': embedding not found"):
        EmbeddingSet.from_dict(crops, "crops.scp", keys=["c1", "zz"])
    with pytest.raises(SeedDataError, match=r"crops.scp: key 'x': enroll utterance has no embedding here"):
        es.rows(["c1", "x"], "enroll utterance")
    bad = dict(crops, c7=np.ones(5, np.float32))
    with pytest.raises(SeedDataError, match=r"key 'c7': dimension 5 differs"):
        EmbeddingSet.from_dict(bad, "crops.scp")
    with pytest.raises(SeedDataError, match="shape"):
        EmbeddingSet.from_dict({"a": np.ones((0, 6))}, "e.scp")
    with pytest.raises(SeedDataError, match="no embeddings"):
        EmbeddingSet.from_dict({}, "e.scp")


def test_cosine_against_direct_formula(vectors):
    rng = np.random.default_rng(2)
    ia, ib = rng.integers(0, 30, 500), rng.integers(0, 30, 500)
    x = vectors.vectors().astype(np.float64)
    for mean in (None, x[:10].mean(axis=0)):
        scorer = CosineScorer(mean)
        rows = scorer.prepare(vectors)
        got = score_pairs(scorer, rows, rows, ia, ib, block=64)      # several blocks
        c = x if mean is None else x - mean
        ref = [unit(c[a]) @ unit(c[b]) for a, b in zip(ia, ib)]
        np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)
        m = scorer.score_matrix(rows.take(np.arange(5)), rows)
        np.testing.assert_allclose(m[2, 9], unit(c[2]) @ unit(c[9]), rtol=1e-5)
    np.testing.assert_allclose(mean_embedding(vectors), x.mean(axis=0), rtol=1e-5)
    with pytest.raises(ValueError, match="dimension 6 but the mean has 3"):
        CosineScorer(np.zeros(3)).prepare(vectors)


def test_l2_normalize_keeps_zero_vectors_finite():
    out = l2_normalize(np.array([[3.0, 4.0], [0.0, 0.0]], np.float32))
    np.testing.assert_allclose(out, [[0.6, 0.8], [0, 0]])


def test_crop_distance_against_direct_formula(crops):
    es = EmbeddingSet.from_dict(crops, "crops.scp")
    rng = np.random.default_rng(3)
    ia, ib = rng.integers(0, 20, 300), rng.integers(0, 20, 300)
    assert (ia == ib).any()
    mean = np.full(6, 0.1, np.float32)
    for m in (None, mean):
        scorer = CropDistanceScorer(m)
        rows = scorer.prepare(es)
        got = score_pairs(scorer, rows, rows, ia, ib, block=50)

        def crops_of(k):
            a = np.atleast_2d(crops[k]).astype(np.float64) - (0 if m is None else m.astype(np.float64))
            return a / np.linalg.norm(a, axis=1, keepdims=True)

        ref = []
        for a, b in zip(ia, ib):
            e, t = crops_of(es.keys[a]), crops_of(es.keys[b])
            ref.append(-np.mean([np.linalg.norm(ei - tj) for ei in e for tj in t]))
        np.testing.assert_allclose(got, ref, rtol=1e-8, atol=1e-7)     # incl. identical crops (ia == ib)
        matrix = scorer.score_matrix(rows.take(np.arange(7)), rows)
        np.testing.assert_allclose(matrix[np.arange(7)[:, None], np.arange(20)],
                                   score_pairs(scorer, rows, rows, np.repeat(np.arange(7), 20),
                                               np.tile(np.arange(20), 7)).reshape(7, 20), rtol=1e-9, atol=1e-12)


def test_single_crop_distance_ranks_like_cosine(vectors):
    rows_d = CropDistanceScorer().prepare(vectors)
    rows_c = CosineScorer().prepare(vectors)
    ia, ib = np.arange(30), np.arange(30)[::-1]
    d = score_pairs(CropDistanceScorer(), rows_d, rows_d, ia, ib)
    c = score_pairs(CosineScorer(), rows_c, rows_c, ia, ib)
    np.testing.assert_allclose(d, -np.sqrt(2 - 2 * c), atol=1e-5)


def test_cosine_of_crop_mean(crops):
    es = EmbeddingSet.from_dict(crops, "crops.scp")
    scorer = CosineScorer()
    rows = scorer.prepare(es)

    def crop_mean(k):
        a = np.atleast_2d(crops[k]).astype(np.float64)
        return unit((a / np.linalg.norm(a, axis=1, keepdims=True)).mean(axis=0))

    got = score_pairs(scorer, rows, rows, np.array([1, 3, 0]), np.array([2, 3, 5]))
    ref = [crop_mean("c1") @ crop_mean("c2"), 1.0, crop_mean("c0") @ crop_mean("c5")]
    np.testing.assert_allclose(got, ref, rtol=1e-5)


def test_score_trials_gathers_rows_and_names_missing_keys(vectors):
    trials = Trials(["u1", "u2", "u1"], ["u3", "u1", "u29"], [1, 0, 0])
    got = score_trials(CosineScorer(), trials, vectors, vectors)
    x = vectors.vectors().astype(np.float64)
    np.testing.assert_allclose(got, [unit(x[1]) @ unit(x[3]), unit(x[2]) @ unit(x[1]), unit(x[1]) @ unit(x[29])],
                               rtol=1e-5)
    with pytest.raises(SeedDataError, match=r"vec.scp: key 'nope': test utterance of the trial list"):
        score_trials(CosineScorer(), Trials(["u1"], ["nope"], [0]), vectors, vectors)
    with pytest.raises(ValueError, match="enroll rows"):
        score_pairs(CosineScorer(), None, None, np.arange(3), np.arange(2))
