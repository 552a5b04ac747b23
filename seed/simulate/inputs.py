"""Reading the clean input utterances, with the bad-input policy in one place.

Problems with an input utterance (missing or unreadable file, empty, multi-channel, a sample
rate other than the working rate, digital silence) raise `SeedDataError` naming the file and
the utterance. With `on_bad_input="skip"` the caller records the utterance and the reason in
`OUT/skipped` and counts it instead; it never becomes a NaN or silent output file.
Inputs are not resampled: the condition sets must be comparable with the clean set, so a clean
set at another rate has to be converted (or `--sample-rate` set) first.
"""
import os

import numpy as np

from seed.data import SeedDataError, read_audio
from seed.simulate import mixing


def load_input(data, utt, sample_rate):
    """float32 waveform of `utt` (a DataDir's utterance, segments honoured), checked."""
    rec, start, end = data.segment_of(utt)
    path = data.wav_scp[rec]
    if path.rstrip().endswith("|"):
        raise SeedDataError(path, "piped wav.scp commands are not supported; materialise the audio first",
                            key=utt)
    wav, rate = read_audio(path, None, key=utt, start=start, end=end)
    if rate != sample_rate:
        raise SeedDataError(path, f"sample rate {rate} Hz, expected {sample_rate} Hz (resample the input set "
                            "or pass --sample-rate)", key=utt)
    if mixing.is_silent(wav):
        raise SeedDataError(path, "audio is digital silence (peak below one 16-bit step)", key=utt)
    return np.asarray(wav, dtype=np.float32)


def input_paths(data):
    """Resolved paths of every input file (to keep babble and outputs away from them)."""
    return {os.path.realpath(p) for p in data.wav_scp.values() if not p.rstrip().endswith("|")}
