"""Audio loading and ark/scp embeddings: round trip, atomic writes, errors naming file and key."""
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile

from seed.data import (EmbeddingWriter, SeedDataError, atomic_write, derive_seed, load_audio, load_embedding_dict,
                       load_embeddings, read_audio, save_audio, write_embeddings)


def test_ark_scp_round_trip_vectors_and_matrices(tmp_path):
    rng = np.random.default_rng(1)
    vecs = {f"u{i:03d}": rng.standard_normal(16).astype(np.float32) for i in range(50)}
    n = write_embeddings(tmp_path / "e.ark", tmp_path / "e.scp", vecs.items())
    assert n == 50
    keys, mat = load_embeddings(tmp_path / "e.scp")
    assert keys == list(vecs) and mat.dtype == np.float32 and mat.shape == (50, 16)
    np.testing.assert_array_equal(mat, np.stack(list(vecs.values())))
    crops = {"a": rng.standard_normal((4, 8)), "b": rng.standard_normal((4, 8))}
    write_embeddings(tmp_path / "c.ark", tmp_path / "c.scp", crops.items())
    back = load_embedding_dict(tmp_path / "c.scp")
    np.testing.assert_allclose(back["b"], crops["b"].astype(np.float32))
    with pytest.raises(SeedDataError, match="per-crop"):
        load_embeddings(tmp_path / "c.scp")
    assert load_embeddings(tmp_path / "c.scp", allow_matrix=True)[1].shape == (2, 4, 8)


def test_writer_is_atomic_on_failure(tmp_path):
    with pytest.raises(RuntimeError):
        with EmbeddingWriter(tmp_path / "e.ark", tmp_path / "e.scp") as w:
            w.write("a", np.zeros(3))
            raise RuntimeError("extractor crashed")
    assert os.listdir(tmp_path) == []


def test_writer_rejects_duplicates_and_nan(tmp_path):
    with pytest.raises(SeedDataError, match="key 'a': duplicate"):
        with EmbeddingWriter(tmp_path / "e.ark", tmp_path / "e.scp") as w:
            w.write("a", np.zeros(3))
            w.write("a", np.zeros(3))
    with pytest.raises(SeedDataError, match="key 'b': refusing to write a NaN"):
        write_embeddings(tmp_path / "e.ark", tmp_path / "e.scp", [("b", np.array([np.nan]))])
    assert not (tmp_path / "e.scp").exists()


def test_atomic_write_leaves_old_file_on_error(tmp_path):
    target = tmp_path / "f.txt"
    target.write_text("old\n")
    with pytest.raises(ValueError):
        with atomic_write(target) as f:
            f.write("new")
            raise ValueError
    assert target.read_text() == "old\n" and os.listdir(tmp_path) == ["f.txt"]


def test_audio_load_resample_and_errors(tmp_path):
    t = np.arange(8000) / 8000
    soundfile.write(tmp_path / "a.wav", 0.5 * np.sin(2 * np.pi * 440 * t), 8000)
    wav, rate = read_audio(tmp_path / "a.wav")
    assert rate == 8000 and wav.dtype == np.float32 and wav.shape == (8000,)
    up = load_audio(tmp_path / "a.wav", sample_rate=16000)
    assert up.shape == (16000,)
    spectrum = np.abs(np.fft.rfft(up))
    assert abs(np.argmax(spectrum) - 440) <= 1  # 1 Hz bins for 1 s at 16 kHz
    soundfile.write(tmp_path / "st.wav", np.zeros((100, 2)), 16000)
    with pytest.raises(SeedDataError, match="2 channels"):
        load_audio(tmp_path / "st.wav")
    assert load_audio(tmp_path / "st.wav", mono="mean").shape == (100,)
    soundfile.write(tmp_path / "empty.wav", np.zeros(0), 16000)
    with pytest.raises(SeedDataError, match="empty"):
        load_audio(tmp_path / "empty.wav", key="utt1")
    (tmp_path / "bad.wav").write_bytes(b"RIFFxxxx")
    with pytest.raises(SeedDataError, match=r"bad.wav: key 'u9': cannot read audio"):
        load_audio(tmp_path / "bad.wav", key="u9")
    with pytest.raises(SeedDataError, match="cannot read audio"):
        load_audio(tmp_path / "missing.flac")


def test_save_audio_flac_and_wav(tmp_path, shared_data):
    src = next((shared_data / "librispeech_excerpts" / "test-other").rglob("*.flac"))
    wav = load_audio(src, sample_rate=16000)
    for ext in ("wav", "flac"):
        save_audio(tmp_path / f"x.{ext}", wav, 16000)
        back = load_audio(tmp_path / f"x.{ext}")
        assert np.max(np.abs(back - wav)) < 1.0 / 32767 + 1e-6


def test_save_audio_rounds_to_nearest_int16_and_clips(tmp_path):
    """Issue 16: libsndfile truncated float -> int16 toward -inf (mean error -0.5 LSB)."""
    x = np.random.default_rng(0).uniform(-0.9, 0.9, 50000).astype(np.float32)
    y = soundfile.read(save_audio(tmp_path / "r.wav", x, 16000), dtype="int16")[0].astype(np.float64)
    err = y - x.astype(np.float64) * 32768
    assert abs(err.mean()) < 0.01 and np.abs(err).max() <= 0.5 + 1e-6
    grid = np.arange(-32768, 32768) / 32768                          # exact int16 values survive a round trip
    assert np.array_equal(soundfile.read(save_audio(tmp_path / "g.flac", grid, 16000), dtype="int16")[0],
                          np.arange(-32768, 32768).astype(np.int16))
    clipped = soundfile.read(save_audio(tmp_path / "c.wav", np.array([1.5, 1.0, -1.2]), 16000), dtype="int16")[0]
    assert clipped.tolist() == [32767, 32767, -32768]                 # clipped, never wrapped
    with pytest.raises(SeedDataError, match=r"n.wav.*non-finite"):
        save_audio(tmp_path / "n.wav", np.array([0.1, np.nan]), 16000)
    assert not (tmp_path / "n.wav").exists()


def test_temporaries_of_a_killed_writer_are_removed_by_the_next_write(tmp_path):
    """Issue 16: a SIGKILLed writer left `.embedding.N.ark.PID.tmp` / `.last.pt.PID.tmp` forever."""
    import subprocess
    import sys

    from seed.diffusion.checkpoint import save_checkpoint
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()
    live = str(os.getppid())                      # a running process: a concurrent writer, kept

    def write_text(folder):
        with atomic_write(folder / "t.txt") as f:
            f.write("x")
    targets = {"e.ark": lambda d: write_embeddings(d / "e.ark", d / "e.scp", [("a", np.ones(3))]),
               "last.pt": lambda d: save_checkpoint(d / "last.pt", {"step": 1}),
               "x.wav": lambda d: save_audio(d / "x.wav", np.zeros(10) + 0.1, 16000),
               "t.txt": write_text}
    for name, write in targets.items():
        folder = tmp_path / name.replace(".", "_")   # the killed writer's folder, first written by this process
        folder.mkdir()
        stale = [folder / f".{name}.{dead}.tmp", folder / f".{name}.{dead}.k2j4h_1x.tmp",
                 folder / f".{name}.{dead}.12345678.tmp"]     # mkstemp's X can be all digits
        kept = [folder / f".{name}.{live}.tmp", folder / f".other{name}.{dead}.tmp", folder / f"{name}.{dead}.tmp"]
        for p in stale + kept:
            p.write_bytes(b"partial")
        write(folder)
        assert not any(p.exists() for p in stale), name
        assert all(p.exists() for p in kept), name


def test_a_folder_is_listed_once_per_process_not_once_per_write(tmp_path, monkeypatch):
    """Listing a folder of 16k WAVs on every write made full-size simulation quadratic."""
    import seed.data.atomic as atomic
    calls = []
    real = os.listdir
    monkeypatch.setattr(atomic.os, "listdir", lambda d: calls.append(d) or real(d))
    for i in range(50):
        save_audio(tmp_path / f"u{i}.wav", np.zeros(10) + 0.1, 16000)
        with atomic_write(tmp_path / f"u{i}.txt") as f:
            f.write("x")
    assert [Path(c) for c in calls] == [tmp_path]            # 100 writes, one listing


def test_a_truncated_wav_or_ark_entry_is_refused_not_read_short(tmp_path):
    """Issue 16 (fault table): libsndfile read a cut WAV as a shorter utterance and kaldiio a cut ark
    entry as a shorter vector, both without a word."""
    wav = save_audio(tmp_path / "a.wav", np.full(16000, 0.1), 16000)
    data = wav.read_bytes()
    (tmp_path / "cut.wav").write_bytes(data[:len(data) * 6 // 10])
    assert read_audio(wav)[0].shape == (16000,)
    with pytest.raises(SeedDataError, match=r"cut.wav: key 'u1': truncated WAV: its data chunk declares 32000 bytes"):
        read_audio(tmp_path / "cut.wav", key="u1")
    write_embeddings(tmp_path / "e.ark", tmp_path / "e.scp",
                     [("m", np.ones((3, 4)))] + [(f"k{i}", np.arange(1, 17, dtype=np.float32)) for i in range(3)])
    assert {k: v.shape for k, v in load_embedding_dict(tmp_path / "e.scp").items()}["m"] == (3, 4)
    ark = (tmp_path / "e.ark").read_bytes()
    offsets = [int(line.rsplit(":", 1)[1]) for line in (tmp_path / "e.scp").read_text().splitlines()]
    for cut, key in ((offsets[2] + 30, "k1"), (len(ark) - 8, "k2")):     # inside an entry / inside the last one
        (tmp_path / "e.ark").write_bytes(ark[:cut])
        with pytest.raises(SeedDataError, match=rf"key '{key}': ark entry cut short .* its header declares"):
            load_embedding_dict(tmp_path / "e.scp")
    (tmp_path / "e.ark").write_bytes(ark[:offsets[1] - 8])                # inside the matrix: kaldiio's error
    with pytest.raises(SeedDataError, match=r"key 'm': cannot read the embedding"):
        load_embedding_dict(tmp_path / "e.scp")


def test_derive_seed_stable():
    assert derive_seed(3, "utt1", "noise_snr5") == derive_seed(3, "utt1", "noise_snr5")
    assert derive_seed(3, "utt1", "noise_snr5") != derive_seed(3, "utt1", "noise_snr0")
    # pinned: a change here would silently change every simulated condition of every recipe
    assert derive_seed(3, "utt1", "noise_snr5") == 626336989598627586
    assert 0 <= derive_seed(0) < 2 ** 63


def test_unreadable_ark_entries_name_the_key_and_the_offset(tmp_path):
    """Issue 16: a truncated ark gave an empty reason, a wrong offset a codec message; neither named a key."""
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    write_embeddings(tmp_path / "e.ark", tmp_path / "e.scp", zip(["a", "b", "c"], x))
    ark = (tmp_path / "e.ark").read_bytes()
    (tmp_path / "e.ark").write_bytes(ark[:-5])                                  # truncated in the last entry
    with pytest.raises(SeedDataError) as e:
        load_embedding_dict(tmp_path / "e.scp")
    assert "key 'c'" in str(e.value) and "e.ark:" in str(e.value) and "\n" not in str(e.value)
    (tmp_path / "e.ark").write_bytes(ark)
    lines = (tmp_path / "e.scp").read_text().splitlines()
    key, loc = lines[1].split()
    (tmp_path / "e.scp").write_text("\n".join([lines[0], f"{key} {loc.rsplit(':', 1)[0]}:3", lines[2]]) + "\n")
    with pytest.raises(SeedDataError) as e:                                      # a wrong offset
        load_embedding_dict(tmp_path / "e.scp")
    assert "key 'b'" in str(e.value) and ":3)" in str(e.value)


def test_spk2utt_mismatch_names_the_speaker(tiny_data_dir):
    from seed.data import validate_data_dir
    lines = (tiny_data_dir / "spk2utt").read_text().splitlines()
    (tiny_data_dir / "spk2utt").write_text("\n".join([lines[0], lines[1].rsplit(" ", 1)[0]] + lines[2:]) + "\n")
    with pytest.raises(SeedDataError) as e:
        validate_data_dir(tiny_data_dir)
    assert f"key '{lines[1].split()[0]}': does not match utt2spk" in str(e.value)


def test_degenerate_inputs_have_one_policy_refuse_naming_file_and_key(tiny_data_dir, tmp_path):
    """Issue 16: digitally silent audio was embedded by extract (simulate refused it); an all-zero embedding
    was enhanced and PLDA-scored (train_seed refused it). Every step now refuses both, naming file and key."""
    import subprocess
    import sys
    silent = tmp_path / "wav" / "spkB-utt1.wav"
    soundfile.write(silent, np.zeros(1600, np.float32), 16000)
    r = subprocess.run([sys.executable, "-m", "seed.bin.extract", "--extractor", "resemblyzer", "--data-dir",
                        tiny_data_dir, "--out-dir", tmp_path / "emb", "--nj", "1", "--no-progress"],
                       capture_output=True, text=True)
    assert r.returncode == 1 and f"{silent}: key 'spkB-utt1': audio is digital silence" in r.stderr
    assert not (tmp_path / "emb" / "embedding.scp").exists()
    x = np.ones((3, 4), np.float32)
    x[1] = 0
    write_embeddings(tmp_path / "z.ark", tmp_path / "z.scp", zip(["a", "b", "c"], x))
    with pytest.raises(SeedDataError, match=r"z\.scp: key 'b': embedding is all zeros"):
        load_embedding_dict(tmp_path / "z.scp")
    crops = np.ones((2, 3, 4), np.float32)
    crops[1, 2] = 0                                              # one all-zero crop row is degenerate too
    write_embeddings(tmp_path / "c.ark", tmp_path / "c.scp", zip(["a", "b"], crops))
    with pytest.raises(SeedDataError, match="key 'b': embedding is all zeros"):
        load_embedding_dict(tmp_path / "c.scp")
