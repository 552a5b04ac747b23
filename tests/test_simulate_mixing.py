"""The mixing arithmetic and RT60 measurement, on signals whose answers are known exactly."""
import numpy as np
import pytest

from seed.simulate import mixing
from seed.simulate.rt60 import rt60_t20, rt60_t30

SR = 16000


def test_active_energy_ignores_pauses():
    rng = np.random.default_rng(0)
    speech = 0.1 * rng.standard_normal(SR)              # 1 s "speech"
    x = np.concatenate([np.zeros(SR), speech, 1e-6 * rng.standard_normal(SR)])  # pause, speech, near-silence
    assert mixing.active_energy(x, SR) == pytest.approx(np.mean(speech ** 2), rel=1e-12)
    assert mixing.mean_energy(x) == pytest.approx(np.mean(speech ** 2) / 3, rel=1e-3)
    assert mixing.active_energy(np.zeros(100), SR) == 0.0


def test_active_energy_partial_last_frame_counts():
    x = np.ones(SR // 50 + 7)  # one full 20 ms frame + 7 samples, all active
    assert mixing.active_energy(x, SR) == pytest.approx(1.0)


def test_noise_segment_long_is_a_slice_short_is_tiled():
    noise = np.arange(10.0)
    assert list(mixing.noise_segment(noise, 4, 3)) == [3, 4, 5, 6]
    assert list(mixing.noise_segment(noise, 25, 7)) == [7, 8, 9] + list(range(10)) * 2 + [0, 1]
    with pytest.raises(ValueError):
        mixing.noise_segment(noise, 4, 8)
    rng = np.random.default_rng(1)
    offsets = {mixing.draw_offset(rng, 10, 4) for _ in range(500)}
    assert offsets == set(range(7))              # long: [0, len - n], no wrap
    offsets = {mixing.draw_offset(rng, 10, 40) for _ in range(500)}
    assert offsets == set(range(10))             # short: [0, len)


def test_snr_scale_gives_the_requested_snr():
    rng = np.random.default_rng(2)
    speech = 0.2 * rng.standard_normal(SR)
    noise = rng.standard_normal(SR)
    for snr in (-5.0, 0.0, 7.5, 20.0):
        k = mixing.snr_scale(mixing.active_energy(speech, SR), mixing.mean_energy(noise), snr)
        assert mixing.measured_snr(speech, k * noise, SR) == pytest.approx(snr, abs=1e-9)
    with pytest.raises(ValueError):
        mixing.snr_scale(1.0, 0.0, 5.0)
    with pytest.raises(ValueError):
        mixing.snr_scale(0.0, 1.0, 5.0)


def test_rir_unit_energy_and_direct_path_alignment():
    rng = np.random.default_rng(3)
    x = rng.standard_normal(1000)
    h, d = mixing.prepare_rir(np.array([0.0, 0.0, 0.0, 2.0, 1.0, 0.0, -0.5]))
    assert d == 3
    assert np.sum(h ** 2) == pytest.approx(1.0)
    y = mixing.reverberate(x, h, d)
    assert len(y) == len(x)
    expected = (2.0 * x + 1.0 * np.concatenate([[0.0], x[:-1]]) - 0.5 * np.concatenate([[0.0] * 3, x[:-3]]))
    np.testing.assert_allclose(y, expected / np.sqrt(5.25), atol=1e-9)  # aligned: no delay
    with pytest.raises(ValueError):
        mixing.prepare_rir(np.zeros(5))


def test_avoid_clipping_scales_only_when_needed():
    y, g = mixing.avoid_clipping(np.array([0.5, -0.9]))
    assert g == 1.0 and list(y) == [0.5, -0.9]
    y, g = mixing.avoid_clipping(np.array([0.5, -2.0]))
    assert g == pytest.approx(mixing.PEAK_LIMIT / 2.0)
    assert np.max(np.abs(y)) == pytest.approx(mixing.PEAK_LIMIT)


def test_is_silent_threshold_is_one_16bit_step():
    assert mixing.is_silent(np.zeros(10))
    assert mixing.is_silent(np.full(10, 0.5 / 32768))
    assert not mixing.is_silent(np.full(10, 1.0 / 32768))
    assert mixing.is_silent(np.zeros(0))


@pytest.mark.parametrize("rt60", [0.3, 0.8])
def test_schroeder_rt60_of_an_exponential_decay(rt60):
    rng = np.random.default_rng(4)
    t = np.arange(int(2 * rt60 * SR)) / SR
    h = rng.standard_normal(len(t)) * 10 ** (-3 * t / rt60)   # amplitude: -60 dB of energy at t = rt60
    assert rt60_t30(h, SR) == pytest.approx(rt60, rel=0.03)
    assert rt60_t20(h, SR) == pytest.approx(rt60, rel=0.03)
    with pytest.raises(ValueError):
        rt60_t30(h[: int(0.2 * rt60 * SR)], SR)   # does not decay 35 dB
