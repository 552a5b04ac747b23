r"""Simulate shoebox RIRs (pyroomacoustics) in the RIRS_NOISES layout, with a measured RT60.

  python -m seed.bin.simulate_rirs --out-dir data/rirs_sim --room-classes small medium \
      --num-rooms 20 --rirs-per-room 3 --seed 0 --nj 2

Writes OUT/simulated_rirs/<class>room/RoomNNN/RoomNNN-KKKKK.wav, per class rir_list (Kaldi
format), rirs.jsonl (room size, positions, absorption, ISM order, target and measured RT60
T30/T20 of every RIR) and simulation.json, and OUT/rir.list (`<class> <path>` for every
simulated RIR under OUT) for seed.bin.split_pools / seed.bin.simulate. Room sides: small 1-10 m,
medium 10-30 m, large 30-50 m, height 2-5 m. Method (hybrid image method + ray tracing, RT60
calibrated so every RIR's measured T30 lies in the range): seed/simulate/rooms.py.
"""
import argparse
import dataclasses
import sys
from pathlib import Path

from seed import jobs
from seed.data import SeedDataError
from seed.data.outputs import remove_outputs
from seed.simulate.outputs import SHARD_DIR, write_shard
from seed.simulate.pools import scan_rirs_noises, write_pool_list
from seed.simulate.rir_corpus import class_dirs, merge_rirs, room_tasks, run_rir_shard, task_key
from seed.simulate.rooms import DEFAULT_RT60, RirSimConfig, RirSimulationError

MODULE = "seed.bin.simulate_rirs"


def build_parser():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out-dir", required=True, help="corpus folder to write (RIRS_NOISES layout)")
    p.add_argument("--room-classes", nargs="+", choices=("small", "medium", "large"),
                   default=["small", "medium", "large"], help="classes to simulate (default all three)")
    p.add_argument("--num-rooms", type=int, default=10, help="rooms per class (default 10)")
    p.add_argument("--rirs-per-room", type=int, default=3,
                   help="RIRs per room, each with new source/mic positions (default 3)")
    for c, (lo, hi) in DEFAULT_RT60.items():
        p.add_argument(f"--rt60-{c}", type=float, nargs=2, default=[lo, hi], metavar=("LO", "HI"),
                       help=f"RT60 range of {c} rooms in seconds (default {lo} {hi})")
    p.add_argument("--seed", type=int, default=0, help="global seed (default 0)")
    p.add_argument("--sample-rate", type=int, default=16000, help="sample rate of the RIRs (default 16000)")
    p.add_argument("--n-rays", type=int, default=RirSimConfig.n_rays,
                   help=f"rays of the late-tail ray tracer (default {RirSimConfig.n_rays})")
    p.add_argument("--list-out", default=None, help="pool list to write (default OUT/rir.list)")
    jobs.add_job_options(p, shard_dir="OUT/.shards")
    return p


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    args = jobs.parse_args(parser, argv)
    if args.num_rooms < 1 or args.rirs_per_room < 1:
        parser.error("--num-rooms and --rirs-per-room must be positive")
    ranges = {c: tuple(getattr(args, f"rt60_{c}")) for c in DEFAULT_RT60}
    for c in args.room_classes:
        if not 0.0 < ranges[c][0] <= ranges[c][1]:
            parser.error(f"--rt60-{c}: need 0 < LO <= HI")
    cfg = RirSimConfig(sample_rate=args.sample_rate, n_rays=args.n_rays)
    out_dir = Path(args.out_dir)
    tasks = room_tasks(args.room_classes, args.num_rooms)
    by_key = {task_key(t): t for t in tasks}
    list_out = Path(args.list_out) if args.list_out else out_dir / "rir.list"
    try:
        if args.job_id is None:   # the list first: it must never name RIRs that are being replaced
            remove_outputs(list_out.parent, [list_out.name])
            remove_outputs(out_dir, [d.relative_to(out_dir) for d in class_dirs(out_dir, args.room_classes)]
                           + [SHARD_DIR])
            out_dir.mkdir(parents=True, exist_ok=True)

        def run_shard(job_id):
            tasks_of_job = [by_key[k] for k in jobs.shard(by_key, args.nj, job_id)]
            records = run_rir_shard(tasks_of_job, args.rirs_per_room, args.seed, ranges, out_dir, cfg)
            write_shard(out_dir, job_id, records, [])

        if not jobs.run_sharded(args, argv, MODULE, jobs.log_pattern(out_dir, "simulate_rirs"), run_shard):
            return 0
        settings = {"step": "simulate_rirs", "seed": args.seed, "rt60_ranges": {c: list(ranges[c])
                    for c in args.room_classes}, "num_rooms": args.num_rooms, "rirs_per_room": args.rirs_per_room,
                    "config": dataclasses.asdict(cfg), "method": "pyroomacoustics ShoeBox, image method up to the "
                    "order complete for early_ms + ray-traced tail; absorption calibrated on measured T30"}
        n = merge_rirs(out_dir, args.nj, args.room_classes, settings)
        write_pool_list(list_out, [e for e in scan_rirs_noises(out_dir) if e.category != "real"])
    except (SeedDataError, RirSimulationError, jobs.JobFailed) as e:
        print(f"simulate_rirs: {e}", file=sys.stderr)
        return 1
    print(f"simulate_rirs: {out_dir}: {n} RIRs ({', '.join(args.room_classes)}); list {list_out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
