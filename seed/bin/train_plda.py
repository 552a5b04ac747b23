"""Train the PLDA back-end (recipe stage 5): centring, optional LDA, length norm, two-covariance PLDA.

  python -m seed.bin.train_plda --scp exp/embed/X/train/embedding.scp --utt2spk data/train/utt2spk \
      [--lda-dim 200] --out-dir exp/backend/X/plda

Writes OUT_DIR/plda.npz (all arrays), OUT_DIR/plda.txt (the PLDA stage in Kaldi text form) and,
last, OUT_DIR/config.yaml (options, training summary, checksum); a folder without config.yaml is
incomplete, and a previous back-end in OUT_DIR is removed before the inputs are even read.  Per-crop embeddings (matrices) are averaged to one vector per utterance.  Every
utterance of --scp needs a speaker in --utt2spk, and every utterance of --utt2spk an embedding
(unless --allow-partial).
"""
import argparse
import sys

import numpy as np


def build_parser():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scp", required=True, help="embedding.scp of the training set (vectors or per-crop matrices)")
    p.add_argument("--utt2spk", required=True, help="utt2spk of the training set")
    p.add_argument("--out-dir", required=True, help="PLDA folder to write")
    p.add_argument("--lda-dim", type=int, help="LDA to this dimension before PLDA (Kaldi: 200; default: no LDA)")
    p.add_argument("--no-center", action="store_true", help="do not subtract the training mean first")
    p.add_argument("--no-length-norm", action="store_true",
                   help="do not scale vectors to norm sqrt(dim) before PLDA (ivector-normalize-length)")
    p.add_argument("--no-plda-length-norm", action="store_true",
                   help="at scoring, skip Kaldi's PLDA-space length normalisation "
                        "(ivector-plda-scoring --normalize-length=false)")
    p.add_argument("--em-iters", type=int, default=10, help="EM iterations (default 10, as Kaldi)")
    p.add_argument("--init", choices=("moments", "identity"), default="moments",
                   help="EM start: method-of-moments estimates (default) or W = B = I (Kaldi)")
    p.add_argument("--allow-partial", action="store_true",
                   help="train on the utterances of --scp even when --utt2spk lists more")
    return p


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.em_iters < 1:
        parser.error(f"--em-iters must be >= 1, got {args.em_iters}")
    if args.lda_dim is not None and args.lda_dim < 1:
        parser.error(f"--lda-dim must be >= 1, got {args.lda_dim}")
    from seed.backend import EmbeddingSet, PldaBackend
    from seed.backend.plda_backend import clear_plda_dir
    from seed.data import SeedDataError
    from seed.data.datadir import read_utt2spk

    try:
        clear_plda_dir(args.out_dir)   # first: a run that fails below must not leave the old back-end usable
        utt2spk = read_utt2spk(args.utt2spk)
        emb = EmbeddingSet.from_scp(args.scp)
        if args.lda_dim is not None and args.lda_dim > emb.dim:
            raise SeedDataError(args.scp, f"--lda-dim {args.lda_dim} exceeds the dimension {emb.dim} of these "
                                "embeddings")
        missing_spk = [k for k in emb.keys if k not in utt2spk]
        if missing_spk:
            raise SeedDataError(args.utt2spk, f"utterance of {args.scp} has no speaker", key=missing_spk[0])
        if len(utt2spk) > len(emb) and not args.allow_partial:
            have = set(emb.keys)
            first = next(k for k in utt2spk if k not in have)
            raise SeedDataError(args.scp, f"{len(utt2spk) - len(emb)} utterance(s) of {args.utt2spk} have no "
                                "embedding (--allow-partial trains on the rest)", key=first)
        speakers = sorted(set(utt2spk[k] for k in emb.keys))
        spk_index = {s: i for i, s in enumerate(speakers)}
        spk = np.array([spk_index[utt2spk[k]] for k in emb.keys], dtype=np.int64)
        if len(speakers) < 2:
            raise SeedDataError(args.utt2spk, f"PLDA needs at least 2 speakers, found {len(speakers)}")
        backend = PldaBackend.train(emb.vectors(), spk, lda_dim=args.lda_dim, center=not args.no_center,
                                    length_norm=not args.no_length_norm,
                                    plda_length_norm=not args.no_plda_length_norm,
                                    n_iter=args.em_iters, init=args.init)
        backend.info.update({"scp": str(args.scp), "utt2spk": str(args.utt2spk),
                             "crops_averaged": bool(emb.is_multicrop)})
        backend.save(args.out_dir)
    except (SeedDataError, ValueError) as e:
        print(f"train_plda: {e}", file=sys.stderr)
        return 1
    ll = backend.info["log_likelihood"]
    print(f"train_plda: {len(emb)} utterances, {len(speakers)} speakers, dim {emb.dim}"
          f"{f' -> LDA {args.lda_dim}' if args.lda_dim else ''}, {args.em_iters} EM iterations "
          f"(log-likelihood/utt {ll[0]:.4f} -> {ll[-1]:.4f}): {args.out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
