"""The VoxCeleb-layout stand-in (seed.corpora.voxceleb_standin, seed.bin.make_voxceleb_standin).

A tiny instance is generated once per module (nj=2) and once more with nj=1; the tests check what the
voxceleb recipe relies on: the real folder layouts and file names, trial lists that parse and name
existing files (Vox1-O test speakers only, Vox1-H same gender and nationality, VoxConverse
non-targets inside one recording), identical bytes whatever --nj, the done marker, and that the
project's readers (prepare_voxceleb, prepare_librispeech on LibriTTS-R, prepare_pools) take it as is.
"""
import hashlib
import re
import shutil
from pathlib import Path

import pytest
import soundfile

from seed.bin import make_voxceleb_standin, prepare_librispeech, prepare_pools, prepare_voxceleb
from seed.corpora.synthetic import DEFAULT_SENTENCES, load_sentences
from seed.corpora.voxceleb_standin import (MARKER, StandinError, StandinOptions, fingerprint, generate_standin,
                                           read_marker)
from seed.data import read_trials, read_voxceleb_trials, validate_data_dir
from seed.simulate.pools import read_rir_list, scan_musan, scan_rirs_noises

HAVE_TTS = shutil.which("espeak-ng") is not None and shutil.which("flite") is not None
pytestmark = pytest.mark.skipif(not HAVE_TTS, reason="espeak-ng and flite are not installed")

TINY = dict(seed=4, vox1_test_speakers=3, vox1_dev_speakers=3, vox1_videos=2, vox1_segments=2, vox2_speakers=2,
            vox2_videos=1, vox2_segments=2, vc_sessions=2, vc_speakers=2, vc_segments=2, voxsrc_speakers=2,
            voxsrc_utts=2, libritts_speakers=1, libritts_chapters=1, libritts_utts=2, musan_noise=1, musan_music=1,
            musan_speech=1, rir_rooms=2, rirs_per_room=1)
VIDEO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{10}$")


def options(**changes):
    return StandinOptions(**{**TINY, **changes}, sentences=load_sentences(DEFAULT_SENTENCES))


def tree_digest(root):
    root = Path(root)
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.name != MARKER}


@pytest.fixture(scope="module")
def standin(tmp_path_factory):
    if not HAVE_TTS:
        pytest.skip("espeak-ng and flite are not installed")
    out = tmp_path_factory.mktemp("standin") / "db"
    summary = generate_standin(out, options(), nj=2, log=lambda *a: None)
    return out, summary


def meta(db):
    lines = (db / "voxceleb1" / "vox1_meta.csv").read_text().splitlines()
    assert lines[0] == "VoxCeleb1 ID\tVGGFace1 ID\tGender\tNationality\tSet"
    rows = [line.split("\t") for line in lines[1:]]
    return {f[0]: dict(zip(("name", "gender", "nationality", "set"), f[1:])) for f in rows}


def wav_info(path):
    info = soundfile.info(str(path))
    return info.samplerate, info.channels, info.subtype


def test_voxceleb_layouts_and_names(standin):
    db, summary = standin
    m = meta(db)
    assert {s: v["set"] for s, v in m.items()} == {"id10001": "dev", "id10002": "dev", "id10003": "dev",
                                                   "id10270": "test", "id10271": "test", "id10272": "test"}
    for corpus, ids, videos, segs in (("voxceleb1", set(m), 2, 2), ("voxceleb2", {"id00012", "id00013"}, 1, 2)):
        files = sorted((db / corpus / "wav").glob("*/*/*.wav"))
        assert {f.parts[-3] for f in files} == ids
        assert len(files) == len(ids) * videos * segs
        for f in files:
            assert VIDEO.match(f.parts[-2]) and re.fullmatch(r"\d{5}\.wav", f.name), f
            assert wav_info(f) == (16000, 1, "PCM_16")
            assert 2.0 < soundfile.info(str(f)).duration < 8.0
    vc = sorted((db / "voxconverse_test_SV" / "wav").glob("*/*/*.wav"))
    assert len(vc) == 2 * 2 * 2
    for f in vc:
        spk, session = f.parts[-3], f.parts[-2]
        assert re.fullmatch(r"[a-z]{5}", session) and spk.startswith(session + "_spk"), f
    vs = sorted((db / "voxsrc23" / "wav").iterdir())
    assert [f.name for f in vs] == ["00001.wav", "00002.wav", "00003.wav", "00004.wav"]   # flat, anonymous
    assert summary["speakers"] == {"voxceleb1": 6, "voxceleb2": 2, "voxconverse": 4, "voxsrc23": 2, "libritts": 2,
                                   "musan": 2}


def test_libritts_r_layout(standin):
    db, _ = standin
    root = db / "LibriTTS_R"
    lines = (root / "speakers.tsv").read_text().splitlines()
    assert lines[0] == "READER\tGENDER\tSUBSET\tNAME" and len(lines) == 3
    assert (root / "SPEAKERS.txt").is_file() and (root / "CHAPTERS.txt").is_file()
    for subset in ("train-clean-100", "train-clean-360"):
        wavs = sorted((root / subset).glob("*/*/*.wav"))
        assert len(wavs) == 2
        for w in wavs:
            spk, chapter = w.parts[-3], w.parts[-2]
            assert re.fullmatch(rf"{spk}_{chapter}_\d{{6}}_\d{{6}}\.wav", w.name), w
            assert wav_info(w) == (24000, 1, "PCM_16")                  # LibriTTS-R is 24 kHz
            text = w.with_suffix(".normalized.txt").read_text()
            assert text and text == w.with_suffix(".original.txt").read_text()
        spk, chapter = wavs[0].parts[-3], wavs[0].parts[-2]
        trans = (wavs[0].parent / f"{spk}_{chapter}.trans.tsv").read_text().splitlines()
        assert [l.split("\t")[0] for l in trans] == [w.stem for w in wavs]
        assert all(len(l.split("\t")) == 3 for l in trans)


def test_musan_and_rirs_noises_layout(standin):
    db, _ = standin
    sources = {"noise": ("free-sound", "sound-bible"), "speech": ("librivox", "us-gov"),
               "music": ("fma", "fma-western-art", "hd-classical", "jamendo", "rfm")}
    stems = {"fma-western-art": "fma-wa", "hd-classical": "hd"}
    for category, names in sources.items():
        for source in names:
            folder = db / "musan" / category / source
            wavs = sorted(folder.glob("*.wav"))
            assert [w.name for w in wavs] == [f"{category}-{stems.get(source, source)}-0000.wav"]
            assert (folder / "LICENSE").is_file()
            ann = (folder / "ANNOTATIONS").read_text().split()
            assert ann[0] == wavs[0].stem
    rirs = db / "RIRS_NOISES"
    for folder in ("smallroom", "mediumroom", "largeroom"):
        lines = (rirs / "simulated_rirs" / folder / "rir_list").read_text().splitlines()
        assert lines[0] == (f"--rir-id {folder}-Room001-00001 --room-id {folder}-Room001 "
                            f"RIRS_NOISES/simulated_rirs/{folder}/Room001/Room001-00001.wav")
        assert len(lines) == 2 and all((db / l.split()[-1]).is_file() for l in lines)
    real = rirs / "real_rirs_isotropic_noises"
    listed = [l.split() for l in (real / "rir_list").read_text().splitlines()]
    assert [f[:2] for f in listed] == [["--rir-id", f"{i:05d}"] for i in range(1, 9)]
    assert {f[3] for f in listed} == {"RVB2014_smallroom1", "RVB2014_mediumroom1", "RVB2014_largeroom1",
                                      "air_binaural_meeting_0"}
    assert all((db / f[-1]).is_file() for f in listed)
    assert wav_info(db / listed[0][-1])[1] == 2                       # RVB2014: array recordings
    noises = [l.split() for l in (real / "noise_list").read_text().splitlines()]
    assert all(f[2:6] == ["--noise-type", "isotropic", "--room-linkage", f[5]] and "_noise_" in f[-1] for f in noises)
    assert all((db / f[-1]).is_file() for f in noises)
    points = [l.split() for l in (rirs / "pointsource_noises" / "noise_list").read_text().splitlines()]
    assert points[0] == ["--noise-id", "noise-free-sound-0000", "--noise-type", "point-source", "--bg-fg-type",
                         "foreground", "RIRS_NOISES/pointsource_noises/noise-free-sound-0000.wav"]
    assert all((db / f[-1]).is_file() for f in points)


def _trials(path, key_style="path"):
    t = read_voxceleb_trials(path, key_style=key_style)
    return list(zip(t.enroll, t.test, t.labels.tolist()))


def test_vox1_trial_lists(standin):
    db, _ = standin
    m = meta(db)
    lists = {n: _trials(db / "voxceleb1" / f) for n, f in
             (("o", "veri_test2.txt"), ("e", "list_test_all2.txt"), ("h", "list_test_hard2.txt"))}
    for name, trials in lists.items():
        n_tgt = sum(lab for _, _, lab in trials)
        assert n_tgt and n_tgt == len(trials) - n_tgt, name                   # balanced
        for a, b, lab in trials:
            assert (db / "voxceleb1" / "wav" / a).is_file() and (db / "voxceleb1" / "wav" / b).is_file()
            sa, va, sb, vb = a.split("/")[0], a.split("/")[1], b.split("/")[0], b.split("/")[1]
            assert lab == int(sa == sb)
            if lab:
                assert va != vb, (name, a, b)                                 # targets across videos
    speakers = lambda trials: {p.split("/")[0] for a, b, _ in trials for p in (a, b)}
    assert {m[s]["set"] for s in speakers(lists["o"])} == {"test"}               # Vox1-O: test speakers only
    assert {m[s]["set"] for s in speakers(lists["e"])} == {"test", "dev"}
    for a, b, lab in lists["h"]:
        ma, mb = m[a.split("/")[0]], m[b.split("/")[0]]
        assert (ma["gender"], ma["nationality"]) == (mb["gender"], mb["nationality"])
    assert any(m[a.split("/")[0]]["set"] != m[b.split("/")[0]]["set"] for a, b, _ in lists["h"])


def test_voxconverse_and_voxsrc_lists(standin):
    db, _ = standin
    vc = _trials(db / "voxconverse_test_SV" / "trials_wo_overlap.txt")
    assert sum(1 - lab for *_, lab in vc) == 2 * 4          # 2 recordings x 2 speakers x 2 segments: 4 per recording
    for a, b, lab in vc:
        assert (db / "voxconverse_test_SV" / "wav" / a).is_file() and (db / "voxconverse_test_SV" / "wav" / b).is_file()
        assert a.split("/")[1] == b.split("/")[1]            # every trial inside one recording
        assert lab == int(a.split("/")[0] == b.split("/")[0])
    vs = _trials(db / "voxsrc23" / "VoxSRC2023_val.txt")
    assert all(re.fullmatch(r"wav/\d{5}\.wav", p) and (db / "voxsrc23" / p).is_file() for a, b, _ in vs for p in (a, b))
    assert sum(lab for *_, lab in vs) == 2 and len(vs) == 4


def test_voices_are_never_shared(standin):
    db, _ = standin
    rows = [l.split("\t") for l in (db / "standin_speakers.tsv").read_text().splitlines()[1:]]
    voices = [(r[2], r[3]) for r in rows]
    assert len(voices) == len(set(voices)) == 18


def test_same_bytes_whatever_nj_and_done_marker(standin, tmp_path):
    db, summary = standin
    other = tmp_path / "db1"
    again = generate_standin(other, options(), nj=1, log=lambda *a: None)
    assert again["fingerprint"] == summary["fingerprint"] == fingerprint(db)[0]
    assert tree_digest(other) == tree_digest(db)
    marker = read_marker(other)
    assert marker["fingerprint"] == summary["fingerprint"] and marker["files"] == summary["files"]
    assert marker["key"]["options"]["vox1_test_speakers"] == 3
    before = (other / "voxceleb1" / "veri_test2.txt").stat().st_mtime_ns
    logs = []
    assert generate_standin(other, options(), nj=2, log=logs.append)["skipped"]
    assert "nothing to do" in logs[0] and (other / "voxceleb1" / "veri_test2.txt").stat().st_mtime_ns == before
    assert not list(other.glob(".staging.*")) and not list(other.glob(".old.*"))


def test_cli_rerun_and_errors(standin, tmp_path, capsys):
    db, _ = standin
    args = ["--out-dir", str(db), "--nj", "2"] + [f"--{k.replace('_', '-')}={v}" for k, v in TINY.items()]
    assert make_voxceleb_standin.main(args) == 0
    assert "nothing to do" in capsys.readouterr().out
    foreign = tmp_path / "foreign"
    (foreign / "musan").mkdir(parents=True)
    with pytest.raises(StandinError, match="not written by make_voxceleb_standin"):
        generate_standin(foreign, options(), log=lambda *a: None)
    assert make_voxceleb_standin.main(["--out-dir", str(tmp_path / "x"), "--vox1-videos", "1"]) == 1
    assert "vox1_videos" in capsys.readouterr().err
    assert make_voxceleb_standin.main(["--out-dir", str(tmp_path / "x"), "--vox1-test-speakers", "41"]) == 1
    assert "40" in capsys.readouterr().err
    assert not (tmp_path / "x" / "voxceleb1").exists()


def test_prepare_voxceleb_reads_it(standin, tmp_path):
    db, _ = standin
    out = tmp_path / "data"
    assert prepare_voxceleb.main(["--vox1", str(db / "voxceleb1"), "--out-dir", str(out), "--trial-sets",
                                  "vox1_o,vox1_e,vox1_h", "--voxconverse", str(db / "voxconverse_test_SV"),
                                  "--vox2", str(db / "voxceleb2"),
                                  "--extra-list", f"voxsrc23={db / 'voxsrc23' / 'VoxSRC2023_val.txt'}"]) == 0
    test = validate_data_dir(out / "voxceleb1_test", check_audio=True)
    assert set(test.spk2utt) == {"id10270", "id10271", "id10272"}
    vcmix = read_trials(out / "vcmix_test" / "trials")
    assert vcmix.n_nontarget == 8 and vcmix.n_target == read_trials(out / "voxceleb1_test" / "trials_vox1_o").n_target
    vox2 = validate_data_dir(out / "voxceleb2_dev", check_audio=True)
    assert len(vox2.spk2utt) == 2 and len(vox2.utts) == 4
    assert len(validate_data_dir(out / "voxsrc23").utts) == 4


def test_prepare_librispeech_reads_libritts_r_at_16k(standin, tmp_path):
    db, _ = standin
    for subset in ("train-clean-100", "train-clean-360"):
        out = tmp_path / subset
        assert prepare_librispeech.main(["--root", str(db / "LibriTTS_R"), "--subset", subset,
                                         "--out-dir", str(out)]) == 0
        data = validate_data_dir(out, check_audio=True)
        spk = next(iter(data.spk2utt))
        assert all(re.fullmatch(rf"{spk}-\d+-\d{{6}}-\d{{6}}", u) for u in data.utts)
        for utt, path in data.wav_scp.items():
            assert Path(path).is_relative_to(out.resolve() / "wav")           # converted copy, not the corpus
            assert soundfile.info(path).samplerate == 16000
            assert abs(data.utt2dur[utt] - soundfile.info(str(_source(db, subset, utt))).duration) < 1e-3


def _source(db, subset, utt):
    spk, chapter = utt.split("-")[:2]
    return db / "LibriTTS_R" / subset / spk / chapter / (utt.replace("-", "_") + ".wav")


def test_pools_from_musan_and_rirs_noises(standin, tmp_path):
    db, _ = standin
    noise = scan_musan(db / "musan")
    assert sorted({e.category for e in noise}) == ["music", "noise", "speech"] and len(noise) == 9
    rirs = scan_rirs_noises(db / "RIRS_NOISES")
    real = [e for e in rirs if e.category == "real"]
    assert len(real) == 8 and not any("_noise_" in e.path or "pointsource" in e.path for e in rirs)
    assert sum("air_type1" in e.path for e in real) == 2
    assert len({e.group for e in real}) == 4                                   # one group per room
    out = tmp_path / "pools"
    assert prepare_pools.main(["--out-dir", str(out), "--musan", str(db / "musan"), "--rirs-noises",
                               str(db / "RIRS_NOISES"), "--rir-source", "real", "--rir-split-by", "folder"]) == 0
    train, test = read_rir_list(out / "rir_train.list"), read_rir_list(out / "rir_test.list")
    for cls in ("small", "medium", "large", "real"):          # whole rooms held out, in every class
        assert {e.group for e in train if e.category == cls}.isdisjoint({e.group for e in test if e.category == cls})
        assert any(e.category == cls for e in test) and any(e.category == cls for e in train)
    assert sum(e.category == "real" for e in test) == 4       # 2 of the 4 measured rooms, both RIRs of each


VOX_RECIPE = Path(__file__).resolve().parents[1] / "egs" / "voxceleb" / "seed1"


def _recipe_stage0(db, tmp_path, optional):
    """The real egs/voxceleb/seed1/run.sh, stage 0 only, on the stand-in; `optional` sets the optional roots."""
    import os
    import subprocess
    env = {k: v for k, v in os.environ.items() if k not in ("VOXCELEB2", "VOXCONVERSE", "VOXSRC23")}
    env.update(VOXCELEB1=str(db / "voxceleb1"), LIBRITTS_R=str(db / "LibriTTS_R"), MUSAN=str(db / "musan"),
               RIRS_NOISES=str(db / "RIRS_NOISES"),
               SEED_VENV=str(Path(__file__).resolve().parents[1] / ".venv"))
    if optional:
        env.update(VOXCELEB2=str(db / "voxceleb2"), VOXCONVERSE=str(db / "voxconverse_test_SV"),
                   VOXSRC23=str(db / "voxsrc23"))
    return subprocess.run(["./run.sh", "--stop-stage", "0", "--data-dir", str(tmp_path / "data"), "--exp-dir",
                           str(tmp_path / "exp"), "--nj", "2"], cwd=VOX_RECIPE, env=env, capture_output=True,
                          text=True)


def test_recipe_stage0_runs_without_the_optional_corpora(standin, tmp_path):
    """Issue 12: --plda-set voxceleb2_dev was fixed in run.sh although VOXCELEB2 is optional (stage 0 failed);
    now the PLDA set and the extra lists follow the corpora that db.sh names."""
    db, _ = standin
    r = _recipe_stage0(db, tmp_path, optional=False)
    assert r.returncode == 0, r.stderr[-2000:]
    data = tmp_path / "data"
    assert read_trials(data / "voxceleb1_test" / "trials").n_target > 0
    assert (data / "voxceleb1" / "trials_vox1_e").is_file() and (data / "voxceleb1" / "trials_vox1_h").is_file()
    assert not (data / "voxceleb2_dev").exists() and not (data / "vcmix_test").exists()
    assert (tmp_path / "exp" / ".done.stage0").is_file()


def test_recipe_stage0_prepares_every_optional_list(standin, tmp_path):
    db, _ = standin
    r = _recipe_stage0(db, tmp_path, optional=True)
    assert r.returncode == 0, r.stderr[-2000:]
    data = tmp_path / "data"
    for name in ("vcmix_test", "voxsrc23"):
        assert read_trials(data / name / "trials").n_nontarget > 0
    validate_data_dir(data / "voxceleb2_dev")
