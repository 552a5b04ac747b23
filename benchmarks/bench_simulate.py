"""Throughput of mismatch simulation: additive noise and reverberation in multiples of real time,
RIRs simulated per second, each against a baseline measured in the same run.

  python benchmarks/bench_simulate.py [--seconds 120] [--rirs-per-class 4] [--rounds 3]

Audio: real LibriSpeech test-other speech (../shared/data), musan_mini noise, rirs_mini measured
RIRs. What is timed is the real code (`seed.simulate.augment.apply_recipe`, one seeded RNG per
utterance, as in `seed.bin.simulate`), in memory with the noise/RIR cache warm:
- additive: condition noise_snr5 (active-energy level, random offset / tiling, SNR scaling,
  clipping check). Baseline: the ESPnet/voxceleb_trainer formula (plain mean power + 1e-4,
  random crop, no active-frame analysis) on the same signals and noise segments.
- reverb: condition reverb_real (unit-energy RIR, FFT convolution, direct-path alignment).
  Baseline: what ESPnet's SpkPreprocessor and the SEED loader do (energy-normalised RIR,
  scipy.signal.convolve in full mode, which picks FFT convolution here, cut to the input length).
- end to end: `python -m seed.bin.simulate` in-process for noise_snr5 and reverb_noise_snr5
  (decode FLAC, mix, write 16-bit WAV, records, merge) over the same utterances.
- RIR simulation: `seed.simulate.rooms.simulate_room` (hybrid image method + ray tracing, with
  RT60 calibration: several simulations per accepted room) in RIRs/s per class. Baseline: one
  pure image-method simulation at the order pyroomacoustics' inverse_sabine asks for (complete
  tail, no calibration) for the same rooms.
In-memory figures: --rounds interleaved rounds of ours and the baseline; the throughput quoted is
the fastest round (least disturbed by other jobs on a shared CPU), the ratio the median over rounds
of the per-round ratio. End-to-end: fastest of 2 runs. RIR figures: one pass over the rooms.
"""
import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
SR = 16000


def best_of(fn, calls, min_seconds=0.3):
    """Fastest single call over at least `calls` calls and `min_seconds` (the figure least disturbed
    by other jobs on a shared CPU, as `timeit` advises)."""
    best, n, t_end = float("inf"), 0, time.perf_counter() + min_seconds
    while n < calls or time.perf_counter() < t_end:
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
        n += 1
    return best


def paired(ours, baseline, rounds):
    """Interleaved rounds (ours, baseline, ours, ...) so load from other jobs hits both alike.
    Returns (fastest ours, fastest baseline, median over rounds of baseline/ours time ratio)."""
    a, b = [], []
    for _ in range(rounds):
        a.append(best_of(ours, 1))
        b.append(best_of(baseline, 1))
    return min(a), min(b), statistics.median(y / x for x, y in zip(a, b))


def load_speech(seconds):
    from seed.data import read_audio
    utts = []
    total = 0.0
    for flac in sorted((SHARED / "librispeech_excerpts" / "test-other").rglob("*.flac")):
        x, _ = read_audio(flac)
        utts.append((flac, x))
        total += len(x) / SR
        if total >= seconds:
            break
    return utts, total


def espnet_style_noise(x, noise, rng, snr):
    """Baseline: ESPnet SpkPreprocessor / voxceleb_trainer additive noise (mean power + 1e-4)."""
    n = len(x)
    if len(noise) >= n:
        off = rng.integers(0, len(noise) - n + 1)
        seg = noise[off: off + n]
    else:
        seg = np.pad(noise, (0, n - len(noise)), mode="wrap")
    x_db = 10 * np.log10(np.mean(x ** 2) + 1e-4)
    n_db = 10 * np.log10(np.mean(seg ** 2) + 1e-4)
    return x + np.sqrt(10 ** ((x_db - n_db - snr) / 10)) * seg


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=120.0, help="speech to process per timing (default 120 s)")
    p.add_argument("--rirs-per-class", type=int, default=4, help="simulated rooms per class (default 4)")
    p.add_argument("--rounds", type=int, default=7,
                   help="interleaved ours/baseline rounds; fastest and median ratio reported (default 7)")
    args = p.parse_args(argv)

    from seed.data import DataDir, derive_seed
    from seed.simulate.augment import AudioCache, Pools, apply_recipe
    from seed.simulate.conditions import parse_condition
    from seed.simulate.pools import scan_musan, scan_rirs_noises, write_pool_list
    from seed.simulate.rooms import DEFAULT_RT60, SPEED_OF_SOUND, simulate_room
    from seed.simulate.rt60 import rt60_t30

    utts, total = load_speech(args.seconds)
    tmp = Path(tempfile.mkdtemp(prefix="bench_simulate."))
    noise_list = write_pool_list(tmp / "noise.list", scan_musan(SHARED / "musan_mini"))
    rir_list = write_pool_list(tmp / "rir.list", scan_rirs_noises(SHARED / "rirs_mini"))
    pools = Pools.load(noise_list, rir_list)
    cache = AudioCache(SR)
    print(f"speech: {len(utts)} utterances, {total:.1f} s; noise files {sum(map(len, pools.noise.values()))}, "
          f"measured RIRs {sum(map(len, pools.rirs.values()))}; rounds {args.rounds}")

    def run_condition(name, subset=None):
        recipe = parse_condition(name)
        for path, x in utts[:subset]:
            rng = np.random.default_rng(derive_seed(0, path.stem, name))
            apply_recipe(x, recipe, rng, pools, cache, SR)

    noise_files = [cache.noise(f) for f in pools.noise["noise"]]

    def baseline_noise():
        for path, x in utts:
            rng = np.random.default_rng(derive_seed(0, path.stem, "baseline"))
            espnet_style_noise(x.astype(np.float64), noise_files[rng.integers(len(noise_files))], rng, 5.0)

    run_condition("noise_snr5")
    run_condition("reverb_real")   # warm the caches
    t_add, t_add_base, ratio = paired(lambda: run_condition("noise_snr5"), baseline_noise, args.rounds)
    print(f"additive noise (noise_snr5, in memory): {total / t_add:8.0f} x real time   "
          f"baseline ESPnet-style mean-power mix {total / t_add_base:8.0f} x   speed ratio ours/baseline {ratio:.2f}")

    rir_files = [cache.rir(f) for f in pools.rirs["real"]]

    def baseline_reverb():
        from scipy.signal import convolve
        for path, x in utts:
            rng = np.random.default_rng(derive_seed(0, path.stem, "baseline"))
            rir = rir_files[rng.integers(len(rir_files))].astype(np.float64)
            rir = rir / np.sqrt(np.sum(rir ** 2))
            convolve(x.astype(np.float64), rir, mode="full")[: len(x)]

    t_rev, t_rev_base, ratio = paired(lambda: run_condition("reverb_real"), baseline_reverb, args.rounds)
    rir_len = np.mean([len(h) for h in rir_files]) / SR
    print(f"reverberation (reverb_real, FFT conv.): {total / t_rev:8.0f} x real time   "
          f"baseline ESPnet/SEED-style scipy.signal.convolve {total / t_rev_base:8.0f} x   speed ratio "
          f"ours/baseline {ratio:.2f}   (mean RIR length {rir_len:.2f} s)")

    # End to end through the entry point (decode, mix, write WAV, records, merge).
    from seed.bin import simulate
    data_dir = DataDir(wav_scp={p.stem: str(p) for p, _ in utts},
                       utt2spk={p.stem: p.stem.split("-")[0] for p, _ in utts}).write(tmp / "data")
    for cond in ("noise_snr5", "reverb_noise_snr5"):
        argv_ = ["--data-dir", str(data_dir), "--out-dir", str(tmp / cond), "--condition", cond,
                 "--noise-list", str(noise_list), "--rir-list", str(rir_list), "--seed", "0"]
        import contextlib
        import io
        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
            t = best_of(lambda: simulate.main(argv_), 2)
        print(f"end to end seed.bin.simulate {cond:18s} (nj=1): {total / t:8.0f} x real time")

    # RIR simulation.
    import pyroomacoustics as pra
    for room_class in ("small", "medium", "large"):
        recs = []
        t0 = time.perf_counter()
        for i in range(args.rirs_per_class):
            recs += [r for _, r in simulate_room(room_class, f"Room{i + 1:03d}", 1, 0, DEFAULT_RT60[room_class])]
        t_ours = time.perf_counter() - t0
        t_ism, off = 0.0, []
        for r in recs:
            t0 = time.perf_counter()
            a, order = pra.inverse_sabine(r["rt60_target"], r["dims_m"], c=SPEED_OF_SOUND)
            room = pra.ShoeBox(r["dims_m"], fs=SR, materials=pra.Material(a), max_order=order)
            room.add_source(r["source_m"])
            room.add_microphone(r["mic_m"])
            room.compute_rir()
            t_ism += time.perf_counter() - t0
            off.append(abs(rt60_t30(room.rir[0][0], SR) / r["rt60_target"] - 1))
        steps = np.mean([len(r["calibration"]) for r in recs])
        ours_off = np.median([abs(r["rt60_t30"] / r["rt60_target"] - 1) for r in recs])
        print(f"RIR simulation {room_class:6s}: {len(recs) / t_ours:5.2f} RIRs/s = {len(recs) * steps / t_ours:5.1f} "
              f"simulations/s (hybrid, ISM order {np.mean([r['ism_order'] for r in recs]):.0f}, {steps:.1f} "
              f"simulations per RIR for the RT60 calibration; median |T30/target-1| {100 * ours_off:.0f} %)\n"
              f"{'':22s}baseline full-order image method {len(recs) / t_ism:5.2f} RIRs/s (one simulation, no "
              f"calibration; median |T30/target-1| {100 * np.median(off):.0f} %)")
    import shutil
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
