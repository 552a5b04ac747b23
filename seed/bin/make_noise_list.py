"""Noise or RIR pool lists from corpus folders (stage 0): `<category> <absolute path>` lines.

  python -m seed.bin.make_noise_list --musan $MUSAN --out data/pools/noise.list
  python -m seed.bin.make_noise_list --rirs-noises $RIRS_NOISES --out data/pools/rir.list
  python -m seed.bin.make_noise_list --rir-folder ../shared/data/rirs_mini/real_rirs --out data/pools/rir.list

Noise lists (categories noise, music, speech): --musan (category = the top folder noise/,
music/, speech/) and --folder DIR:CATEGORY (every file of a plain folder). RIR lists (room classes
small, medium, large, real): --rirs-noises (simulated_rirs/{small,medium,large}room/ and the RIRs
of real_rirs_isotropic_noises/ or real_rirs/) and --rir-folder DIR[:CLASS] (a plain folder of
measured RIRs, class `real` unless given). Options may be repeated; noise and RIR sources cannot
be mixed in one list. The category is an explicit field; nothing downstream infers it from names.
"""
import argparse
import sys

from seed.data import SeedDataError
from seed.simulate.pools import (NOISE_CATEGORIES, ROOM_CLASSES, check_audio_headers, scan_folder, scan_musan,
                                 scan_rirs_noises, sort_entries, write_pool_list)


def _split_spec(spec, default=None):
    """`DIR:CATEGORY` → (DIR, CATEGORY); the category is the part after the last colon."""
    if ":" in spec:
        folder, category = spec.rsplit(":", 1)
        return folder, category
    if default is None:
        raise ValueError(f"{spec!r}: expected DIR:CATEGORY")
    return spec, default


def build_parser():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="list file to write")
    p.add_argument("--musan", action="append", default=[], metavar="DIR", help="MUSAN-layout folder (noise list)")
    p.add_argument("--folder", action="append", default=[], metavar="DIR:CATEGORY",
                   help=f"plain folder, all files in CATEGORY ({'|'.join(NOISE_CATEGORIES)}) (noise list)")
    p.add_argument("--rirs-noises", action="append", default=[], metavar="DIR",
                   help="RIRS_NOISES-layout folder, or its simulated_rirs/ (RIR list)")
    p.add_argument("--rir-folder", action="append", default=[], metavar="DIR[:CLASS]",
                   help=f"plain folder of RIRs, class ({'|'.join(ROOM_CLASSES)}) default real (RIR list)")
    p.add_argument("--no-check-audio", action="store_true",
                   help="do not open every file's header (by default unreadable or empty files are an error)")
    return p


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    noise_sources = args.musan or args.folder
    rir_sources = args.rirs_noises or args.rir_folder
    if bool(noise_sources) == bool(rir_sources):
        parser.error("give noise sources (--musan/--folder) or RIR sources (--rirs-noises/--rir-folder), not both "
                     "and not none")
    try:
        entries = []
        for d in args.musan:
            entries += scan_musan(d)
        for spec in args.folder:
            entries += scan_folder(*_split_spec(spec), NOISE_CATEGORIES)
        for d in args.rirs_noises:
            entries += scan_rirs_noises(d)
        for spec in args.rir_folder:
            entries += scan_folder(*_split_spec(spec, "real"), ROOM_CLASSES)
        seen = set()
        for e in entries:
            if e.path in seen:
                raise SeedDataError(args.out, "file found by two sources", key=e.path)
            seen.add(e.path)
        if not args.no_check_audio:
            check_audio_headers(entries, args.out)
        write_pool_list(args.out, entries)
    except ValueError as e:  # SeedDataError is a ValueError
        print(f"make_noise_list: {e}", file=sys.stderr)
        return 1
    counts = {}
    for e in sort_entries(entries):
        counts[e.category] = counts.get(e.category, 0) + 1
    print(f"make_noise_list: {args.out}: " + ", ".join(f"{n} {c}" for c, n in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
