"""Reverberation time of an impulse response by Schroeder backward integration (ISO 3382-1).

The energy decay curve EDC(t) = sum_{tau >= t} h(tau)^2 is normalised to 0 dB at t = 0; a line
is fitted (least squares) to the EDC between -5 dB and -(5 + range) dB and extrapolated to a
60 dB decay: T20 uses the -5..-25 dB range, T30 the -5..-35 dB range. This is meant for
simulated RIRs (no noise floor); a measured RIR's noise floor would flatten the curve.
"""
import numpy as np


def energy_decay_db(h):
    """Schroeder EDC in dB, 0 dB at the first sample."""
    h = np.asarray(h, dtype=np.float64)
    edc = np.cumsum((h * h)[::-1])[::-1]
    if edc[0] <= 0.0:
        raise ValueError("impulse response is all zeros")
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(edc / edc[0])


def end_level_db(h, sample_rate, frame_seconds=0.01):
    """Energy of the last 10 ms relative to the loudest 10 ms, in dB (floored at -200 dB for an all-zero
    last frame): how far the file has decayed before it ends."""
    h = np.asarray(h, dtype=np.float64)
    frame = max(1, int(round(frame_seconds * sample_rate)))
    n = len(h) // frame
    if n < 2:
        return 0.0
    e = (h[: n * frame] ** 2).reshape(n, frame).sum(axis=1)
    if e[-1] <= e.max() * 1e-20:
        return -200.0
    return float(10.0 * np.log10(e[-1] / e.max()))


def decay_time(h, sample_rate, decay_range_db=30.0, start_db=-5.0):
    """T20 (decay_range_db=20) or T30 (30) in seconds.

    A cut-off tail bends the backward integral down (it reaches -inf at the last sample whatever
    the decay), so the file must end at least 10 dB below the fitting range's lower end
    (`end_level_db`); otherwise ValueError: the measure would be too short.
    """
    edc = energy_decay_db(h)
    stop_db = start_db - decay_range_db
    end_db = end_level_db(h, sample_rate)
    if end_db > stop_db - 10.0:
        raise ValueError(f"impulse response ends at {end_db:.1f} dB (truncated tail); need below "
                         f"{stop_db - 10.0:.0f} dB for this measure")
    i0 = int(np.argmax(edc <= start_db))
    i1 = int(np.argmax(edc <= stop_db))
    if i1 - i0 < 2:
        raise ValueError("decay too fast to fit (fewer than 2 samples in the fitting range)")
    t = np.arange(i0, i1 + 1) / float(sample_rate)
    slope, _ = np.polyfit(t, edc[i0: i1 + 1], 1)
    if slope >= 0.0:
        raise ValueError("energy decay curve does not decrease")
    return float(-60.0 / slope)


def rt60_t30(h, sample_rate):
    return decay_time(h, sample_rate, 30.0)


def rt60_t20(h, sample_rate):
    return decay_time(h, sample_rate, 20.0)
