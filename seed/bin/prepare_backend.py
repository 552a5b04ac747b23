"""Recipe stage 5: centering set, PLDA (+LDA) and AS-norm cohort from one embeddings folder.

  python -m seed.bin.prepare_backend --embeddings-dir exp/embed/resemblyzer \
      --pairs data/train_pairs/pairs --pairs-set train_pairs \
      --labelled-set train_pairs --utt2spk data/train_pairs/utt2spk [--lda-dim 200] \
      --out-dir exp/backend/resemblyzer

Writes OUT/centering.scp (the clean training crops SEED learns from: the centering control's mean),
OUT/plda/ (seed.bin.train_plda format) and OUT/cohort.{ark,scp} (speaker means of the labelled set).
Run it on the extractor's embeddings for the baseline rows and on enhanced ones for SEED rows.
"""
import argparse
import sys

from seed.data import SeedDataError
from seed.report.backend_prep import prepare_backend


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--embeddings-dir", required=True, help="folder with <set>/embedding.scp")
    p.add_argument("--pairs", required=True, help="pairs file '<input_key> <target_key>' of the training copies")
    p.add_argument("--pairs-set", required=True, help="set name of the training copies under --embeddings-dir")
    p.add_argument("--labelled-set", required=True, help="set with speaker labels for PLDA and the cohort")
    p.add_argument("--utt2spk", required=True, help="utt2spk of the labelled set")
    p.add_argument("--lda-dim", type=int, default=0, help="LDA dimension before PLDA (0: no LDA)")
    p.add_argument("--out-dir", required=True)
    args = p.parse_args(argv)
    try:
        info = prepare_backend(args.embeddings_dir, args.pairs, args.pairs_set, args.labelled_set, args.utt2spk,
                               args.out_dir, args.lda_dim)
    except (SeedDataError, ValueError) as e:
        print(f"prepare_backend: {e}", file=sys.stderr)
        return 1
    print(f"prepare_backend: {args.out_dir}: " + ", ".join(f"{k} {v}" for k, v in info.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
