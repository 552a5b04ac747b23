"""seed.corpora.librispeech / seed.bin.prepare_librispeech on the LibriTTS(-R) layout, and the rate
conversion (seed.corpora.rate): LibriSpeech names keep their ids and files, LibriTTS names get
'-'-joined ids, 24 kHz audio is converted once into OUT/wav, mixed or wrong names are errors."""
import numpy as np
import pytest
import soundfile

from seed.bin import prepare_librispeech
from seed.corpora.librispeech import name_layout, scan_subset
from seed.corpora.rate import expected_frames
from seed.data import SeedDataError, validate_data_dir


def _write(path, seconds, rate):
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(seconds * rate)) / rate
    soundfile.write(path, (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), rate, subtype="PCM_16")


@pytest.fixture
def libritts(tmp_path):
    root = tmp_path / "LibriTTS_R"
    for spk, chapter in (("19", "198"), ("190", "5")):
        for para, sent in ((0, 0), (0, 2), (1, 0)):
            stem = f"{spk}_{chapter}_{para:06d}_{sent:06d}"
            _write(root / "train-clean-100" / spk / chapter / f"{stem}.wav", 0.5 + para * 0.25, 24000)
            (root / "train-clean-100" / spk / chapter / f"{stem}.normalized.txt").write_text("Some text.")
    return root


def test_name_layout():
    assert name_layout("19", "198", "19-198-0001") == "librispeech"
    assert name_layout("19", "198", "19_198_000000_000002") == "libritts"
    assert name_layout("19", "198", "19_198_0001") is None
    assert name_layout("19", "198", "190_198_000000_000002") is None


def test_libritts_ids_are_dash_joined_and_sort_with_speakers(libritts):
    wav_scp, utt2spk = scan_subset(libritts, "train-clean-100")
    assert sorted(utt2spk) == ["19-198-000000-000000", "19-198-000000-000002", "19-198-000001-000000",
                               "190-5-000000-000000", "190-5-000000-000002", "190-5-000001-000000"]
    # '-' sorts before digits: speaker 19's utterances come before speaker 190's, as their ids do
    assert [utt2spk[u] for u in sorted(utt2spk)] == sorted(utt2spk.values())
    assert wav_scp["19-198-000000-000002"].endswith("19/198/19_198_000000_000002.wav")


def test_prepare_libritts_converts_to_16k_once(libritts, tmp_path):
    out = tmp_path / "data"
    args = ["--root", str(libritts), "--subset", "train-clean-100", "--out-dir", str(out)]
    assert prepare_librispeech.main(args) == 0
    data = validate_data_dir(out, check_audio=True)
    assert len(data.utts) == 6 and set(data.spk2utt) == {"19", "190"}
    for utt, path in data.wav_scp.items():
        assert path == str((out / "wav" / data.utt2spk[utt] / f"{utt}.wav").resolve())
        info = soundfile.info(path)
        assert info.samplerate == 16000 and info.subtype == "PCM_16"
    assert data.utt2dur["19-198-000001-000000"] == pytest.approx(0.75, abs=1e-3)
    stamp = (out / "wav" / "19" / "19-198-000000-000000.wav").stat().st_mtime_ns
    assert prepare_librispeech.main(["--root", str(libritts), "--subset", "train-clean-100", "--out-dir", str(out),
                                     "--nj", "2"]) == 0
    assert (out / "wav" / "19" / "19-198-000000-000000.wav").stat().st_mtime_ns == stamp   # not redone
    kept = tmp_path / "kept"
    assert prepare_librispeech.main(["--root", str(libritts), "--subset", "train-clean-100", "--out-dir", str(kept),
                                     "--sample-rate", "0"]) == 0
    assert all(soundfile.info(p).samplerate == 24000 for p in validate_data_dir(kept).wav_scp.values())


def test_librispeech_at_16k_is_used_in_place(shared_data, tmp_path):
    out = tmp_path / "ls"
    assert prepare_librispeech.main(["--root", str(shared_data / "librispeech_excerpts"), "--subset", "test-other",
                                     "--out-dir", str(out)]) == 0
    data = validate_data_dir(out)
    assert not (out / "wav").exists()
    assert all(p.startswith(str((shared_data / "librispeech_excerpts").resolve())) for p in data.wav_scp.values())
    assert all(u == p.rsplit("/", 1)[1][:-len(".flac")] for u, p in data.wav_scp.items())   # ids = stems


def test_layout_errors(libritts, tmp_path):
    with pytest.raises(SeedDataError, match=r"does not start with '19-198-'"):
        scan_subset(libritts, "train-clean-100", layout="librispeech")
    bad = libritts / "train-clean-100" / "19" / "198" / "19-198-0007.wav"
    _write(bad, 0.2, 24000)
    with pytest.raises(SeedDataError, match="one layout per subset"):
        scan_subset(libritts, "train-clean-100")
    bad.unlink()
    _write(libritts / "train-clean-100" / "19" / "198" / "19_199_000000_000000.wav", 0.2, 24000)
    with pytest.raises(SeedDataError, match=r"'19-198-' \(LibriSpeech\) nor match '19_198_<paragraph>_<sentence>'"):
        scan_subset(libritts, "train-clean-100")
    with pytest.raises(ValueError, match="layout must be one of"):
        scan_subset(libritts, "train-clean-100", layout="libri")


def test_expected_frames_is_resample_poly_length():
    from scipy.signal import resample_poly
    for n in (1, 2, 3, 100, 24001, 12345):
        assert expected_frames(n, 24000, 16000) == len(resample_poly(np.zeros(n), 2, 3))
