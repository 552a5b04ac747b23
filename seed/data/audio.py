"""Audio loading with soundfile: mono float32, optional resampling, errors that name the file."""
import os
from math import gcd
from pathlib import Path

import numpy as np
import soundfile

from seed.data.atomic import temporary_path
from seed.data.errors import SeedDataError


def load_audio(path, sample_rate=None, key=None, mono="error", start=0.0, end=None):
    """The waveform only (see read_audio); with `sample_rate` given it is at that rate."""
    return read_audio(path, sample_rate, key=key, mono=mono, start=start, end=end)[0]


def read_audio(path, sample_rate=None, key=None, mono="error", start=0.0, end=None):
    """Read `path` as float32 in [-1, 1]; returns (waveform, rate).

    - `sample_rate`: resample to it (scipy polyphase, exact rational ratio) when the file differs;
      None keeps the file's rate (returned as the second value).
    - `mono`: multi-channel files are an error by default ("error"), or averaged ("mean"), or the
      first channel is used ("first"). Speaker pipelines must not silently mix channels.
    - `start`/`end` in seconds select a segment (Kaldi `segments`).
    """
    try:
        info = soundfile.info(str(path))
    except Exception as e:  # soundfile raises RuntimeError / LibsndfileError / FileNotFoundError
        raise SeedDataError(path, f"cannot read audio: {e}".replace("\n", " "), key=key) from None
    shortfall = wav_data_shortfall(path)
    if shortfall:
        raise SeedDataError(path, f"truncated WAV: its data chunk declares {shortfall[0]} bytes but the file holds "
                                  f"{shortfall[1]} (an interrupted copy or download?)", key=key)
    rate = info.samplerate
    first = int(round(start * rate))
    last = -1 if end is None else int(round(end * rate))
    try:
        wav, rate = soundfile.read(str(path), dtype="float32", always_2d=True, start=first,
                                   stop=None if last < 0 else last)
    except Exception as e:
        raise SeedDataError(path, f"cannot read audio: {e}".replace("\n", " "), key=key) from None
    if wav.shape[1] > 1:
        if mono == "mean":
            wav = wav.mean(axis=1, keepdims=True)
        elif mono == "first":
            wav = wav[:, :1]
        else:
            raise SeedDataError(path, f"audio has {wav.shape[1]} channels; expected mono", key=key)
    wav = wav[:, 0]
    if wav.size == 0:
        raise SeedDataError(path, "audio is empty (0 samples)", key=key)
    if not np.isfinite(wav).all():
        raise SeedDataError(path, "audio contains NaN or inf samples", key=key)
    if sample_rate is not None and sample_rate != rate:
        wav = resample(wav, rate, sample_rate)
        rate = sample_rate
    return np.ascontiguousarray(wav, dtype=np.float32), rate


def wav_data_shortfall(path, max_chunks=64):
    """(declared, present) data bytes when a RIFF/WAVE file is cut short, else None.

    libsndfile reads a truncated WAV up to where its bytes end without a word (a cut copy becomes a
    shorter, valid-looking utterance); Kaldi and sox warn. Streamed WAVs that declare 0 or 0xFFFFFFFF
    bytes, other formats and unreadable headers are left to soundfile."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            head = f.read(12)
            if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
                return None
            for _ in range(max_chunks):
                chunk = f.read(8)
                if len(chunk) < 8:
                    return None
                declared = int.from_bytes(chunk[4:8], "little")
                if chunk[:4] == b"data":
                    present = size - f.tell()
                    return (declared, present) if 0 < declared < 0xFFFFFFFF and declared > present else None
                f.seek(declared + (declared & 1), os.SEEK_CUR)
    except (OSError, TypeError, ValueError):
        return None
    return None


def resample(wav, orig_rate, new_rate):
    """Polyphase resampling (scipy) with the exact rational ratio."""
    from scipy.signal import resample_poly
    g = gcd(int(orig_rate), int(new_rate))
    return resample_poly(wav, new_rate // g, orig_rate // g).astype(np.float32)


def pcm16(wav, path):
    """float samples (full scale +-1) -> int16 by rounding to nearest, clipped to [-32768, 32767]."""
    wav = np.asarray(wav, dtype=np.float64)
    if not np.all(np.isfinite(wav)):
        raise SeedDataError(path, "cannot write audio: non-finite sample (NaN or inf)")
    return np.clip(np.rint(wav * 32768.0), -32768, 32767).astype(np.int16)


def save_audio(path, wav, sample_rate):
    """Write 16-bit PCM WAV or FLAC (by extension) atomically.

    The project rounds to int16 itself (`round(x * 32768)`, the inverse of the reader's `/ 32768`):
    libsndfile's float -> PCM_16 conversion truncates toward -inf, a -0.5 LSB bias on every sample
    (4x the power of rounding noise). Samples beyond the int16 range are clipped (avoiding that is
    the caller's job); a NaN/inf sample is an error naming the file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fmt = "FLAC" if path.suffix.lower() == ".flac" else "WAV"
    pcm = pcm16(wav, path)
    tmp = temporary_path(path)
    try:
        soundfile.write(str(tmp), pcm, int(sample_rate), subtype="PCM_16", format=fmt)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
