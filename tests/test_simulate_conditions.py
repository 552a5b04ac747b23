"""Test conditions end to end on real speech, noise, music and measured RIRs (../shared/data).

Checks the "Done when" list of the simulation issue: SNR of the written mixtures within 0.1 dB,
identical bytes across runs and job counts, babble never from the evaluated speakers, bad inputs
handled as documented, same utterance ids as the clean set, every draw recorded.
"""
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile

from seed.bin import simulate
from seed.data import DataDir, read_audio, read_kv
from seed.simulate import mixing
from seed.simulate.augment import AudioCache, regenerate
from seed.simulate.conditions import PRESETS, parse_condition
from seed.simulate.pools import scan_musan, scan_rirs_noises, split_pool, write_pool_list

SR = 16000
SECONDS = 3.0


def _excerpt_dir(root, subset, out, speakers, utts_per_speaker):
    """A data dir of real LibriSpeech speech cut to SECONDS (16-bit WAV), `speakers` x `utts`."""
    wav, u2s = {}, {}
    for spk_dir in sorted((root / subset).iterdir())[:speakers]:
        for flac in sorted(spk_dir.rglob("*.flac"))[:utts_per_speaker]:
            utt = flac.stem
            x, _ = read_audio(flac, end=SECONDS)
            path = out / "audio" / f"{utt}.wav"
            path.parent.mkdir(parents=True, exist_ok=True)
            soundfile.write(path, x, SR, subtype="PCM_16")
            wav[utt], u2s[utt] = str(path), spk_dir.name
    DataDir(wav_scp=wav, utt2spk=u2s).write(out / "data")
    return out / "data"


@pytest.fixture(scope="module")
def setup(shared_data, tmp_path_factory):
    base = tmp_path_factory.mktemp("sim")
    ls = shared_data / "librispeech_excerpts"
    clean = _excerpt_dir(ls, "test-other", base / "test", speakers=3, utts_per_speaker=2)
    u2s = read_kv(clean / "utt2spk")
    utts = list(u2s)
    (clean / "trials").write_text("".join(f"{a} {b} {'target' if u2s[a] == u2s[b] else 'nontarget'}\n"
                                          for i, a in enumerate(utts) for b in utts[i + 1:]))
    babble = _excerpt_dir(ls, "train-clean-100", base / "babble", speakers=8, utts_per_speaker=1)
    noise_train, noise_test = split_pool(scan_musan(shared_data / "musan_mini"), 0.5, seed=0)
    rir_train, rir_test = split_pool(scan_rirs_noises(shared_data / "rirs_mini"), 0.5, seed=0)
    lists = {}
    for name, entries in (("noise_train", noise_train), ("noise_test", noise_test), ("rir_train", rir_train),
                          ("rir_test", rir_test)):
        lists[name] = write_pool_list(base / f"{name}.list", entries)
    return {"base": base, "clean": clean, "babble": babble, **lists}


def run(setup, condition, out, *extra, data=None):
    argv = ["--data-dir", str(data or setup["clean"]), "--out-dir", str(out), "--condition", condition,
            "--noise-list", str(setup["noise_test"]), "--rir-list", str(setup["rir_test"]), "--seed", "7", *extra]
    return simulate.main(argv)


def records(out):
    return {r["utt"]: r for r in map(json.loads, (Path(out) / "aug.jsonl").read_text().splitlines())}


def speech_in_mixture(x, rec, cache):
    """The (possibly reverberant) speech as it is inside the mixture, rebuilt from the record."""
    s = np.asarray(x, dtype=np.float64)
    if rec.get("reverb"):
        h, d = mixing.prepare_rir(cache.rir(rec["reverb"]["rir"]))
        s = mixing.reverberate(s, h, d)
    return s


@pytest.mark.parametrize("condition", ["noise_snr5", "music_snr0", "babble_snr10", "reverb_noise_snr-2.5",
                                       "noise_snr20"])
def test_written_mixtures_have_the_requested_snr(setup, condition, tmp_path):
    extra = ["--babble-dir", str(setup["babble"])] if condition.startswith("babble") else []
    assert run(setup, condition, tmp_path / "out", *extra) == 0
    target = float(condition.rsplit("snr", 1)[1])
    clean = DataDir.load(setup["clean"])
    out = DataDir.load(tmp_path / "out")
    cache = AudioCache(SR)
    for utt, rec in records(tmp_path / "out").items():
        x, _ = soundfile.read(clean.wav_scp[utt], dtype="float32")
        y, _ = soundfile.read(out.wav_scp[utt], dtype="float32")
        s = speech_in_mixture(x, rec, cache)
        noise = y / rec["gain"] - s
        assert mixing.measured_snr(s, noise, SR) == pytest.approx(target, abs=0.1), utt
        assert rec["additive"]["snr_db"] == target


def test_same_utterance_ids_audio_next_to_it_and_records(setup, tmp_path):
    assert run(setup, "reverb_noise_snr5", tmp_path / "out") == 0
    clean, out = DataDir.load(setup["clean"]), DataDir.load(tmp_path / "out")
    assert list(out.wav_scp) == list(clean.wav_scp)
    assert out.utt2spk == clean.utt2spk
    assert (tmp_path / "out" / "spk2utt").read_text() == (setup["clean"] / "spk2utt").read_text()
    assert (tmp_path / "out" / "trials").read_text() == (setup["clean"] / "trials").read_text()
    cache = AudioCache(SR)
    for utt, path in out.wav_scp.items():
        assert Path(path).is_absolute() and Path(path).is_relative_to(tmp_path / "out" / "wav")
        info = soundfile.info(path)
        assert info.subtype == "PCM_16" and info.samplerate == SR
        x, _ = soundfile.read(clean.wav_scp[utt], dtype="float32")
        y, _ = soundfile.read(path, dtype="float32")
        assert len(y) == len(x) and np.isfinite(y).all()
        rec = records(tmp_path / "out")[utt]
        assert rec["condition"] == "reverb_noise_snr5" and rec["reverb"]["room_class"] == "real"
        assert rec["additive"]["components"][0]["file"] in setup["noise_test"].read_text()
        # The record alone regenerates the file (to 16-bit rounding).
        np.testing.assert_allclose(regenerate(x, rec, SR, cache), y, atol=1.0 / 32768)
    settings = json.loads((tmp_path / "out" / "simulate.json").read_text())
    assert settings["condition"] == "reverb_noise_snr5" and settings["seed"] == 7
    assert read_kv(tmp_path / "out" / "utt2dur")[clean.utts[0]] == f"{SECONDS:.3f}"


def test_reverb_output_is_aligned_on_the_direct_path(setup, tmp_path):
    """An impulse at t0 comes out with its (direct-path) peak still at t0: no delay, same length."""
    x = np.zeros(SR, dtype=np.float32)
    x[8000] = 0.5
    wav = {}
    for i in range(6):    # several utterances, so several of the measured RIRs are drawn
        wav[f"s-click{i}"] = str(tmp_path / f"click{i}.wav")
        soundfile.write(wav[f"s-click{i}"], x, SR, subtype="PCM_16")
    data = DataDir(wav_scp=wav, utt2spk={u: "s" for u in wav}).write(tmp_path / "data")
    assert run(setup, "reverb_real", tmp_path / "out", data=data) == 0
    out = DataDir.load(tmp_path / "out")
    rirs = set()
    for utt, rec in records(tmp_path / "out").items():
        y, _ = soundfile.read(out.wav_scp[utt])
        assert len(y) == SR and int(np.argmax(np.abs(y))) == 8000, utt
        h, _ = soundfile.read(rec["reverb"]["rir"], always_2d=True)
        assert rec["reverb"]["direct_index"] == int(np.argmax(np.abs(h[:, 0])))
        rirs.add(rec["reverb"]["rir"])
    assert len(rirs) > 1


def test_identical_bytes_across_runs_and_job_counts(setup, tmp_path):
    outs = [tmp_path / "nj1", tmp_path / "nj3", tmp_path / "again"]
    assert run(setup, "reverb_noise_snr0", outs[0]) == 0
    assert run(setup, "reverb_noise_snr0", outs[1], "--nj", "3") == 0      # through utils/run.pl
    assert run(setup, "reverb_noise_snr0", outs[2]) == 0
    assert (outs[1] / "log" / "simulate.3.log").is_file()
    files = sorted(p.relative_to(outs[0]) for p in outs[0].rglob("*") if p.is_file())
    assert any(str(p).startswith("wav/") for p in files)
    for other in outs[1:]:
        assert sorted(p.relative_to(other) for p in other.rglob("*") if p.is_file() and "log" not in p.parts) == files
        for p in files:
            a, b = (outs[0] / p).read_bytes(), (other / p).read_bytes()
            if p.name in ("wav.scp", "simulate.json"):   # absolute paths of the output dir
                a, b = a.replace(str(outs[0]).encode(), b""), b.replace(str(other).encode(), b"")
            assert a == b, p
    assert not (outs[1] / ".shards").exists()
    # Another seed or condition draws differently.
    assert run(setup, "reverb_noise_snr5", tmp_path / "snr5") == 0
    assert records(tmp_path / "snr5") != records(outs[0])


def test_babble_talkers_are_never_evaluated_speakers(setup, tmp_path):
    assert run(setup, "babble_snr5", tmp_path / "out", "--babble-dir", str(setup["babble"])) == 0
    evaluated = set(DataDir.load(setup["clean"]).utt2spk.values())
    babble = DataDir.load(setup["babble"]).utt2spk
    for rec in records(tmp_path / "out").values():
        comps = rec["additive"]["components"]
        assert 3 <= len(comps) <= 7
        speakers = [c["speaker"] for c in comps]
        assert len(set(speakers)) == len(speakers)                # distinct talkers
        assert not set(speakers) & evaluated
        assert all(babble[c["key"]] == c["speaker"] for c in comps)
    # Babble taken from the evaluated set itself is refused before anything is written.
    assert run(setup, "babble_snr5", tmp_path / "bad", "--babble-dir", str(setup["clean"])) == 1
    assert not (tmp_path / "bad" / "wav.scp").exists()


def _bad_inputs(base):
    """One good utterance and one of each documented bad input."""
    good, _ = read_audio(sorted((base / "test" / "audio").glob("*.wav"))[0])
    d = base / "bad"
    d.mkdir(exist_ok=True)
    files = {
        "spk1-good": (good, SR, 1),
        "spk1-empty": (np.zeros(0, dtype=np.float32), SR, 1),
        "spk1-silent": (np.zeros(SR, dtype=np.float32), SR, 1),
        "spk1-stereo": (np.stack([good, good], axis=1), SR, 2),
        "spk1-rate8k": (good[::2], 8000, 1),
    }
    wav = {}
    for utt, (x, rate, _) in files.items():
        wav[utt] = str(d / f"{utt}.wav")
        soundfile.write(wav[utt], x, rate, subtype="PCM_16")
    wav["spk1-missing"] = str(d / "missing.wav")
    return wav


@pytest.mark.parametrize("bad,message", [("spk1-missing", "cannot read audio"), ("spk1-empty", "audio is empty"),
                                         ("spk1-silent", "digital silence"), ("spk1-stereo", "2 channels"),
                                         ("spk1-rate8k", "sample rate 8000 Hz, expected 16000")])
def test_bad_input_is_a_clear_error_naming_file_and_key(setup, tmp_path, capsys, bad, message):
    wav = _bad_inputs(setup["base"])
    data = DataDir(wav_scp={u: wav[u] for u in ("spk1-good", bad)},
                   utt2spk={"spk1-good": "spk1", bad: "spk1"}).write(tmp_path / "data")
    assert run(setup, "noise_snr5", tmp_path / "out", data=data) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]      # after the progress bar: one line
    assert err.startswith(f"simulate: {wav[bad]}: key '{bad}': ") and message in err
    assert not (tmp_path / "out" / "wav.scp").exists()


def test_bad_inputs_skipped_are_counted_and_listed(setup, tmp_path, capsys):
    wav = _bad_inputs(setup["base"])
    data = DataDir(wav_scp=wav, utt2spk={u: "spk1" for u in wav}).write(tmp_path / "data")
    assert run(setup, "noise_snr5", tmp_path / "out", "--on-bad-input", "skip", data=data) == 0
    assert "1 utterances, 5 skipped" in capsys.readouterr().out
    skipped = read_kv(tmp_path / "out" / "skipped")
    assert sorted(skipped) == sorted(u for u in wav if u != "spk1-good")
    assert "digital silence" in skipped["spk1-silent"]
    assert list(read_kv(tmp_path / "out" / "wav.scp")) == ["spk1-good"]
    assert json.loads((tmp_path / "out" / "simulate.json").read_text())["num_skipped"] == 5


@pytest.mark.parametrize("audio_format", ["wav", "flac"])
def test_clean_condition_is_a_lossless_copy(setup, tmp_path, audio_format):
    assert run(setup, "clean", tmp_path / "out", "--audio-format", audio_format) == 0
    clean, out = DataDir.load(setup["clean"]), DataDir.load(tmp_path / "out")
    for utt in clean.utts:
        assert out.wav_scp[utt].endswith(f".{audio_format}")
        assert soundfile.info(out.wav_scp[utt]).subtype == "PCM_16"
        a, _ = soundfile.read(clean.wav_scp[utt], dtype="int16")
        b, _ = soundfile.read(out.wav_scp[utt], dtype="int16")
        assert np.array_equal(a, b)
    assert all(r["gain"] == 1.0 and "additive" not in r for r in records(tmp_path / "out").values())


def test_clipping_is_avoided_by_a_recorded_gain(setup, tmp_path):
    x, _ = read_audio(sorted((setup["base"] / "test" / "audio").glob("*.wav"))[0])
    loud = tmp_path / "loud.wav"
    soundfile.write(loud, 0.98 * x / np.max(np.abs(x)), SR, subtype="PCM_16")
    data = DataDir(wav_scp={"s-loud": str(loud)}, utt2spk={"s-loud": "s"}).write(tmp_path / "data")
    assert run(setup, "noise_snr-5", tmp_path / "out", data=data) == 0
    rec = records(tmp_path / "out")["s-loud"]
    assert rec["gain"] < 1.0
    y, _ = soundfile.read(DataDir.load(tmp_path / "out").wav_scp["s-loud"], dtype="float32")
    assert np.max(np.abs(y)) == pytest.approx(mixing.PEAK_LIMIT, abs=1.5 / 32768)
    xs, _ = soundfile.read(loud, dtype="float32")
    np.testing.assert_allclose(regenerate(xs, rec, SR, AudioCache(SR)), y, atol=1.0 / 32768)


def test_test_pools_checked_against_training_pools(setup, tmp_path, capsys):
    args = ["--exclude-pool", str(setup["noise_train"])]
    assert run(setup, "noise_snr5", tmp_path / "ok", *args) == 0
    argv = ["--data-dir", str(setup["clean"]), "--out-dir", str(tmp_path / "bad"), "--condition", "noise_snr5",
            "--noise-list", str(setup["noise_train"]), "--seed", "7", *args]
    assert simulate.main(argv) == 1
    assert "in both the excluded" in capsys.readouterr().err


def test_condition_names_and_missing_lists(setup, tmp_path):
    assert parse_condition("reverb_noise_snr5").reverb.room_classes is None
    assert parse_condition("noise_snr-2.5").additive.snr.values == (-2.5,)
    assert parse_condition("babble_snr13").additive.count == (3, 7)
    for bad in ("noise", "noise_snr", "reverb_huge", "babble_snr5db", "Noise_snr5"):
        with pytest.raises(ValueError, match="unknown condition"):
            parse_condition(bad)
    with pytest.raises(SystemExit):
        simulate.main(["--data-dir", str(setup["clean"]), "--out-dir", str(tmp_path / "o"),
                       "--condition", "reverb_small"])                      # no --rir-list
    # A class missing from the RIR list is a clear error before any audio is written.
    assert run(setup, "reverb_small", tmp_path / "o") == 1
    assert not (tmp_path / "o" / "wav").exists()


def test_a_sample_rate_below_one_is_an_option_error(setup, tmp_path, capsys):
    """Issue 16 (fault table): --sample-rate 0 blamed every input file ('sample rate 16000 Hz, expected 0 Hz')."""
    with pytest.raises(SystemExit) as e:
        simulate.main(["--data-dir", str(setup["clean"]), "--out-dir", str(tmp_path / "o"), "--condition", "clean",
                       "--sample-rate", "0"])
    assert e.value.code == 2 and "--sample-rate must be >= 1 Hz, got 0" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_presets_carry_the_documented_values():
    seed = {r.name: r for r in PRESETS["seed"]}
    assert list(seed) == ["clean", "music", "noise", "reverb"]          # babble off in the paper
    assert seed["music"].additive.snr.values == (5.0, 15.0) and seed["music"].additive.count == (1, 1)
    assert seed["noise"].additive.snr.values == (0.0, 15.0)
    kaldi = {r.name: r for r in PRESETS["kaldi"]}
    assert kaldi["noise"].additive.placement == "foreground" and kaldi["noise"].additive.snr.values == (15, 10, 5, 0)
    assert kaldi["music"].additive.snr.values == (15, 10, 8, 5)
    assert kaldi["babble"].additive.count == (3, 7) and kaldi["babble"].additive.snr.values == (20, 17, 15, 13)
    assert kaldi["reverb"].reverb.room_classes == ("small", "medium")
    espnet = {r.name: r for r in PRESETS["espnet"]}
    assert espnet["speech"].additive.count == (4, 7) and espnet["speech"].additive.snr.values == (13, 20)
    wespeaker = {r.name: r for r in PRESETS["wespeaker"]}
    assert wespeaker["speech"].additive.snr.values == (10, 30)
    for versions in PRESETS.values():
        assert versions[0].name == "clean" and versions[0].reverb is None and versions[0].additive is None
