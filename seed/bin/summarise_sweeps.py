"""One table over several strength sweeps: protocol × variant.

  python -m seed.bin.summarise_sweeps "in-domain LibriSpeech=egs/librispeech/seed1/exp_ci/results/X/results.json" \\
      "OOD mini→LibriSpeech=egs/librispeech/seed1/exp_ci/results/X/results.json@mini" [--md OUT.md]

Each argument is NAME=FILE[@MODEL]: FILE is a recipe's results.json (its stage-6 sweep; MODEL picks the
swept model, default `seed`, the recipe's own) or a `seed.bin.sweep_enhance --json` file. Per row: clean
EER (and minDCF@0.01), the EER of all mismatched trials pooled at one threshold (with the target errors
it rests on), the mean relative EER change over the mismatched conditions against the baseline,
the centering control and the best free control (centering or domain centering, the one with the
lower pooled mismatched EER; the summary's definition, as in RESULTS.md), the mismatched conditions
where the variant is worse than the baseline (EER), and how many it wins against the best control
(EER). This is how the default strength of the recipes was chosen: it must be safe out of
domain, not only in domain.

With `--dev-test` the table is instead each protocol's dev/test choice (results.json `dev_test`,
seed.report.selection): MODEL's chosen system and its recipe settings, on dev and on the test
speakers against the dev-best control, with the speaker-bootstrap intervals.
"""
import argparse
import json
import sys

from seed.data import atomic_write
from seed.report.selection import DEV_TEST_HEADER, DEV_TEST_RULE, dev_test_line
from seed.report.tables import CLEAN, POOLED, SWEEP_CENTERINGS, display_name, target_errors


def _rel(v):
    return "–" if v is None else f"{v:+.1f} %"


def summarise(name, sweep, model="seed"):
    """Table lines of one sweep ({rows, summary}: sweep_enhance --json, or results.json's `sweep`)."""
    idx = {(r["condition"], r["system"]): r for r in sweep["rows"]
           if (r["backend"], r["norm"]) == ("cosine", "none")}
    conditions = list(dict.fromkeys(r["condition"] for r in sweep["rows"]))
    mism = [c for c in conditions if c not in (CLEAN, POOLED)]
    entries = [s for s in sweep["summary"] if s.get("model", "seed") == model]
    if not entries:
        raise KeyError(f"no swept model '{model}'")
    # the protocol's best free control (the same for every setting: it depends on the controls only)
    best = next((s["best_control"] for s in entries if s.get("best_control")), "centering")

    def line(label, system, summ=None):
        clean = idx[(CLEAN, system)]
        worse = [c for c in mism if idx[(c, system)]["eer"] > idx[(c, "baseline")]["eer"]]
        wins = sum(idx[(c, system)]["eer"] < idx[(c, best)]["eer"] for c in mism)
        pooled = idx.get((POOLED, system))
        pooled_cell = "–" if pooled is None else f"{pooled['eer']:.2f} [{target_errors(pooled)}]"
        return (f"| {name} | {label} | {clean['eer']:.2f} / {clean['min_dcf_p0.01']:.3f} | {pooled_cell} | "
                f"{_rel(summ and summ['mean_rel_eer_change_mismatched'])} | "
                f"{_rel(summ and summ['mean_rel_eer_change_vs_centering_mismatched'])} | "
                f"{_rel(summ and summ.get('mean_rel_eer_change_vs_best_control_mismatched'))}"
                f"{' (' + display_name(summ['best_control']) + ')' if summ and summ.get('best_control') else ''} | "
                f"{', '.join(worse) or 'none'} | {wins}/{len(mism)} |")

    out = [line("baseline", "baseline"), line("centering control", "centering")]
    if any(system == "domain_centering" for _, system in idx):
        out.append(line("domain centering", "domain_centering"))
    suffix = {"none": "", "training": " + centering", "domain": " + domain centering"}
    for s in sorted(entries, key=lambda s: (s["strength"], s["t"], SWEEP_CENTERINGS.index(s["centering"]))):
        out.append(line(f"s={s['strength']:g} t*={s['t']}" + suffix[s["centering"]], s["system"], s))
    return out


def dev_test_lines(name, path, model="seed", chosen_only=False):
    """Table lines of one protocol's dev/test choice for `model` (module docstring)."""
    with open(path, encoding="utf-8") as f:
        dev_test = json.load(f).get("dev_test")
    if not isinstance(dev_test, dict):
        raise KeyError(f"no dev/test choice in this file ({dev_test or 'stage 6 ran with --bootstrap 0?'})")
    rows = [r for r in dev_test["rows"] if r["model"] == model and (r["chosen"] or not chosen_only)]
    if not rows:
        raise KeyError(f"no model '{model}' in the dev/test choice")
    names = {r["system"]: display_name(r["system"]) for r in rows}
    return [dev_test_line(f"{name} (best control: {display_name(dev_test['control'])})", r, names) for r in rows]


def load_sweep(path):
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    sweep = data["sweep"] if "sweep" in data else data      # results.json, or a sweep_enhance --json file
    if not sweep or "rows" not in sweep:
        raise KeyError("no sweep in this file (was stage 6 run with --sweep-strengths?)")
    return sweep


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m seed.bin.summarise_sweeps", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("sweeps", nargs="+", metavar="NAME=FILE[@MODEL]")
    p.add_argument("--md", help="also write the table to this file")
    p.add_argument("--dev-test", action="store_true", help="the dev/test choices instead of the sweeps")
    p.add_argument("--chosen-only", action="store_true", help="with --dev-test: only the chosen system's row")
    args = p.parse_args(argv)
    sweep_header = ["| protocol | variant | clean EER % / minDCF@0.01 | pooled mismatched EER % [target errors] "
                    "| mean rel. EER change, mismatched: vs baseline | vs centering control | vs best free control "
                    "| mismatched conditions worse than baseline | beats the best control (EER) |",
                    "|---|---|---|---|---|---|---|---|---|"]
    lines = [DEV_TEST_HEADER.format(first="protocol"), DEV_TEST_RULE] if args.dev_test else sweep_header
    for item in args.sweeps:
        name, sep, spec = item.partition("=")
        path, at, model = spec.rpartition("@") if "@" in spec else (spec, "", "seed")
        if not sep or not path:
            print(f"summarise_sweeps: '{item}': expected NAME=FILE[@MODEL]", file=sys.stderr)
            return 1
        try:
            lines += (dev_test_lines(name, path, model or "seed", args.chosen_only) if args.dev_test
                      else summarise(name, load_sweep(path), model or "seed"))
        except (OSError, ValueError, KeyError, IndexError) as e:
            print(f"summarise_sweeps: {path}: not a sweep (results.json or sweep_enhance --json): {e}",
                  file=sys.stderr)
            return 1
    md = "\n".join(lines) + "\n"
    print(md, end="")
    if args.md:
        with atomic_write(args.md) as f:
            f.write(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
