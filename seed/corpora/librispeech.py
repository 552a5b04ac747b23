"""LibriSpeech and LibriTTS(-R) layouts: `<root>/<subset>/<spk>/<chapter>/<name>`, where `<name>` is
- LibriSpeech: `<spk>-<chapter>-<utt>.flac`; the utterance id is the file stem;
- LibriTTS, LibriTTS-R: `<spk>_<chapter>_<paragraph>_<sentence>.wav` (next to .normalized.txt,
  .original.txt and `<spk>_<chapter>.trans.tsv`, which are not read); the utterance id is the stem
  with '_' turned into '-' (`19_198_000000_000002` → `19-198-000000-000002`).
Either way ids are speaker-prefixed with '-', so utt2spk and spk2utt sort the same way ('_' sorts
after the digits: speaker 19's `19_...` ids would sort after speaker 190's).
`layout="auto"` (the default) tells the two apart by the file names; a subset that mixes them is
an error. Works for real LibriSpeech, mini LibriSpeech, ../shared/data/librispeech_excerpts, real
LibriTTS-R and the VoxCeleb stand-in (seed.corpora.voxceleb_standin).
"""
import re
from pathlib import Path

from seed.corpora.common import build_data_dir
from seed.corpora.rate import convert_to_rate
from seed.data import SeedDataError, make_spk2utt

AUDIO_EXTENSIONS = (".flac", ".wav")
LAYOUTS = ("auto", "librispeech", "libritts")


def name_layout(spk, chapter, stem):
    """'librispeech', 'libritts' or None: which layout's file-name rule `stem` follows."""
    if stem.startswith(f"{spk}-{chapter}-"):
        return "librispeech"
    if re.fullmatch(rf"{re.escape(spk)}_{re.escape(chapter)}_\d+_\d+", stem):
        return "libritts"
    return None


def _name_error(spk, chapter, layout):
    libri, tts = f"'{spk}-{chapter}-'", f"'{spk}_{chapter}_<paragraph>_<sentence>'"
    return {"librispeech": f"file name does not start with {libri}",
            "libritts": f"file name is not {tts} (LibriTTS)",
            "auto": f"file name does not start with {libri} (LibriSpeech) nor match {tts} (LibriTTS)"}[layout]


def scan_subset(root, subset, max_utts_per_speaker=None, layout="auto"):
    """wav.scp and utt2spk of one subset; a file whose name does not match its folders is an error."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}, not {layout!r}")
    folder = Path(root) / subset
    if not folder.is_dir():
        raise SeedDataError(folder, f"LibriSpeech subset '{subset}' not found under {root}")
    wav_scp, utt2spk = {}, {}
    per_speaker = {}
    seen = None  # the layout of the first file (auto): every other file must follow it
    for path in sorted(p for p in folder.rglob("*") if p.suffix in AUDIO_EXTENSIONS):
        rel = path.relative_to(folder).parts
        if len(rel) != 3:
            raise SeedDataError(path, "expected <spk>/<chapter>/<spk>-<chapter>-<utt>.flac")
        spk, chapter, name = rel
        utt = Path(name).stem
        found = name_layout(spk, chapter, utt)
        if found is None or layout not in ("auto", found):
            raise SeedDataError(path, _name_error(spk, chapter, layout), key=utt)
        if seen is not None and found != seen:
            raise SeedDataError(path, f"{found} file name in a subset of {seen} names (one layout per subset)",
                                key=utt)
        seen = found
        if found == "libritts":
            utt = utt.replace("_", "-")
        if max_utts_per_speaker is not None and per_speaker.get(spk, 0) >= max_utts_per_speaker:
            continue
        per_speaker[spk] = per_speaker.get(spk, 0) + 1
        if utt in wav_scp:
            raise SeedDataError(path, "duplicate utterance id", key=utt)
        wav_scp[utt] = str(path.resolve())
        utt2spk[utt] = spk
    if not wav_scp:
        raise SeedDataError(folder, "no .flac/.wav files found")
    return wav_scp, utt2spk


def parse_slice(text, what="speaker"):
    """'START:END' (Python slice bounds; either may be empty or negative) of a C-sorted list."""
    start, sep, end = str(text).partition(":")
    try:
        if not sep:
            raise ValueError
        return slice(int(start) if start else None, int(end) if end else None)
    except ValueError:
        raise ValueError(f"{what} slice '{text}': expected START:END, e.g. 0:-30 or -30:") from None


def parse_speaker_slice(text):
    """A slice of the C-sorted speaker ids."""
    return parse_slice(text, "speaker")


def parse_utt_slice(text):
    """A slice of each speaker's C-sorted utterance ids."""
    return parse_slice(text, "utterance")


def prepare_subset(root, subset, max_utts_per_speaker=None, speaker_slice=None, layout="auto",
                   sample_rate=None, converted_dir=None, nj=1, utt_slice=None):
    """Data dir of a subset; `speaker_slice` keeps a contiguous part of the sorted speakers, so two calls
    with complementary slices (e.g. ':-30' and '-30:') split a subset into speaker-disjoint sets;
    `utt_slice` keeps the same part of every speaker's sorted utterances, so complementary slices (':5',
    '5:') split it into utterance-disjoint sets of the same speakers (enrolment audio vs trials). A
    speaker left with no utterance is an error, never dropped silently.
    With `sample_rate`, files at another rate are converted into `converted_dir` (seed.corpora.rate)."""
    wav_scp, utt2spk = scan_subset(root, subset, max_utts_per_speaker, layout)
    if speaker_slice is not None:
        keep = set(sorted(set(utt2spk.values()))[speaker_slice])
        if not keep:
            raise SeedDataError(Path(root) / subset, f"speaker slice {speaker_slice} keeps no speaker")
        utt2spk = {u: s for u, s in utt2spk.items() if s in keep}
        wav_scp = {u: wav_scp[u] for u in utt2spk}
    if utt_slice is not None:
        kept = {}
        for spk, utts in sorted(make_spk2utt(utt2spk).items()):
            part = sorted(utts)[utt_slice]
            if not part:
                raise SeedDataError(Path(root) / subset, f"utterance slice {utt_slice.start}:{utt_slice.stop} "
                                    f"keeps no utterance of speaker {spk} ({len(utts)} utterances)", key=spk)
            kept.update((u, spk) for u in part)
        utt2spk = {u: utt2spk[u] for u in sorted(kept)}
        wav_scp = {u: wav_scp[u] for u in utt2spk}
    if sample_rate:
        wav_scp = convert_to_rate(wav_scp, utt2spk, sample_rate, converted_dir, nj)
    return build_data_dir(wav_scp, utt2spk)
