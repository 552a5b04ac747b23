"""Speaker-bootstrap intervals (seed.report.intervals, seed.metrics.weighted) and the dev/test choice
(seed.report.selection): exact against replicated trial lists, paired, deterministic, honest rules."""
import numpy as np
import pytest

from seed.data import Trials
from seed.metrics import compute_eer
from seed.metrics.curve import MetricsError
from seed.metrics.weighted import weighted_eers
from seed.report.intervals import ReplicateEers, SpeakerBootstrap, percentile_interval, relative_change
from seed.report.selection import DevTest, choose, model_of, part_mask, split_speakers
from seed.report.tables import POOLED, fmt_rel_ci


def test_weighted_eers_equal_the_eer_of_the_replicated_trial_list():
    rng = np.random.default_rng(0)
    for case in range(150):
        n, n_clusters = int(rng.integers(10, 300)), int(rng.integers(1, 25))
        labels = (rng.random(n) < rng.uniform(0.05, 0.5)).astype(int)
        labels[:2] = (1, 0)
        scores = np.round(rng.normal(size=n) + labels * rng.uniform(0, 3), int(rng.integers(0, 3)))  # many ties
        clusters = rng.integers(0, n_clusters, n)
        weights = rng.integers(0, 4, size=(4, n_clusters)).astype(float)
        got = weighted_eers(scores, labels, clusters, weights, bins=int(rng.integers(1, 30)))
        for b in range(4):
            rep = np.repeat(np.arange(n), weights[b, clusters].astype(int))
            if labels[rep].sum() in (0, len(rep)):
                assert np.isnan(got[b]), case
            else:
                assert got[b] == pytest.approx(compute_eer(scores[rep], labels[rep]), abs=1e-12), case


def test_weights_of_one_give_compute_eer_bit_for_bit_and_bad_clusters_are_refused():
    rng = np.random.default_rng(1)
    labels = np.r_[np.ones(300, int), np.zeros(3000, int)]
    scores = rng.normal(size=3300) + labels
    clusters = rng.integers(0, 7, 3300)
    assert weighted_eers(scores, labels, clusters, np.ones((1, 7)))[0] == compute_eer(scores, labels)
    with pytest.raises(MetricsError, match="cluster ids"):
        weighted_eers(scores, labels, clusters, np.ones((1, 6)))


def _toy_list(n_spk=12, per_spk=4, seed=0):
    """Utterances u<spk>_<i>; all pairs as trials; embeddings-free scores: targets higher."""
    utts = [f"s{s:02d}_{i}" for s in range(n_spk) for i in range(per_spk)]
    spk = {u: u.split("_")[0] for u in utts}
    e, t = zip(*[(a, b) for i, a in enumerate(utts) for b in utts[i + 1:]])
    labels = np.array([spk[a] == spk[b] for a, b in zip(e, t)], dtype=np.int8)
    return Trials(list(e), list(t), labels), spk


def test_speaker_bootstrap_weights_pairs_and_is_deterministic():
    trials, spk = _toy_list()
    e, t = [spk[u] for u in trials.enroll], [spk[u] for u in trials.test]
    boot = SpeakerBootstrap(e, t, n_boot=50, name="toy")
    assert boot.n_speakers == 12 and boot.weights.shape == (50, 12 * 13 // 2)
    again = SpeakerBootstrap(list(reversed(e)), list(reversed(t)), n_boot=50, name="toy")
    np.testing.assert_array_equal(np.sort(boot.weights, axis=1), np.sort(again.weights, axis=1))
    # a target trial counts as often as its speaker was drawn, a non-target one as the product
    rng = np.random.default_rng(0)
    scores = rng.normal(size=len(trials.labels)) + 2 * trials.labels
    eers = boot.eers(scores, trials.labels)
    assert eers.shape == (50,) and np.isfinite(eers).all()
    assert np.all(boot.weights.sum(axis=1) > 0)


def test_intervals_are_paired_and_exclude_zero_only_for_a_real_difference():
    trials, spk = _toy_list(n_spk=20)
    y = trials.labels.astype(float)
    noise = np.random.default_rng(3).normal(size=len(y))
    store = {}
    for name, sep in (("control", 1.0), ("same", 1.0), ("better", 2.0)):
        for c in ("clean", "noise_snr0", "noise_snr5"):
            store[(name, None, "cosine", "none", c)] = noise + sep * y
    boot = SpeakerBootstrap([spk[u] for u in trials.enroll], [spk[u] for u in trials.test], n_boot=200, name="t")
    rep = ReplicateEers(store, trials.labels, boot, ["noise_snr0", "noise_snr5"])
    same = rep.intervals("same", "control", "cosine", "none")
    assert same["pooled"]["low"] == same["pooled"]["high"] == 0.0          # identical scores: paired, no spread
    better = rep.intervals("better", "control", "cosine", "none")
    assert better["pooled"]["high"] < 0 and better["mean_mismatched"]["high"] < 0 and better["n_speakers"] == 20
    assert percentile_interval([np.nan, 1.0, 2.0, 3.0])["n_undefined"] == 1
    assert np.isnan(relative_change(np.array([1.0]), np.array([0.0])))[0]
    # in the tables: the interval, how many replicates were undefined, or why there is none at all
    assert fmt_rel_ci(-7.9, {"low": -28.9, "high": 1.6, "n_undefined": 2}) == "-7.9 % [-28.9, +1.6] (2 undefined)"
    assert fmt_rel_ci(-19.0, percentile_interval([np.nan] * 5)) == \
        "-19.0 % [no interval: undefined in all 5 replicates, a control EER of 0]"
    assert fmt_rel_ci(-19.0, None) == "-19.0 %"


def test_split_speakers_is_by_name_not_order_and_parts_keep_within_part_trials():
    speakers = [f"spk{i}" for i in range(11)]
    dev, test = split_speakers(speakers)
    assert (dev, test) == split_speakers(reversed(speakers)) and len(dev) == 5 and len(test) == 6
    assert not set(dev) & set(test) and set(dev) | set(test) == set(speakers)
    mask = part_mask(["spk0", dev[0], dev[0]], [dev[0], dev[1], dev[0]], dev)
    assert mask.tolist() == [("spk0" in dev), True, True]


def _agg(rows):
    from seed.report.tables import aggregate_rows
    out = []
    for (system, clean, pooled) in rows:
        for c, v in (("clean", clean), (POOLED, pooled)):
            out.append({"condition": c, "system": system, "backend": "cosine", "norm": "none", "eval_seed": None,
                        "eer": v, "min_dcf_p0.01": 0.0, "min_dcf_p0.05": 0.0, "n_target": 10, "n_nontarget": 90})
    return aggregate_rows(out)


def test_choice_never_worse_than_the_best_control_and_clean_no_worse():
    agg = _agg([("baseline", 2.0, 20.0), ("centering", 1.0, 12.0), ("domain_centering", 1.0, 10.0),
                ("seed", 3.0, 8.0),                      # best mismatched, but worse clean: not eligible
                ("seed_domain_centered", 1.0, 9.0),
                ("seed@s=0.2,t=50_domain_centered", 0.5, 9.5),
                ("official", 1.0, 10.0),                 # ties the control: the control wins
                ("mini", 1.0, 11.0), ("mini_centered", 1.0, 10.0)])
    chosen, control = choose(agg, ["seed", "mini"], variants={"official": "seed"})
    assert control == "domain_centering"
    assert chosen == {"seed": "seed_domain_centered", "mini": "domain_centering"}
    assert model_of("seed@s=0.2,t=50_domain_centered") == "seed" and model_of("official_centered", {"official": "seed"}) == "seed"


def test_dev_test_reports_the_dev_choice_on_test_speakers():
    trials, spk = _toy_list(n_spk=16)
    y = trials.labels.astype(float)
    rng = np.random.default_rng(5)
    store = {}
    for name, sep in (("baseline", 0.5), ("centering", 0.8), ("domain_centering", 1.0), ("seed", 1.6),
                      ("seed_centered", 0.9)):
        seeds = [0, 1] if name.startswith("seed") else [None]
        for s in seeds:
            for c in ("clean", "noise_snr0", "noise_snr5"):
                store[(name, s, "cosine", "none", c)] = rng.normal(size=len(y)) + sep * y * (3 if c == "clean" else 1)
    e, t = [spk[u] for u in trials.enroll], [spk[u] for u in trials.test]
    result = DevTest(store, trials, e, t, ["clean", "noise_snr0", "noise_snr5"], "toy", n_boot=100).result(
        ["seed"], {"seed": ["seed", "seed_centered"]})
    assert result["control"] == "domain_centering" and result["chosen"] == {"seed": "seed"}
    assert len(result["dev_speakers"]) == 8 and not set(result["dev_speakers"]) & set(result["test_speakers"])
    row = result["rows"][0]
    assert row["chosen"] and row["system"] == "seed" and row["test_pooled_eer"] < row["test_pooled_control_eer"]
    assert row["test_intervals"]["n_speakers"] == 8 and row["test_intervals"]["pooled"]["high"] < 0
    assert [r["system"] for r in result["rows"]] == ["seed", "seed_centered"]
    n = result["n_trials"]["test"]
    assert n["target"] == 8 * 6 and n["nontarget"] == (32 * 31) // 2 - 8 * 6
    with pytest.raises(ValueError, match="mismatched condition"):
        DevTest(store, trials, e, t, ["clean"], "toy")
