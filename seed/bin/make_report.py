"""Recipe stage 6: score {baseline, centering, SEED (+variants)} × backends × norms × conditions,
then write RESULTS.md, results.json, det.png and every score file.

  python -m seed.bin.make_report --trials data/test/trials --test-set test \
      --conditions "clean noise_snr5" --baseline-dir exp/embed/X --seed-dirs exp/enhanced/T/seed0 ... \
      --baseline-backend exp/backend/X --seed-backend exp/backend/T --out-dir exp/results/T

SEED rows are mean ± std over the eval seeds (one folder each). `--variant NAME=BACKEND_DIR:DIR1,DIR2`
adds a named system (e.g. a research configuration) scored like SEED.
"""
import argparse
import json
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import yaml

from seed.data import SeedDataError, atomic_write, read_trials
from seed.metrics import plot_det
from seed.provenance import environment_info
from seed.report.evaluate import CLEAN, System, evaluate_system
from seed.report.tables import aggregate_rows, render_results_md, summarise


def parse_variant(text):
    try:
        name, rest = text.split("=", 1)
        backend, dirs = rest.split(":", 1)
    except ValueError:
        raise SystemExit(f"make_report: --variant '{text}': expected NAME=BACKEND_DIR:DIR1[,DIR2...]") from None
    return name, Path(backend), [Path(d) for d in dirs.split(",") if d]


def seed_of(folder):
    name = Path(folder).name
    return int(name[4:]) if name.startswith("seed") and name[4:].isdigit() else None


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--trials", required=True, help="Kaldi trials of the clean test set")
    p.add_argument("--test-set", required=True, help="name of the clean test set (<dir>/<test_set>/embedding.scp)")
    p.add_argument("--conditions", required=True, help="space-separated; 'clean' is the test set itself")
    p.add_argument("--baseline-dir", required=True, help="extractor embeddings folder")
    p.add_argument("--seed-dirs", nargs="+", required=True, help="enhanced folders, one per eval seed (seed<S>)")
    p.add_argument("--baseline-backend", required=True, help="stage-5 folder for baseline/centering rows")
    p.add_argument("--seed-backend", required=True, help="stage-5 folder for SEED rows")
    p.add_argument("--variant", action="append", default=[], help="NAME=BACKEND_DIR:DIR1,DIR2 (extra system)")
    p.add_argument("--backends", nargs="+", default=["cosine", "plda"], choices=("cosine", "plda"))
    p.add_argument("--norms", nargs="+", default=["none", "asnorm"], choices=("none", "snorm", "asnorm"))
    p.add_argument("--top-k", type=int, default=100, help="AS-norm top-k")
    p.add_argument("--no-centering", action="store_true", help="omit the centering control rows")
    p.add_argument("--no-seed-centering", action="store_true",
                   help="omit the 'SEED + centering' rows (SEED embeddings, cosine after subtracting the mean of "
                        "the enhanced clean training crops: SEED's own unlabelled data, no model)")
    p.add_argument("--title", default="SEED results")
    p.add_argument("--seed-exp", default=None, help="SEED experiment folder (its config is quoted)")
    p.add_argument("--out-dir", required=True)
    args = p.parse_args(argv)
    out = Path(args.out_dir)
    conditions = args.conditions.split()
    if CLEAN not in conditions:
        conditions = [CLEAN] + conditions
    start = time.time()
    try:
        trials = read_trials(args.trials)
        systems = [System("baseline", Path(args.baseline_dir), Path(args.baseline_backend))]
        if not args.no_centering:
            systems.append(System("centering", Path(args.baseline_dir), Path(args.baseline_backend), centering=True))
        systems += [System("seed", Path(d), Path(args.seed_backend), eval_seed=seed_of(d)) for d in args.seed_dirs]
        if not args.no_seed_centering:
            systems += [System("seed_centered", Path(d), Path(args.seed_backend), eval_seed=seed_of(d), centering=True)
                        for d in args.seed_dirs]
        for v in args.variant:
            name, backend, dirs = parse_variant(v)
            systems += [System(name, d, backend, eval_seed=seed_of(d)) for d in dirs]
            if not args.no_seed_centering:
                systems += [System(f"{name}_centered", d, backend, eval_seed=seed_of(d), centering=True) for d in dirs]
        rows, dets = [], {}
        for s in systems:
            r, det = evaluate_system(s, trials, args.test_set, conditions, args.backends, args.norms, args.top_k,
                                     out / "scores")
            rows += r
            if s.eval_seed in (None, seed_of(args.seed_dirs[0])):
                dets[s.name] = det
    except (SeedDataError, ValueError) as e:
        print(f"make_report: {e}", file=sys.stderr)
        return 1
    agg = aggregate_rows(rows)
    systems_named = sorted({s.name for s in systems} - {"baseline", "centering"})
    summary = summarise(agg, systems=systems_named)
    env = environment_info()
    seed_cfg = None
    if args.seed_exp and (Path(args.seed_exp) / "config.yaml").is_file():
        seed_cfg = yaml.safe_load((Path(args.seed_exp) / "config.yaml").read_text())
    header = [f"# {args.title}", "",
              f"Trials: `{args.trials}` — {trials.n_target} target / {trials.n_nontarget} non-target. "
              "Enrolment is always the clean utterance; the test side is the condition's copy.",
              f"Eval seeds (SEED rows are mean ± sample std over them): "
              f"{', '.join(str(seed_of(d)) for d in args.seed_dirs)}.",
              "Centering control: baseline cosine after subtracting the mean of the clean training crops SEED "
              "learns from (no model). Relative changes are (system − reference) / reference on EER.",
              f"Produced by: `python -m seed.bin.make_report {' '.join(shlex.quote(a) for a in (argv or sys.argv[1:]))}`",
              f"Environment: Python {env['python']}, torch {env['packages'].get('torch')}, "
              f"numpy {env['packages'].get('numpy')}, git {env['git_revision']}, {env['platform']}."]
    if seed_cfg:
        header.append(f"SEED config: `{seed_cfg.get('name', '?')}` — train {json.dumps(seed_cfg.get('train', {}))}; "
                      f"enhance {json.dumps(seed_cfg.get('enhance', {}))}.")
    md = render_results_md(agg, summary, header)
    out.mkdir(parents=True, exist_ok=True)
    det_systems = {}
    for name, det in dets.items():
        for c in (CLEAN, *[c for c in conditions if c != CLEAN][:2]):
            if c in det:
                det_systems[f"{name} / {c}"] = (det[c], trials.labels)
    plot_det(det_systems, out / "det.png", title=f"{args.title} ({args.backends[0]}, {args.norms[0]})")
    results = {"title": args.title, "trials": args.trials, "n_target": trials.n_target,
               "n_nontarget": trials.n_nontarget, "conditions": conditions, "backends": args.backends,
               "norms": args.norms, "eval_seeds": [seed_of(d) for d in args.seed_dirs],
               "rows": agg, "per_seed_rows": rows, "summary": summary, "environment": env,
               "seed_config": seed_cfg}
    with atomic_write(out / "results.json") as f:
        json.dump(results, f, indent=1, default=lambda o: o.item() if isinstance(o, np.generic) else str(o))
    with atomic_write(out / "RESULTS.md") as f:
        f.write(md)
    print(f"make_report: {len(rows)} score lists in {time.time() - start:.1f} s: {out}/RESULTS.md, results.json, det.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
