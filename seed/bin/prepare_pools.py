"""Recipe stage 0 (after local/data.sh): check the recipe's data dirs, then build the noise and RIR pools
with a disjoint train/test split.

  python -m seed.bin.prepare_pools --out-dir data/pools --musan $MUSAN [--rirs-noises $RIRS_NOISES] \\
      --rir-source both --check-data-dir data/train --check-data-dir data/test --trials data/test/trials \\
      [--sim-room-classes small medium large --n-sim-rooms 8 --sim-rirs-per-room 3 --sim-seed 0] \\
      [--test-fraction 0.4 --split-seed 0 --noise-split-by file --rir-split-by file] [--nj 4 --cmd run.pl]

Writes OUT/noise.list, noise_{train,test}.list, rir_{real,simulated}.list and their splits (when used),
and OUT/rir_{train,test}.list (real first, then simulated rooms). The data dirs are validated first, so
a broken local/data.sh fails here and not hours later. Simulated rooms are split by room (whole rooms
held out), so test reverberation comes from rooms SEED never heard. Every list is written atomically;
rir_{train,test}.list last, so a failure never leaves pools that look complete.
"""
import argparse
import subprocess
import sys
from pathlib import Path

from seed.data import SeedDataError, atomic_write, validate_data_dir
from seed.simulate.pools import (NOISE_CATEGORIES, ROOM_CLASSES, check_audio_headers, read_pool_list, scan_musan,
                                 scan_rirs_noises, split_pool, write_pool_list)

RIR_SOURCES = ("real", "simulated", "both")


def build_parser():
    p = argparse.ArgumentParser(prog="python -m seed.bin.prepare_pools", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out-dir", required=True, help="pool folder (data/pools)")
    p.add_argument("--musan", required=True, help="noise corpus in MUSAN layout ({noise,music,speech}/...)")
    p.add_argument("--rirs-noises", default="", help="RIRS_NOISES-layout folder (needed unless --rir-source simulated)")
    p.add_argument("--rir-source", choices=RIR_SOURCES, default="both")
    p.add_argument("--check-data-dir", action="append", default=[], help="data dir to validate first (repeatable)")
    p.add_argument("--trials", action="append", default=[], help="trial file that must exist (repeatable)")
    p.add_argument("--test-fraction", type=float, default=0.4, help="share of each pool held out for test")
    p.add_argument("--split-seed", type=int, default=0, help="seed of the train/test split")
    p.add_argument("--noise-split-by", choices=("file", "folder"), default="file")
    p.add_argument("--rir-split-by", choices=("file", "folder"), default="file",
                   help="split unit of the real RIR list (folder: whole RIRS_NOISES rooms)")
    p.add_argument("--sim-room-classes", nargs="+", default=["small", "medium", "large"])
    p.add_argument("--n-sim-rooms", type=int, default=8, help="simulated rooms per class")
    p.add_argument("--sim-rirs-per-room", type=int, default=3)
    p.add_argument("--sim-seed", type=int, default=0, help="seed of the room simulation")
    p.add_argument("--nj", type=int, default=1, help="parallel jobs of the room simulation")
    p.add_argument("--cmd", default=None, help="job runner of the room simulation (e.g. utils/run.pl)")
    return p


def log(msg):
    print(f"prepare_pools: {msg}", file=sys.stderr, flush=True)


def split(list_path, out_dir, stem, fraction, seed, group_by):
    """Split one pool list into OUT/<stem>_{train,test}.list; returns the two paths."""
    entries = read_pool_list(list_path, NOISE_CATEGORIES + ROOM_CLASSES)
    train, test = split_pool(entries, fraction, seed, group_by)
    paths = out_dir / f"{stem}_train.list", out_dir / f"{stem}_test.list"
    write_pool_list(paths[0], train)
    write_pool_list(paths[1], test)
    log(f"{stem}: {len(train)} train / {len(test)} test ({group_by}s held out)")
    return paths


def simulate_rooms(args, out_dir):
    """Simulated rooms through seed.bin.simulate_rirs (its own jobs, resume and checks)."""
    cmd = [sys.executable, "-m", "seed.bin.simulate_rirs", "--out-dir", str(out_dir / "rirs_sim"),
           "--room-classes", *args.sim_room_classes, "--num-rooms", str(args.n_sim_rooms),
           "--rirs-per-room", str(args.sim_rirs_per_room), "--seed", str(args.sim_seed),
           "--list-out", str(out_dir / "rir_simulated.list"), "--nj", str(args.nj)]
    if args.cmd:
        cmd += ["--cmd", args.cmd]
    if subprocess.run(cmd).returncode != 0:
        raise SeedDataError(out_dir / "rirs_sim", "room simulation failed (see the lines above)")
    return out_dir / "rir_simulated.list"


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not 0.0 < args.test_fraction < 1.0:
        parser.error("--test-fraction must be strictly between 0 and 1")
    if args.rir_source != "simulated" and not args.rirs_noises:
        parser.error(f"--rir-source {args.rir_source} needs --rirs-noises (set RIRS_NOISES in db.sh)")
    out = Path(args.out_dir)
    try:
        for d in args.check_data_dir:
            validate_data_dir(d)
        for t in args.trials:
            if not Path(t).is_file():
                raise SeedDataError(t, "trial list not found (local/data.sh must write it)")
        out.mkdir(parents=True, exist_ok=True)
        for name in ("rir_train.list", "rir_test.list"):
            (out / name).unlink(missing_ok=True)
        noise = scan_musan(args.musan)
        check_audio_headers(noise, out / "noise.list")
        write_pool_list(out / "noise.list", noise)
        split(out / "noise.list", out, "noise", args.test_fraction, args.split_seed, args.noise_split_by)
        parts = []
        if args.rir_source != "simulated":
            real = scan_rirs_noises(args.rirs_noises)
            check_audio_headers(real, out / "rir_real.list")
            write_pool_list(out / "rir_real.list", real)
            parts.append(split(out / "rir_real.list", out, "rir_real", args.test_fraction, args.split_seed,
                               args.rir_split_by))
        if args.rir_source != "real":
            parts.append(split(simulate_rooms(args, out), out, "rir_sim", args.test_fraction, args.split_seed,
                               "folder"))
        for side, name in ((0, "rir_train.list"), (1, "rir_test.list")):
            with atomic_write(out / name) as f:
                for part in parts:
                    f.write(part[side].read_text())
    except SeedDataError as e:
        log(str(e))
        return 1
    log(f"{out}: noise and RIR pools ready ({args.rir_source} RIRs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
