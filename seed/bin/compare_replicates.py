"""Variants × training seeds: tell a variant's effect from the noise of training (seed.report.replicates).

  python -m seed.bin.compare_replicates SPEC.yaml [--md OUT.md] [--json OUT.json]

SPEC (paths relative to the current directory; see egs/librispeech/seed1/conf/replicates_ci.yaml):

  title: Training-seed replicates, CI size
  note: how the runs were made (printed under the title)
  protocols:
    - name: in-domain LibriSpeech
      trials: egs/librispeech/seed1/data_ci/test_other/trials   # utt2spk: beside it, or `utt2spk:`
      control: domain_centering          # the free control every variant is measured against
      system: seed_domain_centered       # default system of the runs (DIR@SYSTEM overrides it)
      groups:                            # variant: its runs, one stage-6 results folder per train.seed
        x0: [egs/librispeech/seed1/exp_ci/results/resemblyzer_seed_ci, ...]
      versus: [[residual, x0]]           # B vs A, paired on the same speaker-bootstrap replicates

Per protocol and variant: the change vs the control for each training seed and for the seed-averaged
system, with 95 % speaker-bootstrap intervals; per `versus` pair the change of B vs A. Cosine, no
normalisation unless `backend:` / `norm:` say otherwise.
"""
import argparse
import dataclasses
import json
import sys
from pathlib import Path

import yaml

from seed.data import SeedDataError, atomic_write
from seed.report.replicates import ReplicateComparison
from seed.report.tables import display_name, fmt_rel_ci

SPEC_KEYS = {"title", "note", "protocols"}
PROTOCOL_KEYS = {"name", "trials", "utt2spk", "control", "system", "groups", "versus", "backend", "norm"}


def _spread(values):
    values = [v for v in values if v is not None]
    return f"{min(values):+.1f} … {max(values):+.1f}" if values else "–"


def _per_seed(group, key):
    return " / ".join(f"{p[key]:.2f}" for p in group["per_seed"])


def read_spec(path):
    try:
        with open(path, encoding="utf-8") as f:
            spec = yaml.safe_load(f)
    except OSError as e:
        raise SeedDataError(path, f"cannot read ({e.strerror})") from None
    if not isinstance(spec, dict) or not isinstance(spec.get("protocols"), list) or not spec["protocols"]:
        raise SeedDataError(path, "expected a mapping with a non-empty list `protocols`", key="protocols")
    unknown = sorted(set(spec) - SPEC_KEYS)
    if unknown:
        raise SeedDataError(path, f"unknown key (known: {', '.join(sorted(SPEC_KEYS))})", key=unknown[0])
    for i, p in enumerate(spec["protocols"]):
        where = f"protocols[{i}]"
        if not isinstance(p, dict):
            raise SeedDataError(path, f"{where} is not a mapping", key=where)
        unknown = sorted(set(p) - PROTOCOL_KEYS)
        if unknown:
            raise SeedDataError(path, f"{where}: unknown key (known: {', '.join(sorted(PROTOCOL_KEYS))})",
                                key=unknown[0])
        for key in ("name", "trials", "control", "groups"):
            if key not in p:
                raise SeedDataError(path, f"{where}: missing", key=key)
        if not isinstance(p["groups"], dict) or not all(isinstance(v, list) and v for v in p["groups"].values()):
            raise SeedDataError(path, f"{where}: `groups` must map each variant to a non-empty list of runs",
                                key="groups")
        for pair in p.get("versus") or []:
            if not (isinstance(pair, list) and len(pair) == 2 and all(x in p["groups"] for x in pair)):
                raise SeedDataError(path, f"{where}: each `versus` entry is [B, A], two of its groups", key="versus")
    return spec


def compare(protocol):
    """{name, control, groups: [...], versus: [...]} of one protocol (JSON-ready)."""
    trials = protocol["trials"]
    utt2spk = protocol.get("utt2spk") or str(Path(trials).parent / "utt2spk")
    cmp = ReplicateComparison(list(protocol["groups"].items()), trials, utt2spk, protocol["control"],
                              protocol.get("backend", "cosine"), protocol.get("norm", "none"),
                              default_system=protocol.get("system", "seed_domain_centered"))
    groups = [dataclasses.asdict(cmp.group(label)) for label in protocol["groups"]]
    versus = [{"variant": b, "reference": a, **cmp.versus(b, a)} for b, a in protocol.get("versus") or []]
    revisions = sorted({str((run.meta.get("environment") or {}).get("git_revision", "?"))[:12]
                        for runs in cmp.groups.values() for run in runs})
    return {"name": protocol["name"], "trials": trials, "control": protocol["control"], "git_revisions": revisions,
            "backend": cmp.backend, "norm": cmp.norm, "n_speakers": cmp.replicates.boot.n_speakers,
            "mismatched": cmp.mismatched, "control_stats": cmp.control_stats(), "groups": groups, "versus": versus}


def render_md(title, command, results, note=""):
    revisions = sorted({r for p in results for r in p["git_revisions"]})
    lines = [f"# {title}", "", f"Made by `{command}` from recipe runs made at git {', '.join(revisions)}."
             + (f" {note.strip()}" if note else ""), "",
             "Each variant was trained with several `train.seed` values (one recipe run each). Per protocol: "
             "the change of the variant's SEED system vs the control, as the mean of per-condition relative "
             "EER changes over the mismatched conditions and as the pooled mismatched EER (all mismatched "
             "trials at one threshold); first per training seed (each the mean over that run's eval seeds), "
             "then for the seed-averaged system (all training × eval seeds averaged) with its 95 % "
             "speaker-bootstrap interval (seed.report.intervals). The per-seed spread is the training noise: a "
             "variant difference smaller than it is not a finding.", ""]
    for r in results:
        c = r["control_stats"]
        lines += [f"## {r['name']}", "",
                  f"Trials `{r['trials']}` ({r['n_speakers']} speakers), {r['backend']}, score normalisation "
                  f"{r['norm']}; control: {display_name(r['control'])} (pooled mismatched EER "
                  f"{c['pooled_eer']:.2f} % [{c['pooled_target_errors']}], clean {c['clean_eer']:.2f} %); "
                  f"{len(r['mismatched'])} mismatched conditions.", "",
                  "| variant (system) | training seeds | mean rel. change vs control, per seed | range | "
                  "seed-averaged: mean rel. change [95 %] | pooled EER % [target errors] | pooled vs control [95 %] "
                  "| clean EER %, per seed → averaged |",
                  "|---|---|---|---|---|---|---|---|"]
        for g in r["groups"]:
            iv = g["intervals"]
            systems = sorted({p["system"] for p in g["per_seed"]})
            lines.append(
                f"| {g['variant']} ({', '.join(display_name(s) for s in systems)}) | {g['n_seeds']} | "
                f"{' / '.join(fmt_rel_ci(p['mean_rel']) for p in g['per_seed'])} | "
                f"{_spread([p['mean_rel'] for p in g['per_seed']])} | "
                f"{fmt_rel_ci(g['mean_rel'], iv.get('mean_mismatched'))} | "
                f"{_per_seed(g, 'pooled_eer')} → {g['pooled_eer']:.2f} [{g['pooled_target_errors']}] | "
                f"{fmt_rel_ci(g['pooled_rel'], iv.get('pooled'))} | "
                f"{_per_seed(g, 'clean_eer')} → {g['clean_eer']:.2f} |")
        if r["versus"]:
            lines += ["", "| seed-averaged B vs A | mean rel. change, mismatched [95 %] | pooled [95 %] | clean |",
                      "|---|---|---|---|"]
            for v in r["versus"]:
                iv = v["intervals"]
                lines.append(f"| {v['variant']} vs {v['reference']} | "
                             f"{fmt_rel_ci(v['mean_rel'], iv.get('mean_mismatched'))} | "
                             f"{fmt_rel_ci(v['pooled_rel'], iv.get('pooled'))} | "
                             f"{fmt_rel_ci(v['clean_rel'], iv.get('clean'))} |")
        lines.append("")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m seed.bin.compare_replicates", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("spec", help="YAML: title, protocols (module docstring)")
    p.add_argument("--md", help="write the tables to this file (they are also printed)")
    p.add_argument("--json", help="write every number to this file")
    args = p.parse_args(argv)
    try:
        spec = read_spec(args.spec)
        results = [compare(protocol) for protocol in spec["protocols"]]
    except SeedDataError as e:
        print(f"compare_replicates: {e}", file=sys.stderr)
        return 1
    command = "python -m seed.bin.compare_replicates " + args.spec + (f" --md {args.md}" if args.md else "")
    md = render_md(spec.get("title", "Training-seed replicates"), command, results, spec.get("note", ""))
    print(md, end="")
    if args.md:
        with atomic_write(args.md) as f:
            f.write(md)
    if args.json:
        with atomic_write(args.json) as f:
            json.dump({"spec": args.spec, "protocols": results}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
