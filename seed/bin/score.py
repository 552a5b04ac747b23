"""Score a trial list with cosine or PLDA, optionally S-norm / AS-norm (recipe stage 6).

  python -m seed.bin.score --trials data/test/trials --enroll-scp E.scp --test-scp T.scp \
      --backend cosine|plda [--plda-dir PLDA_DIR] [--mean-scp M.scp] \
      [--norm none|snorm|asnorm --cohort-scp C.scp --top-k K] --out SCORES

Writes SCORES as Kaldi '<enroll> <test> <score>' lines in trial order (no labels; metrics join
them from the trial list).  Embedding scps may hold vectors or per-crop matrices (meta.yaml
rows_per_utt > 1): with the cosine back-end, crops are scored with --crop-score (default
'distance': ESPnet's minus mean pairwise Euclidean distance of the L2-normalised crops; 'mean':
cosine of the crop mean); the PLDA back-end averages the crops.  Cohort scores use the same
scorer (and the same mean subtraction).  A trial utterance missing from an scp is an error
naming it.
"""
import argparse
import sys
from pathlib import Path

from seed.backend.trial_scorer import CROP_SCORES, SCORING_DEFAULTS


def build_parser():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--trials", required=True, help="Kaldi trial list '<enroll> <test> target|nontarget'")
    p.add_argument("--enroll-scp", required=True, help="embedding.scp holding every enroll utterance")
    p.add_argument("--test-scp", required=True,
                   help="embedding.scp holding every test utterance (may equal --enroll-scp)")
    p.add_argument("--backend", required=True, choices=("cosine", "plda"), help="scoring back-end")
    p.add_argument("--plda-dir", help="PLDA folder from seed.bin.train_plda, or a Kaldi text PLDA file "
                                      "(ivector-copy-plda --binary=false); required with --backend plda")
    p.add_argument("--mean-scp",
                   help="cosine: subtract the mean of these embeddings (e.g. the training set) first; plda: use "
                        "it as the back-end's centring mean instead of the training mean (mean adaptation to a "
                        "target domain's unlabelled embeddings)")
    p.add_argument("--norm", choices=("none", "snorm", "asnorm"), default="none",
                   help="score normalisation against --cohort-scp (default none)")
    p.add_argument("--cohort-scp", help="cohort embeddings for --norm (typically training-speaker means)")
    p.add_argument("--top-k", type=int, default=SCORING_DEFAULTS["top_k"],
                   help=f"AS-norm: cohort scores kept per side (default {SCORING_DEFAULTS['top_k']}, as WeSpeaker; "
                        "ESPnet uses 500)")
    p.add_argument("--std-ddof", type=int, choices=(0, 1), default=SCORING_DEFAULTS["std_ddof"],
                   help="cohort std: 0 = population (WeSpeaker), 1 = sample (ESPnet's torch.std); "
                        f"default {SCORING_DEFAULTS['std_ddof']}")
    p.add_argument("--crop-score", choices=CROP_SCORES, default=SCORING_DEFAULTS["crop_score"],
                   help="cosine back-end with per-crop embeddings: 'distance' = -mean pairwise Euclidean "
                        "distance of L2-normalised crops (ESPnet, default), 'mean' = cosine of the crop mean")
    p.add_argument("--precision", type=int, default=6, help="decimals written per score (default 6)")
    p.add_argument("--out", required=True, help="score file to write")
    return p


def _load_sets(args, trials):
    """Enroll and test EmbeddingSets holding exactly the trial keys (one set when the scps agree)."""
    from seed.backend import EmbeddingSet
    from seed.data import SeedDataError, load_embedding_dict

    def load(scp, keys, side):
        table = load_embedding_dict(scp)
        for k in keys:
            if k not in table:
                raise SeedDataError(scp, f"{side} utterance of {args.trials} has no embedding", key=k)
        return table

    enroll_keys = sorted(set(trials.enroll))
    test_keys = sorted(set(trials.test))
    if Path(args.enroll_scp).resolve() == Path(args.test_scp).resolve():
        table = load(args.enroll_scp, enroll_keys, "enroll")
        absent = [k for k in test_keys if k not in table]
        if absent:
            raise SeedDataError(args.test_scp, f"test utterance of {args.trials} has no embedding", key=absent[0])
        both = EmbeddingSet.from_dict(table, args.enroll_scp, sorted(set(enroll_keys) | set(test_keys)))
        return both, both
    enroll = EmbeddingSet.from_dict(load(args.enroll_scp, enroll_keys, "enroll"), args.enroll_scp, enroll_keys)
    test = EmbeddingSet.from_dict(load(args.test_scp, test_keys, "test"), args.test_scp, test_keys)
    return enroll, test


def main(argv=None):
    p = build_parser()
    args = p.parse_args(argv)
    if args.backend == "plda" and not args.plda_dir:
        p.error("--backend plda needs --plda-dir")
    if args.norm != "none" and not args.cohort_scp:
        p.error(f"--norm {args.norm} needs --cohort-scp")
    if args.top_k < 1:
        p.error("--top-k must be >= 1")
    if args.precision < 0:
        p.error(f"--precision must be >= 0, got {args.precision}")

    from seed.backend import EmbeddingSet, PldaBackend, mean_embedding
    from seed.backend.trial_scorer import TrialScorer
    from seed.data import SeedDataError, read_trials
    from seed.data.outputs import remove_output_file
    from seed.metrics import write_scores

    try:
        remove_output_file(args.out, "--out")   # a failed rerun must not leave the last run's scores looking current
        trials = read_trials(args.trials)
        enroll, test = _load_sets(args, trials)
        cohort = EmbeddingSet.from_scp(args.cohort_scp) if args.norm != "none" else None
        mean_set = EmbeddingSet.from_scp(args.mean_scp) if args.mean_scp else None
        for other in (test, cohort, mean_set):   # a numpy matmul message would name neither file
            if other is not None and other.dim != enroll.dim:
                raise SeedDataError(other.source, f"embeddings have dimension {other.dim}, but the enrolment "
                                                  f"set {enroll.source} has {enroll.dim}")
        norm_options = {"cohort": cohort, "top_k": args.top_k, "std_ddof": args.std_ddof}
        mean = mean_embedding(mean_set) if mean_set is not None else None
        if args.backend == "plda":
            plda = PldaBackend.load(args.plda_dir)
            scorer = TrialScorer.plda(plda if mean is None else plda.with_center(mean), **norm_options)
        else:
            scorer = TrialScorer.cosine(enroll.is_multicrop or test.is_multicrop, mean, args.crop_score,
                                        **norm_options)
        scores = scorer.score(trials, enroll, test, args.norm)
        write_scores(args.out, trials.enroll, trials.test, scores, precision=args.precision)
    except (SeedDataError, ValueError) as e:
        print(f"score: {e}", file=sys.stderr)
        return 1
    print(f"score: {len(trials)} trials, {args.backend} ({scorer.describe(args.norm)}): {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
