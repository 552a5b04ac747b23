"""LibriSpeech- or LibriTTS(-R)-layout subset → Kaldi data dir (+ all-pairs trials).

  python -m seed.bin.prepare_librispeech --root $LIBRISPEECH --subset test-other \
      --out-dir data/test_other --trials all-pairs
  python -m seed.bin.prepare_librispeech --root $LIBRITTS_R --subset train-clean-100 --out-dir data/train

The layout is read from the file names (`<spk>-<chapter>-<utt>.flac` LibriSpeech,
`<spk>_<chapter>_<para>_<sent>.wav` LibriTTS; --layout forces one). Audio at another rate than
--sample-rate (default 16000, the rate every later stage works at; LibriTTS-R is 24 kHz) is
converted once into OUT/wav/<spk>/<utt>.wav and wav.scp points there; 16 kHz files are used in
place. Reads the corpus, never writes into it.
"""
import argparse
import sys

from seed.corpora.common import all_pairs_trials
from seed.corpora.librispeech import LAYOUTS, parse_speaker_slice, parse_utt_slice, prepare_subset
from seed.data import SeedDataError, validate_data_dir, write_trials


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--root", required=True, help="corpus root holding <subset>/<spk>/<chapter>/*.flac or *.wav")
    p.add_argument("--subset", required=True, help="e.g. train-clean-100, test-other")
    p.add_argument("--out-dir", required=True, help="data dir to write")
    p.add_argument("--max-utts-per-speaker", type=int, default=None, help="keep the first N (sorted) per speaker")
    p.add_argument("--speaker-slice", default=None, metavar="START:END",
                   help="keep only these speakers of the C-sorted speaker list (e.g. ':-30' and '-30:' split a "
                        "subset into two speaker-disjoint sets)")
    p.add_argument("--utt-slice", default=None, metavar="START:END",
                   help="keep only these utterances of each speaker's C-sorted list (e.g. ':5' and '5:' split "
                        "every speaker's utterances into enrolment audio and trial audio)")
    p.add_argument("--trials", choices=("none", "all-pairs"), default="none",
                   help="write OUT/trials with every utterance pair (enrol = C-sorted first)")
    p.add_argument("--layout", choices=LAYOUTS, default="auto",
                   help="file-name rule: librispeech, libritts, or auto (from the names; one per subset)")
    p.add_argument("--sample-rate", type=int, default=16000,
                   help="working rate: files at another rate are converted into OUT/wav (0: keep every file as is)")
    p.add_argument("--nj", type=int, default=1, help="parallel conversions (only files at another rate)")
    p.add_argument("--max-nontarget", type=int, default=None, help="subsample non-target pairs (seeded)")
    p.add_argument("--seed", type=int, default=0, help="seed of the non-target subsampling")
    args = p.parse_args(argv)
    try:
        speakers = parse_speaker_slice(args.speaker_slice) if args.speaker_slice else None
        utts = parse_utt_slice(args.utt_slice) if args.utt_slice else None
    except ValueError as e:
        p.error(str(e))
    try:
        data = prepare_subset(args.root, args.subset, args.max_utts_per_speaker, speakers, layout=args.layout,
                              sample_rate=args.sample_rate or None, converted_dir=f"{args.out_dir}/wav", nj=args.nj,
                              utt_slice=utts)
        data.write(args.out_dir)
        validate_data_dir(args.out_dir)
        if args.trials == "all-pairs":
            trials = all_pairs_trials(data.utt2spk, args.max_nontarget, args.seed)
            write_trials(f"{args.out_dir}/trials", trials)
            print(f"prepare_librispeech: {args.out_dir}/trials: {trials.n_target} target, "
                  f"{trials.n_nontarget} nontarget")
    except SeedDataError as e:
        print(f"prepare_librispeech: {e}", file=sys.stderr)
        return 1
    print(f"prepare_librispeech: {args.out_dir}: {len(data.utt2spk)} utterances, {len(data.spk2utt)} speakers, "
          f"{sum(data.utt2dur.values()) / 3600:.2f} h")
    return 0


if __name__ == "__main__":
    sys.exit(main())
