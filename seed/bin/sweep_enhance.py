"""Sweep SEED's enhancement options (strength, t*) on a trial list: choose them on a dev set.

  python -m seed.bin.sweep_enhance --model exp/seed/X --embed-dir exp/embed/X --test-set test \\
      --trials data/test/trials --conditions "clean noise_snr5 reverb_real" \\
      --centering-scp exp/backend/X/centering.scp --strengths 0.3 0.5 0.7 1.0 --ts 0 50 --seeds 0 1 2 \\
      [--json OUT.json] [--md OUT.md]

For every (strength, t*) it enhances the clean enrolment set and each condition's test set (the
model is loaded once; no files are written but the report) and scores cosine trials, plain and after
subtracting the mean of the *enhanced* centering set (the clean training crops SEED learned from:
its own unlabelled data). EER/minDCF are mean over the eval seeds. The baseline and the centering
control (no model) are the first two rows. Only SEED's unlabelled training speech and the dev trials
are used; pick the setting on a dev list, never on the evaluation list you report.
"""
import argparse
import json
import sys
from pathlib import Path

import numpy as np

from seed.backend import l2_normalize
from seed.data import SeedDataError, atomic_write, load_embedding_dict, read_trials
from seed.metrics import compute_metrics

METRICS = ("eer", "min_dcf_p0.01", "min_dcf_p0.05")


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
    p.add_argument("--strengths", type=float, nargs="+", default=[0.3, 0.5, 0.7, 1.0])
    p.add_argument("--ts", type=int, nargs="+", default=[50], help="t* values (default 50)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0], help="enhancement noise seeds (default 0)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--json", help="write every row as JSON")
    p.add_argument("--md", help="write the table as Markdown (also printed)")
    return p


def _rows(table, keys, source):
    """(unique keys' matrix [U, D], index of each requested key into it); enhancement runs on the
    unique utterances only, scoring gathers their rows per trial."""
    missing = [k for k in keys if k not in table]
    if missing:
        raise SeedDataError(source, "trial key has no embedding", key=missing[0])
    unique = sorted(set(keys))
    x = np.stack([np.asarray(table[k], dtype=np.float32) for k in unique])
    if x.ndim != 2:
        raise SeedDataError(source, "sweep_enhance scores one vector per utterance (crop matrices found)")
    pos = {k: i for i, k in enumerate(unique)}
    return x, np.array([pos[k] for k in keys], dtype=np.int64)


def cosine_scores(e, t, mean=None):
    if mean is not None:
        e, t = e - mean, t - mean
    return np.einsum("ij,ij->i", l2_normalize(e), l2_normalize(t))


def evaluate(enroll, tests, trials, mean=None):
    """{condition: metrics} for cosine trials; enroll = (matrix, index), tests = {cond: (matrix, index)}."""
    e = enroll[0][enroll[1]]
    return {c: {m: v for m, v in compute_metrics(cosine_scores(e, x[i], mean), trials.labels).items() if m in METRICS}
            for c, (x, i) in tests.items()}


def summary(per_cond):
    mism = [v["eer"] for c, v in per_cond.items() if c != "clean"]
    return float(np.mean(mism)) if mism else None


def main(argv=None):
    args = build_parser().parse_args(argv)
    from seed.diffusion.api import SEED
    conditions = args.conditions.split()
    if "clean" not in conditions:
        conditions = ["clean"] + conditions
    try:
        trials = read_trials(args.trials)
        embed = Path(args.embed_dir)
        enroll_scp = embed / args.test_set / "embedding.scp"
        enroll_table = load_embedding_dict(enroll_scp)
        enroll = _rows(enroll_table, trials.enroll, enroll_scp)
        tests = {}
        for c in conditions:
            scp = enroll_scp if c == "clean" else embed / f"{args.test_set}_{c}" / "embedding.scp"
            tests[c] = _rows(load_embedding_dict(scp), trials.test, scp)
        centre_table = load_embedding_dict(args.centering_scp)
        centre = _rows(centre_table, list(centre_table), args.centering_scp)[0]
        model = SEED.load(args.model, device=args.device)
    except (SeedDataError, FileNotFoundError, ValueError) as e:
        print(f"sweep_enhance: {e}", file=sys.stderr)
        return 1
    rows = [{"system": "baseline", **_flat(evaluate(enroll, tests, trials))},
            {"system": "centering", **_flat(evaluate(enroll, tests, trials, centre.mean(0)))}]
    for strength in args.strengths:
        for t in args.ts:
            plain, centred = [], []
            for seed in args.seeds:
                def enh(x):
                    return model.enhance(x, seed=seed, t=t, strength=strength)
                e_enh = (enh(enroll[0]), enroll[1])
                t_enh = {c: (enh(x), i) for c, (x, i) in tests.items()}
                plain.append(evaluate(e_enh, t_enh, trials))
                centred.append(evaluate(e_enh, t_enh, trials, enh(centre).mean(0)))
            for name, runs in (("seed", plain), ("seed+centering", centred)):
                mean_run = {c: {m: float(np.mean([r[c][m] for r in runs])) for m in METRICS} for c in conditions}
                rows.append({"system": name, "strength": strength, "t": t, "seeds": args.seeds, **_flat(mean_run)})
    md = render(rows, conditions)
    print(md)
    if args.md:
        with atomic_write(args.md) as f:
            f.write(md)
    if args.json:
        with atomic_write(args.json) as f:
            json.dump({"conditions": conditions, "rows": rows, "argv": sys.argv[1:] if argv is None else argv}, f,
                      indent=1)
    return 0


def _flat(per_cond):
    return {"per_condition": per_cond, "clean_eer": per_cond["clean"]["eer"],
            "clean_min_dcf_p0.01": per_cond["clean"]["min_dcf_p0.01"],
            "mismatched_mean_eer": summary(per_cond)}


def render(rows, conditions):
    base = rows[0]
    head = "| system | strength | t* | " + " | ".join(conditions) + " | mismatched mean EER | rel. to baseline |"
    lines = [head, "|" + "---|" * (len(conditions) + 5)]
    for r in rows:
        rel = 100.0 * (r["mismatched_mean_eer"] - base["mismatched_mean_eer"]) / base["mismatched_mean_eer"]
        lines.append(f"| {r['system']} | {r.get('strength', '–')} | {r.get('t', '–')} | "
                     + " | ".join(f"{r['per_condition'][c]['eer']:.2f}" for c in conditions)
                     + f" | {r['mismatched_mean_eer']:.2f} | {rel:+.1f} % |")
    return "EER % (cosine; SEED rows: mean over eval seeds)\n\n" + "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
