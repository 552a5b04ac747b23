r"""Split a noise or RIR pool list into disjoint train/test lists (stage 0), deterministically.

  python -m seed.bin.split_pools --list data/pools/noise.list --train-out data/pools/noise_train.list \
      --test-out data/pools/noise_test.list --test-fraction 0.5 --seed 0 [--group-by folder]

Each category (room class) is split on its own, so both sides keep every category. With
--group-by folder the files of one source folder (one RIRS_NOISES room, one recording session)
stay on the same side. The assignment is a hash of (seed, category, file or folder): it does not
depend on the order of the list. Test conditions built from the test list can never use a file
SEED was trained with (seed.bin.simulate --exclude-pool checks it again).
"""
import argparse
import sys

from seed.data import SeedDataError
from seed.simulate.pools import NOISE_CATEGORIES, ROOM_CLASSES, read_pool_list, split_pool, write_pool_list


def build_parser():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--list", required=True, help="'<category> <path>' pool list (noise or RIR)")
    p.add_argument("--train-out", required=True, help="training partition to write")
    p.add_argument("--test-out", required=True, help="test partition to write")
    p.add_argument("--test-fraction", type=float, default=0.5,
                   help="share of files (or folders) per category that go to test (default 0.5; at least one "
                        "on each side)")
    p.add_argument("--seed", type=int, default=0, help="seed of the split (default 0)")
    p.add_argument("--group-by", choices=("file", "folder"), default="file",
                   help="split unit: single files (default) or whole source folders")
    return p


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not 0.0 < args.test_fraction < 1.0:
        parser.error("--test-fraction must be strictly between 0 and 1")
    try:
        entries = read_pool_list(args.list, NOISE_CATEGORIES + ROOM_CLASSES)
        kinds = {e.category in NOISE_CATEGORIES for e in entries}
        if len(kinds) > 1:
            raise SeedDataError(args.list, "list mixes noise categories and room classes")
        train, test = split_pool(entries, args.test_fraction, args.seed, args.group_by)
        write_pool_list(args.train_out, train)
        write_pool_list(args.test_out, test)
    except SeedDataError as e:
        print(f"split_pools: {e}", file=sys.stderr)
        return 1
    cats = sorted({e.category for e in entries})
    summary = ", ".join(f"{c} {sum(e.category == c for e in train)}/{sum(e.category == c for e in test)}"
                        for c in cats)
    print(f"split_pools: train/test per category: {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
