"""The mixing arithmetic, in one place so that it can be documented and tested exactly.

Definitions (all energies are mean squares, computed in float64):
- Active energy of speech: the signal is cut into 20 ms frames (the last one may be shorter);
  a frame is *active* when its mean square is at least `ACTIVE_FLOOR_DB` (40 dB) below the
  loudest frame's; the active energy is the mean square over the samples of the active frames.
  Pauses therefore do not lower the speech level (Kaldi/ESPnet use the plain mean square, so a
  long pause there raises the effective SNR).
- Noise energy: the plain mean square of the noise segment that is added (the noise is present
  everywhere it is added, so all of it counts).
- SNR = 10 log10(active energy of the speech in the mixture / noise energy). With reverberation
  the speech in the mixture is the reverberant speech.
- Noise placement: a noise at least as long as the output is cut at a random offset in
  [0, len - n]; a shorter one is tiled (repeated end to start) from a random offset in [0, len).
- RIR: scaled to unit energy (sum of squares 1) and aligned on its direct-path peak (the largest
  absolute sample), i.e. y[t] = (h * x)[t + d]: the output is not delayed against the input.
  Output length = input length.
- Clipping: when the mixture's peak exceeds `PEAK_LIMIT` (the largest positive 16-bit value),
  the whole mixture is scaled by gain = PEAK_LIMIT / peak (recorded); otherwise gain = 1.
"""
import numpy as np
from scipy.signal import fftconvolve

FRAME_SECONDS = 0.02
ACTIVE_FLOOR_DB = 40.0
PEAK_LIMIT = 32767.0 / 32768.0
# Below one 16-bit step: such a signal is digital silence and has no level to mix against.
SILENCE_PEAK = 1.0 / 32768.0


def frame_energies(x, sample_rate, frame_seconds=FRAME_SECONDS):
    """(sum of squares, sample count) per frame; the last frame may be shorter."""
    x = np.asarray(x, dtype=np.float64)
    frame = max(1, int(round(frame_seconds * sample_rate)))
    n_full = len(x) // frame
    sq = x * x
    sums = sq[: n_full * frame].reshape(n_full, frame).sum(axis=1)
    counts = np.full(n_full, frame, dtype=np.int64)
    if len(x) > n_full * frame:
        sums = np.append(sums, sq[n_full * frame:].sum())
        counts = np.append(counts, len(x) - n_full * frame)
    return sums, counts


def active_energy(x, sample_rate, floor_db=ACTIVE_FLOOR_DB):
    """Mean square over the active frames (see module docstring); 0.0 for an all-zero signal."""
    sums, counts = frame_energies(x, sample_rate)
    if len(sums) == 0:
        return 0.0
    means = sums / counts
    top = means.max()
    if top <= 0.0:
        return 0.0
    active = means >= top * 10.0 ** (-floor_db / 10.0)
    return float(sums[active].sum() / counts[active].sum())


def mean_energy(x):
    x = np.asarray(x, dtype=np.float64)
    # einsum, not np.dot: BLAS threads oversubscribe a loaded CPU (20 ms instead of 0.1 ms here).
    return float(np.einsum("i,i->", x, x) / len(x)) if len(x) else 0.0


def is_silent(x):
    """True when no sample reaches one 16-bit step: nothing to measure a level on."""
    return len(x) == 0 or float(np.max(np.abs(x))) < SILENCE_PEAK


def draw_offset(rng, noise_len, length):
    """Random start in the noise: [0, len - n] when long enough (no wrap), else [0, len) (tiled)."""
    if noise_len >= length:
        return int(rng.integers(0, noise_len - length + 1))
    return int(rng.integers(0, noise_len))


def noise_segment(noise, length, offset):
    """`length` samples from `offset`; a noise shorter than `length` is tiled (wraps around)."""
    noise = np.asarray(noise)
    if len(noise) >= length:
        if offset + length > len(noise):
            raise ValueError(f"offset {offset} + length {length} exceeds noise length {len(noise)}")
        return noise[offset: offset + length]
    repeats = -(-(offset + length) // len(noise))
    return np.tile(noise, repeats)[offset: offset + length]


def snr_scale(speech_energy, noise_energy, snr_db):
    """Factor for the noise so that 10 log10(speech_energy / (factor^2 * noise_energy)) = snr_db."""
    if speech_energy <= 0.0:
        raise ValueError("speech energy is zero; the SNR is undefined")
    if noise_energy <= 0.0:
        raise ValueError("noise energy is zero; it cannot be scaled to an SNR")
    return float(np.sqrt(speech_energy / (noise_energy * 10.0 ** (snr_db / 10.0))))


def measured_snr(speech, noise, sample_rate):
    """SNR in dB by the definition above (what the tests check the mixtures against)."""
    return 10.0 * np.log10(active_energy(speech, sample_rate) / mean_energy(noise))


def prepare_rir(rir):
    """(unit-energy RIR as float64, index of its direct-path peak = argmax |h|)."""
    h = np.asarray(rir, dtype=np.float64)
    energy = float(np.sum(h * h))
    if len(h) == 0 or energy <= 0.0:
        raise ValueError("RIR is empty or all zeros")
    return h / np.sqrt(energy), int(np.argmax(np.abs(h)))


def reverberate(x, rir_unit, direct_index):
    """FFT convolution with the prepared RIR, aligned on the direct path, cut to len(x)."""
    x = np.asarray(x, dtype=np.float64)
    y = fftconvolve(x, rir_unit, mode="full")
    return y[direct_index: direct_index + len(x)]


def avoid_clipping(y, limit=PEAK_LIMIT):
    """(y * gain, gain): gain < 1 only when the peak exceeds `limit`, so 16-bit output never clips."""
    peak = float(np.max(np.abs(y))) if len(y) else 0.0
    gain = 1.0 if peak <= limit else limit / peak
    return (y * gain if gain != 1.0 else y), gain
