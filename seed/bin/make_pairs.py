r"""Multi-pair training copies for SEED (stage 1): crops of clean speech + augmented versions.

  python -m seed.bin.make_pairs --data-dir data/train --out-dir data/train_pairs --preset seed \
      --noise-list data/pools/noise_train.list --rir-list data/pools/rir_train.list --seed 0 --nj 4

For each utterance, --num-crops random crops of --crop-samples (default 32240 = 2.015 s at
16 kHz, the paper's) and, per crop, every version of the preset, all at the same offset:
  seed       clean, music U[5,15] dB, noise U[0,15] dB, reverb (the paper; babble off)
  kaldi      clean, reverb, noise (foreground), music, babble (Kaldi voxceleb/v2 values)
  espnet     clean, reverb, noise, music, speech (ESPnet-SPK values)
  wespeaker  clean, reverb, noise, music, speech (WeSpeaker values)
(exact values: seed/simulate/conditions.py). Writes OUT/{wav.scp,utt2spk,spk2utt,utt2dur} with
keys <utt>-crop<iii>-<version>, OUT/pairs (`<input key> <clean target key>`, clean->clean
included), OUT/crops.jsonl (offsets), OUT/aug.jsonl (every draw), OUT/simulate.json, and the
audio in OUT/wav/<spk>/. Use the *training* partitions of the pools (seed.bin.split_pools).
"""
import argparse
import os
import sys
from pathlib import Path

from seed import jobs
from seed.data import SeedDataError, validate_data_dir
from seed.simulate.augment import Pools
from seed.simulate.conditions import PRESETS, preset
from seed.simulate.inputs import input_paths
from seed.simulate.outputs import AUDIO_FORMATS, invalidate_out_dir, prepare_out_dir, write_shard
from seed.simulate.pairs import DEFAULT_CROP_SAMPLES, DEFAULT_NUM_CROPS, merge_pairs, run_pairs_shard
from seed.simulate.pools import check_excluded

MODULE = "seed.bin.make_pairs"


def build_parser():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", required=True, help="clean training data dir (wav.scp, utt2spk[, segments])")
    p.add_argument("--out-dir", required=True, help="output data dir (its wav/, pairs, ... are replaced)")
    p.add_argument("--preset", default="seed", choices=sorted(PRESETS), help="augmentation preset (default seed)")
    p.add_argument("--noise-list", default=None,
                   help="'<category> <path>' lines (noise|music|speech); needed by presets with noise, "
                        "music or speech versions")
    p.add_argument("--rir-list", default=None, help="'<room-class> <path>' lines; needed by presets with reverb")
    p.add_argument("--babble-dir", default=None,
                   help="data dir of babble speech for speech/babble versions (default: the speech files of "
                        "--noise-list)")
    p.add_argument("--num-crops", type=int, default=DEFAULT_NUM_CROPS,
                   help=f"crops per utterance (default {DEFAULT_NUM_CROPS})")
    p.add_argument("--crop-samples", type=int, default=DEFAULT_CROP_SAMPLES,
                   help=f"crop length in samples (default {DEFAULT_CROP_SAMPLES} = 2.015 s at 16 kHz)")
    p.add_argument("--seed", type=int, default=0, help="global seed (default 0)")
    p.add_argument("--sample-rate", type=int, default=16000,
                   help="working rate; inputs must have it, noise/RIR files are resampled (default 16000)")
    p.add_argument("--audio-format", choices=AUDIO_FORMATS, default="wav",
                   help="materialised audio: 16-bit WAV (default) or 16-bit FLAC (lossless, about half the size)")
    p.add_argument("--on-bad-input", choices=("error", "skip"), default="error",
                   help="bad input utterances: stop (default) or skip them, listed in OUT/skipped")
    p.add_argument("--exclude-pool", action="append", default=[], metavar="LIST",
                   help="pool list whose files must not appear in the given pools, e.g. the test pools "
                        "(repeatable)")
    jobs.add_job_options(p, shard_dir="OUT/.shards")
    return p


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    args = jobs.parse_args(parser, argv)
    if args.num_crops < 1 or args.crop_samples < 1:
        parser.error("--num-crops and --crop-samples must be positive")
    versions = preset(args.preset)
    needs_rir = any(v.needs_rir for v in versions)
    cats = {v.noise_category for v in versions} - {None}
    needs_noise = bool(cats - {"speech"}) or ("speech" in cats and not args.babble_dir)
    if needs_noise and not args.noise_list:
        parser.error(f"preset {args.preset} needs --noise-list")
    if needs_rir and not args.rir_list:
        parser.error(f"preset {args.preset} needs --rir-list")
    try:
        if args.job_id is None:
            invalidate_out_dir(args.out_dir, args.data_dir)
        data = validate_data_dir(args.data_dir)
        pools = Pools.load(args.noise_list if needs_noise else None, args.rir_list if needs_rir else None,
                           args.babble_dir if "speech" in cats else None)
        pools.check_recipes(versions)
        check_excluded([args.noise_list if needs_noise else None, args.rir_list if needs_rir else None],
                       args.exclude_pool)
        out_dir = Path(args.out_dir)
        if args.job_id is None:
            prepare_out_dir(out_dir, input_paths(data))

        def run_shard(job_id):
            records, skipped, crops = run_pairs_shard(
                data, jobs.shard(data.utts, args.nj, job_id), args.preset, versions, pools, out_dir, args.seed,
                args.sample_rate, args.crop_samples, args.num_crops, args.on_bad_input,
                desc=f"pairs job {job_id}/{args.nj}", audio_format=args.audio_format)
            write_shard(out_dir, job_id, records, skipped, extra={"crops": crops})

        if not jobs.run_sharded(args, argv, MODULE, jobs.log_pattern(out_dir, "make_pairs"), run_shard):
            return 0
        settings = {"step": "make_pairs", "preset": args.preset, "versions": [v.describe() for v in versions],
                    "seed": args.seed, "sample_rate": args.sample_rate, "num_crops": args.num_crops,
                    "crop_samples": args.crop_samples, "data_dir": os.path.abspath(args.data_dir),
                    "noise_list": os.path.abspath(args.noise_list) if needs_noise else None,
                    "rir_list": os.path.abspath(args.rir_list) if needs_rir else None,
                    "babble_source": pools.talker_source if "speech" in cats else None,
                    "on_bad_input": args.on_bad_input, "audio_format": args.audio_format}
        n, n_crops, n_skipped, n_padded = merge_pairs(data, out_dir, args.nj, args.sample_rate, settings)
    except (SeedDataError, jobs.JobFailed) as e:
        print(f"make_pairs: {e}", file=sys.stderr)
        return 1
    note = f", {n_skipped} skipped (see {out_dir}/skipped)" if n_skipped else ""
    if n_padded:
        note += (f", {n_padded} crops wrap-padded from utterances shorter than {args.crop_samples} samples "
                 f"('padded' in {out_dir}/crops.jsonl)")
    print(f"make_pairs: {out_dir}: {n_crops} crops x {len(versions)} versions = {n} copies{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
