"""Issue 14: no step leaves a stale result looking current.

- extraction resume keys on what the audio IS (size, mtime, the data dir's content id), not its paths:
  re-simulating a condition into the same folder with another seed is extracted again;
- a rerun that fails (bad input) leaves no embedding.scp / config.yaml / centering.scp / wav.scp of
  the previous run behind (enhance, train_plda, prepare_backend, simulate);
- `JOB` inside a user's path is not rewritten per job (end to end through seed.bin.extract and run.pl).
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from seed.bin import extract, simulate
from seed.data import DataDir, load_embeddings, read_audio, write_embeddings, write_kv
from seed.extract import stage
from seed.extract.crops import CropPolicy
from seed.simulate.pools import scan_musan, write_pool_list
from test_extract_fixtures import librispeech_files, one_thread  # noqa: F401 (fixture)

REPO = Path(__file__).resolve().parents[1]
SR = 16000
pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def clean(tmp_path_factory, shared_data):
    """4 real utterances (2 speakers x 2), cut to 2 s, as 16-bit WAV, and a test noise list."""
    import soundfile
    base = tmp_path_factory.mktemp("stale")
    wav, u2s = {}, {}
    for utt, flac in librispeech_files(per_speaker=2, speakers={"1688", "1998"}).items():
        x, _ = read_audio(flac, end=2.0)
        path = base / "audio" / f"{utt}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        soundfile.write(path, x, SR, subtype="PCM_16")
        wav[utt], u2s[utt] = str(path), utt.split("-")[0]
    data = DataDir(wav_scp=wav, utt2spk=u2s).write(base / "data")
    noise = write_pool_list(base / "noise.list", scan_musan(shared_data / "musan_mini"))
    return data, noise


def simulate_into(clean, out, seed):
    data, noise = clean
    return simulate.main(["--data-dir", str(data), "--out-dir", str(out), "--condition", "noise_snr0",
                          "--noise-list", str(noise), "--seed", str(seed)])


def extract_into(data, out, *extra):
    return extract.main(["--extractor", "resemblyzer", "--data-dir", str(data), "--out-dir", str(out),
                         "--no-progress", *extra])


def test_resimulated_condition_is_extracted_again(clean, tmp_path, capsys):
    """The reproduction of issue 14 item 1: simulate --seed 0, extract, re-simulate --seed 1 into the same
    folder, extract again -> recomputed (not "already done"), and the embeddings follow the new audio."""
    cond, emb = tmp_path / "cond", tmp_path / "emb"
    assert simulate_into(clean, cond, 0) == 0
    assert json.loads((cond / "simulate.json").read_text())["content_sha256"]
    assert extract_into(cond, emb) == 0
    keys, first = load_embeddings(emb / "embedding.scp")
    ark = emb / "split1" / "embedding.1.ark"
    stamp = ark.stat().st_mtime_ns
    capsys.readouterr()

    assert extract_into(cond, emb) == 0                          # untouched: skipped, nothing recomputed
    assert "all 1 job(s) already done" in capsys.readouterr().err
    assert ark.stat().st_mtime_ns == stamp

    assert simulate_into(clean, cond, 1) == 0                    # same folder, same wav.scp lines, new audio
    assert extract_into(cond, emb) == 0
    err = capsys.readouterr().err
    assert "already done" not in err and "job 1/1: 4 utterances" in err
    keys2, second = load_embeddings(emb / "embedding.scp")
    fresh = tmp_path / "fresh"
    assert extract_into(cond, fresh) == 0
    _, reference = load_embeddings(fresh / "embedding.scp")
    assert keys2 == keys
    assert np.abs(second - first).max() > 1e-3                   # other audio, other embeddings ...
    np.testing.assert_array_equal(second, reference)             # ... exactly those of the new audio


def test_done_marker_follows_size_mtime_and_content_id(clean, tmp_path):
    """The fingerprint changes when a file's size or mtime changes, or when only the content id does
    (a rewrite that kept size and mtime); it stays when nothing changed."""
    cond = tmp_path / "cond"
    assert simulate_into(clean, cond, 0) == 0
    policy = CropPolicy.parse("whole")

    def fingerprint():
        return stage.job_fingerprint("resemblyzer", policy, DataDir.load(cond), 2, 1, "cpu")

    base = fingerprint()
    assert fingerprint() == base
    settings = cond / "simulate.json"
    record = json.loads(settings.read_text())
    settings.write_text(json.dumps({**record, "content_sha256": "0" * 64}) + "\n")
    assert fingerprint() != base                                 # only the content id differs
    settings.write_text(json.dumps(record) + "\n")
    assert fingerprint() == base
    first = DataDir.load(cond).wav_scp[DataDir.load(cond).utts[0]]
    st = os.stat(first)
    os.utime(first, ns=(st.st_atime_ns, st.st_mtime_ns + 1000))
    assert fingerprint() != base                                 # job 1 holds the first utterance
    os.utime(first, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert fingerprint() == base
    assert stage.job_fingerprint("resemblyzer", policy, DataDir.load(cond), 2, 2, "cpu") != base


def test_job_inside_a_users_path_is_left_alone(clean, tmp_path):
    """`--out-dir .../JOBS_dir --nj 2` dispatched through run.pl writes into JOBS_dir (not 1S_dir, 2S_dir)."""
    data, _ = clean
    out = tmp_path / "JOBS_dir"
    proc = subprocess.run([sys.executable, "-m", "seed.bin.extract", "--extractor", "resemblyzer", "--data-dir",
                           str(data), "--out-dir", str(out), "--nj", "2", "--cmd", str(REPO / "utils" / "run.pl"),
                           "--no-progress"], capture_output=True, text=True, cwd=tmp_path,
                          env=dict(os.environ, OMP_NUM_THREADS="1"))
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["JOBS_dir"]
    assert {p.name for p in (out / "split2").iterdir()} == {"embedding.1.ark", "embedding.1.scp", "done.1",
                                                          "embedding.2.ark", "embedding.2.scp", "done.2"}
    assert (out / "log" / "extract.1.log").is_file() and (out / "log" / "extract.2.log").is_file()
    keys, emb = load_embeddings(out / "embedding.scp")
    assert keys == DataDir.load(data).utts and emb.shape == (4, 256)


def test_failed_simulate_rerun_leaves_no_previous_data_dir(clean, tmp_path):
    cond = tmp_path / "cond"
    assert simulate_into(clean, cond, 0) == 0
    data, _ = clean
    missing = tmp_path / "no-such.list"
    assert simulate.main(["--data-dir", str(data), "--out-dir", str(cond), "--condition", "noise_snr0",
                          "--noise-list", str(missing)]) == 1
    assert not any((cond / name).exists() for name in ("wav.scp", "utt2spk", "aug.jsonl", "simulate.json"))


# --- enhance, train_plda, prepare_backend ------------------------------------------------------------

@pytest.fixture(scope="module")
def labelled(tmp_path_factory):
    """A labelled embedding folder (6 speakers x 4, dim 16) and a pairs file over it."""
    base = tmp_path_factory.mktemp("labelled")
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(6, 16))
    rows = {f"s{s}-u{u}": (centres[s] + 0.3 * rng.normal(size=16)).astype(np.float32)
            for s in range(6) for u in range(4)}
    emb = base / "emb" / "train"
    write_embeddings(emb / "embedding.ark", emb / "embedding.scp", sorted(rows.items()))
    write_kv(base / "utt2spk", {k: k.split("-")[0] for k in rows})
    write_kv(base / "pairs", {k: k.split("-")[0] + "-u0" for k in rows})
    return base


def test_failed_train_plda_rerun_leaves_no_config(labelled, tmp_path):
    from seed.bin import train_plda
    out = tmp_path / "plda"
    scp = labelled / "emb" / "train" / "embedding.scp"
    assert train_plda.main(["--scp", str(scp), "--utt2spk", str(labelled / "utt2spk"), "--out-dir", str(out)]) == 0
    assert {"config.yaml", "plda.npz", "plda.txt"} <= {p.name for p in out.iterdir()}
    bad = tmp_path / "utt2spk"
    write_kv(bad, {"s0-u0": "s0"})                              # every other utterance lacks a speaker
    assert train_plda.main(["--scp", str(scp), "--utt2spk", str(bad), "--out-dir", str(out)]) == 1
    assert not any((out / name).exists() for name in ("config.yaml", "plda.npz", "plda.txt"))


def test_failed_prepare_backend_rerun_leaves_no_previous_backend(labelled, tmp_path):
    from seed.bin import prepare_backend
    out = tmp_path / "backend"
    argv = ["--embeddings-dir", str(labelled / "emb"), "--pairs-set", "train", "--labelled-set", "train",
            "--utt2spk", str(labelled / "utt2spk"), "--out-dir", str(out)]
    assert prepare_backend.main([*argv, "--pairs", str(labelled / "pairs")]) == 0
    assert all((out / name).exists() for name in ("centering.scp", "cohort.scp", "cohort.ark", "plda/config.yaml"))
    bad = tmp_path / "pairs"
    bad.write_text("s0-u1 no-such-key\n")
    assert prepare_backend.main([*argv, "--pairs", str(bad)]) == 1
    assert not any((out / name).exists() for name in ("centering.scp", "cohort.scp", "cohort.ark",
                                                      "plda/config.yaml", "plda/plda.npz"))


def test_failed_enhance_rerun_leaves_no_previous_embeddings(tmp_path):
    from seed.bin import enhance, train_seed
    from seed.diffusion.synthetic import write_synthetic_pairs
    scp, pairs = write_synthetic_pairs(tmp_path / "synth", dim=16, seed=0)
    exp = tmp_path / "exp"
    assert train_seed.main(["--config", "seed_debug", "--embeddings", str(scp), "--pairs", str(pairs),
                            "--out-dir", str(exp), "--device", "cpu", "--set", "train.max_steps=4"]) == 0
    out = tmp_path / "enh"
    argv = ["--model", str(exp), "--out-dir", str(out), "--device", "cpu"]
    assert enhance.main([*argv, "--in-scp", str(scp)]) == 0
    assert all((out / name).exists() for name in ("embedding.scp", "embedding.ark", "meta.yaml"))
    wrong = tmp_path / "wrong"
    write_embeddings(wrong / "embedding.ark", wrong / "embedding.scp", [("a", np.ones(8, dtype=np.float32))])
    assert enhance.main([*argv, "--in-scp", str(wrong / "embedding.scp")]) == 1   # dimension 8, model 16
    assert not any((out / name).exists() for name in ("embedding.scp", "embedding.ark", "meta.yaml"))
    in_place = ["--model", str(exp), "--in-scp", str(wrong / "embedding.scp"), "--out-dir", str(wrong),
                "--device", "cpu"]
    assert enhance.main(in_place) == 1                           # refused: clearing would delete the input
    assert (wrong / "embedding.scp").exists() and (wrong / "embedding.ark").exists()
