"""Sweep SEED's enhancement options (strength, t*) on a trial list: choose them on a dev set.

  python -m seed.bin.sweep_enhance --model exp/seed/X --embed-dir exp/embed/X --test-set test \\
      --trials data/test/trials --conditions "clean noise_snr5 reverb_real" \\
      --centering-scp exp/backend/X/centering.scp [--pairs-set train_pairs] [--domain-set test] \\
      --strengths 0.3 0.5 0.7 1.0 --ts 0 50 --seeds 0 1 2 [--json OUT.json] [--md OUT.md]

For every (strength, t*) it enhances the clean enrolment set and each condition's set in memory (the
model is loaded once; no files are written but the report) and scores cosine trials, plain and after
subtracting the mean of the *enhanced* centering set (the clean training crops SEED learned from: its
own unlabelled data), through the same scorer and summary as recipe stage 6 (seed.report.sweep). With
--pairs-set (the training copies' set under --embed-dir) the centering crops are enhanced exactly as
stage 4 enhances them, so a setting equal to the recipe's reproduces its stage-6 row. Works with
vectors and per-crop embeddings. Pick the setting on a dev list, never on the list you report.
"""
import argparse
import json
import sys
from pathlib import Path


def build_parser():
    p = argparse.ArgumentParser(prog="python -m seed.bin.sweep_enhance", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="SEED experiment folder (best.pt) or checkpoint")
    p.add_argument("--embed-dir", required=True, help="folder with <set>/embedding.scp (extractor embeddings)")
    p.add_argument("--test-set", required=True,
                   help="clean set name (enrolment; condition sets are <test_set>_<cond>)")
    p.add_argument("--trials", required=True, help="Kaldi trials of the clean set")
    p.add_argument("--conditions", required=True, help="space-separated; 'clean' is the test set itself")
    p.add_argument("--centering-scp", required=True, help="clean training crops (stage 5's centering.scp)")
    p.add_argument("--pairs-set", default=None,
                   help="set under --embed-dir holding the centering crops (stage 4's enhancement of it is "
                        "reproduced); default: enhance --centering-scp on its own")
    p.add_argument("--domain-set", default=None,
                   help="set under --embed-dir of unlabelled target-domain audio (e.g. the clean test set, "
                        "transductive): adds the domain-centering control and each setting's '+ domain centering'")
    p.add_argument("--strengths", type=float, nargs="+", default=[0.3, 0.5, 0.7, 1.0])
    p.add_argument("--ts", type=int, nargs="+", default=None, help="t* values (default: the model's)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0], help="enhancement noise seeds (default 0)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--json", help="write every row as JSON")
    p.add_argument("--md", help="write the table as Markdown (also printed)")
    return p


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    from seed.data import SeedDataError, atomic_write, read_kv, read_trials
    from seed.diffusion.api import SEED
    from seed.report.evaluate import CLEAN, System, evaluate_system
    from seed.report.sweep import SWEEP_BACKEND, SWEEP_NORM, summarise_sweep, sweep_model
    from seed.report.tables import render_sweep_md

    conditions = args.conditions.split()
    conditions = [CLEAN] + [c for c in conditions if c != CLEAN]
    try:
        trials = read_trials(args.trials)
        centering_keys = list(read_kv(args.centering_scp))
        centering_scp = (Path(args.embed_dir) / args.pairs_set / "embedding.scp" if args.pairs_set
                         else Path(args.centering_scp))
        model = SEED.load(args.model, device=args.device)
        domain_scp = Path(args.embed_dir) / args.domain_set / "embedding.scp" if args.domain_set else None
        reference = []
        controls = [System("baseline", Path(args.embed_dir), Path()),
                    System("centering", Path(args.embed_dir), Path(), centering=True,
                           centering_scp=Path(args.centering_scp))]
        if domain_scp is not None:
            controls.append(System("domain_centering", Path(args.embed_dir), Path(), centering=True,
                                   centering_scp=domain_scp))
        for system in controls:
            reference += evaluate_system(system, trials, args.test_set, conditions, [SWEEP_BACKEND], [SWEEP_NORM])[0]
        options = model.config["enhance"]
        rows = sweep_model("seed", model, options, args.strengths, args.ts or [options["t"]], args.seeds, trials,
                           args.test_set, conditions, args.embed_dir, centering_scp, centering_keys,
                           domain_scp=domain_scp)
        agg, summary = summarise_sweep(rows, reference)
    except (SeedDataError, FileNotFoundError, ValueError) as e:
        print(f"sweep_enhance: {e}", file=sys.stderr)
        return 1
    md = "EER % (cosine; SEED rows: mean ± std over eval seeds)\n\n" + render_sweep_md(agg, summary, conditions)
    print(md)
    if args.md:
        with atomic_write(args.md) as f:
            f.write(md)
    if args.json:
        with atomic_write(args.json) as f:
            json.dump({"conditions": conditions, "rows": agg, "summary": summary, "per_seed_rows": rows,
                       "argv": argv}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
