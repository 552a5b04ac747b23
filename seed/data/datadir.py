"""Kaldi data directories: load, write, validate and fix.

A data dir is the contract between stages (docs/ARCHITECTURE.md): `wav.scp`, `utt2spk`,
`spk2utt`, optionally `utt2dur` and `segments`. Keys are sorted in C order and consistent.
"""
import dataclasses
import shutil
from pathlib import Path

from seed.data.errors import SeedDataError
from seed.data.kvfile import c_sorted, read_kv, write_kv

# Extra tables fix_data_dir keeps consistent, by what they are keyed on (Kaldi's conventions).
EXTRA_UTT_TABLES = ("text", "utt2num_samples", "utt2lang", "utt2uniq", "utt2category", "utt2warp")
EXTRA_SPK_TABLES = ("spk2gender",)
EXTRA_RECO_TABLES = ("reco2dur", "reco2file_and_channel", "reco2num_samples")


def make_spk2utt(utt2spk):
    """spk → list of utts, speakers and utterances in C order."""
    out = {}
    for utt in c_sorted(utt2spk):
        out.setdefault(utt2spk[utt], []).append(utt)
    return {spk: out[spk] for spk in c_sorted(out)}


def make_utt2spk(spk2utt):
    """utt → spk; an utterance listed under two speakers is an error."""
    out = {}
    for spk, utts in spk2utt.items():
        for utt in utts:
            if utt in out:
                raise SeedDataError("spk2utt", f"utterance listed under speakers '{out[utt]}' and '{spk}'", key=utt)
            out[utt] = spk
    return {u: out[u] for u in c_sorted(out)}


@dataclasses.dataclass
class DataDir:
    """In-memory view of a Kaldi data dir (all tables keyed by utterance, except spk2utt)."""
    wav_scp: dict
    utt2spk: dict
    utt2dur: dict = None
    segments: dict = None
    path: Path = None

    @property
    def spk2utt(self):
        return make_spk2utt(self.utt2spk)

    @property
    def utts(self):
        return c_sorted(self.utt2spk)

    @property
    def recordings(self):
        """recording-id → path; with `segments` the wav.scp keys are recordings, not utterances."""
        return self.wav_scp

    def segment_of(self, utt):
        """(recording, start_s, end_s or None) of an utterance; whole recording without segments."""
        if self.segments is None:
            return utt, 0.0, None
        rec, start, end = self.segments[utt].split()
        end = float(end)
        return rec, float(start), (None if end < 0 else end)

    def wav_path(self, utt):
        rec = self.segment_of(utt)[0]
        return self.wav_scp[rec]

    @classmethod
    def load(cls, path):
        path = Path(path)
        if not path.is_dir():
            raise SeedDataError(path, "data dir not found")
        wav_scp = read_kv(path / "wav.scp")
        utt2spk = read_utt2spk(path / "utt2spk")
        utt2dur = read_kv(path / "utt2dur") if (path / "utt2dur").exists() else None
        if utt2dur is not None:
            for k, v in utt2dur.items():
                try:
                    utt2dur[k] = float(v)
                except ValueError:
                    raise SeedDataError(path / "utt2dur", f"duration '{v}' is not a number", key=k) from None
        segments = read_segments(path / "segments") if (path / "segments").exists() else None
        return cls(wav_scp=wav_scp, utt2spk=utt2spk, utt2dur=utt2dur, segments=segments, path=path)

    def write(self, path):
        """Write every table atomically; spk2utt is derived from utt2spk, never edited by hand."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        write_kv(path / "wav.scp", self.wav_scp)
        write_kv(path / "utt2spk", self.utt2spk)
        write_kv(path / "spk2utt", {s: " ".join(u) for s, u in self.spk2utt.items()})
        for name in ("utt2dur", "segments"):
            table = getattr(self, name)
            if table is not None:
                write_kv(path / name, {k: (f"{v:.3f}" if isinstance(v, float) else v) for k, v in table.items()})
        return path

    def subset(self, utts):
        """A data dir restricted to `utts` (unknown ids are an error, not silently skipped)."""
        utts = set(utts)
        missing = utts - set(self.utt2spk)
        if missing:
            raise SeedDataError(self.path or "<data dir>", "utterance not in data dir", key=sorted(missing)[0])
        u2s = {u: s for u, s in self.utt2spk.items() if u in utts}
        if self.segments is None:
            wav = {u: p for u, p in self.wav_scp.items() if u in utts}
            seg = None
        else:
            seg = {u: v for u, v in self.segments.items() if u in utts}
            recs = {v.split()[0] for v in seg.values()}
            wav = {r: p for r, p in self.wav_scp.items() if r in recs}
        dur = None if self.utt2dur is None else {u: d for u, d in self.utt2dur.items() if u in utts}
        return DataDir(wav_scp=wav, utt2spk=u2s, utt2dur=dur, segments=seg)


def read_utt2spk(path):
    """utt2spk with exactly one speaker per line: `utt spk extra` would otherwise make a speaker 'spk extra'."""
    table = read_kv(path)
    for lineno, (utt, spk) in enumerate(table.items(), 1):   # read_kv refuses blank lines: line = position
        if len(spk.split()) != 1:
            raise SeedDataError(path, f"expected '<utterance> <speaker>', got {len(spk.split()) + 1} fields",
                                line=lineno, key=utt)
    return table


def read_segments(path):
    """segments lines `<utt> <recording> <start> <end>` with 0 <= start < end (end -1: to the end of the
    recording); anything else would fail later in a reader that names neither the table nor the line."""
    table = read_kv(path)
    for lineno, (utt, value) in enumerate(table.items(), 1):
        fields = value.split()
        if len(fields) != 3:
            raise SeedDataError(path, f"expected '<utterance> <recording> <start> <end>', got {len(fields) + 1} "
                                "fields", line=lineno, key=utt)
        try:
            start, end = float(fields[1]), float(fields[2])
        except ValueError:
            raise SeedDataError(path, f"start '{fields[1]}' or end '{fields[2]}' is not a number", line=lineno,
                                key=utt) from None
        if not (start >= 0 and (end == -1 or end > start)):
            raise SeedDataError(path, f"segment [{fields[1]}, {fields[2]}] is empty or negative (need 0 <= start "
                                "< end, or end -1)", line=lineno, key=utt)
    return table


def _check_sorted_unique(path, keys, problems):
    prev = None
    for lineno, key in enumerate(keys, 1):
        if prev is not None and key.encode() <= prev.encode():
            problems.append(f"{path}:{lineno}: key '{key}': not sorted in C order (after '{prev}'); run utils/fix_data_dir.sh")
            return
        prev = key


def validate_data_dir(path, check_audio=False, require_utt2dur=False):
    """Check a data dir; raise SeedDataError listing every problem, one line each.

    Returns the loaded DataDir when valid. `check_audio` opens every file's header.
    """
    path = Path(path)
    problems = []
    try:
        data = DataDir.load(path)
    except SeedDataError as e:
        raise SeedDataError(path, f"cannot load data dir: {e}") from None
    for name, table in (("utt2spk", data.utt2spk), ("wav.scp", data.wav_scp)):
        if not table:    # the one problem: every cross-table check would only repeat it
            raise SeedDataError(path / name, "invalid data dir: empty (no utterances)")
    tables = {"wav.scp": data.wav_scp, "utt2spk": data.utt2spk}
    if data.utt2dur is not None:
        tables["utt2dur"] = data.utt2dur
    if data.segments is not None:
        tables["segments"] = data.segments
    for name, table in tables.items():
        _check_sorted_unique(path / name, list(table), problems)
    utts = set(data.utt2spk)
    before_cross = len(problems)
    if data.segments is None:
        for name, keys in (("wav.scp", set(data.wav_scp)),):
            for k in c_sorted(keys - utts)[:3]:
                problems.append(f"{path / name}: key '{k}': not in utt2spk")
            for k in c_sorted(utts - keys)[:3]:
                problems.append(f"{path / name}: key '{k}': utterance of utt2spk missing here")
    else:
        for k in c_sorted(utts ^ set(data.segments))[:3]:
            problems.append(f"{path / 'segments'}: key '{k}': segments and utt2spk disagree")
        for u, v in data.segments.items():   # the fields were checked by DataDir.load (check_segment)
            if v.split()[0] not in data.wav_scp:
                problems.append(f"{path / 'segments'}: key '{u}': recording '{v.split()[0]}' is not in wav.scp")
                break
    if data.utt2dur is not None:
        for k in c_sorted(utts ^ set(data.utt2dur))[:3]:
            problems.append(f"{path / 'utt2dur'}: key '{k}': utt2dur and utt2spk disagree")
    elif require_utt2dur:
        problems.append(f"{path / 'utt2dur'}: file missing")
    spk2utt_file = path / "spk2utt"
    if not spk2utt_file.exists():
        problems.append(f"{spk2utt_file}: file missing")
    elif len(problems) == before_cross:   # spk2utt is derived from utt2spk: compared once the utterance tables
        try:                              # agree (a missing utterance would otherwise be reported twice)
            on_disk = {s: v.split() for s, v in read_kv(spk2utt_file).items()}
        except SeedDataError as e:
            problems.append(str(e))
        else:
            if on_disk != data.spk2utt:
                bad = next(s for s in c_sorted(set(on_disk) | set(data.spk2utt)) if on_disk.get(s) != data.spk2utt.get(s))
                problems.append(f"{spk2utt_file}: key '{bad}': does not match utt2spk (spk2utt lists "
                                f"{len(on_disk.get(bad, []))} utterance(s), utt2spk {len(data.spk2utt.get(bad, []))}; "
                                "regenerate with utils/utt2spk_to_spk2utt.pl)")
    for u, s in data.utt2spk.items():
        if not s:
            problems.append(f"{path / 'utt2spk'}: key '{u}': empty speaker")
    if check_audio and not problems:
        import soundfile
        for rec, wav in data.wav_scp.items():
            if wav.rstrip().endswith("|"):
                continue  # Kaldi pipe commands cannot be checked without running them
            try:
                info = soundfile.info(wav)
                if info.frames == 0:
                    problems.append(f"{path / 'wav.scp'}: key '{rec}': audio file {wav} is empty")
            except Exception as e:  # soundfile raises several types for unreadable files
                reason = " ".join(str(e).split())
                problems.append(f"{path / 'wav.scp'}: key '{rec}': cannot read audio {wav}: {reason}")
    if len(problems) == 1:
        raise SeedDataError(path, f"invalid data dir: {problems[0]}")
    if problems:
        raise SeedDataError(path, f"invalid data dir ({len(problems)} problems):\n" + "\n".join(problems))
    return data


@dataclasses.dataclass
class FixReport:
    kept: int
    dropped: dict  # reason → list of utterance ids

    def summary(self):
        n = sum(len(v) for v in self.dropped.values())
        lines = [f"fix_data_dir: kept {self.kept} utterances, dropped {n}"]
        for reason, utts in self.dropped.items():
            lines.append(f"  {len(utts)} {reason} (e.g. {', '.join(utts[:3])})")
        return "\n".join(lines)


def back_up_tables(path):
    """Copy the data dir's tables into `path/.backup/`. A `.backup/` that holds OTHER tables (what an
    earlier fix started from) is first renamed to `.backup.N` (the next free N), so no run's originals are
    ever overwritten; one that holds the same tables is refreshed in place (repeated fixes of a clean
    dir do not pile up copies). Returns the backup folder."""
    names = [n for n in ("wav.scp", "utt2spk", "spk2utt", "segments", "utt2dur") + EXTRA_UTT_TABLES
             + EXTRA_SPK_TABLES + EXTRA_RECO_TABLES if (path / n).exists()]
    bdir = path / ".backup"
    if bdir.is_dir():
        old = sorted(p.name for p in bdir.iterdir() if p.is_file())
        same = old == sorted(names) and all((bdir / n).read_bytes() == (path / n).read_bytes() for n in names)
        if not same:
            n = 1
            while (path / f".backup.{n}").exists():
                n += 1
            bdir.rename(path / f".backup.{n}")
    bdir.mkdir(exist_ok=True)
    for name in names:
        shutil.copy2(path / name, bdir / name)
    return bdir


def fix_data_dir(path, backup=True):
    """Sort every table in C order and keep only utterances present in every table.

    Prints nothing itself; the returned FixReport says how many were dropped and why, so a
    caller can never drop data silently. The old tables are kept in `.backup/` when `backup`
    (an earlier, different backup is kept as `.backup.N`: see back_up_tables). A fix that would
    leave no utterance is refused (SeedDataError naming the table) before anything is changed.
    """
    path = Path(path)
    wav_scp = read_kv(path / "wav.scp")
    utt2spk = read_utt2spk(path / "utt2spk")
    segments = read_segments(path / "segments") if (path / "segments").exists() else None
    utt2dur = read_kv(path / "utt2dur") if (path / "utt2dur").exists() else None
    dropped = {}
    keep = set(utt2spk)
    first_table = []   # the table that lacked the first dropped utterances

    def drop(reason, utts, table):
        utts = c_sorted(set(utts) & keep)
        if utts:
            dropped.setdefault(reason, []).extend(utts)
            keep.difference_update(utts)
            first_table.append(table)

    if segments is None:
        drop("missing from wav.scp", set(utt2spk) - set(wav_scp), "wav.scp")
    else:
        drop("missing from segments", set(utt2spk) - set(segments), "segments")
        drop("whose recording is missing from wav.scp",
             [u for u, v in segments.items() if v.split()[0] not in wav_scp], "wav.scp")
    if utt2dur is not None:
        drop("missing from utt2dur", set(utt2spk) - set(utt2dur), "utt2dur")
    extra_utt = {n: read_kv(path / n, allow_empty_value=(n == "text")) for n in EXTRA_UTT_TABLES
                 if (path / n).exists()}
    for name, table in extra_utt.items():
        drop(f"missing from {name}", set(utt2spk) - set(table), name)
    if not keep:   # refuse before touching anything: a fix that empties the dir is a wrong table, not a fix
        if not utt2spk:
            raise SeedDataError(path / "utt2spk", "no utterances; nothing changed")
        raise SeedDataError(path / first_table[0], f"every utterance would be dropped ({len(utt2spk)} of utt2spk: "
                            + "; ".join(f"{len(u)} {r}" for r, u in dropped.items()) + "); nothing changed")
    extra = (set(wav_scp) if segments is None else set(segments)) - set(utt2spk)
    if extra:
        dropped["not in utt2spk (removed from the other tables)"] = c_sorted(extra)
    if backup:
        back_up_tables(path)
    u2s = {u: utt2spk[u] for u in keep}
    if segments is None:
        wav = {u: wav_scp[u] for u in keep}
        seg = None
    else:
        seg = {u: segments[u] for u in keep}
        recs = {v.split()[0] for v in seg.values()}
        wav = {r: p for r, p in wav_scp.items() if r in recs}
    dur = None if utt2dur is None else {u: utt2dur[u] for u in keep}
    DataDir(wav_scp=wav, utt2spk=u2s, utt2dur=dur, segments=seg).write(path)
    for name, table in extra_utt.items():
        write_kv(path / name, {u: table[u] for u in keep})
    speakers = set(u2s.values())
    for name in EXTRA_SPK_TABLES:
        if (path / name).exists():
            write_kv(path / name, {k: v for k, v in read_kv(path / name).items() if k in speakers})
    for name in EXTRA_RECO_TABLES:
        if (path / name).exists():
            write_kv(path / name, {k: v for k, v in read_kv(path / name).items() if k in wav})
    return FixReport(kept=len(keep), dropped=dropped)
