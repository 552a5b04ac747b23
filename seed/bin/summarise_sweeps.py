"""One table over several strength sweeps (seed.bin.sweep_enhance --json): protocol × variant.

  python -m seed.bin.summarise_sweeps "in-domain LibriSpeech=egs/librispeech/seed1/exp_ci/results/X/sweep_seed.json" \\
      "OOD mini→LibriSpeech=egs/librispeech/seed1/exp_ci/results/X/sweep_mini.json" [--md OUT.md]

Per row: clean EER (and minDCF@0.01), the mean EER over the mismatched conditions with its change
relative to the baseline's mean, the mismatched conditions where the variant is worse than the baseline
(EER), and how many it wins against the centering control (EER). This is how the default strength of
the recipes was chosen: it must be safe out of domain, not only in domain.
"""
import argparse
import json
import sys

from seed.data import atomic_write


def summarise(name, sweep):
    rows = sweep["rows"]
    base, centre = rows[0], rows[1]
    out = []
    for r in rows:
        pc = r["per_condition"]
        mism = [c for c in pc if c != "clean"]
        rel = 100.0 * (r["mismatched_mean_eer"] - base["mismatched_mean_eer"]) / base["mismatched_mean_eer"]
        worse = [c for c in mism if pc[c]["eer"] > base["per_condition"][c]["eer"]]
        wins = sum(pc[c]["eer"] < centre["per_condition"][c]["eer"] for c in mism)
        variant = r["system"] if "strength" not in r else f"{r['system']} s={r['strength']} t*={r['t']}"
        out.append(f"| {name} | {variant} | {r['clean_eer']:.2f} / {r['clean_min_dcf_p0.01']:.3f} | "
                   f"{r['mismatched_mean_eer']:.2f} ({rel:+.1f} %) | {', '.join(worse) or 'none'} | "
                   f"{wins}/{len(mism)} |")
    return out


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m seed.bin.summarise_sweeps", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("sweeps", nargs="+", metavar="NAME=SWEEP.json")
    p.add_argument("--md", help="also write the table to this file")
    args = p.parse_args(argv)
    lines = ["| protocol | variant | clean EER % / minDCF@0.01 | mismatched mean EER % (vs baseline) "
             "| mismatched conditions worse than baseline | beats centering (EER) |",
             "|---|---|---|---|---|---|"]
    for item in args.sweeps:
        name, sep, path = item.partition("=")
        if not sep:
            print(f"summarise_sweeps: '{item}': expected NAME=SWEEP.json", file=sys.stderr)
            return 1
        try:
            with open(path, encoding="utf-8") as f:
                lines += summarise(name, json.load(f))
        except (OSError, ValueError, KeyError, IndexError) as e:
            print(f"summarise_sweeps: {path}: not a sweep_enhance --json file ({e})", file=sys.stderr)
            return 1
    md = "\n".join(lines) + "\n"
    print(md, end="")
    if args.md:
        with atomic_write(args.md) as f:
            f.write(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
