"""EER / minDCF / DET against brute-force references (every threshold tried), incl. ties and tiny sets."""
import numpy as np
import pytest

from seed.data import SeedDataError, Trials
from seed.metrics import (MetricsError, align_scores, compute_eer, compute_metrics, compute_min_dcf, dcf_key,
                          det_curve, error_curve, format_metrics, plot_det, read_scores, write_scores)


# ---------------------------------------------------------------- brute-force references
def brute_points(scores, labels):
    """(fnr, fpr) at every distinct score used as threshold (accept >= t), then +inf; O(n^2)."""
    s, lab = np.asarray(scores, float), np.asarray(labels)
    tgt, non = s[lab == 1], s[lab == 0]
    fnr, fpr = [], []
    for t in list(np.unique(s)) + [np.inf]:
        fnr.append(np.mean(tgt < t))
        fpr.append(np.mean(non >= t))
    return np.array(fnr), np.array(fpr)


def brute_min_dcf(scores, labels, p, c_miss=1.0, c_fa=1.0):
    fnr, fpr = brute_points(scores, labels)
    best = min(c_miss * fn * p + c_fa * fp * (1 - p) for fn, fp in zip(fnr, fpr))
    return best / min(c_miss * p, c_fa * (1 - p))


def brute_eer(scores, labels):
    """Linear interpolation between the two operating points around the FNR = FPR crossing."""
    fnr, fpr = brute_points(scores, labels)
    for k in range(len(fnr)):
        if fnr[k] - fpr[k] >= 0:
            break
    if fnr[k] == fpr[k]:
        return 100 * fnr[k]
    d0, d1 = fnr[k - 1] - fpr[k - 1], fnr[k] - fpr[k]
    a = -d0 / (d1 - d0)
    return 100 * (fnr[k - 1] + a * (fnr[k] - fnr[k - 1]))


def wespeaker_eer(scores, labels):
    """WeSpeaker's compute_pmiss_pfa_rbst + compute_eer (only defined without ties)."""
    order = np.argsort(scores)
    lab = np.asarray(labels)[order]
    fnr = np.cumsum(lab == 1) / np.sum(lab == 1)
    fpr = 1 - np.cumsum(lab == 0) / np.sum(lab == 0)
    d = fnr - fpr
    x1 = np.flatnonzero(d >= 0)[0]
    x2 = np.flatnonzero(d < 0)[-1]
    a = (fnr[x1] - fpr[x1]) / (fpr[x2] - fpr[x1] - (fnr[x2] - fnr[x1]))
    return 100 * (fnr[x1] + a * (fnr[x2] - fnr[x1]))


def sklearn_roc_curve(y_true, y_score):
    """sklearn.metrics.roc_curve(..., drop_intermediate=True) re-implemented with numpy."""
    desc = np.argsort(y_score, kind="mergesort")[::-1]
    y_score, y_true = np.asarray(y_score)[desc], np.asarray(y_true)[desc]
    distinct = np.where(np.diff(y_score))[0]
    thr_idx = np.r_[distinct, y_true.size - 1]
    tps = np.cumsum(y_true, dtype=np.float64)[thr_idx]
    fps = 1 + thr_idx - tps
    if len(fps) > 2:
        keep = np.where(np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True])[0]
        fps, tps = fps[keep], tps[keep]
    tps, fps = np.r_[0, tps], np.r_[0, fps]
    return fps / fps[-1], tps / tps[-1]


def espnet_eer(scores, labels):
    """espnet2/utils/eer.py tuneThresholdfromScore: max(fpr, fnr) at argmin |fnr - fpr|."""
    fpr, tpr = sklearn_roc_curve(labels, scores)
    fnr = 1 - tpr
    idx = np.nanargmin(np.absolute(fnr - fpr))
    return 100 * max(fpr[idx], fnr[idx])


def random_case(rng, n, kind):
    lab = (rng.random(n) < rng.uniform(0.2, 0.8)).astype(np.int8)
    lab[0], lab[-1] = 1, 0                      # both classes present
    rng.shuffle(lab)
    if kind == "ties":                          # few distinct values: many tied groups
        s = rng.integers(0, 4, n) + lab * rng.integers(0, 2, n)
    elif kind == "cosine":                      # in [-1, 1]: exact key packing
        s = np.tanh(rng.standard_normal(n) + lab)
    else:                                       # wide two-signed range: 52-bit key packing
        s = 300 * (rng.standard_normal(n) + lab)
        s[rng.random(n) < 0.3] = 300.0          # ties in the wide range too
    return s.astype(np.float64), lab


CASES = [(n, kind, seed) for n in (2, 3, 5, 8, 20, 101) for kind in ("ties", "cosine", "wide") for seed in range(4)]


@pytest.mark.parametrize("n,kind,seed", CASES)
def test_against_brute_force(n, kind, seed):
    rng = np.random.default_rng([n, seed, ("ties", "cosine", "wide").index(kind)])
    s, lab = random_case(rng, n, kind)
    assert compute_eer(s, lab) == pytest.approx(brute_eer(s, lab), abs=1e-9)
    for p in (0.01, 0.05, 0.001, 0.5):
        assert compute_min_dcf(s, lab, p) == pytest.approx(brute_min_dcf(s, lab, p), abs=1e-12)
    assert compute_min_dcf(s, lab, 0.05, c_miss=10, c_fa=1) == pytest.approx(
        brute_min_dcf(s, lab, 0.05, 10, 1), abs=1e-12)
    assert compute_eer(s, lab, method="espnet") == pytest.approx(espnet_eer(s, lab), abs=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_matches_wespeaker_without_ties(seed):
    rng = np.random.default_rng(seed)
    lab = (rng.random(3000) < 0.3).astype(np.int8)
    s = rng.standard_normal(3000) + 2 * lab
    assert compute_eer(s, lab) == pytest.approx(wespeaker_eer(s, lab), abs=1e-9)


def test_larger_random_against_brute_force():
    rng = np.random.default_rng(7)
    s, lab = random_case(rng, 2000, "ties")
    assert compute_eer(s, lab) == pytest.approx(brute_eer(s, lab), abs=1e-9)
    assert compute_eer(s, lab, "espnet") == pytest.approx(espnet_eer(s, lab), abs=1e-12)
    assert compute_min_dcf(s, lab, 0.01) == pytest.approx(brute_min_dcf(s, lab, 0.01), abs=1e-12)


def test_result_does_not_depend_on_order_of_tied_trials():
    rng = np.random.default_rng(3)
    s, lab = random_case(rng, 500, "ties")
    ref = compute_metrics(s, lab)
    for _ in range(5):
        perm = rng.permutation(len(s))
        assert compute_metrics(s[perm], lab[perm]) == ref


def test_hand_computed_fixtures():
    # perfectly separated
    assert compute_eer([0.1, 0.35, 0.4, 0.8], [0, 0, 1, 1]) == 0.0
    assert compute_min_dcf([0.1, 0.35, 0.4, 0.8], [0, 0, 1, 1], 0.01) == 0.0
    # one tie group: the only segment runs from (FNR 0, FPR 1) to (1, 0) -> EER 50 %, and only the
    # trivial accept-all / reject-all points exist -> minDCF 1
    assert compute_eer([0.3] * 4, [1, 0, 1, 0]) == pytest.approx(50.0)
    assert compute_min_dcf([0.3] * 4, [1, 0, 0, 0], 0.01) == pytest.approx(1.0)
    # fully inverted scores: every threshold is worse than a trivial one
    assert compute_eer([0.9, 0.1], [0, 1]) == pytest.approx(100.0)
    assert compute_min_dcf([0.9, 0.1], [0, 1], 0.05) == pytest.approx(1.0)
    # targets {3, 2}, non-targets {1, 2.5, 0}: points (FNR, FPR) per threshold 0,1,2,2.5,3,inf:
    # (0,1) (0,2/3) (0,1/3) (1/2,1/3) (1/2,0) (1,0); crossing between (0,1/3) and (1/2,1/3): EER 1/3
    s, lab = [3, 2, 1, 2.5, 0], [1, 1, 0, 0, 0]
    assert compute_eer(s, lab) == pytest.approx(100 / 3)
    # minDCF@0.5 = min(fnr + fpr) / 1 = 1/3 (at threshold 2)
    assert compute_min_dcf(s, lab, 0.5) == pytest.approx(2 * 0.5 * (1 / 3))


def test_last_mantissa_bit_precision_limit():
    """Exact keys for scores in [-2, 2]; wide two-signed ranges merge scores 1 ulp apart (documented)."""
    x = 0.5
    y = np.nextafter(x, 1.0)
    s, lab = np.array([-1.0, x, y, 1.5]), np.array([1, 1, 0, 0])
    assert compute_eer(s, lab) == pytest.approx(brute_eer(s, lab))          # y > x kept apart
    wide = np.array([-1000.0, 1000.0, np.nextafter(1000.0, 2000.0), 1500.0])
    merged = np.array([-1000.0, 1000.0, 1000.0, 1500.0])
    assert compute_eer(wide, lab) == pytest.approx(brute_eer(merged, lab))
    assert compute_min_dcf(wide, lab, 0.3) == pytest.approx(brute_min_dcf(merged, lab, 0.3))


def test_negative_zero_ties_with_zero():
    s, lab = np.array([-0.0, 0.0, 0.0, -0.0]), np.array([1, 0, 0, 1])
    assert compute_eer(s, lab) == pytest.approx(50.0)


def test_label_and_score_types():
    s = [0.1, 0.2, 0.3, 0.4]
    ref = compute_eer(s, [0, 1, 0, 1])
    assert compute_eer(np.array(s, np.float32), np.array([0, 1, 0, 1], np.int64)) == pytest.approx(ref)
    assert compute_eer(s, np.array([False, True, False, True])) == ref
    assert compute_eer([1, 2, 3, 4], [0.0, 1.0, 0.0, 1.0]) == ref


@pytest.mark.parametrize("scores,labels,match", [
    ([], [], "no scores"),
    ([0.1, 0.2], [1, 1], "no non-target"),
    ([0.1, 0.2], [0, 0], "no target"),
    ([0.1, np.nan, 0.3], [0, 1, 1], r"score #1 is nan"),
    ([0.1, np.inf], [0, 1], r"score #1 is inf"),
    ([0.1, 0.2], [0, 2], r"label #1 is 2"),
    ([0.1, 0.2], [0, 0.5], r"label #1"),
    ([0.1, 0.2, 0.3], [0, 1], "2 labels for 3 scores"),
    ([[0.1, 0.2]], [[0, 1]], "1-D"),
])
def test_bad_input_is_a_clear_error(scores, labels, match):
    with pytest.raises(MetricsError, match=match):
        compute_eer(scores, labels)
    with pytest.raises(MetricsError, match=match):
        compute_min_dcf(scores, labels, 0.01)


def test_bad_parameters():
    with pytest.raises(MetricsError, match="unknown EER method"):
        compute_eer([0.1, 0.2], [0, 1], method="kaldi")
    with pytest.raises(MetricsError, match="p_target"):
        compute_min_dcf([0.1, 0.2], [0, 1], 1.5)
    with pytest.raises(MetricsError, match="positive"):
        compute_min_dcf([0.1, 0.2], [0, 1], 0.01, c_fa=0)


def test_compute_metrics_dict_and_line():
    rng = np.random.default_rng(0)
    s, lab = random_case(rng, 400, "cosine")
    m = compute_metrics(s, lab, p_targets=[0.001])
    assert list(m) == ["eer", "min_dcf_p0.01", "min_dcf_p0.05", "min_dcf_p0.001", "n_target", "n_nontarget"]
    assert m["eer"] == pytest.approx(compute_eer(s, lab))
    for p in (0.01, 0.05, 0.001):
        assert m[dcf_key(p)] == pytest.approx(compute_min_dcf(s, lab, p))
    assert m["n_target"] == int(lab.sum()) and m["n_nontarget"] == int((lab == 0).sum())
    assert compute_metrics(s, lab, eer_method="espnet")["eer"] == pytest.approx(espnet_eer(s, lab))
    line = format_metrics(m)
    assert line.startswith(f"EER {m['eer']:.3f}% | minDCF@0.01 ") and "minDCF@0.05" in line
    assert "minDCF@0.001" in line and f"{len(s)} trials" in line


def test_det_curve_points_and_plot(tmp_path):
    rng = np.random.default_rng(1)
    s, lab = random_case(rng, 300, "ties")
    fpr, fnr, thr = det_curve(s, lab)
    bfnr, bfpr = brute_points(s, lab)
    np.testing.assert_allclose(fnr, bfnr)
    np.testing.assert_allclose(fpr, bfpr)
    np.testing.assert_array_equal(thr, list(np.unique(s)) + [np.inf])
    wide = 300 * s - 500                       # the lossy key path still decodes thresholds
    np.testing.assert_allclose(det_curve(wide, lab)[2][:-1], np.unique(wide), rtol=1e-15)

    s2, lab2 = random_case(rng, 5000, "cosine")
    out = tmp_path / "plots" / "det.png"
    plot_det({"raw": (s, lab), "enhanced": (s2, lab2)}, out, title="test")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 5000
    assert [p.name for p in out.parent.iterdir()] == ["det.png"]
    with pytest.raises(ValueError):
        plot_det({}, tmp_path / "x.png")


def test_error_curve_is_tie_aware():
    c = error_curve([0.5, 0.5, 0.5, 0.2], [1, 0, 0, 1], with_thresholds=True)
    np.testing.assert_array_equal(c.thresholds, [0.2, 0.5, np.inf])
    np.testing.assert_array_equal(c.n_below, [0, 1, 4])
    np.testing.assert_array_equal(c.tgt_below, [0, 1, 2])
    np.testing.assert_allclose(c.fnr, [0, 0.5, 1])
    np.testing.assert_allclose(c.fpr, [1, 1, 0])


# ---------------------------------------------------------------- score files
def test_score_file_round_trip_and_join(tmp_path):
    trials = Trials(["a", "a", "b"], ["b", "c", "c"], [1, 0, 0])
    path = tmp_path / "scores"
    write_scores(path, ["b", "a", "a"], ["c", "c", "b"], [0.25, -1.5, 0.75])
    assert path.read_text() == "b c 0.250000\na c -1.500000\na b 0.750000\n"
    table = read_scores(path)
    np.testing.assert_array_equal(align_scores(trials, table, path), [0.75, -1.5, 0.25])


def test_score_file_errors(tmp_path):
    trials = Trials(["a", "a"], ["b", "c"], [1, 0])
    p = tmp_path / "scores"
    p.write_text("a b 0.5\n")
    with pytest.raises(SeedDataError, match=r"no score for trial 'a c'"):
        align_scores(trials, read_scores(p), p)
    p.write_text("a b 0.5\na c 0.1\nx y 0.3\n")
    with pytest.raises(SeedDataError, match=r"not in the trial list, e.g. 'x y'"):
        align_scores(trials, read_scores(p), p)
    assert align_scores(trials, read_scores(p), p, allow_extra=True).tolist() == [0.5, 0.1]
    for text, match in [("a b 0.5\na b 0.6\n", r"scores:2: key 'a': duplicate score"),
                        ("a b nope\n", r"scores:1: key 'a': score 'nope' is not a number"),
                        ("a b 0.5 target\n", "first three columns"),
                        ("a b nan\n", r"score is nan"),
                        ("", "empty")]:
        p.write_text(text)
        with pytest.raises(SeedDataError, match=match):
            read_scores(p)
    with pytest.raises(SeedDataError, match="not found"):
        read_scores(tmp_path / "missing")
    p.write_bytes(b"a b 0.5\na c\xff 0.1\n")      # issue 16: was a bare UnicodeDecodeError naming no file
    with pytest.raises(SeedDataError, match=r"scores:2: key 'a': not UTF-8: byte 0xff at column 4"):
        read_scores(p)
    with pytest.raises(SeedDataError, match="non-finite"):
        write_scores(tmp_path / "out", ["a"], ["b"], [np.nan])
    assert not (tmp_path / "out").exists()
