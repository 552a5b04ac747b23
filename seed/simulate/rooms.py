"""Shoebox RIR simulation with pyroomacoustics, in the RIRS_NOISES room classes, RT60-controlled.

Why hybrid: the image method alone needs an order of about c*T*sqrt(sum 1/L_d^2) to contain every
reflection arriving before time T; with T = RT60 that is 80-250 for these rooms (N^3 images, up to
seconds per RIR), while a low order (17) silently truncates the tail (docs: environment.md).
So the image method runs up to the order that is complete for the first `early_ms` (50 ms:
direct path and early reflections, exact), and pyroomacoustics' ray tracer supplies the late
tail down to -70 dB (`energy_thres` 1e-7). Both are seeded through `pyroomacoustics.random`.

RT60 control: the target is drawn uniformly in the class's range, the absorption comes from
`pyroomacoustics.inverse_sabine`, and because Sabine's formula is far off for flat or
elongated shoeboxes (a 40x35x2.5 m room decays 3-4x slower than predicted), the RT60 is
measured (Schroeder T30) and the absorption corrected (Eyring domain, x = -ln(1-a) scaled by
measured/target) until the measured RT60 is within 5 % of the target. Every RIR written has its
measured T30 inside the requested range, or the room is redrawn.

Room classes follow RIRS_NOISES (Ko et al. 2017): length and width uniform in 1-10 m (small),
10-30 m (medium), 30-50 m (large); height uniform in 2-5 m.
"""
import dataclasses
import math
import warnings

import numpy as np

from seed.data import derive_seed
from seed.simulate.rt60 import end_level_db, energy_decay_db, rt60_t20, rt60_t30

ROOM_SIDES = {"small": (1.0, 10.0), "medium": (10.0, 30.0), "large": (30.0, 50.0)}
ROOM_HEIGHT = (2.0, 5.0)
DEFAULT_RT60 = {"small": (0.2, 0.6), "medium": (0.3, 0.9), "large": (0.5, 1.2)}
SPEED_OF_SOUND = 343.0


@dataclasses.dataclass(frozen=True)
class RirSimConfig:
    """Simulation settings; every field is recorded next to the RIRs it produced."""
    sample_rate: int = 16000
    early_ms: float = 50.0          # image method complete up to this time after the direct path
    max_ism_order: int = 40         # cap for very small rooms (order grows as 1/side)
    n_rays: int = 10000
    receiver_radius: float = 0.5    # pyroomacoustics' default detector sphere (m)
    energy_thres: float = 1e-7      # ray tracing stops at -70 dB
    wall_margin: float = 0.5        # min distance of source/mic from walls (m), at most side/4
    min_distance: float = 0.5       # min source-mic distance (m)
    rt60_tolerance: float = 0.05    # accept |measured - target| <= tolerance * target
    max_calibration_steps: int = 6
    max_room_draws: int = 20
    max_position_draws: int = 20
    trim_db: float = -80.0          # cut the tail where the energy decay passes this level
    peak: float = 0.9               # written peak amplitude (16-bit WAV)


class RirSimulationError(RuntimeError):
    pass


def ism_order_for(dims, early_ms, cap):
    """Smallest order containing every image source closer than c*early_ms (Cauchy-Schwarz bound)."""
    distance = SPEED_OF_SOUND * early_ms / 1000.0
    order = math.ceil(distance * math.sqrt(sum(1.0 / (d * d) for d in dims)))
    return int(min(max(order, 3), cap))


def draw_room(rng, room_class):
    lo, hi = ROOM_SIDES[room_class]
    return [float(rng.uniform(lo, hi)), float(rng.uniform(lo, hi)), float(rng.uniform(*ROOM_HEIGHT))]


def draw_positions(rng, dims, cfg):
    """Source and microphone uniformly inside the room, away from walls and from each other."""
    margins = [min(cfg.wall_margin, d / 4.0) for d in dims]
    for _ in range(cfg.max_position_draws):
        src = [float(rng.uniform(m, d - m)) for d, m in zip(dims, margins)]
        mic = [float(rng.uniform(m, d - m)) for d, m in zip(dims, margins)]
        if math.dist(src, mic) >= cfg.min_distance:
            return src, mic
    return None


def _quantize(h, peak):
    """Scale to `peak` and round to 16-bit steps: the RIR exactly as it will be on disk."""
    h = np.asarray(h, dtype=np.float64)
    h = h * (peak / np.max(np.abs(h)))
    return np.round(h * 32768.0) / 32768.0


def simulate_rir(dims, absorption, src, mic, order, seed, cfg):
    """One RIR (float64, peak `cfg.peak`, 16-bit steps, tail trimmed at `cfg.trim_db`)."""
    import pyroomacoustics as pra
    pra.random.seed(numpy=seed, libroom=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pra warns about its automatic ray count; ours is fixed
        room = pra.ShoeBox(dims, fs=cfg.sample_rate, materials=pra.Material(float(absorption)),
                           max_order=order, ray_tracing=True, air_absorption=False)
        room.set_ray_tracing(n_rays=cfg.n_rays, receiver_radius=cfg.receiver_radius,
                             energy_thres=cfg.energy_thres)
    room.add_source(src)
    room.add_microphone(mic)
    room.compute_rir()
    h = _quantize(room.rir[0][0], cfg.peak)
    edc = energy_decay_db(h)
    below = np.nonzero(edc <= cfg.trim_db)[0]
    if len(below):
        h = h[: max(int(below[0]), 1)]
    return h


def _measure(h, cfg):
    return rt60_t30(h, cfg.sample_rate), rt60_t20(h, cfg.sample_rate)


def _calibrate(dims, target, src, mic, order, seed, cfg):
    """Absorption whose simulated T30 is within tolerance of `target`; None if unreachable."""
    import pyroomacoustics as pra
    try:
        absorption, _ = pra.inverse_sabine(target, dims, c=SPEED_OF_SOUND)
    except ValueError:  # target below what a fully absorbing room gives
        return None
    x = -math.log(1.0 - min(absorption, 0.99))
    steps = []
    for _ in range(cfg.max_calibration_steps):
        a = 1.0 - math.exp(-x)
        if not 0.001 <= a <= 0.99:
            return None
        h = simulate_rir(dims, a, src, mic, order, seed, cfg)
        try:
            t30, t20 = _measure(h, cfg)
        except ValueError:
            return None
        steps.append({"absorption": a, "rt60_t30": t30})
        if abs(t30 - target) <= cfg.rt60_tolerance * target:
            return a, h, t30, t20, steps
        x *= t30 / target
    return None


def simulate_room(room_class, room_id, n_rirs, global_seed, rt60_range, cfg=RirSimConfig()):
    """`n_rirs` RIRs of one room (one size and absorption, new source/mic positions each).

    Returns a list of (rir float64 array, record dict). Deterministic in (global_seed,
    room_class, room_id). Raises RirSimulationError when no room of the class reaches the range.
    """
    if room_class not in ROOM_SIDES:
        raise ValueError(f"unknown simulated room class {room_class!r} (small, medium or large)")
    lo, hi = rt60_range
    if not 0.0 < lo <= hi:
        raise ValueError(f"RT60 range {rt60_range} must satisfy 0 < low <= high")
    rng = np.random.default_rng(derive_seed(global_seed, "rir-room", room_class, room_id))
    for room_draw in range(cfg.max_room_draws):
        dims = draw_room(rng, room_class)
        target = float(rng.uniform(lo, hi))
        order = ism_order_for(dims, cfg.early_ms, cfg.max_ism_order)
        out = []
        for k in range(n_rirs):
            got = None
            for _ in range(cfg.max_position_draws):
                pos = draw_positions(rng, dims, cfg)
                if pos is None:
                    break
                src, mic = pos
                seed = derive_seed(global_seed, "rir-trace", room_class, room_id, k)
                if k == 0:
                    cal = _calibrate(dims, target, src, mic, order, seed, cfg)
                    if cal is None:
                        break
                    absorption, h, t30, t20, steps = cal
                else:
                    h = simulate_rir(dims, absorption, src, mic, order, seed, cfg)
                    try:
                        t30, t20 = _measure(h, cfg)
                    except ValueError:
                        continue
                    steps = []
                if lo <= t30 <= hi:
                    got = (src, mic, h, t30, t20, steps)
                    break
                if k == 0:
                    break  # calibrated yet outside the range (target at an edge): new room
            if got is None:
                break
            src, mic, h, t30, t20, steps = got
            out.append((h, {
                "room_class": room_class, "room_id": room_id, "index": k + 1,
                "dims_m": [round(d, 4) for d in dims], "source_m": [round(v, 4) for v in src],
                "mic_m": [round(v, 4) for v in mic], "distance_m": round(math.dist(src, mic), 4),
                "absorption": absorption, "rt60_target": target, "rt60_range": [lo, hi],
                "rt60_t30": t30, "rt60_t20": t20, "tail_end_db": end_level_db(h, cfg.sample_rate),
                "calibration": steps, "ism_order": order,
                "room_draw": room_draw, "length_s": len(h) / cfg.sample_rate, "sample_rate": cfg.sample_rate,
            }))
        if len(out) == n_rirs:
            return out
    raise RirSimulationError(f"{room_class} room {room_id}: no room in {cfg.max_room_draws} draws reached "
                             f"a measured RT60 in [{lo}, {hi}] s; widen the range")
