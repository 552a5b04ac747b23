"""Stages 5-6 glue: prepare_backend + make_report on generated embeddings; table arithmetic."""
import json
import subprocess
import sys

import numpy as np
import pytest

from conftest import write_recipe_embeddings
from seed.data import write_embeddings
from seed.report.tables import aggregate_rows, best_controls, rel_change, summarise


def _write_set(folder, keys, x):
    folder.mkdir(parents=True, exist_ok=True)
    write_embeddings(folder / "embedding.ark", folder / "embedding.scp", zip(keys, x))


@pytest.fixture
def recipe_like(tmp_path):
    """Speakers as clusters; a 'noisy' condition adds a shared offset + noise; SEED dirs shrink it."""
    test_keys, clean, noisy, pair_keys, pair_x = write_recipe_embeddings(tmp_path / "embed", tmp_path / "data",
                                                                       crops_per_speaker=3)
    seed_dirs = []
    for sd in (0, 1):
        e = tmp_path / "enh" / f"seed{sd}"
        r = np.random.default_rng(sd)
        _write_set(e / "test", test_keys, clean + 0.05 * r.standard_normal(clean.shape))
        _write_set(e / "test_noise_snr5", test_keys, clean + 0.3 * (noisy - clean) + 0.05 * r.standard_normal(clean.shape))
        _write_set(e / "train_pairs", pair_keys, pair_x)
        seed_dirs.append(e)
    return tmp_path, seed_dirs


def run(*a):
    r = subprocess.run([sys.executable, "-m", *map(str, a)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r


def _systems_file(tmp, eval_lists=(), adapt_set=""):
    """A stage-4 systems file for the fixture: one SEED system whose enhanced root is tmp/enh."""
    from seed.diffusion.config import DEFAULTS
    from seed.recipe.systems import RecipeSystems, SeedSystem
    seed = SeedSystem("seed", "main", str(tmp / "model"), dict(DEFAULTS["enhance"]), str(tmp / "enh"),
                      str(tmp / "backend" / "seed"))
    r = RecipeSystems(systems=[seed], eval_seeds=[0, 1], embed_dir=str(tmp / "embed"),
                      baseline_backend_dir=str(tmp / "backend" / "base"), test_set="test",
                      conditions=["clean", "noise_snr5"], pairs_set="train_pairs",
                      pairs_file=str(tmp / "data/train_pairs/pairs"), labelled_set="train_pairs",
                      utt2spk=str(tmp / "data/train_pairs/utt2spk"), config="conf/seed.yaml",
                      test_list="main", eval_lists=list(eval_lists), adapt_set=adapt_set)
    r.write(tmp / "systems.json")
    return tmp / "systems.json"


def test_prepare_backend_and_make_report(recipe_like):
    tmp, seed_dirs = recipe_like
    lines = (tmp / "data/test/trials").read_text().splitlines()
    (tmp / "data/test/trials_half").write_text("\n".join(lines[::2]) + "\n")   # an extra list on the clean set
    systems = _systems_file(tmp, [{"name": "half", "set": "test", "trials": str(tmp / "data/test/trials_half")}])
    run("seed.bin.prepare_backend", "--systems", systems)
    centering = (tmp / "backend/base/centering.scp").read_text().splitlines()
    assert len(centering) == 15 and all(line.split()[0].endswith("-clean") for line in centering)
    assert len((tmp / "backend/base/cohort.scp").read_text().splitlines()) == 5
    assert (tmp / "backend/seed/plda/config.yaml").is_file()   # the SEED backend, from seed0's enhanced sets
    (tmp / "markers").mkdir()
    (tmp / "markers/.done.stage3").write_text("stage=3\nstart=0\nend=75\nseconds=75\n")
    run("seed.bin.make_report", "--systems", systems, "--trials", tmp / "data/test/trials", "--top-k", "3",
        "--stage-markers", tmp / "markers", "--copy-to", tmp / "RESULTS_copy.md", "--out-dir", tmp / "results")
    res = json.loads((tmp / "results/results.json").read_text())
    rows = {(r["condition"], r["system"], r["backend"], r["norm"]): r for r in res["rows"]}
    # conditions x (baseline 4 + centering 2 + domain centering 4 + seed 4 + SEED + centering 2
    #               + SEED + domain centering 4): a domain mean also replaces PLDA's training mean
    assert len(rows) == 2 * (2 * 2 + 1 * 2 + 2 * 2 + 2 * 2 + 1 * 2 + 2 * 2)
    centred = rows[("noise_snr5", "seed_centered", "cosine", "none")]
    assert centred["eval_seeds"] == [0, 1] and ("noise_snr5", "seed_centered", "plda", "none") not in rows
    seed_row = rows[("noise_snr5", "seed", "cosine", "none")]
    assert seed_row["eer"] < rows[("noise_snr5", "baseline", "cosine", "none")]["eer"]
    assert seed_row["eval_seeds"] == [0, 1]
    md = (tmp / "results/RESULTS.md").read_text()
    assert "| noise_snr5 |" in md and "centering control" in md and "### Summary" in md
    assert "SEED + centering" in md and "SEED + domain centering" in md and "**vs best free control**" in md
    assert "TRANSDUCTIVE" in md and "Best free control per backend and norm" in md
    # domain centering subtracts the clean test set's own mean (the default adaptation set): the scores of
    # seed.bin.score --mean-scp <the clean test set>
    run("seed.bin.score", "--trials", tmp / "data/test/trials", "--enroll-scp", tmp / "embed/test/embedding.scp",
        "--test-scp", tmp / "embed/test_noise_snr5/embedding.scp", "--backend", "cosine",
        "--mean-scp", tmp / "embed/test/embedding.scp", "--out", tmp / "domain.scores")
    ours = tmp / "results/scores/main/domain_centering/cosine_none/noise_snr5.scores"
    np.testing.assert_allclose([float(x.split()[2]) for x in ours.read_text().splitlines()],
                               [float(x.split()[2]) for x in (tmp / "domain.scores").read_text().splitlines()],
                               atol=1e-6)
    assert ("noise_snr5", "seed_domain_centered", "cosine", "asnorm") in rows
    assert ("noise_snr5", "centering", "plda", "none") not in rows     # PLDA centres with that mean already
    # PLDA with the domain mean: seed.bin.score --backend plda --mean-scp <the clean test set>
    run("seed.bin.score", "--trials", tmp / "data/test/trials", "--enroll-scp", tmp / "embed/test/embedding.scp",
        "--test-scp", tmp / "embed/test_noise_snr5/embedding.scp", "--backend", "plda", "--plda-dir",
        tmp / "backend/base/plda", "--mean-scp", tmp / "embed/test/embedding.scp", "--out", tmp / "domain_plda.scores")
    ours = tmp / "results/scores/main/domain_centering/plda_none/noise_snr5.scores"
    theirs = [float(x.split()[2]) for x in (tmp / "domain_plda.scores").read_text().splitlines()]
    np.testing.assert_allclose([float(x.split()[2]) for x in ours.read_text().splitlines()], theirs, atol=1e-5)
    plain = tmp / "results/scores/main/baseline/plda_none/noise_snr5.scores"
    assert not np.allclose([float(x.split()[2]) for x in plain.read_text().splitlines()], theirs, atol=1e-3)
    assert "| 3 | SEED training | 1 min 15 s |" in md and res["stage_seconds"] == {"3": 75}
    # the embeddings were enhanced without a model folder here: the report cannot tell a pool and says so
    assert ("`seed` (main: in-domain: trained on this recipe's train_pairs (no checkpoint at "
            f"{tmp / 'model'}: pooled corpora unknown)) strength 0.3, t* 50") in md
    assert "speaker-disjoint from the trials" in md
    assert (tmp / "RESULTS_copy.md").read_text() == md
    assert (tmp / "results/det.png").stat().st_size > 1000
    assert (tmp / "results/scores/main/seed_seed1/plda_asnorm/noise_snr5.scores").is_file()
    # the extra list: its own section, key, trial counts, score folder and DET panel
    half = res["lists"]["half"]
    labels = [line.split()[-1] for line in lines[::2]]
    n_t, n_n = labels.count("target"), labels.count("nontarget")
    assert (half["n_target"], half["n_nontarget"]) == (n_t, n_n) and res["lists"]["main"]["n_target"] == res["n_target"]
    half_rows = {(r["system"], r["backend"], r["norm"]) for r in half["rows"]}
    assert {("baseline", "plda", "asnorm"), ("centering", "cosine", "none"), ("seed_centered", "cosine", "asnorm")} <= half_rows
    assert all(r["condition"] == "clean" for r in half["rows"])
    assert f"### Trial list `half` (clean, as distributed)" in md and f"{n_t} target / {n_n} non-target" in md
    assert (tmp / "results/scores/half/baseline/cosine_none/clean.scores").is_file()
    assert (tmp / "results/det_lists.png").stat().st_size > 1000
    assert "no labelled set was given" in md
    # speaker-bootstrap intervals on every summary row with a control, and the dev/test choice
    summ = {(x["system"], x["backend"], x["norm"]): x for x in res["summary"]}
    ci = summ[("seed_centered", "cosine", "none")]["vs_best_control_intervals"]
    assert ci["n_boot"] == 1000 and ci["mean_mismatched"]["low"] <= ci["mean_mismatched"]["high"]
    assert "speaker-bootstrap interval" in md and "## Chosen on dev, reported on test" in md
    dev_test = res["dev_test"]
    assert dev_test["control"] in ("centering", "domain_centering") and set(dev_test["chosen"]) == {"seed"}
    assert not set(dev_test["dev_speakers"]) & set(dev_test["test_speakers"])


def test_domain_centering_with_a_separate_adaptation_set(recipe_like):
    """--adapt-set: the domain mean comes from that set (extractor embeddings for the control, the set
    enhanced by the system with the first eval seed for `+ domain centering`); not transductive."""
    tmp, _ = recipe_like
    systems = _systems_file(tmp, adapt_set="test_noise_snr5")   # any unlabelled set of the target domain
    from seed.recipe.systems import RecipeSystems
    assert "test_noise_snr5" not in RecipeSystems.read(systems).backend_sets      # a test set: enhanced already
    run("seed.bin.prepare_backend", "--systems", systems)
    run("seed.bin.make_report", "--systems", systems, "--trials", tmp / "data/test/trials", "--backends", "cosine",
        "--norms", "none", "asnorm", "--top-k", "3", "--sweep-strengths", "--out-dir", tmp / "results")
    md = (tmp / "results/RESULTS.md").read_text()
    assert "here `test_noise_snr5` (--adapt-set)" in md and "TRANSDUCTIVE" not in md
    assert "AS-norm cohort is the utterances of `test_noise_snr5`" in md
    # a held-out adaptation set is also the domain rows' AS-norm cohort (the training cohort elsewhere)
    adapt = tmp / "embed/test_noise_snr5/embedding.scp"
    run("seed.bin.score", "--trials", tmp / "data/test/trials", "--enroll-scp", tmp / "embed/test/embedding.scp",
        "--test-scp", adapt, "--backend", "cosine", "--mean-scp", adapt, "--norm", "asnorm", "--cohort-scp", adapt,
        "--top-k", "3", "--out", tmp / "ref.scores")
    ours = tmp / "results/scores/main/domain_centering/cosine_asnorm/noise_snr5.scores"
    np.testing.assert_allclose([float(x.split()[2]) for x in ours.read_text().splitlines()],
                               [float(x.split()[2]) for x in (tmp / "ref.scores").read_text().splitlines()], atol=1e-5)
    for system, embed in (("domain_centering", tmp / "embed"), ("seed_domain_centered_seed1", tmp / "enh/seed0")):
        run("seed.bin.score", "--trials", tmp / "data/test/trials",
            "--enroll-scp", (tmp / "embed" if system == "domain_centering" else tmp / "enh/seed1") / "test/embedding.scp",
            "--test-scp", (tmp / "embed" if system == "domain_centering" else tmp / "enh/seed1")
            / "test_noise_snr5/embedding.scp",
            "--backend", "cosine", "--mean-scp", embed / "test_noise_snr5/embedding.scp", "--out", tmp / "ref.scores")
        ours = tmp / f"results/scores/main/{system}/cosine_none/noise_snr5.scores"
        np.testing.assert_allclose([float(x.split()[2]) for x in ours.read_text().splitlines()],
                                   [float(x.split()[2]) for x in (tmp / "ref.scores").read_text().splitlines()],
                                   atol=1e-6)


def test_make_report_refuses_a_missing_systems_file(tmp_path):
    r = subprocess.run([sys.executable, "-m", "seed.bin.make_report", "--systems", str(tmp_path / "none.json"),
                        "--trials", str(tmp_path / "t"), "--out-dir", str(tmp_path / "o")],
                       capture_output=True, text=True)
    assert r.returncode == 1 and "none.json" in r.stderr and "stage 4" in r.stderr
    assert not (tmp_path / "o").exists()


def test_aggregate_and_summary_arithmetic():
    def row(c, s, eer, seed=None):
        return {"condition": c, "system": s, "backend": "cosine", "norm": "none", "eval_seed": seed, "eer": eer,
                "min_dcf_p0.01": eer / 10, "min_dcf_p0.05": eer / 20, "n_target": 1, "n_nontarget": 1}
    rows = [row("clean", "baseline", 1.0), row("clean", "centering", 0.5), row("clean", "seed", 1.2, 0),
            row("clean", "seed", 0.8, 1), row("n5", "baseline", 10.0), row("n5", "centering", 9.0),
            row("n5", "seed", 4.0, 0), row("n5", "seed", 6.0, 1)]
    agg = aggregate_rows(rows)
    seed_n5 = next(r for r in agg if r["system"] == "seed" and r["condition"] == "n5")
    assert seed_n5["eer"] == pytest.approx(5.0) and seed_n5["eer_std"] == pytest.approx(np.std([4, 6], ddof=1))
    (s,) = summarise(agg)
    assert s["mean_rel_eer_change_mismatched"] == pytest.approx(-50.0)
    assert s["clean"]["eer_rel_change"] == pytest.approx(0.0)
    assert s["conditions_beating_centering_all_metrics"] == 1
    assert rel_change(1.0, 0.0) is None
    # with domain centering (the target's own mean) as a second, better control, SEED is judged against it
    agg = aggregate_rows(rows + [row("clean", "domain_centering", 0.4), row("n5", "domain_centering", 8.0)])
    (s,) = summarise(agg)
    assert s["best_control"] == "domain_centering"
    assert s["mean_rel_eer_change_vs_domain_centering_mismatched"] == pytest.approx(-37.5)
    assert s["mean_rel_eer_change_vs_best_control_mismatched"] == pytest.approx(-37.5)
    assert s["clean_eer_rel_change_vs_best_control"] == pytest.approx(150.0)
    assert s["mean_rel_eer_change_vs_centering_mismatched"] == pytest.approx(100 * (5 - 9) / 9)
    # a tie goes to the training-corpus control; a pooled row decides over the per-condition mean
    assert best_controls(aggregate_rows(rows + [row("n5", "domain_centering", 9.0)])) == {("cosine", "none"): "centering"}
    pooled = [dict(row("mismatched_pooled", c, e), condition="mismatched_pooled")
              for c, e in (("centering", 3.0), ("domain_centering", 4.0))]
    assert best_controls(aggregate_rows(rows + [row("n5", "domain_centering", 8.0)] + pooled)) == \
        {("cosine", "none"): "centering"}


def test_pooled_mismatched_rows_and_error_counts(recipe_like):
    """Every mismatched condition's trials at one threshold: the pooled row equals the metrics of the
    concatenated scores, is left out of the per-condition means, and RESULTS.md shows error counts."""
    from seed.data import read_trials
    from seed.metrics import compute_metrics
    from seed.report.evaluate import System, evaluate_system
    from seed.report.tables import POOLED, render_results_md, target_errors
    tmp, _ = recipe_like
    keys = [line.split()[0] for line in (tmp / "embed/test/embedding.scp").read_text().splitlines()]
    rng = np.random.default_rng(5)
    _write_set(tmp / "embed/test_noise_snr0", keys, rng.standard_normal((len(keys), 16)))
    trials = read_trials(tmp / "data/test/trials")
    conditions = ["clean", "noise_snr5", "noise_snr0"]
    rows, _ = evaluate_system(System("baseline", tmp / "embed", tmp), trials, "test", conditions, ["cosine"],
                              ["none"], scores_dir=tmp / "scores")
    by = {r["condition"]: r for r in rows}
    assert set(by) == {*conditions, POOLED}
    read = lambda c: np.array([float(line.split()[2]) for line in  # noqa: E731
                               (tmp / f"scores/baseline/cosine_none/{c}.scores").read_text().splitlines()])
    expected = compute_metrics(np.concatenate([read("noise_snr5"), read("noise_snr0")]),
                               np.tile(trials.labels, 2))
    assert by[POOLED]["eer"] == expected["eer"] and by[POOLED]["n_target"] == 2 * trials.n_target
    agg = aggregate_rows(rows + [{**r, "system": "seed", "eval_seed": 0} for r in rows])
    s = summarise(agg, systems=["seed"])[0]
    assert s["n_mismatched"] == 2 and s["pooled_mismatched_eer"] == expected["eer"]
    assert s["pooled_mismatched_target_errors"] == target_errors(by[POOLED]) == round(
        expected["eer"] / 100 * 2 * trials.n_target)
    md = render_results_md(agg, summarise(agg, systems=["seed"]), ["# t"])
    assert f"| all mismatched, pooled | {2 * trials.n_target}/{2 * trials.n_nontarget} |" in md
    assert f"{by['noise_snr0']['eer']:.2f} [{target_errors(by['noise_snr0'])}]" in md


def test_labelled_set_sharing_speakers_with_the_trials_is_refused_or_marked(recipe_like):
    """Issue 16: with no --plda-set, PLDA and the AS-norm cohort learn from the training copies' speakers;
    when those are the trial speakers (adapting to one's own corpus) the rows were label-leaked silently."""
    from seed.data import read_kv, write_kv
    tmp, _ = recipe_like
    systems = _systems_file(tmp)
    test_spk = sorted(set(read_kv(tmp / "data/test/utt2spk").values()))[0]
    u2s = read_kv(tmp / "data/train_pairs/utt2spk")
    write_kv(tmp / "data/train_pairs/utt2spk", {k: (test_spk if v == "t0" else v) for k, v in u2s.items()})
    r = subprocess.run([sys.executable, "-m", "seed.bin.prepare_backend", "--systems", systems],
                       capture_output=True, text=True)
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1
    assert f"train_pairs/utt2spk: key '{test_spk}': shares 1 speaker(s) with the trials" in r.stderr
    assert not (tmp / "backend/base/plda/config.yaml").exists()
    run("seed.bin.prepare_backend", "--systems", systems, "--allow-speaker-overlap")
    assert json.loads((tmp / "backend/base/speaker_overlap.json").read_text())["speakers"] == [test_spk]
    run("seed.bin.make_report", "--systems", systems, "--trials", tmp / "data/test/trials", "--top-k", "3",
        "--out-dir", tmp / "results")
    md = (tmp / "results/RESULTS.md").read_text()
    assert "**LABEL-LEAKED: the labelled set" in md
    assert "### plda, score normalisation: none — LABEL-LEAKED" in md
    assert "### cosine, score normalisation: asnorm — LABEL-LEAKED" in md
    assert "### cosine, score normalisation: none\n" in md                       # the cosine rows are clean
    assert "| SEED | plda | none (LABEL-LEAKED) |" in md
    assert json.loads((tmp / "results/results.json").read_text())["speaker_overlap"]["speakers"] == [test_spk]
    run("seed.bin.prepare_backend", "--systems", systems, "--allow-speaker-overlap")   # a rerun without the
    write_kv(tmp / "data/train_pairs/utt2spk", u2s)                                   # overlap clears the mark
    run("seed.bin.prepare_backend", "--systems", systems)
    assert not (tmp / "backend/base/speaker_overlap.json").exists()


def test_a_cohort_smaller_than_top_k_is_noted(recipe_like):
    tmp, _ = recipe_like
    systems = _systems_file(tmp)
    run("seed.bin.prepare_backend", "--systems", systems)
    run("seed.bin.make_report", "--systems", systems, "--trials", tmp / "data/test/trials", "--out-dir", tmp / "r")
    assert "the AS-norm cohort has 5 speakers, fewer than top-k 300" in (tmp / "r/RESULTS.md").read_text()
