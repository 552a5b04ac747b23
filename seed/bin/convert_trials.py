"""Convert trial lists between Kaldi (canonical), VoxCeleb and ESPnet-SPK formats.

  python -m seed.bin.convert_trials --from voxceleb --to kaldi IN OUT
  python -m seed.bin.convert_trials --from kaldi --to espnet IN OUT_DIR --wav-scp data/test/wav.scp
  python -m seed.bin.convert_trials --from espnet --to kaldi IN_DIR OUT

VoxCeleb paths `id/video/seg.wav` become Kaldi-style keys `id-video-seg` (`--key-style path` keeps
them). `--data-dir` checks that every trial utterance exists there.
"""
import argparse
import sys

from seed.data import (DataDir, SeedDataError, check_trials_keys, read_espnet_trials, read_kv, read_trials,
                       read_voxceleb_trials, write_espnet_trials, write_trials, write_voxceleb_trials)

FORMATS = ("kaldi", "voxceleb", "espnet")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--from", dest="src", choices=FORMATS, required=True, help="input format")
    p.add_argument("--to", dest="dst", choices=FORMATS, required=True, help="output format")
    p.add_argument("input", help="trial file (kaldi, voxceleb) or folder with trial_label (espnet)")
    p.add_argument("output", help="trial file (kaldi, voxceleb) or folder (espnet)")
    p.add_argument("--key-style", choices=("kaldi", "path"), default="kaldi",
                   help="VoxCeleb keys: id-video-seg (kaldi, default) or the original path")
    p.add_argument("--wav-scp", help="wav.scp giving each key's audio (required for --to espnet)")
    p.add_argument("--data-dir", help="check that every trial utterance is in this data dir")
    args = p.parse_args(argv)
    try:
        if args.src == "kaldi":
            trials = read_trials(args.input)
        elif args.src == "voxceleb":
            trials = read_voxceleb_trials(args.input, key_style=args.key_style)
        else:
            trials = read_espnet_trials(args.input)
        if args.data_dir:
            check_trials_keys(trials, DataDir.load(args.data_dir).utt2spk, f"{args.data_dir}/utt2spk")
        if args.dst == "kaldi":
            write_trials(args.output, trials)
        elif args.dst == "voxceleb":
            write_voxceleb_trials(args.output, trials, None if args.key_style == "kaldi" else (lambda k: k))
        else:
            if not args.wav_scp:
                p.error("--to espnet needs --wav-scp")
            write_espnet_trials(args.output, trials, read_kv(args.wav_scp))
    except SeedDataError as e:
        print(f"convert_trials: {e}", file=sys.stderr)
        return 1
    print(f"convert_trials: {len(trials)} trials ({trials.n_target} target, {trials.n_nontarget} nontarget) "
          f"{args.src} -> {args.dst}: {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
