"""The synthetic corpus generator (seed.corpora.synthetic*, seed.bin.make_synthetic_corpus).

A tiny corpus (a few speakers x 2 utterances, one file per noise family) is generated once per
module; the tests check what the recipes rely on: LibriSpeech layout read by prepare_librispeech,
MUSAN layout read by make_noise_list, same options -> same bytes (whatever --nj), speakers and
voices disjoint across subsets, and clear errors.
"""
import hashlib
import json
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile

from seed.bin import make_synthetic_corpus, prepare_librispeech
from seed.corpora import synthetic, synthetic_voices
from seed.corpora.synthetic import CorpusError, CorpusOptions, generate_corpus, load_sentences
from seed.corpora.synthetic_noise import MUSIC_FAMILIES, NOISE_FAMILIES
from seed.corpora.synthetic_tts import SynthesisError, check_tools, parse_wav
from seed.data import DataDir, SeedDataError, read_trials
from seed.simulate.pools import scan_musan

HAVE_TTS = shutil.which("espeak-ng") is not None and shutil.which("flite") is not None
needs_tts = pytest.mark.skipif(not HAVE_TTS, reason="espeak-ng and flite are not installed")

SENTENCES = load_sentences(synthetic.DEFAULT_SENTENCES)
# 4 trial speakers cover both engines (the 3rd curated trial voice is flite slt).
TINY = dict(seed=3, n_test=4, n_train=3, n_babble=2, utts_per_speaker=2, noise_files_per_family=1,
            music_files_per_family=1, sentences=SENTENCES)


def tree_digest(root):
    """relative path -> sha256 of every file under root."""
    root = Path(root)
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    if not HAVE_TTS:
        pytest.skip("espeak-ng and flite are not installed")
    out = tmp_path_factory.mktemp("synthetic") / "db"
    summary = generate_corpus(out, CorpusOptions(**TINY), nj=2, log=lambda *a: None)
    return out, summary


@needs_tts
def test_layout_read_by_prepare_librispeech(tiny, tmp_path):
    db, summary = tiny
    expected = {"train": TINY["n_train"], "test": TINY["n_test"], "babble": TINY["n_babble"]}
    for subset, n_spk in expected.items():
        out = tmp_path / subset
        trials = ["--trials", "all-pairs"] if subset == "test" else []
        assert prepare_librispeech.main(["--root", str(db), "--subset", subset, "--out-dir", str(out)] + trials) == 0
        data = DataDir.load(out)
        assert len(data.spk2utt) == n_spk
        assert len(data.utts) == n_spk * TINY["utts_per_speaker"]
        for utt, path in data.wav_scp.items():
            info = soundfile.info(path)
            assert (info.samplerate, info.channels, info.format) == (16000, 1, "FLAC"), utt
            assert 1.0 < info.duration < 15.0, utt
    trials = read_trials(tmp_path / "test" / "trials")
    n = TINY["n_test"] * TINY["utts_per_speaker"]
    assert len(trials.labels) == n * (n - 1) // 2
    assert trials.labels.sum() == TINY["n_test"] * TINY["utts_per_speaker"] * (TINY["utts_per_speaker"] - 1) // 2
    assert summary["utterances"] == sum(expected.values()) * TINY["utts_per_speaker"]


@needs_tts
def test_speakers_table_and_transcripts(tiny):
    db, _ = tiny
    lines = (db / "speakers.tsv").read_text().splitlines()
    header, rows = lines[0].split("\t"), [dict(zip(lines[0].split("\t"), l.split("\t"))) for l in lines[1:]]
    assert header[:5] == ["spk_id", "subset", "engine", "voice", "kind"]
    assert {r["engine"] for r in rows} == {"espeak", "flite"}
    for r in rows:
        folder = db / r["subset"] / r["spk_id"]
        assert folder.is_dir(), r
        assert float(r["seconds"]) > 1.0
    trans = sorted(db.glob("test/*/*/*.trans.txt"))
    assert len(trans) == TINY["n_test"]
    first = trans[0].read_text().splitlines()
    assert len(first) == TINY["utts_per_speaker"]
    utt, words = first[0].split(" ", 1)
    assert (trans[0].parent / f"{utt}.flac").exists() and words == words.upper()
    # every utterance of a speaker reads a different sentence
    assert len({l.split(" ", 1)[1] for l in first}) == len(first)


@needs_tts
def test_same_options_same_bytes_whatever_nj(tiny, tmp_path):
    db, _ = tiny
    again = tmp_path / "db"
    generate_corpus(again, CorpusOptions(**TINY), nj=1, log=lambda *a: None)
    assert tree_digest(again) == tree_digest(db)


@needs_tts
def test_other_seed_other_audio(tiny, tmp_path):
    db, _ = tiny
    other = tmp_path / "db"
    generate_corpus(other, CorpusOptions(**dict(TINY, seed=TINY["seed"] + 1, n_train=0, n_babble=0,
                                                 noise_files_per_family=0, music_files_per_family=0)),
                    nj=2, log=lambda *a: None)
    a, b = tree_digest(db), tree_digest(other)
    common = [k for k in a if k.startswith("test/") and k.endswith(".flac") and k in b]
    assert common and all(a[k] != b[k] for k in common)


@needs_tts
def test_subsets_disjoint_in_speakers_and_voices(tiny):
    db, _ = tiny
    speakers = {s: {p.name for p in (db / s).iterdir()} for s in ("train", "test", "babble")}
    assert not speakers["train"] & speakers["test"]
    assert not speakers["babble"] & (speakers["train"] | speakers["test"])
    rows = [l.split("\t") for l in (db / "speakers.tsv").read_text().splitlines()[1:]]
    voice_of = {}
    for r in rows:
        _, subset, engine, voice = r[:4]
        key = (engine, voice.split("+", 1)[-1])   # the variant (or flite voice) decides the speaker
        assert voice_of.setdefault(key, subset) == subset, f"{key} in {voice_of[key]} and {subset}"


@needs_tts
def test_enrol_subset_is_other_sentences_of_the_trial_speakers_and_changes_nothing_else(tiny, tmp_path):
    db, _ = tiny
    with_enrol = tmp_path / "db"
    summary = generate_corpus(with_enrol, CorpusOptions(**dict(TINY, enrol_utts_per_test_speaker=3)), nj=2,
                              log=lambda *a: None)
    assert summary["enrol_utterances"] == 3 * TINY["n_test"]
    a, b = tree_digest(db), tree_digest(with_enrol)
    tables = ("speakers.tsv", "SPEAKERS.TXT", synthetic.MARKER)                     # they list the enrol audio
    assert {k: v for k, v in b.items() if not k.startswith("enrol/") and k not in tables} \
        == {k: v for k, v in a.items() if k not in tables}                          # the other subsets: same bytes
    out = tmp_path / "enrol"
    assert prepare_librispeech.main(["--root", str(with_enrol), "--subset", "enrol", "--out-dir", str(out)]) == 0
    enrol = DataDir.load(out)
    assert set(enrol.spk2utt) == {p.name for p in (db / "test").iterdir()}          # the trial speakers ...
    assert all(len(u) == 3 for u in enrol.spk2utt.values())
    for spk in enrol.spk2utt:                                                         # ... reading other sentences
        read = lambda subset: {l.split(" ", 1)[1] for t in with_enrol.glob(f"{subset}/{spk}/*/*.trans.txt")
                               for l in t.read_text().splitlines()}
        assert len(read("enrol")) == 3 and not read("enrol") & read("test")
    with pytest.raises(CorpusError, match="sentences for"):
        CorpusOptions(**dict(TINY, enrol_utts_per_test_speaker=len(SENTENCES))).check()


def test_speaker_plan_never_shares_a_voice_group():
    """Large plans: every variant group used at most once, generated voices unique, ids in range."""
    used = synthetic_voices.used_builtin_variants()
    assert len(used) == len(set(used))
    for group in synthetic_voices.ESPEAK_VARIANT_GROUPS:
        assert sum(v in used for v in group) <= 1, group
    assert not set(used) & set(synthetic_voices.EXCLUDED_VARIANTS)
    plan = synthetic_voices.plan_speakers(0, n_test=60, n_train=300, n_babble=12)
    assert len({s.spk_id for s in plan}) == len(plan) == 372
    keys = [(s.engine, s.variant or s.voice) for s in plan]
    assert len(set(keys)) == len(keys)
    assert len(synthetic_voices.TRIAL_POOL) >= 30
    trial = [s for s in plan if s.subset == "test"]
    assert [s.kind for s in trial[:40]].count("generated") == 0 and trial[45].kind == "generated"
    assert plan == synthetic_voices.plan_speakers(0, n_test=60, n_train=300, n_babble=12)
    with pytest.raises(ValueError, match="train"):
        synthetic_voices.plan_speakers(0, 1, 10 ** 6, 0)


@needs_tts
def test_generated_voice_is_synthesised(tmp_path):
    n_train = len(synthetic_voices.TRAIN_POOL) + 1
    plan = synthetic_voices.plan_speakers(5, 0, n_train, 0)
    generated = plan[-1]
    assert generated.kind == "generated" and generated.variant_text.startswith("language variant")
    # Only the generated speaker's audio is needed here: plan it alone.
    options = CorpusOptions(seed=5, n_test=0, n_train=n_train, n_babble=0, utts_per_speaker=1,
                            noise_files_per_family=0, music_files_per_family=0, sentences=SENTENCES)
    from seed.corpora.synthetic_tts import EspeakData
    data = EspeakData(tmp_path / "espeak", {generated.variant: generated.variant_text})
    utt = synthetic.plan_utterances(options, [generated])[0]
    wav = synthetic.synthesise_utterance(utt, options, data.path_for(generated.variant))
    assert wav.dtype == np.float32 and len(wav) > 16000 and np.max(np.abs(wav)) <= 0.99
    assert np.array_equal(wav, synthetic.synthesise_utterance(utt, options, data.path_for(generated.variant)))


@needs_tts
def test_noise_music_babble_families(tiny):
    db, _ = tiny
    musan = db / "musan"
    assert {p.name for p in (musan / "noise").iterdir()} == set(NOISE_FAMILIES)
    assert {p.name for p in (musan / "music").iterdir()} == set(MUSIC_FAMILIES)
    assert len(NOISE_FAMILIES) >= 6 and {"white", "pink", "brown", "blue", "hum", "clicks"} <= set(NOISE_FAMILIES)
    speech = sorted((musan / "speech").rglob("*.wav"))
    babble_speakers = {p.name for p in (db / "babble").iterdir()}
    assert {p.stem for p in speech} == babble_speakers
    entries = scan_musan(musan)
    counts = {c: sum(e.category == c for e in entries) for c in ("noise", "music", "speech")}
    assert counts == {"noise": len(NOISE_FAMILIES), "music": len(MUSIC_FAMILIES), "speech": TINY["n_babble"]}
    for e in entries:
        wav, rate = soundfile.read(e.path, dtype="float32")
        assert rate == 16000 and wav.ndim == 1
        if e.category != "speech":
            assert 5.0 <= len(wav) / rate <= 20.0, e.path
        assert np.max(np.abs(wav)) <= 0.99 and np.sqrt(np.mean(wav ** 2)) > 0.01, e.path


def test_noise_generators_are_seeded_and_distinct():
    n, sr = 16000 * 2, 16000
    for fams in (NOISE_FAMILIES, MUSIC_FAMILIES):
        for name, gen in fams.items():
            a = gen(np.random.default_rng(1), n, sr)
            b = gen(np.random.default_rng(1), n, sr)
            c = gen(np.random.default_rng(2), n, sr)
            assert a.shape == (n,) and np.array_equal(a, b) and not np.array_equal(a, c), name
            assert np.isfinite(a).all() and np.std(a) > 0, name


@needs_tts
def test_rerun_is_skipped_and_foreign_folder_refused(tiny, tmp_path):
    db, _ = tiny
    marker = json.loads((db / synthetic.MARKER).read_text())
    assert marker["options"]["seed"] == TINY["seed"]
    before = tree_digest(db)
    assert generate_corpus(db, CorpusOptions(**TINY), nj=2, log=lambda *a: None) == {"skipped": True}
    assert tree_digest(db) == before
    foreign = tmp_path / "LibriSpeech"
    (foreign / "train").mkdir(parents=True)
    with pytest.raises(CorpusError, match="not written by make_synthetic_corpus"):
        generate_corpus(foreign, CorpusOptions(**TINY), log=lambda *a: None)
    assert (foreign / "train").is_dir() and not (foreign / synthetic.MARKER).exists()


@needs_tts
def test_changed_options_replace_old_outputs(tmp_path):
    small = dict(TINY, n_train=2, n_babble=1, noise_files_per_family=0, music_files_per_family=0)
    db = tmp_path / "db"
    generate_corpus(db, CorpusOptions(**small), nj=2, log=lambda *a: None)
    generate_corpus(db, CorpusOptions(**dict(small, n_train=1, n_babble=0)), nj=2, log=lambda *a: None)
    assert sorted(p.name for p in (db / "train").iterdir()) == ["1001"]
    assert not (db / "babble").exists()
    assert not list(db.glob(".staging.*")) and not list(db.glob(".old.*"))


def test_missing_tools_error_says_what_to_install(monkeypatch, tmp_path, capsys):
    with pytest.raises(SynthesisError, match=r"espeak-ng and flite not found.*apt-get install espeak-ng flite"):
        check_tools(which=lambda tool: None)
    with pytest.raises(SynthesisError, match=r"^flite not found.*tools/install.sh"):
        check_tools(which=lambda tool: "/usr/bin/espeak-ng" if tool == "espeak-ng" else None)
    monkeypatch.setenv("PATH", str(tmp_path))  # no synthesiser on PATH
    rc = make_synthetic_corpus.main(["--out-dir", str(tmp_path / "db"), "--n-trial-speakers", "2"])
    err = capsys.readouterr().err
    assert rc == 1 and "apt-get install espeak-ng flite" in err and err.count("\n") == 1
    assert not (tmp_path / "db").exists()


def test_bad_options_and_sentence_list(tmp_path):
    path = tmp_path / "sentences.txt"
    path.write_text("# comment\nOne sentence.\n\nAnother one.\nOne sentence.\n")
    with pytest.raises(SeedDataError, match=r"sentences.txt:5: key 'One sentence.': duplicate sentence"):
        load_sentences(path)
    with pytest.raises(SeedDataError, match="cannot read sentence list"):
        load_sentences(tmp_path / "missing.txt")
    with pytest.raises(CorpusError, match="2 sentences for 3 utterances"):
        CorpusOptions(utts_per_speaker=3, sentences=("a", "b")).check()
    with pytest.raises(CorpusError, match="channel"):
        CorpusOptions(channel="loud", sentences=SENTENCES).check()


def test_parse_wav_with_placeholder_sizes():
    """espeak-ng --stdout writes 0x7ffff000 as the data size: the samples present are used."""
    samples = (np.array([0, 1000, -1000, 32767], dtype="<i2")).tobytes()
    header = b"RIFF" + struct.pack("<I", 0x7FFFF024) + b"WAVE" + b"fmt " + struct.pack(
        "<IHHIIHH", 16, 1, 1, 22050, 44100, 2, 16) + b"data" + struct.pack("<I", 0x7FFFF000)
    wav, rate = parse_wav(header + samples, "test")
    assert rate == 22050 and np.allclose(wav, [0, 1000 / 32768, -1000 / 32768, 32767 / 32768])
    with pytest.raises(SynthesisError, match="not a WAV"):
        parse_wav(b"garbage", "test")
