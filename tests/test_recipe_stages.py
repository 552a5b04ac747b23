"""The shared stage script (egs/TEMPLATE/seed1/seed.sh) on a tiny recipe made here: stages 4-6 from a
prepared stage-0..3 state (generated embeddings, a seed_debug model), stage invalidation, a conf edit
taking effect without retraining, the sweep reproducing the main table, --help, shellcheck."""
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import write_recipe_embeddings

REPO = Path(__file__).resolve().parents[1]
TAG = "x"                     # --extractor-tag
SEED_TAG = f"{TAG}_seed"      # <extractor tag>_<conf stem>


def marker(n, tag=SEED_TAG):
    """Stages 0-1 are shared by every system of an exp dir; 2-6 carry the system tag."""
    return f".done.stage{n}" if n <= 1 else f".done.stage{n}.{tag}"


def _prepare_state(recipe):
    """data/ and exp/ as stages 0-3 would leave them (dimension 16, 6 test speakers, 5 training ones)."""
    data, embed = recipe / "data", recipe / "exp" / "embed" / TAG
    write_recipe_embeddings(embed, data, crops_per_speaker=8)
    r = subprocess.run([sys.executable, "-m", "seed.bin.train_seed", "--config", str(recipe / "conf/seed.yaml"),
                        "--embeddings", str(embed / "train_pairs/embedding.scp"), "--pairs",
                        str(data / "train_pairs/pairs"), "--out-dir", str(recipe / "exp/seed" / SEED_TAG),
                        "--device", "cpu"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    for n in range(4):
        (recipe / "exp" / marker(n)).write_text(f"stage={n}\nseconds={n + 1}\n")


@pytest.fixture(scope="module")
def recipe(tmp_path_factory):
    root = tmp_path_factory.mktemp("repo")
    shutil.copytree(REPO / "egs" / "TEMPLATE", root / "egs" / "TEMPLATE", symlinks=True)
    shutil.copytree(REPO / "utils", root / "utils", symlinks=True)
    rec = root / "egs" / "t" / "seed1"
    (rec / "conf").mkdir(parents=True)
    (rec / "local").mkdir()
    for name in ("seed.sh", "path.sh"):
        (rec / name).symlink_to(f"../../TEMPLATE/seed1/{name}")
    (rec / "utils").symlink_to("../../../utils")
    for name in ("cmd.sh", "db.sh"):
        shutil.copy(REPO / "egs" / "TEMPLATE" / "seed1" / name, rec / name)
    (rec / "conf" / "seed.yaml").write_text("base: seed_debug\nenhance:\n  strength: 0.3\n")
    (rec / "local" / "data.sh").write_text("#!/usr/bin/env bash\necho 'local/data.sh: no corpus here' >&2\nexit 1\n")
    (rec / "local" / "data.sh").chmod(0o755)
    _prepare_state(rec)
    return rec


def seed_sh(recipe, *args):
    env = dict(os.environ, SEED_VENV=str(REPO / ".venv"))
    opts = ["--train-set", "train", "--test-set", "test", "--test-conditions", "noise_snr5", "--extractor-tag", TAG,
            "--eval-seeds", "0 1", "--sweep-strengths", "0.3 1.0", "--results-copy", ""]
    return subprocess.run(["./seed.sh", *opts, *args], cwd=recipe, capture_output=True, text=True, env=env)


def results(recipe):
    return json.loads((recipe / "exp" / "results" / SEED_TAG / "results.json").read_text())


def row(res, system, condition="noise_snr5", backend="cosine", norm="none"):
    return next(r for r in res["rows"] if (r["system"], r["condition"], r["backend"], r["norm"])
                == (system, condition, backend, norm))


def test_stages_4_to_6_give_every_system_and_a_sweep_that_reproduces_the_main_table(recipe):
    r = seed_sh(recipe, "--stage", "4")
    assert r.returncode == 0, r.stderr
    res = results(recipe)
    assert {s["name"]: s["enhance"]["strength"] for s in res["systems"]} == {"seed": 0.3, "official": 1.0}
    systems = {x["system"] for x in res["rows"]}
    assert {"baseline", "centering", "seed", "seed_centered", "official", "official_centered"} <= systems
    # the sweep's setting equal to the recipe's IS the main table's row (same noise, same scorer)
    sweep = {(x["system"], x["condition"]): x for x in res["sweep"]["rows"]}
    for cond in ("clean", "noise_snr5"):
        for main, swept in (("seed", "seed@s=0.3,t=50"), ("seed_centered", "seed@s=0.3,t=50_centered"),
                            ("seed_domain_centered", "seed@s=0.3,t=50_domain_centered"),
                            ("official", "seed@s=1,t=50")):
            assert sweep[(swept, cond)]["eer"] == row(res, main, cond)["eer"]
            assert sweep[(swept, cond)]["min_dcf_p0.01"] == row(res, main, cond)["min_dcf_p0.01"]
    from seed.bin import summarise_sweeps         # the protocol table, straight from results.json
    table = recipe / "sweeps.md"
    assert summarise_sweeps.main([f"t={recipe / 'exp/results' / SEED_TAG / 'results.json'}@seed", "--md", str(table)]) == 0
    lines = table.read_text().splitlines()
    # header, baseline and the two controls, 2 settings x {none, training-corpus, domain centering}
    assert len(lines) == 2 + 3 + 6 and lines[5].startswith("| t | s=0.3 t*=50 |")
    # the dev/test choice: the chosen system first, then the recipe's settings (seed, its two centerings,
    # the official variant and its two)
    assert summarise_sweeps.main([f"t={recipe / 'exp/results' / SEED_TAG / 'results.json'}", "--dev-test", "--md",
                                  str(table)]) == 0
    lines = table.read_text().splitlines()
    assert "**test vs best control: pooled**" in lines[0] and "**chosen**: " in lines[2]
    assert sum("**chosen**" in line for line in lines) == 1 and len(lines) in (2 + 6, 2 + 7)
    assert summarise_sweeps.main([f"t={recipe / 'exp/results' / SEED_TAG / 'results.json'}", "--dev-test",
                                  "--chosen-only", "--md", str(table)]) == 0
    assert len(table.read_text().splitlines()) == 3
    md = (recipe / "exp" / "results" / SEED_TAG / "RESULTS.md").read_text()
    assert "## Enhancement strength sweep" in md and "## Stage wall times" in md and "| 3 | SEED training | 4 s |" in md
    for n in (4, 5, 6):
        text = (recipe / "exp" / marker(n)).read_text()
        assert f"stage={n}" in text and "seconds=" in text
        log = (recipe / "exp" / "log" / f"stage{n}.{SEED_TAG}.log").read_text().splitlines()
        assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d .*Stage %d: start" % n, log[0])   # timestamped
        assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d .*Stage %d: done in \d+ s" % n, log[-1])


def test_editing_enhance_strength_in_the_conf_takes_effect_from_stage_4_without_retraining(recipe):
    best = recipe / "exp" / "seed" / SEED_TAG / "best.pt"
    before = best.read_bytes(), best.stat().st_mtime_ns
    conf = recipe / "conf" / "seed.yaml"
    old = conf.read_text()
    try:
        conf.write_text(old.replace("strength: 0.3", "strength: 0.6"))
        r = seed_sh(recipe, "--stage", "4", "--sweep-strengths", "")
        assert r.returncode == 0, r.stderr
        res = results(recipe)
        assert {s["name"]: s["enhance"]["strength"] for s in res["systems"]} == {"seed": 0.6, "official": 1.0}
        meta = (recipe / "exp" / "enhanced" / SEED_TAG / "seed0" / "test" / "meta.yaml").read_text()
        assert "strength: 0.6" in meta
        assert "`seed` (main: in-domain: trained on this recipe's train_pairs) strength 0.6" in (recipe / "exp/results" / SEED_TAG / "RESULTS.md").read_text()
        assert (best.read_bytes(), best.stat().st_mtime_ns) == before
        # a training setting is not an enhancement knob: stage 4 refuses a model trained otherwise
        conf.write_text(old + "train:\n  max_steps: 7\n")
        r = seed_sh(recipe, "--stage", "4", "--stop-stage", "4")
        out = r.stdout + r.stderr       # a stage's messages go to its log and the terminal
        assert r.returncode != 0 and "key 'train.max_steps'" in out and "rerun stage 3" in out
        assert not (recipe / "exp" / f"systems/{SEED_TAG}.json").exists()
        assert not (recipe / "exp" / marker(4)).exists()
    finally:
        conf.write_text(old)


def test_a_failed_rerun_invalidates_every_later_stage(recipe):
    exp = recipe / "exp"
    for n in range(7):
        for tag in (SEED_TAG, "other_seed"):
            (exp / marker(n, tag)).write_text(f"stage={n}\n")
    r = seed_sh(recipe, "--stage", "3", "--stop-stage", "3", "--seed-config", "conf/missing.yaml")   # fails
    assert r.returncode != 0
    assert not any((exp / marker(n, "x_missing")).exists() for n in range(3, 7))
    assert (exp / marker(4, "other_seed")).exists()        # another system's stages are not touched
    r = seed_sh(recipe, "--stage", "1", "--stop-stage", "1")      # no pools: stage 1 fails
    assert r.returncode != 0
    assert (exp / ".done.stage0").exists()
    assert not any((exp / marker(n, tag)).exists() for n in range(1, 7) for tag in (SEED_TAG, "other_seed"))
    for first in ("3", "4"):
        r = seed_sh(recipe, "--stage", first)
        assert r.returncode != 0 and f"stage {int(first) - 1} has not completed" in r.stdout + r.stderr
    for n in range(1, 4):   # restore the prepared state for other tests
        (exp / marker(n)).write_text(f"stage={n}\n")


def test_help_lists_every_option(recipe):
    r = seed_sh(recipe, "--help")
    text = r.stdout + r.stderr
    declarations = (recipe / "seed.sh").read_text().split("help_message=", 1)[0].splitlines()
    options = [line.split("=", 1)[0] for line in declarations if re.match(r"^[a-z_]+=.*#", line)]
    assert len(options) > 40
    for opt in options:
        assert f"--{opt} [" in text, opt
    assert '--test_conditions ["noise_snr0' in text and '--sweep_strengths ["0.2 0.3' in text


def test_stage_script_is_shellcheck_clean():
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not installed (tools/install.sh installs it as root)")
    r = subprocess.run(["shellcheck", "-x", "-e", "SC1091", str(REPO / "egs/TEMPLATE/seed1/seed.sh")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout


def test_every_stage_is_at_most_15_lines_and_one_entry_point():
    text = (REPO / "egs/TEMPLATE/seed1/seed.sh").read_text()
    for n in range(7):
        body = text.split(f"stage_{n}() {{", 1)[1].split("\n}\n", 1)[0].splitlines()[1:]
        assert len(body) <= 15, n
        steps = set(re.findall(r"-m seed\.bin\.(\w+)", "\n".join(body)))
        assert len(steps) == 1, (n, steps)


# ---- GPU placement: every GPU step through ${cuda_cmd} --gpu N, seen by a (fake) sbatch ----------------
def _slurm_copy(recipe, tmp_path):
    """The module's recipe copied (its repo root with it), conf/slurm.conf in place, a fake sbatch."""
    from test_utils_shell import FAKE_SBATCH
    root = tmp_path / "repo"
    shutil.copytree(recipe.parents[2], root, symlinks=True)
    rec = root / recipe.relative_to(recipe.parents[2])
    shutil.copy(REPO / "egs/TEMPLATE/seed1/conf/slurm.conf", rec / "conf" / "slurm.conf")
    fake = tmp_path / "sbatch"
    fake.write_text(FAKE_SBATCH)
    fake.chmod(0o755)
    env = {"cmd_backend": "slurm", "SEED_SLURM_SBATCH": str(fake), "FAKE_ARGV": str(tmp_path / "argv")}
    return rec, env


def _submissions(tmp_path):
    text = (tmp_path / "argv").read_text() if (tmp_path / "argv").exists() else ""
    return [" ".join(c.splitlines()) for c in text.split("---\n") if c.strip()]


def test_gpu_steps_go_through_cuda_cmd_with_their_gpu_count(recipe, tmp_path):
    """--ngpu 1: training, enhancement and the report (its sweep) are each one sbatch job with
    --gres=gpu:1 (conf/slurm.conf); CPU-only steps (backend) are not submitted. `--gpu-device cpu` runs
    the same placement on this CPU machine."""
    rec, env = _slurm_copy(recipe, tmp_path)
    r = subprocess.run(["./seed.sh", "--train-set", "train", "--test-set", "test", "--test-conditions", "noise_snr5",
                        "--extractor-tag", TAG, "--eval-seeds", "0 1", "--sweep-strengths", "0.3", "--results-copy",
                        "", "--stage", "3", "--ngpu", "1", "--gpu-device", "cpu"], cwd=rec, capture_output=True,
                       text=True, env=dict(os.environ, SEED_VENV=str(REPO / ".venv"), **env))
    assert r.returncode == 0, r.stderr[-3000:]
    subs = _submissions(tmp_path)
    assert len(subs) == 3 and all("-p gpu --gres=gpu:1" in s for s in subs), subs
    logs = [rec / "exp/seed" / SEED_TAG / "log/train.log", rec / f"exp/log/enhance.{SEED_TAG}.log",
            rec / f"exp/log/report.{SEED_TAG}.log"]
    for log, sub in zip(logs, subs):
        assert f" -o {log.parent}/q/{log.name}" in sub and "# Ended (code 0)" in log.read_text(), sub
    assert (rec / "exp" / "results" / SEED_TAG / "results.json").is_file()
    assert (rec / "exp" / marker(6)).is_file()


def test_gpu_extraction_runs_one_job_per_gpu(recipe, tmp_path, shared_data):
    """--ngpu 2 at stage 2: one sbatch array of 2 tasks (nj follows ngpu, not --nj), each asking for one
    GPU; --nj stays the CPU job count."""
    import soundfile
    from seed.data import DataDir, read_audio
    from test_extract_fixtures import librispeech_files
    rec, env = _slurm_copy(recipe, tmp_path)
    wav, u2s = {}, {}
    for utt, flac in librispeech_files(per_speaker=2, speakers={"1688", "1998"}).items():
        x, _ = read_audio(flac, end=1.5)
        soundfile.write(tmp_path / f"{utt}.wav", x, 16000, subtype="PCM_16")
        wav[utt], u2s[utt] = str(tmp_path / f"{utt}.wav"), utt.split("-")[0]
    for name in ("test", "test_noise_snr5", "train_pairs", "adapt"):
        shutil.rmtree(rec / "data" / name, ignore_errors=True)
        DataDir(wav_scp=wav, utt2spk=u2s).write(rec / "data" / name)
    r = subprocess.run(["./seed.sh", "--train-set", "train", "--test-set", "test", "--test-conditions", "noise_snr5",
                        "--extractor", "resemblyzer", "--extractor-tag", TAG, "--stage", "2", "--stop-stage", "2",
                        "--nj", "4", "--ngpu", "2", "--gpu-device", "cpu", "--extract-crops", "crops:2x1",
                        "--adapt-set", "adapt"], cwd=rec, capture_output=True, text=True,
                       env=dict(os.environ, SEED_VENV=str(REPO / ".venv"), **env))
    assert r.returncode == 0, r.stderr[-3000:]
    [sub] = _submissions(tmp_path)
    assert "--array=1-2" in sub and "-p gpu --gres=gpu:1" in sub, sub
    for name in ("test", "test_noise_snr5", "train_pairs", "adapt"):
        assert len((rec / "exp" / "embed" / TAG / name / "embedding.scp").read_text().splitlines()) == 4
    # the adaptation set is extracted as the test sets are (its mean is subtracted from them)
    meta = (rec / "exp" / "embed" / TAG / "adapt" / "meta.yaml").read_text()
    assert "crop_policy: crops:2x1" in meta


def test_adapt_set_gives_the_domain_centering_controls_their_mean(recipe):
    """--adapt-set: stage 4 records it, enhances it with the first eval seed, and the report's domain
    centering rows subtract its mean (default: the clean test set, reported as transductive)."""
    r = seed_sh(recipe, "--stage", "4", "--adapt-set", "train_pairs")
    assert r.returncode == 0, r.stderr[-3000:]
    systems = json.loads((recipe / "exp" / "systems" / f"{SEED_TAG}.json").read_text())
    assert systems["adapt_set"] == "train_pairs"
    res = results(recipe)
    for system in ("domain_centering", "seed_domain_centered", "official_domain_centered"):
        assert row(res, system)["eer"] >= 0
    md = (recipe / "exp" / "results" / SEED_TAG / "RESULTS.md").read_text()
    assert "here `train_pairs` (--adapt-set)" in md
    assert any(s.get("best_control") in ("centering", "domain_centering") for s in res["summary"])
    r = seed_sh(recipe, "--stage", "4")                                 # back to the default
    assert r.returncode == 0 and "TRANSDUCTIVE" in (recipe / "exp" / "results" / SEED_TAG / "RESULTS.md").read_text()


def test_pool_pairs_trains_on_the_pooled_set_and_the_report_names_it(recipe):
    """--pool-pairs (issue 15 parts 3 and 5): stage 3 trains on this recipe's pairs and the named
    corpus's (here the same pairs again under another name), under the run's own conf (tag); the
    checkpoint records the pool and RESULTS.md says POOLED with it."""
    from seed.diffusion.checkpoint import load_checkpoint
    (recipe / "conf" / "seed_pooled.yaml").write_text("base: seed.yaml\n")
    tag = f"{TAG}_seed_pooled"
    (recipe / "exp" / marker(2, tag)).write_text("stage=2\nseconds=1\n")   # the embeddings are the module's
    source = f"again=exp/embed/{TAG}/train_pairs/embedding.scp:data/train_pairs/pairs"
    r = seed_sh(recipe, "--stage", "3", "--seed-config", "conf/seed_pooled.yaml", "--pool-pairs", source)
    assert r.returncode == 0, r.stderr[-3000:]
    pooled = load_checkpoint(recipe / "exp/seed" / tag / "best.pt")["data"]
    own = load_checkpoint(recipe / "exp/seed" / SEED_TAG / "best.pt")["data"]
    assert [p["name"] for p in pooled["pool"]] == ["again"] and "pool" not in own
    assert pooled["num_pairs"] == 2 * own["num_pairs"] == 2 * pooled["pool"][0]["num_pairs"]
    md = (recipe / "exp" / "results" / tag / "RESULTS.md").read_text()
    assert (f"`seed` (main: in-domain: trained on this recipe's train_pairs POOLED with again "
            f"({own['num_pairs']} pairs: data/train_pairs/pairs))") in md


def test_adapted_models_are_fine_tuned_at_stage_3_and_reported(recipe):
    """--adapted-models (issue 15 part 2): stage 3 fine-tunes each source on this recipe's pairs (same conf,
    same steps as the own model, which resumes as finished), stages 4-6 score it as its own system with
    its twins, in the sweep and in the dev/test choice, and RESULTS.md names its source."""
    source = "exp/seed/" + SEED_TAG                 # any SEED model of the same dimension
    r = seed_sh(recipe, "--stage", "3", "--adapted-models", f"tuned={source}")
    assert r.returncode == 0, r.stderr[-3000:]
    from seed.diffusion.checkpoint import load_checkpoint
    tuned = load_checkpoint(recipe / "exp/seed" / f"{SEED_TAG}_adapted_tuned" / "best.pt")
    own = load_checkpoint(recipe / source / "last.pt")
    assert tuned["init"]["path"] == source and own["init"] is None and tuned["step"] <= own["step"]
    systems = json.loads((recipe / "exp" / "systems" / f"{SEED_TAG}.json").read_text())
    assert {s["name"]: s["kind"] for s in systems["systems"]}["tuned"] == "adapted"
    res = results(recipe)
    for system in ("tuned", "tuned_centered", "tuned_domain_centered"):
        assert row(res, system)["eer"] >= 0
    assert "tuned" in res["dev_test"]["chosen"] and any(r["model"] == "tuned" for r in res["sweep"]["summary"])
    md = (recipe / "exp" / "results" / SEED_TAG / "RESULTS.md").read_text()
    assert f"`tuned` (adapted: ADAPTED: {source} fine-tuned on this recipe's train_pairs, no labels)" in md
    r = seed_sh(recipe, "--stage", "4")                                 # back to the module's state
    assert r.returncode == 0, r.stderr[-3000:]
