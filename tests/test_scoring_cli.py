"""Command-line contract of train_plda / score / compute_metrics, run as subprocesses on small
generated ark/scp sets; results checked against the library computed in-process."""
import json
import subprocess
import sys

import numpy as np
import pytest

from seed.backend import (CosineScorer, CropDistanceScorer, EmbeddingSet, PldaBackend, PldaScorer, mean_embedding,
                          normalize_scores, score_pairs, trial_rows)
from seed.data import Trials, read_trials, write_embeddings, write_kv, write_trials
from seed.metrics import align_scores, compute_eer, compute_metrics, read_scores
from test_backend_synthetic import draw, two_cov_model


def run(module, *args, ok=True):
    r = subprocess.run([sys.executable, "-m", f"seed.bin.{module}", *map(str, args)], capture_output=True, text=True)
    if ok:
        assert r.returncode == 0, r.stderr
    return r


@pytest.fixture(scope="module")
def sets(tmp_path_factory):
    root = tmp_path_factory.mktemp("scoring")
    rng = np.random.default_rng(0)
    model = two_cov_model(rng, d=16)
    x, spk = draw(rng, model, 40, 6)
    keys = [f"spk{s:02d}-utt{i}" for i, s in enumerate(spk)]
    write_embeddings(root / "train.ark", root / "train.scp", zip(keys, x))
    write_kv(root / "utt2spk", {k: f"spk{s:02d}" for k, s in zip(keys, spk)})
    means = {f"spk{s:02d}": x[spk == s].mean(axis=0) for s in range(40)}
    write_embeddings(root / "cohort.ark", root / "cohort.scp", means.items())

    xt, st = draw(rng, model, 12, 4)
    tkeys = [f"t{s:02d}-utt{i}" for i, s in enumerate(st)]
    write_embeddings(root / "test.ark", root / "test.scp", zip(tkeys, xt))
    crops = xt[:, None, :] + 0.3 * rng.standard_normal((len(xt), 3, 16))
    write_embeddings(root / "crops.ark", root / "crops.scp", zip(tkeys, crops))
    i, j = np.triu_indices(len(tkeys), 1)
    write_trials(root / "trials", Trials([tkeys[a] for a in i], [tkeys[b] for b in j], (st[i] == st[j]).astype(int)))
    return root


def scores_in_trial_order(path, trials_path):
    trials = read_trials(trials_path)
    lines = path.read_text().splitlines()
    assert len(lines) == len(trials)
    assert [tuple(line.split()[:2]) for line in lines] == list(zip(trials.enroll, trials.test))
    assert all(len(line.split()) == 3 for line in lines)
    return trials, align_scores(trials, read_scores(path), path)


def test_plda_train_score_metrics(sets, tmp_path):
    r = run("train_plda", "--scp", sets / "train.scp", "--utt2spk", sets / "utt2spk", "--lda-dim", 8,
            "--out-dir", tmp_path / "plda")
    assert "240 utterances, 40 speakers, dim 16 -> LDA 8" in r.stdout
    assert sorted(p.name for p in (tmp_path / "plda").iterdir()) == ["config.yaml", "plda.npz", "plda.txt"]

    run("score", "--trials", sets / "trials", "--enroll-scp", sets / "test.scp", "--test-scp", sets / "test.scp",
        "--backend", "plda", "--plda-dir", tmp_path / "plda", "--out", tmp_path / "scores")
    trials, got = scores_in_trial_order(tmp_path / "scores", sets / "trials")
    test = EmbeddingSet.from_scp(sets / "test.scp")
    scorer = PldaScorer(PldaBackend.load(tmp_path / "plda"))
    rows = scorer.prepare(test)
    ref = score_pairs(scorer, rows, rows, *trial_rows(trials, test, test))
    np.testing.assert_allclose(got, ref, atol=6e-7)

    r = run("compute_metrics", "--trials", sets / "trials", "--scores", tmp_path / "scores", "--json",
            tmp_path / "m.json", "--p-target", 0.001, "--det-png", tmp_path / "det.png")
    m = json.loads((tmp_path / "m.json").read_text())
    assert list(m) == ["eer", "min_dcf_p0.01", "min_dcf_p0.05", "min_dcf_p0.001", "n_target", "n_nontarget"]
    assert m == pytest.approx(compute_metrics(got, trials.labels, p_targets=[0.001]))
    assert m["n_target"] == 72 and m["n_nontarget"] == 1056
    assert r.stdout.startswith(f"{tmp_path / 'scores'}: EER {m['eer']:.3f}% | minDCF@0.01 ")
    assert (tmp_path / "det.png").read_bytes()[:4] == b"\x89PNG"
    r = run("compute_metrics", "--trials", sets / "trials", "--scores", tmp_path / "scores", "--eer-method", "espnet")
    assert f"EER {compute_eer(got, trials.labels, 'espnet'):.3f}%" in r.stdout

    # per-crop embeddings: PLDA scores the crop mean
    run("score", "--trials", sets / "trials", "--enroll-scp", sets / "crops.scp", "--test-scp", sets / "crops.scp",
        "--backend", "plda", "--plda-dir", tmp_path / "plda", "--out", tmp_path / "crop_scores")
    crops = EmbeddingSet.from_scp(sets / "crops.scp")
    rows = scorer.prepare(crops)
    np.testing.assert_allclose(scores_in_trial_order(tmp_path / "crop_scores", sets / "trials")[1],
                               score_pairs(scorer, rows, rows, *trial_rows(trials, crops, crops)), atol=6e-7)

    # plda.txt is only the PLDA stage (after LDA to 8): on 16-dim input it must be a clear error
    r = run("score", "--trials", sets / "trials", "--enroll-scp", sets / "test.scp", "--test-scp", sets / "test.scp",
            "--backend", "plda", "--plda-dir", tmp_path / "plda" / "plda.txt", "--out", tmp_path / "k", ok=False)
    assert r.returncode == 1 and "dimension 16" in r.stderr and not (tmp_path / "k").exists()


def test_kaldi_plda_file_as_plda_dir(sets, tmp_path):
    run("train_plda", "--scp", sets / "train.scp", "--utt2spk", sets / "utt2spk", "--no-center",
        "--no-length-norm", "--out-dir", tmp_path / "plda")
    run("score", "--trials", sets / "trials", "--enroll-scp", sets / "test.scp", "--test-scp", sets / "test.scp",
        "--backend", "plda", "--plda-dir", tmp_path / "plda" / "plda.txt", "--out", tmp_path / "kaldi")
    run("score", "--trials", sets / "trials", "--enroll-scp", sets / "test.scp", "--test-scp", sets / "test.scp",
        "--backend", "plda", "--plda-dir", tmp_path / "plda", "--out", tmp_path / "ours")
    np.testing.assert_allclose(scores_in_trial_order(tmp_path / "kaldi", sets / "trials")[1],
                               scores_in_trial_order(tmp_path / "ours", sets / "trials")[1], atol=2e-6)


def test_cosine_with_mean_and_asnorm(sets, tmp_path):
    run("score", "--trials", sets / "trials", "--enroll-scp", sets / "test.scp", "--test-scp", sets / "test.scp",
        "--backend", "cosine", "--mean-scp", sets / "train.scp", "--norm", "asnorm", "--cohort-scp",
        sets / "cohort.scp", "--top-k", 5, "--std-ddof", 1, "--out", tmp_path / "scores")
    trials, got = scores_in_trial_order(tmp_path / "scores", sets / "trials")
    test = EmbeddingSet.from_scp(sets / "test.scp")
    scorer = CosineScorer(mean_embedding(EmbeddingSet.from_scp(sets / "train.scp")))
    rows = scorer.prepare(test)
    ie, it = trial_rows(trials, test, test)
    ref = normalize_scores(scorer, score_pairs(scorer, rows, rows, ie, it), rows, rows, ie, it,
                           scorer.prepare(EmbeddingSet.from_scp(sets / "cohort.scp")), "asnorm", 5, ddof=1)
    np.testing.assert_allclose(got, ref, atol=6e-7)
    run("score", "--trials", sets / "trials", "--enroll-scp", sets / "test.scp", "--test-scp", sets / "test.scp",
        "--backend", "cosine", "--norm", "snorm", "--cohort-scp", sets / "cohort.scp", "--out", tmp_path / "s")
    assert len((tmp_path / "s").read_text().splitlines()) == len(trials)


@pytest.mark.parametrize("crop_score", ["distance", "mean"])
def test_per_crop_embeddings(sets, tmp_path, crop_score):
    run("score", "--trials", sets / "trials", "--enroll-scp", sets / "crops.scp", "--test-scp", sets / "crops.scp",
        "--backend", "cosine", "--crop-score", crop_score, "--out", tmp_path / "scores")
    trials, got = scores_in_trial_order(tmp_path / "scores", sets / "trials")
    crops = EmbeddingSet.from_scp(sets / "crops.scp")
    assert crops.max_crops == 3
    scorer = CropDistanceScorer() if crop_score == "distance" else CosineScorer()
    rows = scorer.prepare(crops)
    np.testing.assert_allclose(got, score_pairs(scorer, rows, rows, *trial_rows(trials, crops, crops)), atol=6e-7)
    if crop_score == "distance":
        assert got.max() <= 0                          # minus a distance
    # vectors on one side, crops on the other
    run("score", "--trials", sets / "trials", "--enroll-scp", sets / "test.scp", "--test-scp", sets / "crops.scp",
        "--backend", "cosine", "--crop-score", crop_score, "--out", tmp_path / "mixed")
    assert len((tmp_path / "mixed").read_text().splitlines()) == len(trials)


def test_missing_keys_and_bad_usage_are_clear_errors(sets, tmp_path):
    (tmp_path / "trials").write_text((sets / "trials").read_text() + "t00-utt0 ghost-utt nontarget\n")
    r = run("score", "--trials", tmp_path / "trials", "--enroll-scp", sets / "test.scp", "--test-scp",
            sets / "test.scp", "--backend", "cosine", "--out", tmp_path / "scores", ok=False)
    assert r.returncode == 1 and "key 'ghost-utt'" in r.stderr and "test.scp" in r.stderr
    assert not (tmp_path / "scores").exists()

    run("score", "--trials", sets / "trials", "--enroll-scp", sets / "test.scp", "--test-scp", sets / "test.scp",
        "--backend", "cosine", "--out", tmp_path / "scores")
    r = run("compute_metrics", "--trials", tmp_path / "trials", "--scores", tmp_path / "scores", "--json",
            tmp_path / "m.json", ok=False)
    assert r.returncode == 1 and "no score for trial 't00-utt0 ghost-utt'" in r.stderr
    assert not (tmp_path / "m.json").exists()

    lines = (sets / "trials").read_text().splitlines()
    (tmp_path / "targets_only").write_text("\n".join(x for x in lines if x.endswith(" target")) + "\n")
    r = run("compute_metrics", "--trials", tmp_path / "targets_only", "--scores", tmp_path / "scores",
            "--allow-extra-scores", ok=False)
    assert r.returncode == 1 and "targets_only" in r.stderr and "no non-target trials" in r.stderr

    u2s = (sets / "utt2spk").read_text().splitlines()
    (tmp_path / "utt2spk").write_text("\n".join(u2s[1:]) + "\n")
    r = run("train_plda", "--scp", sets / "train.scp", "--utt2spk", tmp_path / "utt2spk", "--out-dir",
            tmp_path / "plda", ok=False)
    assert r.returncode == 1 and f"key '{u2s[0].split()[0]}'" in r.stderr and "no speaker" in r.stderr
    assert not (tmp_path / "plda" / "config.yaml").exists()

    for args, msg in [(["--backend", "plda"], "--plda-dir"),
                      (["--backend", "cosine", "--norm", "asnorm"], "--cohort-scp")]:
        r = run("score", "--trials", sets / "trials", "--enroll-scp", sets / "test.scp", "--test-scp",
                sets / "test.scp", "--out", tmp_path / "o", *args, ok=False)
        assert r.returncode == 2 and msg in r.stderr


@pytest.mark.parametrize("module", ["train_plda", "score", "compute_metrics"])
def test_help_documents_every_option(module):
    import importlib
    parser = importlib.import_module(f"seed.bin.{module}").build_parser()
    text = run(module, "--help").stdout
    for action in parser._actions:
        for opt in action.option_strings:
            assert opt in text
        assert action.help, f"{action.option_strings} has no help"


def test_wrong_dimension_of_mean_or_cohort_names_the_file(sets, tmp_path):
    """Issue 16: a --mean-scp / --cohort-scp of another dimension gave a numpy matmul message."""
    write_embeddings(tmp_path / "m8.ark", tmp_path / "m8.scp", [("a", np.ones(8, np.float32))])
    common = ["--trials", sets / "trials", "--enroll-scp", sets / "test.scp", "--test-scp", sets / "test.scp",
              "--backend", "cosine", "--out", tmp_path / "scores"]
    for extra in (["--mean-scp", tmp_path / "m8.scp"], ["--norm", "asnorm", "--cohort-scp", tmp_path / "m8.scp"]):
        r = run("score", *common, *extra, ok=False)
        assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1
        assert f"{tmp_path / 'm8.scp'}: embeddings have dimension 8, but the enrolment set" in r.stderr
        assert not (tmp_path / "scores").exists()


def test_a_failed_rerun_leaves_no_earlier_scores_or_metrics(sets, tmp_path):
    """Issue 16 (fault table): a failed score / compute_metrics rerun left the previous run's score file and
    metrics JSON in place, looking current; a --out that is a folder was a traceback."""
    scores, metrics = tmp_path / "scores", tmp_path / "m.json"
    common = ["--enroll-scp", sets / "test.scp", "--test-scp", sets / "test.scp", "--backend", "cosine"]
    run("score", "--trials", sets / "trials", *common, "--out", scores)
    run("compute_metrics", "--trials", sets / "trials", "--scores", scores, "--json", metrics)
    (tmp_path / "trials").write_text((sets / "trials").read_text() + "t00-utt0 ghost-utt nontarget\n")
    r = run("compute_metrics", "--trials", tmp_path / "trials", "--scores", scores, "--json", metrics, ok=False)
    assert r.returncode == 1 and "ghost-utt" in r.stderr and not metrics.exists()
    r = run("score", "--trials", tmp_path / "trials", *common, "--out", scores, ok=False)
    assert r.returncode == 1 and "ghost-utt" in r.stderr and not scores.exists()
    (tmp_path / "folder").mkdir()
    r = run("score", "--trials", sets / "trials", *common, "--out", tmp_path / "folder", ok=False)
    assert r.returncode == 1 and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert f"{tmp_path / 'folder'}: --out is a directory" in r.stderr and (tmp_path / "folder").is_dir()


def test_out_of_range_options_name_the_option(sets, tmp_path):
    """Issue 16 (fault table): --precision -1 was 'Format specifier missing precision'; compute_metrics blamed
    the trial list for a bad --p-target or --c-miss; train_plda's --lda-dim / --em-iters errors named no option."""
    r = run("score", "--trials", sets / "trials", "--enroll-scp", sets / "test.scp", "--test-scp", sets / "test.scp",
            "--backend", "cosine", "--precision", "-1", "--out", tmp_path / "s", ok=False)
    assert r.returncode == 2 and "error: --precision must be >= 0, got -1" in r.stderr
    run("score", "--trials", sets / "trials", "--enroll-scp", sets / "test.scp", "--test-scp", sets / "test.scp",
        "--backend", "cosine", "--out", tmp_path / "s")
    for args, msg in ((["--p-target", "2"], "--p-target must lie strictly between 0 and 1, got 2.0"),
                      (["--p-target", "0"], "--p-target must lie strictly between 0 and 1, got 0.0"),
                      (["--c-miss", "-1"], "--c-miss must be positive, got -1.0"),
                      (["--c-fa", "0"], "--c-fa must be positive, got 0.0")):
        r = run("compute_metrics", "--trials", sets / "trials", "--scores", tmp_path / "s", *args, ok=False)
        assert r.returncode == 2 and f"error: {msg}" in r.stderr, r.stderr
    common = ["--scp", sets / "train.scp", "--utt2spk", sets / "utt2spk", "--out-dir", tmp_path / "plda"]
    r = run("train_plda", *common, "--em-iters", "0", ok=False)
    assert r.returncode == 2 and "error: --em-iters must be >= 1, got 0" in r.stderr
    r = run("train_plda", *common, "--lda-dim", "100", ok=False)
    assert r.returncode == 1 and r.stderr.strip() == \
        f"train_plda: {sets / 'train.scp'}: --lda-dim 100 exceeds the dimension 16 of these embeddings"
