"""LibriSpeech layout: `<root>/<subset>/<spk>/<chapter>/<spk>-<chapter>-<utt>.flac`.

Utterance ids are the file stems (speaker-prefixed, so utt2spk and spk2utt sort the same way).
Works for real LibriSpeech, mini LibriSpeech and ../shared/data/librispeech_excerpts.
"""
from pathlib import Path

from seed.corpora.common import build_data_dir
from seed.data import SeedDataError

AUDIO_EXTENSIONS = (".flac", ".wav")


def scan_subset(root, subset, max_utts_per_speaker=None):
    """wav.scp and utt2spk of one subset; a file whose name does not match its folders is an error."""
    folder = Path(root) / subset
    if not folder.is_dir():
        raise SeedDataError(folder, f"LibriSpeech subset '{subset}' not found under {root}")
    wav_scp, utt2spk = {}, {}
    per_speaker = {}
    for path in sorted(p for p in folder.rglob("*") if p.suffix in AUDIO_EXTENSIONS):
        rel = path.relative_to(folder).parts
        if len(rel) != 3:
            raise SeedDataError(path, "expected <spk>/<chapter>/<spk>-<chapter>-<utt>.flac")
        spk, chapter, name = rel
        utt = Path(name).stem
        if not utt.startswith(f"{spk}-{chapter}-"):
            raise SeedDataError(path, f"file name does not start with '{spk}-{chapter}-'", key=utt)
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


def parse_speaker_slice(text):
    """'START:END' (Python slice bounds over the C-sorted speaker ids; either may be empty or negative)."""
    start, sep, end = str(text).partition(":")
    try:
        if not sep:
            raise ValueError
        return slice(int(start) if start else None, int(end) if end else None)
    except ValueError:
        raise ValueError(f"speaker slice '{text}': expected START:END, e.g. 0:-30 or -30:") from None


def prepare_subset(root, subset, max_utts_per_speaker=None, speaker_slice=None):
    """Data dir of a subset; `speaker_slice` keeps a contiguous part of the sorted speakers, so two calls
    with complementary slices (e.g. ':-30' and '-30:') split a subset into speaker-disjoint sets."""
    wav_scp, utt2spk = scan_subset(root, subset, max_utts_per_speaker)
    if speaker_slice is not None:
        keep = set(sorted(set(utt2spk.values()))[speaker_slice])
        if not keep:
            raise SeedDataError(Path(root) / subset, f"speaker slice {speaker_slice} keeps no speaker")
        utt2spk = {u: s for u, s in utt2spk.items() if s in keep}
        wav_scp = {u: wav_scp[u] for u in utt2spk}
    return build_data_dir(wav_scp, utt2spk)
