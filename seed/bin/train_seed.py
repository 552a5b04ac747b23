"""Train the SEED diffusion model on (input, clean target) embedding pairs (recipe stage 3).

  python -m seed.bin.train_seed --config seed_matched --embeddings exp/embed/X/train_pairs/embedding.scp \
      --pairs data/train_pairs/pairs --out-dir exp/seed/X_seed_matched \
      [--valid-trials data/dev/trials --valid-scp exp/embed/X/dev/embedding.scp]

Multi-GPU / multi-node: launch the same command with torchrun, e.g.
  torchrun --nproc_per_node 4 -m seed.bin.train_seed ...            (one node, 4 GPUs, NCCL)
  torchrun --nnodes 2 --node_rank R --master_addr H --nproc_per_node 4 -m seed.bin.train_seed ...
  torchrun --standalone --nproc_per_node 2 -m seed.bin.train_seed --device cpu ...  (gloo on CPU)
Each rank takes its slice of every global batch (train.batch_size), so the result matches one
process on the same batch.

Writes OUT_DIR/config.yaml (resolved config), train.log (loss, pairs/s, dev EER per epoch),
last.pt (everything needed to resume) and best.pt (lowest dev EER, or lowest epoch training loss
without a dev set). Rerunning with OUT_DIR/last.pt present resumes bit-identically; raising
train.epochs / train.max_steps continues a finished run.

`--pool NAME=EMBEDDING_SCP:PAIRS` (repeatable) trains on another corpus's pairs too: several corpora
pooled into one training set (seed.diffusion.pooling; the checkpoint records them).

`--init SOURCE_EXP_DIR` fine-tunes a source model (its best.pt) instead of starting from a random
init: label-free adaptation of a model trained on another corpus to this corpus's pairs
(seed.diffusion.training).
"""
import argparse
import logging
import sys
from pathlib import Path


def build_parser():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", required=True,
                   help="YAML config file, or the name of a shipped one (seed_matched, seed_paper, seed_debug)")
    p.add_argument("--embeddings", required=True,
                   help="embedding.scp holding every key named in --pairs (clean and augmented crops)")
    p.add_argument("--pairs", required=True, help="pairs file: '<input_key> <target_key>' per line")
    p.add_argument("--out-dir", required=True, help="experiment folder (created; resumed when it has last.pt)")
    p.add_argument("--init", metavar="SOURCE",
                   help="fine-tune this model (an experiment folder's best.pt, or a checkpoint file) instead of "
                        "starting from a random init; same network and schedule required")
    p.add_argument("--pool", action="append", default=[], metavar="NAME=EMBEDDING_SCP:PAIRS",
                   help="another corpus's training pairs, trained on with --pairs (repeatable; keys and speakers "
                        "become NAME-<key>; same extractor; seed.diffusion.pooling)")
    p.add_argument("--valid-trials", help="Kaldi trial list of a dev set: dev EER after enhancement each epoch")
    p.add_argument("--valid-scp", help="embedding.scp of the dev set (required with --valid-trials)")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"),
                   help="auto: the (local-rank) GPU if there is one, else CPU (default auto)")
    p.add_argument("--seed", type=int, help="override train.seed")
    p.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                   help="override a config option, e.g. --set train.batch_size=256 (repeatable)")
    p.add_argument("--overwrite", action="store_true",
                   help="start from scratch even if OUT_DIR/last.pt exists (default: resume)")
    p.add_argument("--num-threads", type=int, help="torch CPU threads per process (default: torch's choice)")
    return p


def setup_logging(out_dir: Path, is_main: bool) -> None:
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%d %H:%M:%S")
    root = logging.getLogger("seed")
    root.setLevel(logging.INFO if is_main else logging.WARNING)
    handlers = [logging.StreamHandler(sys.stderr)]
    if is_main:
        out_dir.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(out_dir / "train.log", encoding="utf-8"))
    for h in handlers:
        h.setFormatter(fmt)
        root.addHandler(h)


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.valid_trials and not args.valid_scp:
        print("train_seed: --valid-trials needs --valid-scp", file=sys.stderr)
        return 2
    import torch

    from seed.data import SeedDataError, load_embedding_dict, read_trials
    from seed.diffusion.config import ConfigError, apply_overrides, load_config
    from seed.diffusion.distributed import cleanup_distributed, setup_distributed
    from seed.diffusion.training import train
    from seed.diffusion.validation import TrialValidator

    if args.num_threads:
        torch.set_num_threads(args.num_threads)
    info = None
    try:
        overrides = list(args.set) + ([f"train.seed={args.seed}"] if args.seed is not None else [])
        cfg = apply_overrides(load_config(args.config), overrides)
        info = setup_distributed(args.device)
        out_dir = Path(args.out_dir)
        setup_logging(out_dir, info.is_main)
        logging.getLogger("seed").info("train_seed %s", " ".join(sys.argv[1:] if argv is None else argv))
        validator = None
        if args.valid_trials:
            from seed.metrics import compute_eer
            trials = read_trials(args.valid_trials)
            validator = TrialValidator(trials, load_embedding_dict(args.valid_scp), compute_eer,
                                       source=args.valid_scp)
        from seed.diffusion.pooling import PairSource
        pool = [PairSource.parse(x) for x in args.pool]
        train(cfg, args.embeddings, args.pairs, out_dir, info, validator=validator,
              overwrite=args.overwrite, init=args.init, pool=pool)
    except (ConfigError, SeedDataError, ValueError, FileNotFoundError, RuntimeError) as e:
        print(f"train_seed: {e}", file=sys.stderr)
        return 1
    finally:
        cleanup_distributed()
    return 0


if __name__ == "__main__":
    sys.exit(main())
