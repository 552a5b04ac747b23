"""Bring a corpus to the working sample rate once, when its data dir is prepared.

Why here: every later stage refuses audio at another rate instead of resampling it silently
(seed.simulate.inputs for the simulated copies, seed.extract.audio_source for extraction), so a
24 kHz corpus such as LibriTTS-R must be converted before stage 1. SEED's authors do the same
(ffmpeg to 16 kHz mono PCM16, seed-method.md §4). Files already at the rate are used in place, so a
16 kHz corpus (LibriSpeech) gives the same wav.scp as without conversion.

A converted file is `<converted_dir>/<spk>/<utt>.wav` (16-bit PCM, scipy polyphase with the exact
ratio, seed.data.resample); one that already exists with the expected rate and length is kept, so a
rerun of data preparation does not redo the work. Writes are atomic (seed.data.save_audio).
"""
import multiprocessing
from math import gcd
from pathlib import Path

import numpy as np
import soundfile

from seed.data import SeedDataError, load_audio, save_audio


def expected_frames(frames, orig_rate, new_rate):
    """Length of scipy's resample_poly output: ceil(frames * up / down)."""
    g = gcd(int(orig_rate), int(new_rate))
    up, down = new_rate // g, orig_rate // g
    return -(-frames * up // down)


def convert_to_rate(wav_scp, utt2spk, sample_rate, converted_dir, nj=1):
    """wav.scp with every file at another rate replaced by its converted copy (see the module docstring)."""
    if converted_dir is None:
        raise ValueError("converted_dir is needed to convert files to another rate")
    jobs, out = [], dict(wav_scp)
    for utt, path in wav_scp.items():
        try:
            info = soundfile.info(path)
        except Exception as e:  # soundfile raises several types for unreadable files
            raise SeedDataError(path, f"cannot read audio header: {e}", key=utt) from None
        if info.samplerate == sample_rate:
            continue
        target = Path(converted_dir).resolve() / utt2spk[utt] / f"{utt}.wav"
        out[utt] = str(target)
        if not _is_converted(target, expected_frames(info.frames, info.samplerate, sample_rate), sample_rate):
            jobs.append((utt, path, str(target), sample_rate))
    if nj > 1 and len(jobs) > 1:
        with multiprocessing.get_context("fork").Pool(nj) as pool:
            list(pool.imap_unordered(_convert, jobs, chunksize=16))
    else:
        for job in jobs:
            _convert(job)
    return out


def _is_converted(target, frames, rate):
    try:
        info = soundfile.info(str(target))
    except Exception:  # missing or unreadable: convert (again)
        return False
    return info.samplerate == rate and info.frames == frames


def _convert(job):
    utt, src, target, rate = job
    # polyphase filtering can overshoot a full-scale input slightly: clip to 16-bit range, never wrap
    save_audio(target, np.clip(load_audio(src, rate, key=utt), -1.0, 32767 / 32768), rate)
