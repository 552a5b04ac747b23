r"""Simulate one test condition over a Kaldi data dir (stage 1): same utterance ids, new audio.

  python -m seed.bin.simulate --data-dir data/test --out-dir data/test_noise_snr5 \
      --condition noise_snr5 --noise-list data/pools/noise_test.list \
      --rir-list data/pools/rir_test.list --seed 0 --nj 4

Conditions: clean, noise_snr{N}, music_snr{N}, babble_snr{N}, reverb_{small,medium,large,real},
reverb_noise_snr{N} (see seed/simulate/conditions.py). Writes OUT/{wav.scp,utt2spk,spk2utt,
utt2dur,aug.jsonl,simulate.json} (+ a copy of IN/trials when present) and
OUT/wav/<spk>/<utt>.wav (16-bit; .flac with --audio-format flac); OUT/skipped lists
utterances skipped with --on-bad-input skip. Each utterance's draws are seeded by
(--seed, utterance id, condition), so the result does not depend on --nj. Mixing rules
(active-energy SNR, tiling, RIR alignment, clipping gain): seed/simulate/mixing.py.
"""
import argparse
import os
import sys
from pathlib import Path

from seed import jobs
from seed.data import SeedDataError, validate_data_dir
from seed.simulate.augment import Pools
from seed.simulate.condition_set import merge_condition, run_condition_shard
from seed.simulate.conditions import CONDITION_HELP, parse_condition
from seed.simulate.inputs import input_paths
from seed.simulate.outputs import AUDIO_FORMATS, invalidate_out_dir, prepare_out_dir, write_shard
from seed.simulate.pools import check_excluded

MODULE = "seed.bin.simulate"


def abspath(p):
    return None if p is None else os.path.abspath(p)


# --- the entry point --------------------------------------------------------------------------------

def build_parser():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", required=True, help="clean input Kaldi data dir (wav.scp, utt2spk[, segments])")
    p.add_argument("--out-dir", required=True, help="output data dir (its wav/, aug.jsonl, ... are replaced)")
    p.add_argument("--condition", required=True, help=CONDITION_HELP)
    p.add_argument("--noise-list", default=None,
                   help="'<category> <path>' lines, category noise|music|speech; needed by noise/music "
                        "conditions, and by babble when no --babble-dir is given (its speech files)")
    p.add_argument("--rir-list", default=None,
                   help="'<room-class> <path>' lines, class small|medium|large|real; needed by reverb conditions")
    p.add_argument("--babble-dir", default=None,
                   help="data dir of babble speech; its speakers must not be speakers of --data-dir "
                        "(talkers are then distinct speakers)")
    p.add_argument("--seed", type=int, default=0, help="global seed (default 0)")
    p.add_argument("--sample-rate", type=int, default=16000,
                   help="working rate; inputs must have it, noise/RIR files are resampled to it (default 16000)")
    p.add_argument("--audio-format", choices=AUDIO_FORMATS, default="wav",
                   help="materialised audio: 16-bit WAV (default) or 16-bit FLAC (lossless, about half the size)")
    p.add_argument("--on-bad-input", choices=("error", "skip"), default="error",
                   help="unreadable, empty, multi-channel, wrong-rate or silent input utterances: stop with "
                        "an error (default) or skip them, listed with the reason in OUT/skipped")
    p.add_argument("--exclude-pool", action="append", default=[], metavar="LIST",
                   help="pool list whose files must not appear in --noise-list/--rir-list, e.g. the "
                        "training pools (repeatable)")
    jobs.add_job_options(p, shard_dir="OUT/.shards")
    return p


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    args = jobs.parse_args(parser, argv)
    try:
        recipe = parse_condition(args.condition)
    except ValueError as e:
        parser.error(str(e))
    if args.sample_rate < 1:   # else every input "has the wrong rate", blaming the audio files
        parser.error(f"--sample-rate must be >= 1 Hz, got {args.sample_rate}")
    try:
        if args.job_id is None:
            invalidate_out_dir(args.out_dir, args.data_dir)
        data = validate_data_dir(args.data_dir)
        needs_noise = recipe.additive is not None and not (recipe.additive.category == "speech" and args.babble_dir)
        if needs_noise and not args.noise_list:
            parser.error(f"condition {recipe.name} needs --noise-list")
        if recipe.needs_rir and not args.rir_list:
            parser.error(f"condition {recipe.name} needs --rir-list")
        babble = args.babble_dir if recipe.noise_category == "speech" else None
        pools = Pools.load(args.noise_list if needs_noise else None,
                           args.rir_list if recipe.needs_rir else None, babble)
        pools.check_recipes([recipe])
        check_excluded([args.noise_list if needs_noise else None, args.rir_list if recipe.needs_rir else None],
                       args.exclude_pool)
        if recipe.noise_category == "speech":
            pools.check_babble_disjoint(set(data.utt2spk.values()), input_paths(data))
        out_dir = Path(args.out_dir)
        if args.job_id is None:
            prepare_out_dir(out_dir, input_paths(data))

        def run_shard(job_id):
            records, skipped = run_condition_shard(
                data, jobs.shard(data.utts, args.nj, job_id), recipe, pools, out_dir, args.seed, args.sample_rate,
                args.on_bad_input, desc=f"{recipe.name} job {job_id}/{args.nj}", audio_format=args.audio_format)
            write_shard(out_dir, job_id, records, skipped)

        if not jobs.run_sharded(args, argv, MODULE, jobs.log_pattern(out_dir, "simulate"), run_shard):
            return 0
        settings = {"step": "simulate", "condition": recipe.name, "recipe": recipe.describe(), "seed": args.seed,
                    "sample_rate": args.sample_rate, "data_dir": abspath(args.data_dir),
                    "noise_list": abspath(args.noise_list) if needs_noise else None,
                    "rir_list": abspath(args.rir_list) if recipe.needs_rir else None,
                    "babble_source": pools.talker_source if recipe.noise_category == "speech" else None,
                    "on_bad_input": args.on_bad_input, "audio_format": args.audio_format}
        n, n_skipped = merge_condition(data, out_dir, args.nj, args.sample_rate, settings)
    except (SeedDataError, jobs.JobFailed) as e:
        print(f"simulate: {e}", file=sys.stderr)
        return 1
    note = f", {n_skipped} skipped (see {out_dir}/skipped)" if n_skipped else ""
    print(f"simulate: {out_dir}: {recipe.name}: {n} utterances{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
