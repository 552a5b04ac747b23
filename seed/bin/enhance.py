"""Enhance embeddings with a trained SEED model (recipe stage 4).

  python -m seed.bin.enhance --model exp/seed/X_seed_matched --in-scp exp/embed/X/test/embedding.scp \
      --out-dir exp/enhanced/X_seed_matched/seed0/test [--seed 0] [--t 50] [--strength 1.0]

Several sets in one process (the model is loaded once; recipes enhance every condition this way):
  --in-scp A/embedding.scp B/embedding.scp --out-dir OUT_A OUT_B   (pairwise, same count)

Every embedding (enrolment and test, clean or not) goes through e → s·e/‖e‖ → noise to t →
network → clamp. Per-crop matrices are enhanced crop by crop and written with their shape.
Writes OUT_DIR/embedding.ark, embedding.scp and meta.yaml (meta.yaml last: its presence means done);
every OUT_DIR's previous result is removed before the model is even loaded.
Same model, input, seed and device type → identical files.
"""
import argparse
import sys


def build_parser():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="experiment folder of train_seed (or a .pt checkpoint file)")
    p.add_argument("--in-scp", required=True, nargs="+",
                   help="embedding.scp to enhance (vectors or per-crop matrices); several: pairwise with --out-dir")
    p.add_argument("--out-dir", required=True, nargs="+", help="output embedding folder (one per --in-scp)")
    p.add_argument("--seed", type=int, default=0, help="enhancement noise seed (default 0)")
    p.add_argument("--t", type=int, default=None,
                   help="t*: timestep the input is noised to (default: the model config's, 50 in shipped configs)")
    p.add_argument("--checkpoint", choices=("best", "last"), default="best",
                   help="which checkpoint of the experiment folder (default best)")
    p.add_argument("--strength", type=float, default=None,
                   help="output = s·SEED(e) + (1-s)·e at the model's scale; 1 = official (default: the config's)")
    p.add_argument("--zero-noise", action="store_true", help="z = 0: deterministic, seed-free enhancement")
    p.add_argument("--ddim-steps", type=int, default=None,
                   help="network passes: 1 = single step (default); N > 1 = DDIM from --t down to 0")
    p.add_argument("--device", default="auto", help="auto (GPU if present), cpu, cuda or cuda:N (default auto)")
    p.add_argument("--batch-size", type=int, default=None, help="rows per forward pass (default: config, 4096)")
    p.add_argument("--num-threads", type=int, help="torch CPU threads (default: torch's choice)")
    return p


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if len(args.in_scp) != len(args.out_dir):
        parser.error(f"--in-scp has {len(args.in_scp)} values but --out-dir has {len(args.out_dir)}: give one "
                     "output folder per input scp")
    for name, value, ok, need in (("--t", args.t, lambda v: v >= 0, ">= 0"),
                                  ("--strength", args.strength, lambda v: 0 <= v <= 1, "in [0, 1]"),
                                  ("--ddim-steps", args.ddim_steps, lambda v: v >= 1, ">= 1"),
                                  ("--batch-size", args.batch_size, lambda v: v >= 1, ">= 1"),
                                  ("--num-threads", args.num_threads, lambda v: v >= 1, ">= 1")):
        if value is not None and not ok(value):    # named here: the library's messages do not know the option
            parser.error(f"{name} must be {need}, got {value}")
    import torch

    from seed.data import SeedDataError
    from seed.diffusion.api import SEED
    from seed.diffusion.scp import enhance_scp

    if args.num_threads:
        torch.set_num_threads(args.num_threads)
    from pathlib import Path

    from seed.data.outputs import remove_outputs
    for in_scp, out_dir in zip(args.in_scp, args.out_dir):
        if Path(in_scp).resolve().parent == Path(out_dir).resolve():
            print(f"enhance: {in_scp}: input lies in its --out-dir {out_dir}, whose previous result is removed "
                  "first; choose another output folder", file=sys.stderr)
            return 1
    for out_dir in args.out_dir:      # every output first: a failure (even loading the model) leaves no old result
        remove_outputs(out_dir)
    try:
        model = SEED.load(args.model, checkpoint=args.checkpoint, device=args.device)
        steps = model.schedule.num_train_timesteps
        if args.t is not None and args.t >= steps:
            raise ValueError(f"--t {args.t}: the model {args.model} has diffusion timesteps 0..{steps - 1}")
        for in_scp, out_dir in zip(args.in_scp, args.out_dir):
            meta = enhance_scp(model, in_scp, out_dir, seed=args.seed, t=args.t,
                               zero_noise=True if args.zero_noise else None, ddim_steps=args.ddim_steps,
                               batch_size=args.batch_size, strength=args.strength)
            print(f"enhance: {meta['num_keys']} keys ({meta['num_rows']} rows) -> {out_dir} "
                  f"[t={meta['enhance']['t']}, strength={meta['enhance']['strength']}, seed={args.seed}, "
                  f"{meta['timing_s']}]")
    except (SeedDataError, ValueError, FileNotFoundError, RuntimeError) as e:
        print(f"enhance: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
