"""Recipe stage 1: every mismatch test condition of the test set, then SEED's multi-pair training copies.

  python -m seed.bin.simulate_sets --data-dir data --test-set test --conditions "noise_snr0 reverb_real" \\
      --train-set train --pools data/pools --seed 0 [--babble-set babble] [--preset seed] \\
      [--crops-per-utt 40] [--crop-samples 32240] [--nj 4 --cmd utils/run.pl]

Writes data/<test>_<condition>/ for each condition (seed.bin.simulate: test pools only, the training
pools excluded and checked) and data/<train>_pairs/ (seed.bin.make_pairs: training pools). Each step
runs as its own `python -m` process with its own jobs, resume and logs; the first failure stops the
stage with that step's message.
"""
import argparse
import subprocess
import sys
from pathlib import Path

from seed.simulate.conditions import condition_set


def build_parser():
    p = argparse.ArgumentParser(prog="python -m seed.bin.simulate_sets", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", required=True, help="folder of the recipe's data dirs")
    p.add_argument("--test-set", required=True)
    p.add_argument("--conditions", required=True, help="space-separated mismatch conditions ('clean' is skipped)")
    p.add_argument("--train-set", required=True, help="clean SEED training set (its copies go to <set>_pairs)")
    p.add_argument("--pools", required=True, help="stage 0's pool folder ({noise,rir}_{train,test}.list)")
    p.add_argument("--seed", type=int, default=0, help="global seed of every simulated draw")
    p.add_argument("--babble-set", default="", help="data dir name of babble speech (speakers outside the trials)")
    p.add_argument("--preset", default=None, help="augmentation preset of the training copies (make_pairs' default)")
    p.add_argument("--crops-per-utt", default="", help="random crops per training utterance (make_pairs' default)")
    p.add_argument("--crop-samples", default="", help="crop length in samples (make_pairs' default)")
    p.add_argument("--nj", type=int, default=1)
    p.add_argument("--cmd", default=None, help="job runner, e.g. utils/run.pl or utils/slurm.pl")
    return p


def run(step, argv):
    print(f"simulate_sets: python -m seed.bin.{step} {' '.join(argv)}", file=sys.stderr, flush=True)
    if subprocess.run([sys.executable, "-m", f"seed.bin.{step}", *argv]).returncode != 0:
        raise SystemExit(f"simulate_sets: seed.bin.{step} failed (its message is above)")


def main(argv=None):
    args = build_parser().parse_args(argv)
    data, pools = Path(args.data_dir), Path(args.pools)
    jobs = ["--nj", str(args.nj)] + (["--cmd", args.cmd] if args.cmd else [])
    babble = ["--babble-dir", str(data / args.babble_set)] if args.babble_set else []
    for cond in args.conditions.split():
        if cond == "clean":
            continue
        run("simulate", ["--data-dir", str(data / args.test_set), "--out-dir", str(data / condition_set(args.test_set, cond)),
                         "--condition", cond, "--noise-list", str(pools / "noise_test.list"),
                         "--rir-list", str(pools / "rir_test.list"), "--seed", str(args.seed), *jobs, *babble,
                         "--exclude-pool", str(pools / "noise_train.list"),
                         "--exclude-pool", str(pools / "rir_train.list")])
    pairs = []
    for flag, value in (("--preset", args.preset), ("--num-crops", args.crops_per_utt),
                        ("--crop-samples", args.crop_samples)):
        if value:
            pairs += [flag, str(value)]
    run("make_pairs", ["--data-dir", str(data / args.train_set), "--out-dir", str(data / f"{args.train_set}_pairs"),
                       *pairs, "--noise-list", str(pools / "noise_train.list"),
                       "--rir-list", str(pools / "rir_train.list"), "--seed", str(args.seed), *jobs])
    return 0


if __name__ == "__main__":
    sys.exit(main())
