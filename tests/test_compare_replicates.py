"""Training-seed replicates (seed.report.replicates, seed.bin.compare_replicates): the numbers equal
those computed directly from the score files, the seed-averaged system is the mean over every
(training, eval) seed, a run of another protocol is refused, and a bad spec names its key."""
import json

import numpy as np
import pytest
import yaml

from seed.bin import compare_replicates
from seed.data import SeedDataError, Trials, write_trials
from seed.metrics import compute_eer, write_scores
from seed.report.replicates import ReplicateComparison

CONDITIONS = ["clean", "noise", "reverb"]


def _protocol(tmp_path, n_spk=8, per_spk=3):
    utts = [f"s{s}_{i}" for s in range(n_spk) for i in range(per_spk)]
    spk = {u: u.split("_")[0] for u in utts}
    e, t = zip(*[(a, b) for i, a in enumerate(utts) for b in utts[i + 1:]])
    labels = np.array([spk[a] == spk[b] for a, b in zip(e, t)], dtype=np.int8)
    trials = Trials(list(e), list(t), labels)
    data = tmp_path / "data" / "test"
    data.mkdir(parents=True)
    write_trials(data / "trials", trials)
    (data / "utt2spk").write_text("".join(f"{u} {spk[u]}\n" for u in utts))
    return trials, data / "trials"


def _run(tmp_path, name, trials, rng, system_shift, control_shift=1.0, eval_seeds=(0, 1)):
    """A results folder: the control's and `seed_domain_centered`'s score files, results.json."""
    out = tmp_path / "exp" / name
    labels = trials.labels
    ctl_rng = np.random.default_rng(123)            # the control does not depend on SEED: same in every run
    for c in CONDITIONS:
        write_scores(out / "scores" / "test" / "domain_centering" / "cosine_none" / f"{c}.scores", trials.enroll,
                     trials.test, ctl_rng.normal(size=len(labels)) + control_shift * labels)
        for s in eval_seeds:
            write_scores(out / "scores" / "test" / f"seed_domain_centered_seed{s}" / "cosine_none" / f"{c}.scores",
                         trials.enroll, trials.test, rng.normal(size=len(labels)) + system_shift * labels)
    (out / "results.json").write_text(json.dumps({"test_list": "test", "conditions": CONDITIONS,
                                                  "eval_seeds": list(eval_seeds), "eer_method": "interp"}))
    return out


def _eer(path, trials):
    from seed.metrics.scorefile import align_scores, read_scores
    return compute_eer(align_scores(trials, read_scores(path), path), trials.labels)


def test_group_numbers_equal_those_computed_from_the_score_files(tmp_path):
    trials, trials_file = _protocol(tmp_path)
    rng = np.random.default_rng(0)
    runs = [_run(tmp_path, f"a{k}", trials, rng, 1.5) for k in range(3)]
    cmp = ReplicateComparison([("a", [str(r) for r in runs])], trials_file, trials_file.parent / "utt2spk",
                              "domain_centering", n_boot=50)
    g = cmp.group("a")

    def eer(run, system, c):
        return _eer(run / "scores" / "test" / system / "cosine_none" / f"{c}.scores", trials)
    ctl = {c: eer(runs[0], "domain_centering", c) for c in CONDITIONS}
    per_run = [{c: np.mean([eer(r, f"seed_domain_centered_seed{s}", c) for s in (0, 1)]) for c in CONDITIONS}
               for r in runs]
    for k in range(3):
        want = np.mean([100 * (per_run[k][c] - ctl[c]) / ctl[c] for c in ("noise", "reverb")])
        assert g.per_seed[k]["mean_rel"] == pytest.approx(want)
        assert g.per_seed[k]["clean_eer"] == pytest.approx(per_run[k]["clean"])
    averaged = {c: np.mean([p[c] for p in per_run]) for c in CONDITIONS}
    assert g.mean_rel == pytest.approx(np.mean([100 * (averaged[c] - ctl[c]) / ctl[c] for c in ("noise", "reverb")]))
    assert g.clean_eer == pytest.approx(averaged["clean"])
    assert g.mean_rel < 0 and g.intervals["n_speakers"] == 8       # the system separates better than the control
    assert g.intervals["mean_mismatched"]["low"] <= g.intervals["mean_mismatched"]["high"]


def test_a_variant_against_itself_is_no_change_and_a_paired_interval_of_zero(tmp_path):
    trials, trials_file = _protocol(tmp_path)
    run = _run(tmp_path, "a", trials, np.random.default_rng(1), 1.5)
    cmp = ReplicateComparison([("a", [str(run)]), ("b", [str(run)])], trials_file, trials_file.parent / "utt2spk",
                              "domain_centering", n_boot=50)
    v = cmp.versus("b", "a")
    assert v["mean_rel"] == 0 and v["pooled_rel"] == 0
    assert v["intervals"]["pooled"]["low"] == 0 and v["intervals"]["pooled"]["high"] == 0


def test_a_run_of_another_protocol_is_refused_naming_its_control_file(tmp_path):
    trials, trials_file = _protocol(tmp_path)
    rng = np.random.default_rng(2)
    a = _run(tmp_path, "a", trials, rng, 1.5)
    b = _run(tmp_path, "b", trials, rng, 1.5, control_shift=0.5)      # another control: not the same protocol
    with pytest.raises(SeedDataError, match=r"b/scores/test/domain_centering/cosine_none/clean.scores.*control"):
        ReplicateComparison([("x", [str(a), str(b)])], trials_file, trials_file.parent / "utt2spk",
                            "domain_centering", n_boot=10)
    with pytest.raises(SeedDataError, match=r"results.json"):
        ReplicateComparison([("x", [str(tmp_path / "missing")])], trials_file, trials_file.parent / "utt2spk",
                            "domain_centering", n_boot=10)


def test_cli_writes_the_tables_and_every_number(tmp_path, monkeypatch, capsys):
    trials, trials_file = _protocol(tmp_path)
    rng = np.random.default_rng(3)
    x0 = [str(_run(tmp_path, f"x{k}", trials, rng, 1.2)) for k in range(2)]
    res = [str(_run(tmp_path, f"r{k}", trials, rng, 2.0)) for k in range(2)]
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump({"title": "T", "protocols": [
        {"name": "P", "trials": str(trials_file), "control": "domain_centering",
         "groups": {"x0": x0, "residual": res}, "versus": [["residual", "x0"]]}]}, sort_keys=False))
    md, js = tmp_path / "out.md", tmp_path / "out.json"
    assert compare_replicates.main([str(spec), "--md", str(md), "--json", str(js)]) == 0
    text = md.read_text()
    assert text.startswith("# T\n") and "## P" in text and "| residual vs x0 |" in text
    assert "| x0 (SEED + domain centering) | 2 |" in text
    data = json.loads(js.read_text())["protocols"][0]
    assert [g["variant"] for g in data["groups"]] == ["x0", "residual"]
    assert data["versus"][0]["pooled_rel"] < 0                       # the better-separating variant wins


@pytest.mark.parametrize("protocol, key", [
    ({"name": "P", "trials": "t", "control": "c", "groups": {"a": ["d"]}, "colour": 1}, "colour"),
    ({"name": "P", "trials": "t", "groups": {"a": ["d"]}}, "control"),
    ({"name": "P", "trials": "t", "control": "c", "groups": {"a": []}}, "groups"),
    ({"name": "P", "trials": "t", "control": "c", "groups": {"a": ["d"]}, "versus": [["a", "b"]]}, "versus"),
    (None, "titel"),
])
def test_a_bad_spec_is_one_line_naming_the_key(tmp_path, capsys, protocol, key):
    spec = tmp_path / "spec.yaml"
    top = {"protocols": [protocol]} if protocol else {"protocols": [{}], "titel": "typo"}
    spec.write_text(yaml.safe_dump(top))
    assert compare_replicates.main([str(spec)]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(spec) in err and key in err
