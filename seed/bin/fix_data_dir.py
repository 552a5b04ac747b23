"""Fix a Kaldi data dir in place: `python -m seed.bin.fix_data_dir DIR`.

Sorts every table in C order, drops utterances missing from any table and prints how many were
dropped and why (never silently). The previous tables are kept in DIR/.backup/ (an earlier, different
backup is renamed DIR/.backup.N first: seed.data.datadir.back_up_tables). A fix that would leave no
utterance is refused with one line naming the table, and nothing is changed.
"""
import argparse
import sys

from seed.data import SeedDataError, fix_data_dir


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data_dir")
    p.add_argument("--no-backup", action="store_true", help="do not keep the old tables in DIR/.backup")
    args = p.parse_args(argv)
    try:
        report = fix_data_dir(args.data_dir, backup=not args.no_backup)
    except SeedDataError as e:
        print(f"fix_data_dir: {e}", file=sys.stderr)
        return 1
    print(report.summary())
    return 0 if report.kept > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
