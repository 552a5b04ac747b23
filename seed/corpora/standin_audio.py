"""The VoxCeleb stand-in's audio, one file per job (worker side): speech, noise, simulated rooms.

Speech is the egs/mini voice generator (`synthetic.synthesise_utterance`: espeak-ng/flite voices with
per-utterance speed and pitch jitter), then what makes it VoxCeleb-like:
- a session (a video, a VoxConverse recording) has ONE channel colouring (`synthetic.channel_colouring`)
  and ONE background recording, a generated stationary noise heard at 20-35 dB SNR from a random
  offset in every file of the session: same-session files share their channel, as in VoxCeleb;
- VoxSRC-23 files (`hard`) add reverberation (half of them; an exponentially decaying noise tail,
  RT60 0.3-0.9 s) and a noise or music at 0-10 dB SNR;
- LibriTTS-R files stay clean (it is restored speech) and are synthesised at 24 kHz.
Each job draws only from seeds named after its own output path, so any job order gives the same bytes.
"""
from pathlib import Path

import numpy as np
from scipy.signal import sosfilt

from seed.corpora.synthetic import CorpusOptions, Utterance, channel_colouring, synthesise_utterance
from seed.corpora.synthetic_noise import MUSIC_FAMILIES, NOISE_FAMILIES, normalise_level
from seed.data import derive_seed, save_audio
from seed.simulate import mixing
from seed.simulate.rooms import DEFAULT_RT60, simulate_room

BACKGROUND_FAMILIES = ("white", "pink", "brown", "hum", "engine", "wind")   # stationary-ish sounds
BACKGROUND_SNR = (20.0, 35.0)
BACKGROUND_SECONDS = 12.0
HARD_SNR = (0.0, 10.0)
HARD_REVERB_PROBABILITY = 0.5
HARD_RT60 = (0.3, 0.9)
SPEECH_LEVEL = (-28.0, -20.0)          # dBFS RMS of a finished file
PAUSE = (0.2, 0.6)                     # seconds between the sentences of a MUSAN speech file


def render_segment(seg, seed, data_root):
    """float32 waveform of one planned Segment (see the module docstring)."""
    options = CorpusOptions(seed=seed, channel="none")      # jitter as egs/mini; channel per session here
    rng = np.random.default_rng(derive_seed(seed, "segment", seg.relpath))
    parts = []
    for k, text in enumerate(seg.texts):
        utt = Utterance(f"{seg.relpath}#{k}", seg.person.voice, text)
        parts.append(synthesise_utterance(utt, options, data_root, seg.rate).astype(np.float64))
        if k + 1 < len(seg.texts):
            parts.append(np.zeros(int(rng.uniform(*PAUSE) * seg.rate)))
    x = np.concatenate(parts)
    if seg.session is not None:
        x = _session(x, seg.session, seed, seg.rate, rng)
    if seg.hard:
        x = _hard(x, seed, seg.rate, rng)
    return normalise_level(x, rng.uniform(*SPEECH_LEVEL))


def _session(x, session, seed, sr, rng):
    srng = np.random.default_rng(derive_seed(seed, "session", session))
    x = sosfilt(channel_colouring(srng, sr), x)
    family = BACKGROUND_FAMILIES[int(srng.integers(len(BACKGROUND_FAMILIES)))]
    snr = srng.uniform(*BACKGROUND_SNR)
    background = NOISE_FAMILIES[family](srng, int(BACKGROUND_SECONDS * sr), sr).astype(np.float64)
    return _add(x, background, snr, sr, rng)


def _hard(x, seed, sr, rng):
    if rng.random() < HARD_REVERB_PROBABILITY:
        h, direct = mixing.prepare_rir(decaying_rir(rng, sr, rng.uniform(*HARD_RT60)))
        x = mixing.reverberate(x, h, direct)
    table = NOISE_FAMILIES if rng.random() < 0.5 else MUSIC_FAMILIES
    family = sorted(table)[int(rng.integers(len(table)))]
    noise = table[family](rng, len(x), sr).astype(np.float64)
    return _add(x, noise, rng.uniform(*HARD_SNR), sr, rng)


def _add(x, noise, snr_db, sr, rng):
    offset = mixing.draw_offset(rng, len(noise), len(x))
    seg = mixing.noise_segment(noise, len(x), offset)
    return x + mixing.snr_scale(mixing.active_energy(x, sr), mixing.mean_energy(seg), snr_db) * seg


def decaying_rir(rng, sr, rt60):
    """A direct path and a Gaussian tail decaying 60 dB in `rt60` s, starting after 2.5 ms."""
    n = int(rt60 * sr)
    t = np.arange(n) / sr
    h = rng.standard_normal(n) * np.exp(-6.908 * t / rt60) * 0.3
    h[: int(0.0025 * sr)] = 0.0
    h[0] = 1.0
    return h


def render_noise(spec, seed, sr):
    """A MUSAN-like noise/music file or an RIRS_NOISES noise: `channels` independent draws (an
    isotropic noise field is incoherent between microphones), shape (n,) or (n, channels)."""
    rng = np.random.default_rng(derive_seed(seed, "noise", spec.relpath))
    n = int(rng.uniform(*spec.seconds) * sr)
    table = NOISE_FAMILIES if spec.category == "noise" else MUSIC_FAMILIES
    chans = [normalise_level(table[spec.family](rng, n, sr), rng.uniform(-30.0, -22.0)) for _ in range(spec.channels)]
    return chans[0] if spec.channels == 1 else np.stack(chans, axis=1)


def render_room(room, seed):
    """The RIRs of one room, written to `room.files`; returns their simulation records.
    The seed is the stand-in's own (`derive_seed(seed, 'voxceleb-standin-rirs')`), so the recipe's
    simulated rooms (seed.bin.simulate_rirs with the same --sim-seed) never repeat these."""
    rir_seed = derive_seed(seed, "voxceleb-standin-rirs")
    out = []
    for (h, rec), rel in zip(simulate_room(room.room_class, room.room_id, len(room.files), rir_seed,
                                           DEFAULT_RT60[room.room_class]), room.files):
        if room.channels > 1:
            # a second microphone of the array: the same response 1-4 samples later, 1-3 dB weaker
            rng = np.random.default_rng(derive_seed(seed, "rir-channel", rel))
            delay, gain = int(rng.integers(1, 5)), 10 ** (-rng.uniform(1, 3) / 20)
            h = np.stack([np.pad(h, (0, delay)), gain * np.pad(h, (delay, 0))], axis=1)
        out.append((rel, h, {k: rec[k] for k in ("room_class", "dims_m", "source_m", "mic_m", "distance_m",
                                                 "absorption", "rt60_target", "rt60_t30", "ism_order")}))
    return out


def write(staging, rel, wav, sr):
    save_audio(Path(staging) / rel, np.asarray(wav, dtype=np.float32), sr)
    return len(wav) / sr
