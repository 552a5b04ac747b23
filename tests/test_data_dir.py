"""Kaldi data dirs: load/write, validation of broken inputs, fix_data_dir, CLI wrappers."""
import subprocess
import sys

import pytest

from seed.data import DataDir, SeedDataError, fix_data_dir, make_spk2utt, make_utt2spk, read_kv, validate_data_dir


def test_valid_dir_loads_and_round_trips(tiny_data_dir, tmp_path):
    data = validate_data_dir(tiny_data_dir, check_audio=True)
    assert data.utts == sorted(data.utts) and len(data.utts) == 6
    assert data.spk2utt["spkB"] == ["spkB-utt0", "spkB-utt1"]
    out = data.write(tmp_path / "copy")
    assert (out / "spk2utt").read_text() == (tiny_data_dir / "spk2utt").read_text()
    validate_data_dir(out)


def test_utt2spk_spk2utt_round_trip():
    u2s = {"b-1": "b", "a-2": "a", "a-1": "a"}
    s2u = make_spk2utt(u2s)
    assert s2u == {"a": ["a-1", "a-2"], "b": ["b-1"]}
    assert make_utt2spk(s2u) == dict(sorted(u2s.items()))


def test_unsorted_dir_fails_naming_file_and_key(tiny_data_dir):
    lines = (tiny_data_dir / "utt2spk").read_text().splitlines()
    (tiny_data_dir / "utt2spk").write_text("\n".join([lines[1], lines[0]] + lines[2:]) + "\n")
    with pytest.raises(SeedDataError, match=r"utt2spk:2: key 'spkA-utt0': not sorted"):
        validate_data_dir(tiny_data_dir)


def test_duplicate_key_fails_with_line(tiny_data_dir):
    text = (tiny_data_dir / "wav.scp").read_text()
    first = text.splitlines()[0]
    (tiny_data_dir / "wav.scp").write_text(first + "\n" + text)
    with pytest.raises(SeedDataError, match=r"wav.scp:2: key 'spkA-utt0': duplicate key"):
        validate_data_dir(tiny_data_dir)


def test_missing_utterance_and_stale_spk2utt(tiny_data_dir):
    lines = (tiny_data_dir / "wav.scp").read_text().splitlines()
    (tiny_data_dir / "wav.scp").write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(SeedDataError, match=r"key 'spkC-utt1': utterance of utt2spk missing"):
        validate_data_dir(tiny_data_dir)


def test_unreadable_audio_is_named(tiny_data_dir):
    wav = read_kv(tiny_data_dir / "wav.scp")
    with open(wav["spkB-utt0"], "wb") as f:
        f.write(b"not audio")
    validate_data_dir(tiny_data_dir)  # header check only on request
    with pytest.raises(SeedDataError, match=r"key 'spkB-utt0': cannot read audio"):
        validate_data_dir(tiny_data_dir, check_audio=True)


def test_fix_drops_and_reports(tiny_data_dir):
    lines = (tiny_data_dir / "wav.scp").read_text().splitlines()
    # unsorted and missing one utterance; one extra recording not in utt2spk
    (tiny_data_dir / "wav.scp").write_text("\n".join(lines[:-1][::-1] + ["zzz-extra /nowhere.wav"]) + "\n")
    report = fix_data_dir(tiny_data_dir)
    assert report.kept == 5
    assert report.dropped["missing from wav.scp"] == ["spkC-utt1"]
    assert report.dropped["not in utt2spk (removed from the other tables)"] == ["zzz-extra"]
    assert "dropped 2" in report.summary()
    data = validate_data_dir(tiny_data_dir)
    assert data.spk2utt["spkC"] == ["spkC-utt0"]
    assert (tiny_data_dir / ".backup" / "wav.scp").exists()


def test_cli_validate_and_fix(tiny_data_dir):
    ok = subprocess.run([sys.executable, "-m", "seed.bin.validate_data_dir", str(tiny_data_dir)],
                        capture_output=True, text=True)
    assert ok.returncode == 0 and "6 utterances, 3 speakers" in ok.stdout
    (tiny_data_dir / "utt2spk").write_text((tiny_data_dir / "utt2spk").read_text() + "spkD-utt0 spkD\n")
    bad = subprocess.run([sys.executable, "-m", "seed.bin.validate_data_dir", str(tiny_data_dir)],
                         capture_output=True, text=True)
    assert bad.returncode == 1 and "spkD-utt0" in bad.stderr
    fix = subprocess.run([sys.executable, "-m", "seed.bin.fix_data_dir", str(tiny_data_dir)],
                         capture_output=True, text=True)
    assert fix.returncode == 0 and "1 missing from wav.scp" in fix.stdout


def test_segments_subset(tiny_data_dir):
    (tiny_data_dir / "segments").write_text(
        "".join(f"{u} {u} 0.00 0.05\n" for u in read_kv(tiny_data_dir / "utt2spk")))
    data = validate_data_dir(tiny_data_dir)
    assert data.segment_of("spkA-utt0") == ("spkA-utt0", 0.0, 0.05)
    sub = data.subset(["spkA-utt1"])
    assert list(sub.wav_scp) == ["spkA-utt1"]
    with pytest.raises(SeedDataError, match="not in data dir"):
        data.subset(["nobody"])
    assert isinstance(DataDir.load(tiny_data_dir).segments, dict)


def test_fix_keeps_extra_tables_consistent(tiny_data_dir):
    (tiny_data_dir / "text").write_text("".join(f"{u} hello\n" for u in read_kv(tiny_data_dir / "utt2spk")
                                                if u != "spkA-utt1"))
    (tiny_data_dir / "spk2gender").write_text("spkA f\nspkB m\nspkC f\nspkZ m\n")
    report = fix_data_dir(tiny_data_dir)
    assert report.dropped == {"missing from text": ["spkA-utt1"]}
    assert "spkA-utt1" not in read_kv(tiny_data_dir / "text")
    assert list(read_kv(tiny_data_dir / "spk2gender")) == ["spkA", "spkB", "spkC"]
    validate_data_dir(tiny_data_dir)


def test_non_utf8_byte_in_a_table_or_trial_list_is_one_line_naming_file_line_and_key(tmp_path):
    """Issue 16: a non-UTF-8 byte in any Kaldi table gave a UnicodeDecodeError traceback."""
    from seed.data import SeedDataError, read_kv, read_trials, read_voxceleb_trials
    cases = [(read_kv, b"u1 a.wav\nu2 b\xff.wav\n", ":2: key 'u2': not UTF-8: byte 0xff at column 5"),
             (read_kv, b"u\xff1 a.wav\n", ":1: not UTF-8: byte 0xff at column 2"),
             (read_trials, b"a b target\na c non\xe9target\n", ":2: key 'a': not UTF-8: byte 0xe9 at column 8"),
             (read_voxceleb_trials, b"1 a.wav b\x80.wav\n", ":1: key '1': not UTF-8: byte 0x80 at column 10")]
    for i, (reader, data, expected) in enumerate(cases):
        path = tmp_path / f"t{i}"
        path.write_bytes(data)
        with pytest.raises(SeedDataError) as e:
            reader(path)
        assert str(e.value) == f"{path}{expected}"
    (tmp_path / "crlf").write_bytes(b"u1 a.wav\r\nu2 b.wav\r\n")       # universal newlines are kept
    assert read_kv(tmp_path / "crlf") == {"u1": "a.wav", "u2": "b.wav"}


def test_fixing_twice_keeps_what_the_first_fix_started_from(tiny_data_dir):
    """Issue 16: a second fix_data_dir overwrote .backup/, so what the first one dropped survived nowhere."""
    original = (tiny_data_dir / "wav.scp").read_text().splitlines()
    (tiny_data_dir / "wav.scp").write_text("\n".join(original[:-1]) + "\n")        # first fix drops spkC-utt1
    fix_data_dir(tiny_data_dir)
    first = (tiny_data_dir / ".backup" / "utt2spk").read_text()
    assert "spkC-utt1" in first
    (tiny_data_dir / "wav.scp").write_text("\n".join(original[:-2]) + "\n")        # second fix drops spkC-utt0
    fix_data_dir(tiny_data_dir)
    assert (tiny_data_dir / ".backup.1" / "utt2spk").read_text() == first          # the first run's originals
    assert "spkC-utt1" not in (tiny_data_dir / ".backup" / "utt2spk").read_text()
    for _ in range(2):   # the second run's originals are kept once; fixes of an unchanged dir add no copies
        fix_data_dir(tiny_data_dir)
    assert sorted(p.name for p in tiny_data_dir.iterdir() if p.name.startswith(".backup")) == \
        [".backup", ".backup.1", ".backup.2"]


def test_one_problem_is_one_line_and_derived_tables_are_not_reported_twice(tiny_data_dir):
    """Issue 16 (fault table): every validation error was a header line plus problem lines; an empty table or an
    utterance missing from utt2spk also reported what follows from it (spk2utt, the other tables)."""
    lines = (tiny_data_dir / "utt2spk").read_text().splitlines()
    (tiny_data_dir / "utt2spk").write_text("\n".join([lines[1], lines[0]] + lines[2:]) + "\n")
    with pytest.raises(SeedDataError) as e:
        validate_data_dir(tiny_data_dir)
    assert "\n" not in str(e.value)
    assert str(e.value).startswith(f"{tiny_data_dir}: invalid data dir: {tiny_data_dir}/utt2spk:2")
    (tiny_data_dir / "utt2spk").write_text("\n".join(lines[:2] + lines[3:]) + "\n")   # spkB-utt0: wav.scp, spk2utt
    with pytest.raises(SeedDataError) as e:
        validate_data_dir(tiny_data_dir)
    assert str(e.value) == \
        f"{tiny_data_dir}: invalid data dir: {tiny_data_dir}/wav.scp: key 'spkB-utt0': not in utt2spk"
    for name in ("utt2spk", "wav.scp"):
        saved = (tiny_data_dir / name).read_text()
        (tiny_data_dir / name).write_text("")
        with pytest.raises(SeedDataError) as e:
            validate_data_dir(tiny_data_dir)
        assert str(e.value) == f"{tiny_data_dir / name}: invalid data dir: empty (no utterances)"
        (tiny_data_dir / name).write_text(saved)


def test_utt2spk_and_segments_fields_are_checked_when_loading(tiny_data_dir):
    """Issue 16 (fault table): 'utt spk extra' made a speaker 'spk extra' (fix_data_dir then blamed spk2utt);
    a segments start that is not a number was 'could not convert string to float' at extraction; an end before
    the start passed validation."""
    u2s = (tiny_data_dir / "utt2spk").read_text()
    (tiny_data_dir / "utt2spk").write_text(u2s.replace("spkA-utt1 spkA", "spkA-utt1 spkA extra"))
    for call in (DataDir.load, validate_data_dir, fix_data_dir):
        with pytest.raises(SeedDataError, match=r"utt2spk:2: key 'spkA-utt1': expected '<utterance> <speaker>', got 3"):
            call(tiny_data_dir)
    assert not (tiny_data_dir / ".backup").exists()
    (tiny_data_dir / "utt2spk").write_text(u2s)
    utts = list(read_kv(tiny_data_dir / "utt2spk"))
    for bad, match in (("abc 1.0", r"start 'abc' or end '1.0' is not a number"),
                       ("1.5 0.5", r"segment \[1.5, 0.5\] is empty or negative"),
                       ("0.0", r"expected '<utterance> <recording> <start> <end>', got 3 fields")):
        seg = [f"{u} {u} 0.00 0.05" for u in utts]
        seg[2] = f"{utts[2]} {utts[2]} {bad}"
        (tiny_data_dir / "segments").write_text("\n".join(seg) + "\n")
        with pytest.raises(SeedDataError, match=rf"segments:3: key '{utts[2]}': {match}"):
            validate_data_dir(tiny_data_dir)
    seg[2] = f"{utts[2]} {utts[2]} 0.50 -1"          # -1: to the end of the recording
    (tiny_data_dir / "segments").write_text("\n".join(seg) + "\n")
    assert validate_data_dir(tiny_data_dir).segment_of(utts[2]) == (utts[2], 0.5, None)


def test_a_fix_that_would_empty_the_dir_changes_nothing(tiny_data_dir):
    """Issue 16 (fault table): fixing a dir with an empty wav.scp wrote empty tables (exit 1, 'kept 0')."""
    before = {n: (tiny_data_dir / n).read_bytes() for n in ("utt2spk", "spk2utt")}
    (tiny_data_dir / "wav.scp").write_text("")
    with pytest.raises(SeedDataError, match=r"wav.scp: every utterance would be dropped \(6 of utt2spk: 6 missing "
                                            r"from wav.scp\); nothing changed"):
        fix_data_dir(tiny_data_dir)
    assert {n: (tiny_data_dir / n).read_bytes() for n in before} == before and not (tiny_data_dir / ".backup").exists()
    (tiny_data_dir / "utt2spk").write_text("")
    with pytest.raises(SeedDataError, match=r"utt2spk: no utterances; nothing changed"):
        fix_data_dir(tiny_data_dir)
