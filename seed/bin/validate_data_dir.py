"""Validate a Kaldi data dir: `python -m seed.bin.validate_data_dir DIR [--check-audio]`.

Exit 0 and one summary line when valid; exit 1 with one line per problem otherwise.
"""
import argparse
import sys

from seed.data import SeedDataError, validate_data_dir


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data_dir", help="Kaldi data dir (wav.scp, utt2spk, spk2utt[, utt2dur, segments])")
    p.add_argument("--check-audio", action="store_true", help="also open every audio file's header")
    p.add_argument("--require-utt2dur", action="store_true", help="fail when utt2dur is missing")
    args = p.parse_args(argv)
    try:
        data = validate_data_dir(args.data_dir, check_audio=args.check_audio, require_utt2dur=args.require_utt2dur)
    except SeedDataError as e:
        print(f"validate_data_dir: {e}", file=sys.stderr)
        return 1
    print(f"validate_data_dir: {args.data_dir}: OK ({len(data.utt2spk)} utterances, {len(data.spk2utt)} speakers)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
