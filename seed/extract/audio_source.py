"""Read one utterance of a data dir at the extractor's rate, or fail naming the utterance and file.

Handles plain paths, Kaldi pipe entries (`cmd ... |`, WAV on stdout) and `segments` spans.
A sample rate different from the extractor's is an error, not a silent resample: the data
preparation stage decides the rate, so a mismatch means the wrong data dir or extractor.
"""
import io
import subprocess

import numpy as np
import soundfile

from seed.data import SeedDataError, read_audio
from seed.simulate.mixing import is_silent


def is_pipe(entry):
    return entry.rstrip().endswith("|")


def read_utterance(data, utt, sample_rate):
    """float32 mono samples of `utt`; SeedDataError for unreadable, empty, non-finite or wrong-rate audio."""
    rec, start, end = data.segment_of(utt)
    entry = data.wav_scp.get(rec)
    if entry is None:
        raise SeedDataError(data.path / ("segments" if data.segments else "wav.scp"),
                            f"recording '{rec}' has no wav.scp entry", key=utt)
    if is_pipe(entry):
        wav, rate = _read_pipe(entry, utt, start, end)
    else:
        wav, rate = read_audio(entry, None, key=utt, start=start, end=end)
    if rate != sample_rate:
        raise SeedDataError(entry, f"sample rate {rate} Hz, but the extractor needs {sample_rate} Hz "
                                   "(prepare the data dir at that rate)", key=utt)
    if is_silent(wav):   # the toolkit's one policy (seed.simulate.inputs refuses it too): no embedding of nothing
        raise SeedDataError(entry, "audio is digital silence (peak below one 16-bit step): nothing to embed; "
                                   "remove the utterance from the data dir (utils/fix_data_dir.sh)", key=utt)
    return wav


def _read_pipe(entry, utt, start, end):
    command = entry.rstrip()[:-1].strip()
    proc = subprocess.run(command, shell=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace").strip().splitlines()
        raise SeedDataError(entry, f"pipe command failed with exit code {proc.returncode}"
                                   + (f": {err[-1]}" if err else ""), key=utt)
    try:
        wav, rate = soundfile.read(io.BytesIO(proc.stdout), dtype="float32", always_2d=True)
    except Exception as e:  # soundfile raises several types on bad streams
        raise SeedDataError(entry, f"cannot read audio from pipe: {e}".replace("\n", " "), key=utt) from None
    if wav.shape[1] > 1:
        raise SeedDataError(entry, f"audio has {wav.shape[1]} channels; expected mono", key=utt)
    wav = wav[int(round(start * rate)):(None if end is None else int(round(end * rate))), 0]
    if wav.size == 0:
        raise SeedDataError(entry, "audio is empty (0 samples)", key=utt)
    if not np.isfinite(wav).all():
        raise SeedDataError(entry, "audio contains NaN or inf samples", key=utt)
    return np.ascontiguousarray(wav), rate


def utterance_seconds(data, utt):
    """Duration used to order work (utt2dur, else segments, else the file header); None if unknown (pipes)."""
    if data.utt2dur is not None and utt in data.utt2dur:
        return float(data.utt2dur[utt])
    rec, start, end = data.segment_of(utt)
    if end is not None:
        return max(0.0, end - start)
    entry = data.wav_scp.get(rec)
    if entry is None or is_pipe(entry):
        return None
    try:
        info = soundfile.info(entry)
    except Exception:
        return None  # unreadable: the read itself reports it with the utterance name
    return max(0.0, info.frames / info.samplerate - start)
