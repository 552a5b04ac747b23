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


def prepare_subset(root, subset, max_utts_per_speaker=None):
    wav_scp, utt2spk = scan_subset(root, subset, max_utts_per_speaker)
    return build_data_dir(wav_scp, utt2spk)
