"""Noise and music without a corpus: seeded signal generators grouped in families.

The families play the role of MUSAN's folders (`noise/<family>/`, `music/<family>/`); later stages
hold noise out by family, so every family is a different kind of sound, not a different seed of
the same one. Each generator takes a numpy Generator, a length and a rate and returns float32;
levels are set by the caller (`normalise_level`).
"""
import numpy as np
from scipy.signal import butter, sosfilt

# ----------------------------------------------------------------------------- helpers


def coloured_noise(rng, n, exponent):
    """Gaussian noise with power spectral density ∝ f^exponent (0 white, -1 pink, -2 brown, +1 blue)."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n)
    f[0] = f[1]
    spec *= f ** (exponent / 2.0)
    spec[0] = 0.0
    out = np.fft.irfft(spec, n)
    return (out / (np.std(out) + 1e-12)).astype(np.float32)


def smooth_envelope(rng, n, sr, rate_hz, depth):
    """A slowly varying gain in [1-depth, 1] (random control points every 1/rate_hz s, interpolated)."""
    points = max(2, int(np.ceil(n / sr * rate_hz)) + 2)
    ctrl = 1.0 - depth * rng.random(points)
    return np.interp(np.arange(n), np.linspace(0, n - 1, points), ctrl).astype(np.float32)


def _filter(x, kind, cutoff, sr, order=2):
    sos = butter(order, cutoff, btype=kind, fs=sr, output="sos")
    return sosfilt(sos, x).astype(np.float32)


def _adsr(n, sr, attack, decay, sustain, release):
    """Attack-decay-sustain-release envelope of n samples (times in seconds)."""
    a, d, r = (max(1, int(t * sr)) for t in (attack, decay, release))
    s = max(0, n - a - d - r)
    env = np.concatenate([np.linspace(0, 1, a, endpoint=False), np.linspace(1, sustain, d, endpoint=False),
                          np.full(s, sustain), np.linspace(sustain, 0, r)])
    return np.pad(env, (0, max(0, n - len(env))))[:n].astype(np.float32)


def _tone(freq, n, sr, harmonics, phase_rng, vibrato=0.0, vib_rate=5.0):
    """A harmonic tone: `harmonics` relative amplitudes of partials 1..K, optional vibrato."""
    t = np.arange(n) / sr
    inst = freq * (1 + vibrato * np.sin(2 * np.pi * vib_rate * t))
    phase = 2 * np.pi * np.cumsum(inst) / sr
    out = np.zeros(n, dtype=np.float64)
    for k, amp in enumerate(harmonics, start=1):
        if freq * k < sr / 2 * 0.95:
            out += amp * np.sin(k * phase + phase_rng.uniform(0, 2 * np.pi))
    return out.astype(np.float32)


def _midi_hz(note):
    return 440.0 * 2 ** ((note - 69) / 12.0)


def normalise_level(x, rms_dbfs, peak=0.99):
    """Scale to `rms_dbfs` RMS, then down (never up) so no sample exceeds `peak`."""
    x = np.asarray(x, dtype=np.float64)
    rms = np.sqrt(np.mean(x ** 2))
    if rms > 0:
        x = x * (10 ** (rms_dbfs / 20) / rms)
    top = np.max(np.abs(x)) if x.size else 0.0
    if top > peak:
        x = x * (peak / top)
    return x.astype(np.float32)


# ----------------------------------------------------------------------------- noise families


def _coloured(exponent):
    def gen(rng, n, sr):
        e = exponent + rng.uniform(-0.2, 0.2)
        x = coloured_noise(rng, n, e)
        return x * smooth_envelope(rng, n, sr, rate_hz=0.5, depth=rng.uniform(0.0, 0.3))
    return gen


def mains_hum(rng, n, sr):
    """Mains hum: 50 or 60 Hz with odd-heavy harmonics, a slow wobble and a faint hiss."""
    f0 = (50.0 if rng.random() < 0.5 else 60.0) * (1 + rng.uniform(-0.004, 0.004))
    harm = [rng.uniform(0.3, 1.0) / k ** rng.uniform(0.5, 1.2) * (1.0 if k % 2 else rng.uniform(0.2, 0.7))
            for k in range(1, 16)]
    x = _tone(f0, n, sr, harm, rng)
    x = x * smooth_envelope(rng, n, sr, rate_hz=0.3, depth=0.2)
    return x + 0.03 * coloured_noise(rng, n, 0.0)


def clicks(rng, n, sr):
    """Impulsive noise: a Poisson train of clicks and crackles, each a short decaying resonance."""
    x = 0.01 * coloured_noise(rng, n, -1.0)
    rate = rng.uniform(2, 30)
    count = rng.poisson(rate * n / sr)
    for pos in np.sort(rng.integers(0, n, size=count)):
        length = int(sr * rng.uniform(0.002, 0.03))
        t = np.arange(length) / sr
        freq = rng.uniform(500, 6000)
        burst = np.exp(-t / rng.uniform(0.001, 0.008)) * np.sin(2 * np.pi * freq * t + rng.uniform(0, 6.3))
        burst *= rng.uniform(0.2, 1.0) * (1 if rng.random() < 0.5 else -1)
        end = min(n, pos + length)
        x[pos:end] += burst[:end - pos].astype(np.float32)
    return x


def engine(rng, n, sr):
    """A running engine or machine: drifting firing frequency with harmonics over low rumble."""
    rot = rng.uniform(18, 60)
    t = np.arange(n) / sr
    drift = 1 + 0.08 * np.sin(2 * np.pi * rng.uniform(0.02, 0.2) * t + rng.uniform(0, 6.3))
    phase = 2 * np.pi * np.cumsum(rot * drift) / sr
    x = np.zeros(n)
    for k in range(1, 24):
        if rot * k * 1.1 < sr / 2:
            x += rng.uniform(0.2, 1.0) / k ** 0.8 * np.sin(k * phase + rng.uniform(0, 6.3))
    rumble = _filter(coloured_noise(rng, n, -1.0), "lowpass", rng.uniform(300, 1200), sr)
    return (x / (np.std(x) + 1e-12) + rng.uniform(0.3, 1.0) * rumble).astype(np.float32)


def wind(rng, n, sr):
    """Wind: low-passed noise with slow gusts."""
    x = _filter(coloured_noise(rng, n, -1.5), "lowpass", rng.uniform(400, 1500), sr)
    return x * smooth_envelope(rng, n, sr, rate_hz=rng.uniform(0.3, 1.5), depth=rng.uniform(0.5, 0.9))


def tones(rng, n, sr):
    """Alarms and beeps: tone bursts in a repeating on/off pattern over a noise floor."""
    x = 0.02 * coloured_noise(rng, n, -1.0)
    freqs = rng.uniform(500, 3000, size=int(rng.integers(1, 4)))
    on, off = rng.uniform(0.05, 0.6), rng.uniform(0.05, 0.8)
    period = int((on + off) * sr)
    t = np.arange(int(on * sr)) / sr
    env = _adsr(len(t), sr, 0.005, 0.01, 0.9, 0.01)
    for i, start in enumerate(range(int(rng.uniform(0, off) * sr), n, period)):
        f = freqs[i % len(freqs)]
        burst = env * np.sin(2 * np.pi * f * t) * (1 if rng.random() < 0.5 else 0.5)
        end = min(n, start + len(burst))
        x[start:end] += burst[:end - start].astype(np.float32)
    return x


NOISE_FAMILIES = {
    "white": _coloured(0.0), "pink": _coloured(-1.0), "brown": _coloured(-2.0), "blue": _coloured(1.0),
    "hum": mains_hum, "clicks": clicks, "engine": engine, "wind": wind, "tones": tones,
}

# ----------------------------------------------------------------------------- music families

_CHORDS = {"maj": (0, 4, 7), "min": (0, 3, 7), "maj7": (0, 4, 7, 11), "min7": (0, 3, 7, 10), "dom7": (0, 4, 7, 10)}
_PROGRESSIONS = ((0, 5, 3, 4), (0, 3, 4, 0), (0, 9, 5, 7), (0, 7, 9, 5), (2, 7, 0, 0))


def _timbre(rng):
    """Relative partial amplitudes: a random instrument-like spectrum."""
    k = np.arange(1, int(rng.integers(4, 12)) + 1)
    amps = 1.0 / k ** rng.uniform(0.7, 2.0)
    if rng.random() < 0.4:  # hollow, clarinet-like: weak even partials
        amps[1::2] *= rng.uniform(0.05, 0.4)
    return amps


def _chord_notes(rng, root, degree):
    quality = list(_CHORDS)[int(rng.integers(len(_CHORDS)))]
    return [root + degree + i for i in _CHORDS[quality]]


def _place(out, sig, start):
    end = min(len(out), start + len(sig))
    if end > start:
        out[start:end] += sig[:end - start]


def chords(rng, n, sr):
    """Sustained chords with harmonics and envelopes, following a common progression."""
    out = np.zeros(n, dtype=np.float32)
    root = int(rng.integers(48, 60))
    prog = _PROGRESSIONS[int(rng.integers(len(_PROGRESSIONS)))]
    timbre, dur = _timbre(rng), rng.uniform(1.0, 2.5)
    step = int(dur * sr)
    for i, start in enumerate(range(0, n, step)):
        length = int(step * 1.15)
        env = _adsr(length, sr, rng.uniform(0.01, 0.2), 0.2, rng.uniform(0.5, 0.9), rng.uniform(0.1, 0.4))
        for note in _chord_notes(rng, root, prog[i % len(prog)]):
            _place(out, env * _tone(_midi_hz(note), length, sr, timbre, rng, vibrato=0.003), start)
    return out


def arpeggio(rng, n, sr):
    """Plucked notes of a chord progression, one at a time (exponentially decaying partials)."""
    out = np.zeros(n, dtype=np.float32)
    root = int(rng.integers(52, 66))
    prog = _PROGRESSIONS[int(rng.integers(len(_PROGRESSIONS)))]
    timbre = _timbre(rng)
    note_len = 60.0 / rng.uniform(90, 180) / 2
    step, chord_i, i = int(note_len * sr), 0, 0
    notes = _chord_notes(rng, root, prog[0])
    for start in range(0, n, step):
        if i and i % (2 * len(notes)) == 0:
            chord_i += 1
            notes = _chord_notes(rng, root, prog[chord_i % len(prog)])
        pattern = notes + [notes[0] + 12]
        note = pattern[i % len(pattern)]
        length = int(sr * rng.uniform(0.4, 1.0))
        t = np.arange(length) / sr
        env = np.exp(-t / rng.uniform(0.15, 0.4)) * np.minimum(1.0, t / 0.003)
        _place(out, (env * _tone(_midi_hz(note), length, sr, timbre, rng)).astype(np.float32), start)
        i += 1
    return out


def _drum_kit(rng, sr):
    t_k = np.arange(int(0.3 * sr)) / sr
    kick = np.sin(2 * np.pi * np.cumsum(50 + 90 * np.exp(-t_k / 0.04)) / sr) * np.exp(-t_k / 0.12)
    t_s = np.arange(int(0.2 * sr)) / sr
    snare = (0.7 * _filter(rng.standard_normal(len(t_s)), "highpass", 1500, sr) + 0.4 * np.sin(2 * np.pi * 185 * t_s)) \
        * np.exp(-t_s / 0.05)
    t_h = np.arange(int(0.06 * sr)) / sr
    hat = _filter(rng.standard_normal(len(t_h)), "highpass", 6000, sr) * np.exp(-t_h / 0.015) * 0.5
    return {"kick": kick.astype(np.float32), "snare": snare.astype(np.float32), "hat": hat.astype(np.float32)}


def _drum_pattern(rng):
    kick = [1 if (i % 8 == 0 or rng.random() < 0.15) else 0 for i in range(16)]
    snare = [1 if (i % 8 == 4 or rng.random() < 0.08) else 0 for i in range(16)]
    hat = [1 if (i % 2 == 0 or rng.random() < 0.3) else 0 for i in range(16)]
    return {"kick": kick, "snare": snare, "hat": hat}


def rhythm(rng, n, sr):
    """Percussion: kick, snare and hi-hat in a random 16-step pattern at a random tempo."""
    out = np.zeros(n, dtype=np.float32)
    kit, pattern = _drum_kit(rng, sr), _drum_pattern(rng)
    step = int(60.0 / rng.uniform(80, 140) / 4 * sr)
    for i, start in enumerate(range(0, n, step)):
        for name, hits in pattern.items():
            if hits[i % 16]:
                _place(out, kit[name] * rng.uniform(0.7, 1.0), start)
    return out


def band(rng, n, sr):
    """An ensemble: chord pad, bass line, melody and drums together."""
    pad = chords(rng, n, sr)
    drums = rhythm(rng, n, sr)
    out = 0.5 * pad / (np.std(pad) + 1e-9) + 0.6 * drums / (np.std(drums) + 1e-9)
    root = int(rng.integers(36, 44))
    beat = int(60.0 / rng.uniform(80, 140) * sr)
    bass_t, mel_t = _timbre(rng), _timbre(rng)
    scale = (0, 2, 4, 5, 7, 9, 11, 12)
    for i, start in enumerate(range(0, n, beat)):
        env = _adsr(beat, sr, 0.01, 0.1, 0.6, 0.05)
        _place(out, 0.5 * env * _tone(_midi_hz(root + (0, 7, 5, 7)[i % 4]), beat, sr, bass_t, rng), start)
        if rng.random() < 0.8:
            note = root + 24 + scale[int(rng.integers(len(scale)))]
            _place(out, 0.35 * env * _tone(_midi_hz(note), beat, sr, mel_t, rng, vibrato=0.005), start)
    return out.astype(np.float32)


MUSIC_FAMILIES = {"chords": chords, "arpeggio": arpeggio, "rhythm": rhythm, "band": band}
