"""Multi-pair training copies: crops, versions sharing offsets, pairs file, determinism, SNRs."""
import json

import numpy as np
import pytest
import soundfile

from seed.bin import make_pairs, simulate_rirs
from seed.data import DataDir, read_audio, read_kv
from seed.simulate import mixing
from seed.simulate.augment import AudioCache, regenerate
from seed.simulate.pools import read_rir_list, scan_musan, scan_rirs_noises, split_pool, write_pool_list

SR = 16000
L = 32240


@pytest.fixture(scope="module")
def setup(shared_data, tmp_path_factory):
    base = tmp_path_factory.mktemp("pairs")
    wav, u2s = {}, {}
    root = shared_data / "librispeech_excerpts" / "train-clean-100"
    for spk_dir in sorted(root.iterdir())[:4]:
        flac = sorted(spk_dir.rglob("*.flac"))[0]
        x, _ = read_audio(flac, end=4.0)
        path = base / "audio" / f"{flac.stem}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        soundfile.write(path, x, SR, subtype="PCM_16")
        wav[flac.stem], u2s[flac.stem] = str(path), spk_dir.name
    short = base / "audio" / "short.wav"                       # shorter than one crop: tiled
    soundfile.write(short, x[: SR], SR, subtype="PCM_16")
    wav["zz-short"], u2s["zz-short"] = str(short), "zz"
    data = DataDir(wav_scp=wav, utt2spk=u2s).write(base / "train")
    talkers = {}
    for spk_dir in sorted(root.iterdir())[4:12]:                 # other speakers, for babble versions
        flac = sorted(spk_dir.rglob("*.flac"))[0]
        talkers[flac.stem] = (str(flac), spk_dir.name)
    babble = DataDir(wav_scp={u: p for u, (p, _) in talkers.items()},
                     utt2spk={u: s for u, (_, s) in talkers.items()}).write(base / "babble")
    noise_train, _ = split_pool(scan_musan(shared_data / "musan_mini"), 0.5, seed=0)
    rir_train, _ = split_pool(scan_rirs_noises(shared_data / "rirs_mini"), 0.5, seed=0)
    assert simulate_rirs.main(["--out-dir", str(base / "rirs"), "--room-classes", "small", "medium",
                               "--num-rooms", "2", "--rirs-per-room", "1", "--seed", "1"]) == 0
    simulated = read_rir_list(base / "rirs" / "rir.list")
    return {"data": data, "noise": write_pool_list(base / "noise_train.list", noise_train),
            "rir": write_pool_list(base / "rir_train.list", rir_train + simulated), "babble": babble}


def run(setup, out, *extra, preset="seed"):
    return make_pairs.main(["--data-dir", str(setup["data"]), "--out-dir", str(out), "--preset", preset,
                            "--noise-list", str(setup["noise"]), "--rir-list", str(setup["rir"]),
                            "--seed", "3", "--num-crops", "2", *extra])


def jsonl(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_seed_preset_copies_pairs_and_crops(setup, tmp_path, capsys):
    assert run(setup, tmp_path / "out") == 0
    out = tmp_path / "out"
    # wrap-padding is recorded per crop and counted (issue 16: it was silent): zz-short's 2 crops
    assert "2 crops wrap-padded from utterances shorter than 32240 samples" in capsys.readouterr().out
    settings = jsonl(out / "simulate.json")[0]
    assert settings["num_crops_wrap_padded"] == 2 and settings["num_utts_wrap_padded"] == 1
    data = DataDir.load(setup["data"])
    got = DataDir.load(out)
    versions = ["clean", "music", "noise", "reverb"]
    expected = sorted(f"{u}-crop{i:03d}-{v}" for u in data.utts for i in range(2) for v in versions)
    assert sorted(got.utt2spk) == expected
    assert all(got.utt2spk[k] == data.utt2spk[k.rsplit("-crop", 1)[0]] for k in got.utt2spk)
    pairs = read_kv(out / "pairs")
    assert set(pairs) == set(expected)
    assert all(t == k.rsplit("-", 1)[0] + "-clean" for k, t in pairs.items())   # target: the clean crop
    assert pairs["zz-short-crop000-clean"] == "zz-short-crop000-clean"           # clean -> clean included
    crops = {c["key"]: c for c in jsonl(out / "crops.jsonl")}
    cache = AudioCache(SR)
    recs = {r["key"]: r for r in jsonl(out / "aug.jsonl")}
    for key, c in crops.items():
        x, _ = soundfile.read(data.wav_scp[c["utt"]], dtype="float32")
        clean, _ = soundfile.read(got.wav_scp[key], dtype="float32")
        assert len(clean) == L
        if c["padded"]:
            assert c["utt"] == "zz-short" and np.array_equal(clean, np.resize(x, L))
        else:
            assert np.array_equal(clean, x[c["offset"]: c["offset"] + L])     # exact crop, offsets recorded
        for v in versions[1:]:
            k = key.replace("-clean", f"-{v}")
            y, _ = soundfile.read(got.wav_scp[k], dtype="float32")
            assert len(y) == L and np.isfinite(y).all()
            np.testing.assert_allclose(regenerate(clean, recs[k], SR, cache), y, atol=1.0 / 32768)
    snrs = [recs[k]["additive"]["snr_db"] for k in recs if recs[k]["version"] == "music"]
    assert all(5 <= s <= 15 for s in snrs) and len(set(snrs)) == len(snrs)
    snrs = [recs[k]["additive"]["snr_db"] for k in recs if recs[k]["version"] == "noise"]
    assert all(0 <= s <= 15 for s in snrs)
    classes = {recs[k]["reverb"]["room_class"] for k in recs if recs[k]["version"] == "reverb"}
    assert classes <= {"real", "small", "medium"} and len(classes) > 1     # any class of the list


def test_pairs_identical_across_job_counts(setup, tmp_path):
    assert run(setup, tmp_path / "a") == 0
    assert run(setup, tmp_path / "b", "--nj", "2") == 0
    for name in ("aug.jsonl", "crops.jsonl", "pairs", "utt2spk", "spk2utt"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    wavs = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a" / "wav").rglob("*.wav"))
    assert len(wavs) == 5 * 2 * 4
    for p in wavs:
        assert (tmp_path / "a" / p).read_bytes() == (tmp_path / "b" / p).read_bytes()


def test_more_crops_keep_the_first_ones(setup, tmp_path):
    assert run(setup, tmp_path / "two") == 0
    assert make_pairs.main(["--data-dir", str(setup["data"]), "--out-dir", str(tmp_path / "three"),
                            "--noise-list", str(setup["noise"]), "--rir-list", str(setup["rir"]),
                            "--seed", "3", "--num-crops", "3"]) == 0
    two = {c["key"]: c for c in jsonl(tmp_path / "two" / "crops.jsonl")}
    three = {c["key"]: c for c in jsonl(tmp_path / "three" / "crops.jsonl")}
    assert all(three[k] == c for k, c in two.items()) and len(three) == 15


def test_kaldi_preset_foreground_noise_and_per_file_snrs(setup, tmp_path):
    assert run(setup, tmp_path / "k", "--num-crops", "1", "--babble-dir", str(setup["babble"]), preset="kaldi") == 0
    got = DataDir.load(tmp_path / "k")
    recs = jsonl(tmp_path / "k" / "aug.jsonl")
    assert {r["version"] for r in recs} == {"clean", "reverb", "noise", "music", "babble"}
    for r in recs:
        if r["version"] != "noise":
            continue
        clean, _ = soundfile.read(got.wav_scp[r["target"]], dtype="float32")
        y, _ = soundfile.read(got.wav_scp[r["key"]], dtype="float32")
        noise = y / r["gain"] - clean
        comps = r["additive"]["components"]
        assert comps[0]["start"] == 0
        level = mixing.active_energy(clean, SR)
        for a, b in zip(comps, comps[1:]):
            assert b["start"] == a["start"] + a["length"] + SR              # 1 s between foreground noises
        for c in comps:
            assert c["snr_db"] in (15, 10, 5, 0)
            seg = noise[c["start"]: c["start"] + c["length"]]
            assert 10 * np.log10(level / mixing.mean_energy(seg)) == pytest.approx(c["snr_db"], abs=0.1)
    babble = [r for r in recs if r["version"] == "babble"]
    assert all(3 <= len(r["additive"]["components"]) <= 7 for r in babble)
    assert all(c["snr_db"] in (20, 17, 15, 13) for r in babble for c in r["additive"]["components"])
    reverb = [r for r in recs if r["version"] == "reverb"]
    assert all(r["reverb"]["room_class"] in ("small", "medium") for r in reverb)   # simulated rooms only


def test_preset_without_noise_list_is_refused(setup, tmp_path):
    with pytest.raises(SystemExit):
        make_pairs.main(["--data-dir", str(setup["data"]), "--out-dir", str(tmp_path / "x"), "--preset", "seed",
                         "--rir-list", str(setup["rir"])])
