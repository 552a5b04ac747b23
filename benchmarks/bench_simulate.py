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
  Baseline: direct time-domain convolution (numpy.convolve), on a subset since it is slow.
- end to end: `python -m seed.bin.simulate` in-process for noise_snr5 and reverb_noise_snr5
  (decode FLAC, mix, write 16-bit WAV, records, merge) over the same utterances.
- RIR simulation: `seed.simulate.rooms.simulate_room` (hybrid image method + ray tracing, with
  RT60 calibration: several simulations per accepted room) in RIRs/s per class. Baseline: one
  pure image-method simulation at the order pyroomacoustics' inverse_sabine asks for (complete
  tail, no calibration) for the same rooms.
Each figure is the fastest of --rounds rounds (least disturbed by other jobs on a shared CPU).
"""
import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
SR = 16000


def best_of(fn, rounds):
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


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
    p.add_argument("--rounds", type=int, default=3, help="rounds; the fastest counts (default 3)")
    args = p.parse_args(argv)

    from seed.data import DataDir, derive_seed
    from seed.simulate import mixing
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
    t_add = best_of(lambda: run_condition("noise_snr5"), args.rounds)
    t_add_base = best_of(baseline_noise, args.rounds)
    print(f"additive noise (noise_snr5, in memory): {total / t_add:8.0f} x real time   "
          f"baseline ESPnet-style mean-power mix {total / t_add_base:8.0f} x   ratio {t_add_base / t_add:.2f}")

    t_rev = best_of(lambda: run_condition("reverb_real"), args.rounds)
    n_sub = max(1, min(3, len(utts)))
    sub_seconds = sum(len(x) for _, x in utts[:n_sub]) / SR
    rirs = [mixing.prepare_rir(cache.rir(f)) for f in pools.rirs["real"]]

    def baseline_reverb():
        for i, (_, x) in enumerate(utts[:n_sub]):
            h, d = rirs[i % len(rirs)]
            np.convolve(x.astype(np.float64), h)[d: d + len(x)]

    t_rev_base = best_of(baseline_reverb, 1)
    rir_len = np.mean([len(h) for h, _ in rirs]) / SR
    print(f"reverberation (reverb_real, FFT conv.): {total / t_rev:8.0f} x real time   "
          f"baseline direct convolution {sub_seconds / t_rev_base:8.1f} x   ratio "
          f"{(t_rev_base / sub_seconds) / (t_rev / total):.0f}   (mean RIR length {rir_len:.2f} s)")

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
            t = best_of(lambda: simulate.main(argv_), args.rounds)
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
