"""`python -m seed.bin.extract`: outputs, crops, determinism, merge checks, resume, bad audio, plugins."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile
import yaml

from seed.bin.extract import main
from seed.data import DataDir, load_audio, load_embedding_dict, load_embeddings
from seed.extract import CropPolicy, load_extractor, register_extractor
from seed.extract.registry import Extractor
from test_extract_fixtures import librispeech_files, make_data_dir, one_thread  # noqa: F401 (fixture)

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture
def data6(tmp_path):
    """6 real utterances (3 speakers x 2) as 2 s segments [0.5, 2.5) of test-other files."""
    files = librispeech_files(per_speaker=2, speakers={"1688", "1998", "2033"})
    return make_data_dir(tmp_path / "data", files, start=0.5, end=2.5)


def run(data, out, *extra, spec="resemblyzer"):
    return main(["--extractor", spec, "--data-dir", str(data), "--out-dir", str(out), "--no-progress", *extra])


def test_whole_outputs_and_meta(data6, tmp_path):
    out = tmp_path / "emb"
    assert run(data6, out) == 0
    keys, emb = load_embeddings(out / "embedding.scp")
    data = DataDir.load(data6)
    assert keys == data.utts and emb.shape == (6, 256)
    # rows equal a direct call on the same segment audio
    ext = load_extractor("resemblyzer")
    direct = ext.embed([load_audio(data.wav_path(u), start=0.5, end=2.5) for u in keys])
    np.testing.assert_allclose(emb, direct, atol=2e-6)
    meta = yaml.safe_load((out / "meta.yaml").read_text())
    assert meta["extractor"]["spec"] == "resemblyzer" and meta["extractor"]["version"] == "resemblyzer 0.1.4"
    assert (meta["sample_rate"], meta["crop_policy"], meta["rows_per_utt"], meta["dim"], meta["num_utts"]) == \
        (16000, "whole", 1, 256, 6)
    assert meta["environment"]["packages"]["torch"] and meta["environment"]["git_revision"]


@pytest.mark.parametrize("policy, rows", [("crops:3x1", 3), ("2x4", 2)])
def test_crop_policies_store_a_matrix_per_utterance(data6, tmp_path, policy, rows, capsys):
    out = tmp_path / "emb"
    assert run(data6, out, "--crops", policy) == 0
    # the 2-s utterances are shorter than a 4-s crop: tiled, and counted (issue 16: it was silent)
    padded = 6 if policy == "2x4" else 0
    assert yaml.safe_load((out / "meta.yaml").read_text())["num_wrap_padded"] == padded
    printed = capsys.readouterr()
    assert ("utterances shorter than one crop, wrap-padded" in printed.out + printed.err) == bool(padded)
    table = load_embedding_dict(out / "embedding.scp")
    assert all(v.shape == (rows, 256) for v in table.values())
    _, stacked = load_embeddings(out / "embedding.scp", allow_matrix=True)
    assert stacked.shape == (6, rows, 256)
    meta = yaml.safe_load((out / "meta.yaml").read_text())
    assert meta["rows_per_utt"] == rows and meta["crop_policy"] == str(CropPolicy.parse(policy))


def test_crop_policy_cuts_like_espnet():
    p = CropPolicy.parse("crops:4x1")
    assert str(p) == "crops:4x1" and p.rows_per_utt == 4 and str(CropPolicy.parse("10×4s")) == "crops:10x4"
    wav = np.arange(40000, dtype=np.float32)
    crops = p.apply(wav, 16000)
    starts = [int(s) for s in np.linspace(0, 40000 - 16000, 4)]  # espnet SpkPreprocessor, train=False
    assert [c[0] for c in crops] == starts and all(len(c) == 16000 for c in crops)
    short = np.arange(1000, dtype=np.float32)   # shorter than a crop: wrap-padded to T+1 samples
    crops = p.apply(short, 16000)
    assert all(len(c) == 16000 for c in crops) and crops[0][1000] == 0 and crops[-1][-1] == 1000 % 1000
    assert CropPolicy.parse("whole").apply(wav, 16000)[0] is wav
    for bad in ("crops:0x4", "crops:4x0", "4 crops", "crops:ax4"):
        with pytest.raises(ValueError):
            CropPolicy.parse(bad)


def test_deterministic_files(data6, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert run(data6, a, "--crops", "crops:2x1.5") == 0
    assert run(data6, b, "--crops", "crops:2x1.5") == 0
    assert (a / "embedding.ark").read_bytes() == (b / "embedding.ark").read_bytes()
    assert (a / "meta.yaml").read_text() == (b / "meta.yaml").read_text()
    def offsets(out):
        return [(line.split()[0], line.split(":")[-1]) for line in (out / "embedding.scp").read_text().splitlines()]
    assert offsets(a) == offsets(b)


def test_jobs_merge_to_the_single_job_result(data6, tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    assert run(data6, one) == 0
    assert run(data6, two, "--nj", "2", "--job-id", "1") == 0
    assert run(data6, two, "--nj", "2", "--job-id", "2") == 0
    assert not (two / "embedding.scp").exists()          # a job alone never merges
    assert run(data6, two, "--nj", "2") == 0              # both done: merge only, no dispatch
    k1, e1 = load_embeddings(one / "embedding.scp")
    k2, e2 = load_embeddings(two / "embedding.scp")
    assert k1 == k2
    assert np.array_equal(e1, e2)                          # bit-identical whatever the sharding


def test_merge_count_mismatch_fails_naming_missing(data6, tmp_path, capsys):
    out = tmp_path / "emb"
    for j in ("1", "2"):
        assert run(data6, out, "--nj", "2", "--job-id", j) == 0
    scp = out / "split2" / "embedding.2.scp"
    lines = scp.read_text().splitlines()
    scp.write_text("\n".join(lines[1:]) + "\n")            # a job's scp lost an entry after it finished
    lost = lines[0].split()[0]
    assert run(data6, out, "--nj", "2") == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "merged count 5 != data dir count 6" in err and lost in err
    assert not (out / "embedding.scp").exists() and not (out / "meta.yaml").exists()


def test_resume_skips_finished_jobs(data6, tmp_path):
    out = tmp_path / "emb"
    assert run(data6, out, "--nj", "2", "--job-id", "1") == 0
    ark1 = out / "split2" / "embedding.1.ark"
    before = (ark1.stat().st_ino, ark1.stat().st_mtime_ns, ark1.read_bytes())
    cmd = str(REPO / "utils" / "run.pl")
    if not os.access(cmd, os.X_OK):
        pytest.skip("utils/run.pl missing")
    # dispatched through run.pl in a fresh process, as a recipe runs it
    proc = subprocess.run([sys.executable, "-m", "seed.bin.extract", "--extractor", "resemblyzer", "--data-dir",
                           str(data6), "--out-dir", str(out), "--nj", "2", "--cmd", cmd, "--no-progress"],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (ark1.stat().st_ino, ark1.stat().st_mtime_ns, ark1.read_bytes()) == before
    assert "already done" in (out / "log" / "extract.1.log").read_text()
    assert "already done" not in (out / "log" / "extract.2.log").read_text()
    assert len(load_embedding_dict(out / "embedding.scp")) == 6
    # a changed crop policy is a different job: recomputed, not reused
    assert run(data6, out, "--nj", "2", "--job-id", "1", "--crops", "crops:2x1") == 0
    assert ark1.read_bytes() != before[2]


def _break(data_dir, utt, new_path):
    data = DataDir.load(data_dir)
    rec = data.segment_of(utt)[0]
    data.wav_scp[rec] = str(new_path)
    data.write(data_dir)


@pytest.mark.parametrize("problem, expect", [
    ("missing", "cannot read audio"),
    ("rate", "sample rate 8000 Hz, but the extractor needs 16000 Hz"),
    ("empty", "audio is empty"),
])
def test_bad_audio_is_one_line_naming_utterance_and_file(data6, tmp_path, capsys, problem, expect):
    utt = DataDir.load(data6).utts[3]
    bad = tmp_path / f"{problem}.wav"
    if problem == "rate":
        soundfile.write(bad, np.zeros(24000, dtype=np.float32) + 0.1, 8000)
    elif problem == "empty":
        soundfile.write(bad, np.zeros(0, dtype=np.float32), 16000)
    _break(data6, utt, bad)
    out = tmp_path / "emb"
    assert run(data6, out) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len([e for e in err if e.startswith("extract:") and expect in e]) == 1, err
    line = next(e for e in err if expect in e)
    assert utt in line and str(bad) in line
    assert not (out / "embedding.scp").exists() and not (out / "split1" / "done.1").exists()


def test_pipe_entries_are_read(data6, tmp_path):
    data = DataDir.load(data6)
    utt = data.utts[0]
    rec = data.segment_of(utt)[0]
    path = data.wav_scp[rec]
    wav, rate = soundfile.read(path, dtype="int16")
    copy = tmp_path / "copy.wav"
    soundfile.write(copy, wav, rate, subtype="PCM_16")
    data.wav_scp[rec] = f"cat {copy} |"                  # Kaldi-style pipe entry
    data.write(data6)
    out = tmp_path / "emb"
    assert run(data6, out) == 0
    table = load_embedding_dict(out / "embedding.scp")
    direct = load_extractor("resemblyzer").embed([load_audio(path, start=0.5, end=2.5)])[0]
    np.testing.assert_allclose(table[utt], direct, atol=2e-6)
    data.wav_scp[rec] = "false |"
    data.write(data6)
    assert run(data6, out) == 1


def test_argument_errors(data6, tmp_path, capsys):
    assert run(data6, tmp_path / "o", "--nj", "7") == 1
    assert "exceeds the number of utterances" in capsys.readouterr().err
    assert run(data6, tmp_path / "o", spec="nosuch") == 1
    assert "unknown extractor 'nosuch'" in capsys.readouterr().err
    assert run(data6, tmp_path / "o", "--crops", "crops:x") == 1
    assert "crop policy" in capsys.readouterr().err
    import torch
    if not torch.cuda.is_available():
        assert run(data6, tmp_path / "o", "--device", "cuda") == 1
        assert "CUDA is not available" in capsys.readouterr().err


def test_help_documents_every_option():
    proc = subprocess.run([sys.executable, "-m", "seed.bin.extract", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0
    for opt in ("--extractor", "--data-dir", "--out-dir", "--crops", "--nj", "--job-id", "--cmd", "--device",
                "--batch-size", "--num-threads", "--plugin", "--no-progress"):
        assert opt in proc.stdout


PLUGIN = '''
import numpy as np
from seed.extract import Extractor, register_extractor

class LevelStats(Extractor):
    """Toy extractor: log-RMS and zero-crossing rate."""
    sample_rate, dim = 16000, 2
    def embed(self, waveforms):
        return np.array([[np.log(np.sqrt(np.mean(w.astype(np.float64) ** 2)) + 1e-9),
                          np.mean(np.abs(np.diff(np.sign(w))) > 0)] for w in waveforms], dtype=np.float32)

register_extractor("test-level-stats", lambda arg, device, **kw: LevelStats())
'''


def test_plugin_extractor_runs_through_the_stage(data6, tmp_path, monkeypatch):
    (tmp_path / "my_plugin.py").write_text(PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    out = tmp_path / "emb"
    assert run(data6, out, "--plugin", "my_plugin", spec="test-level-stats") == 0
    _, emb = load_embeddings(out / "embedding.scp")
    assert emb.shape == (6, 2)
    with pytest.raises(ValueError, match="already registered"):
        register_extractor("test-level-stats", lambda arg, device: None)
    assert issubclass(type(load_extractor("test-level-stats")), Extractor)


def test_several_data_dirs_in_one_command_equal_separate_runs(data6, tmp_path, capsys):
    """Two data dirs through one run.pl dispatch (one extractor load per job) give the same files as
    two separate commands; a finished set is not recomputed when the other is extracted again."""
    other = make_data_dir(tmp_path / "data_b", librispeech_files(per_speaker=2, speakers={"1688", "1998"}),
                          start=1.0, end=3.0)
    cmd = str(REPO / "utils" / "run.pl")
    multi = [tmp_path / "m_a", tmp_path / "m_b"]
    proc = subprocess.run([sys.executable, "-m", "seed.bin.extract", "--extractor", "resemblyzer", "--data-dir",
                           str(data6), str(other), "--out-dir", *map(str, multi), "--nj", "2", "--cmd", cmd,
                           "--no-progress"], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "over 2 data dir(s)" in proc.stderr
    for data, out in ((data6, multi[0]), (other, multi[1])):
        single = tmp_path / f"single_{out.name}"
        for job in ("1", "2"):
            assert run(data, single, "--nj", "2", "--job-id", job) == 0
        assert {k: v.tobytes() for k, v in load_embedding_dict(out / "embedding.scp").items()} == \
            {k: v.tobytes() for d in (1, 2) for k, v in load_embedding_dict(single / "split2" / f"embedding.{d}.scp").items()}
    assert (multi[0] / "log" / "extract.1.log").is_file() and not (multi[1] / "log").exists()
    assert main(["--extractor", "resemblyzer", "--data-dir", str(data6), "--out-dir", "x", "y"]) == 1
    assert "give one output folder per data dir" in capsys.readouterr().err
