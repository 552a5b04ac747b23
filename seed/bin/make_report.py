"""Recipe stage 6: score {baseline, centering, every SEED system (+ centering)} × backends × norms ×
conditions, run the strength sweep, and write RESULTS.md, results.json, det.png and every score file —
the one writer of the recipe's results.

  python -m seed.bin.make_report --systems exp/systems/T.json --trials data/test/trials \\
      --out-dir exp/results/T [--backends cosine plda] [--norms none asnorm] [--top-k K] \\
      [--sweep-strengths 0.3 1.0] [--sweep-ts 50] [--stage-markers exp] [--copy-to RESULTS.md] [--title T]

SEED rows are mean ± std over the eval seeds of the systems file (stage 4). The sweep scores, for the
recipe's model and every OOD model, each (strength, t*) with cosine and no normalisation, enhanced in
memory exactly as stage 4 would (its row at the recipe's own setting equals the main table's).
"""
import argparse
import json
import os
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import yaml

from seed.backend.trial_scorer import SCORING_DEFAULTS
from seed.data import SeedDataError, atomic_write, read_kv, read_trials
from seed.metrics import plot_det_grid
from seed.provenance import environment_info
from seed.report.evaluate import CLEAN, System, evaluate_system
from seed.report.intervals import N_BOOTSTRAP, ReplicateEers, SpeakerBootstrap, trial_speakers
from seed.report.lists import evaluate_list, render_list_md
from seed.report.overlap import leaked_combos, read_overlap
from seed.report.published import SOURCE as PUBLISHED_SOURCE
from seed.report.published import published_vox1_o
from seed.report.selection import DevTest, render_dev_test_md
from seed.report.sweep import SWEEP_BACKEND, SWEEP_NORM, summarise_sweep, sweep_model
from seed.report.tables import (CONTROLS, LEAKED_MARK, aggregate_rows, display_name, render_results_md,
                                render_sweep_md, summarise)

STAGE_NAMES = {0: "data, pools", 1: "simulation", 2: "extraction", 3: "SEED training", 4: "enhancement",
               5: "backends", 6: "scoring + report"}


REPO_ROOT = Path(__file__).resolve().parents[2]


def build_parser():
    p = argparse.ArgumentParser(prog="python -m seed.bin.make_report", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--systems", required=True, help="systems file of stage 4 (seed.bin.enhance_systems)")
    p.add_argument("--trials", required=True, help="Kaldi trials of the clean test set")
    p.add_argument("--backends", nargs="+", default=["cosine", "plda"], choices=("cosine", "plda"))
    p.add_argument("--norms", nargs="+", default=["none", "asnorm"], choices=("none", "snorm", "asnorm"))
    p.add_argument("--top-k", type=int, default=None,
                   help=f"AS-norm top-k (default {SCORING_DEFAULTS['top_k']}: seed.backend.trial_scorer)")
    p.add_argument("--eer-method", choices=("interp", "espnet"), default="interp",
                   help="EER convention: interp (the project's, seed.metrics.eer) or espnet (ESPnet-SPK's)")
    p.add_argument("--no-centering", action="store_true", help="omit the control rows (centering and domain centering)")
    p.add_argument("--no-seed-centering", action="store_true",
                   help="omit the '<system> + centering' rows (SEED embeddings, cosine after subtracting the mean "
                        "of the enhanced clean training crops: SEED's own unlabelled data, no model)")
    p.add_argument("--sweep-strengths", type=float, nargs="*", default=[],
                   help="enhancement strengths of the sweep (none: no sweep)")
    p.add_argument("--sweep-ts", type=int, nargs="*", default=[],
                   help="t* values of the sweep (default: each system's own t*)")
    p.add_argument("--bootstrap", type=int, default=N_BOOTSTRAP,
                   help=f"speaker-bootstrap replicates of the intervals and of the dev/test section (default "
                        f"{N_BOOTSTRAP}; 0: neither)")
    p.add_argument("--utt2spk", help="speakers of the main list's utterances (default: the test set's utt2spk)")
    p.add_argument("--stage-markers", help="folder with the recipe's .done.stageN markers (their wall times "
                                           "are listed in RESULTS.md)")
    p.add_argument("--stage-tag", default="", help="system tag of the markers of stages 2-6 (.done.stageN.TAG)")
    p.add_argument("--copy-to", help="also write RESULTS.md here (e.g. the recipe folder)")
    p.add_argument("--title", default="SEED results")
    p.add_argument("--device", default="cpu", help="device of the sweep's in-memory enhancement")
    p.add_argument("--out-dir", required=True)
    return p


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    out = Path(args.out_dir)
    start = time.time()
    try:
        from seed.recipe.systems import RecipeSystems
        recipe = RecipeSystems.read(args.systems)
        trials = read_trials(args.trials)
        systems = report_systems(recipe, args)
        rows, dets, store = [], {}, {}
        for s in systems:
            r, det = evaluate_system(s, trials, recipe.test_set, recipe.conditions, args.backends, args.norms,
                                     args.top_k, out / "scores" / recipe.main_list, eer_method=args.eer_method,
                                     store=store)
            rows += r
            if s.eval_seed in (None, recipe.first_seed):
                dets[s.name] = det
        lists, list_dets = {}, {}
        for entry in recipe.eval_lists:
            result, det, labels = evaluate_list(entry, systems, args.backends, args.norms, args.top_k,
                                                out / "scores" / entry["name"], eer_method=args.eer_method)
            lists[entry["name"]] = result
            list_dets[entry["name"]] = {display_name(n): (sc, labels) for n, sc in det.items()}
            log(f"make_report: list {entry['name']}: {result['n_target']} target / {result['n_nontarget']} "
                "non-target trials scored")
        sweep = run_sweep(recipe, trials, rows, args, store) if args.sweep_strengths else None
        agg = aggregate_rows(rows)
        summary = summarise(agg, systems=sorted({s.name for s in systems} - {"baseline", *CONTROLS}))
        dev_test = speaker_statistics(recipe, trials, store, summary, args) if args.bootstrap else None
    except (SeedDataError, ValueError, FileNotFoundError) as e:
        log(f"make_report: {e}")
        return 1
    env = environment_info()
    seed_cfg = _model_config(recipe)
    extractor = _extractor_meta(recipe)
    order = [s.name for s in systems if s.eval_seed in (None, recipe.first_seed)]
    overlap = read_overlap(recipe.baseline_backend_dir)
    leaked = leaked_combos(args.backends, args.norms) if overlap else set()
    md = render_results_md(agg, summary, header_lines(args, argv, recipe, trials, env, seed_cfg, extractor, lists)
                           + backend_warnings(recipe, args, overlap), leaked=leaked)
    if isinstance(dev_test, dict):
        md += render_dev_test_md(dev_test, {n: display_name(n) for n in store_names(dev_test)})
    elif dev_test:
        md += f"\n## Chosen on dev, reported on test\n\nNot computed: {dev_test}.\n"
    for result in lists.values():
        md += render_list_md(result, list(dict.fromkeys(order)), leaked)
    md += espnet_comparison_section(extractor, agg, args)
    if sweep is not None:
        md += sweep_section(recipe, sweep)
    stage_times = read_stage_times(args.stage_markers, args.stage_tag) if args.stage_markers else {}
    md += stage_times_section(stage_times, time.time() - start)
    out.mkdir(parents=True, exist_ok=True)
    panels = {c: {display_name(n): (dets[n][c], trials.labels) for n in dict.fromkeys(order) if c in dets[n]}
              for c in recipe.conditions}
    det_title = f"({args.backends[0]}, {args.norms[0]}; eval seed {recipe.first_seed})"
    plot_det_grid(panels, out / "det.png", title=f"{args.title}: {recipe.main_list} {det_title}")
    if list_dets:
        plot_det_grid(list_dets, out / "det_lists.png", title=f"{args.title}: other trial lists, clean {det_title}",
                      system_order=[display_name(n) for n in dict.fromkeys(order)])
    main_entry = {"name": recipe.main_list, "set": recipe.test_set, "trials": args.trials, "n_target": trials.n_target,
                  "n_nontarget": trials.n_nontarget, "conditions": recipe.conditions, "rows": agg, "summary": summary}
    results = {"title": args.title, "trials": args.trials, "n_target": trials.n_target,
               "n_nontarget": trials.n_nontarget, "conditions": recipe.conditions, "backends": args.backends,
               "norms": args.norms, "eval_seeds": recipe.eval_seeds, "eer_method": args.eer_method,
               "test_list": recipe.main_list, "lists": {recipe.main_list: main_entry, **lists},
               "labelled_set": recipe.labelled_set, "speaker_overlap": overlap, "extractor": extractor,
               "systems": [{"name": s.name, "kind": s.kind, "model": s.model, "enhance": s.enhance}
                           for s in recipe.systems],
               "rows": agg, "per_seed_rows": rows, "summary": summary, "sweep": sweep, "dev_test": dev_test,
               "stage_seconds": stage_times, "environment": env, "seed_config": seed_cfg}
    with atomic_write(out / "results.json") as f:
        json.dump(results, f, indent=1, default=lambda o: o.item() if isinstance(o, np.generic) else str(o))
    with atomic_write(out / "RESULTS.md") as f:
        f.write(md)
    if args.copy_to:
        with atomic_write(args.copy_to) as f:
            f.write(md)
    log(f"make_report: {len(rows)} score lists in {time.time() - start:.1f} s: {out}/RESULTS.md, results.json, "
        f"det.png{', det_lists.png' if list_dets else ''}" + (f" (copied to {args.copy_to})" if args.copy_to else ""))
    return 0


def report_systems(recipe, args):
    """baseline, the controls, then each SEED system and its centred twins per eval seed. The domain rows
    take the adaptation set's mean (cosine; PLDA's centring mean) and, when the adaptation set is held
    out (not the test set itself), its utterances as the AS-norm cohort: a transductive cohort would hold
    every trial's own utterances, so there the training cohort stays."""
    base = System("baseline", Path(recipe.embed_dir), Path(recipe.baseline_backend_dir))
    systems = [base]
    domain = recipe.domain_set

    def domain_cohort(folder):
        return None if recipe.transductive else Path(folder) / domain / "embedding.scp"
    if not args.no_centering:
        systems.append(System("centering", base.embed_dir, base.backend_dir, centering=True))
        systems.append(System("domain_centering", base.embed_dir, base.backend_dir, centering=True,
                              centering_scp=base.embed_dir / domain / "embedding.scp",
                              cohort_scp=domain_cohort(base.embed_dir)))
    for s in recipe.systems:
        variants = [("", False, None, None)]
        if not args.no_seed_centering:
            # the domain mean: the adaptation set enhanced by this system with the first eval seed, as the
            # training-corpus mean uses the first seed's enhanced training crops (stage 5)
            first = s.seed_dir(recipe.first_seed)
            variants += [("_centered", True, None, None),
                         ("_domain_centered", True, first / domain / "embedding.scp", domain_cohort(first))]
        for suffix, centering, mean_scp, cohort_scp in variants:
            systems += [System(s.name + suffix, s.seed_dir(seed), Path(s.backend_dir), eval_seed=seed,
                               centering=centering, centering_scp=mean_scp, cohort_scp=cohort_scp)
                        for seed in recipe.eval_seeds]
    return systems


def store_names(dev_test):
    return {r["system"] for r in dev_test["rows"]} | {dev_test["control"]}


def speaker_statistics(recipe, trials, store, summary, args):
    """Adds the speaker-bootstrap intervals vs the best control to every `summary` row; returns the
    dev/test choice (seed.report.selection), or a sentence saying why there is none."""
    utt2spk = Path(args.utt2spk or Path(recipe.pairs_file).parent.parent / recipe.test_set / "utt2spk")
    enroll_spk, test_spk = trial_speakers(trials, read_kv(utt2spk), utt2spk)
    mismatched = [c for c in recipe.conditions if c != CLEAN]
    replicates = ReplicateEers(store, np.asarray(trials.labels),
                               SpeakerBootstrap(enroll_spk, test_spk, args.bootstrap, name=recipe.main_list), mismatched)
    for row in summary:
        if row.get("best_control"):
            row["vs_best_control_intervals"] = replicates.intervals(row["system"], row["best_control"], row["backend"],
                                                                    row["norm"])
    if args.no_centering:
        return "the free controls were left out (--no-centering)"
    main = next(s.name for s in recipe.systems if s.kind == "main")
    variants = {s.name: main for s in recipe.systems if s.kind == "variant"}
    fixed = {}
    for s in recipe.systems:
        fixed.setdefault(variants.get(s.name, s.name), []).extend(
            [s.name, s.name + "_centered", s.name + "_domain_centered"])
    try:
        split = DevTest(store, trials, enroll_spk, test_spk, recipe.conditions, recipe.main_list, args.eer_method,
                        args.bootstrap)
        return split.result(list(fixed), fixed, variants)
    except ValueError as e:
        return str(e)


def run_sweep(recipe, trials, main_rows, args, store=None):
    """The sweep of the recipe's model and every OOD model: aggregated rows, summary, settings."""
    from seed.diffusion.api import SEED
    centering_keys = list(read_kv(Path(recipe.baseline_backend_dir) / "centering.scp"))
    rows = []
    for system in recipe.systems:
        if system.kind == "variant":       # variants share the main model: the grid covers them
            continue
        model = SEED.load(system.model, device=args.device)
        ts = args.sweep_ts or [system.enhance["t"]]
        rows += sweep_model(system.name, model, system.enhance, args.sweep_strengths, ts, recipe.eval_seeds, trials,
                            recipe.test_set, recipe.conditions, recipe.embed_dir,
                            Path(recipe.embed_dir) / recipe.pairs_set / "embedding.scp", centering_keys,
                            log=log, domain_scp=Path(recipe.embed_dir) / recipe.domain_set / "embedding.scp",
                            store=store)
    reference = [r for r in main_rows if r["system"] in ("baseline", *CONTROLS)]
    agg, summary = summarise_sweep(rows, reference)
    return {"strengths": args.sweep_strengths, "ts": args.sweep_ts or None, "backend": SWEEP_BACKEND,
            "norm": SWEEP_NORM, "rows": agg, "per_seed_rows": rows, "summary": summary}


def provenance(recipe, system):
    """Where a SEED system's model comes from, as RESULTS.md says it."""
    if system.kind in ("main", "variant"):
        return f"in-domain: trained on {training_pairs(recipe, system)}"
    if system.kind == "adapted":
        from seed.diffusion.checkpoint import load_checkpoint
        init = load_checkpoint(Path(system.model) / "best.pt").get("init") or {}
        return (f"ADAPTED: {shown_path(init.get('path', '?'))} fine-tuned on {training_pairs(recipe, system)}, "
                "no labels")
    return f"OUT-OF-DOMAIN: {shown_path(system.model)}"


def training_pairs(recipe, system):
    """What a model trained by this recipe heard: its pairs, and the corpora pooled in (--pool-pairs)."""
    from seed.diffusion.pooling import pooled_sources
    pool = pooled_sources(system.model)
    if pool is None:
        return (f"this recipe's {recipe.pairs_set} (no checkpoint at {shown_path(system.model)}: "
                "pooled corpora unknown)")
    if not pool:
        return f"this recipe's {recipe.pairs_set}"
    others = " + ".join(f"{p['name']} ({p['num_pairs']} pairs: {shown_path(p['pairs'])})" for p in pool)
    return f"this recipe's {recipe.pairs_set} POOLED with {others}"


def training_speakers_note(recipe):
    """Whether this recipe's SEED training audio (the own and the adapted models') holds trial speakers:
    speaker-disjoint = domain-adapted, overlapping = enrolment-adapted (issue 15)."""
    data_dir = Path(recipe.pairs_file).parent.parent
    files = [data_dir / recipe.pairs_set / "utt2spk", data_dir / recipe.test_set / "utt2spk"]
    if not all(f.is_file() for f in files):
        return ""
    shared = set(read_kv(files[0]).values()) & set(read_kv(files[1]).values())
    return (f" This recipe's SEED training audio shares {len(shared)} speaker(s) with the trials: its own and "
            "adapted models are ENROLMENT-ADAPTED (they have heard the trial speakers, unlabelled)." if shared else
            " This recipe's SEED training audio is speaker-disjoint from the trials: its own and adapted models "
            "are domain-adapted, not enrolment-adapted.")


def sweep_section(recipe, sweep):
    notes = {s.name: f"`{s.name}` ({provenance(recipe, s)})" for s in recipe.systems}
    return ("\n## Enhancement strength sweep: in-domain, out-of-domain and adapted models\n\n"
            "Cosine EER %, no score normalisation, output = s·SEED(e) + (1−s)·e; centering 'training corpus': after "
            "subtracting the mean of this corpus's clean training crops enhanced by the same model (first eval seed), "
            "'domain': the mean of the adaptation set enhanced likewise, as the main tables do. "
            f"SEED rows: mean ± std over eval seeds {', '.join(map(str, recipe.eval_seeds))}; "
            "relative changes are the summary's (mean over mismatched conditions of (system − reference) / "
            "reference). The row at the recipe's own setting equals the main table's row.\n\n"
            + render_sweep_md(sweep["rows"], sweep["summary"], recipe.conditions, notes))


def shown_path(path):
    """A model path as RESULTS.md shows it: relative to the recipe folder (the working directory) when
    it lies in this checkout, so that the report is the same file in a checkout at any path."""
    if not Path(path).is_absolute():              # as given (relative to the recipe folder)
        return str(path)
    path = Path(path).resolve()
    if path.is_relative_to(REPO_ROOT):
        return os.path.relpath(path)
    return str(path)


def read_stage_times(folder, tag=""):
    """{stage: seconds} from the `.done.stageN[.TAG]` markers (`key=value` lines written by seed.sh):
    stages 0-1 are shared, 2-6 carry the system tag when one is given."""
    times = {}
    for stage in range(7):
        marker = Path(folder) / (f".done.stage{stage}" + (f".{tag}" if tag and stage >= 2 else ""))
        if marker.is_file():
            fields = dict(line.split("=", 1) for line in marker.read_text().split() if "=" in line)
            if "seconds" in fields:
                times[stage] = int(fields["seconds"])
    return times


def stage_times_section(times, report_seconds):
    lines = ["", "## Stage wall times", "", "| stage | what | wall time |", "|---|---|---|"]
    for stage, seconds in sorted(times.items()):
        if stage != 6:
            lines.append(f"| {stage} | {STAGE_NAMES.get(stage, '')} | {_hms(seconds)} |")
    lines.append(f"| 6 | {STAGE_NAMES[6]} | {_hms(report_seconds)} (this report, without its DET plot) |")
    return "\n".join(lines) + "\n"


def _hms(seconds):
    m, s = divmod(int(round(seconds)), 60)
    return f"{m} min {s:02d} s" if m else f"{s} s"


def _model_config(recipe):
    main = recipe.system("seed")
    cfg_file = Path(main.model) / "config.yaml"
    return yaml.safe_load(cfg_file.read_text()) if cfg_file.is_file() else None


def _extractor_meta(recipe):
    """The extractor's record of stage 2 (`meta.yaml` of the clean test set's embeddings), or {}."""
    meta = Path(recipe.embed_dir) / recipe.test_set / "meta.yaml"
    if not meta.is_file():
        return {}
    data = yaml.safe_load(meta.read_text(encoding="utf-8")) or {}
    ex = data.get("extractor") or {}
    return {"spec": ex.get("spec"), "crop_policy": data.get("crop_policy"), "dim": data.get("dim"),
            **{k: ex[k] for k in ("model_tag", "snapshot_revision", "weights_sha256") if k in ex}}


def backend_warnings(recipe, args, overlap):
    """Header lines: label leakage (stage 5 went on with --allow-speaker-overlap) and a cohort smaller than
    AS-norm's top-k (every cohort score is then used: top-k is capped at the cohort size)."""
    lines = []
    if overlap:
        lines.append(f"**{LEAKED_MARK}: the labelled set `{overlap['labelled_utt2spk']}` shares "
                     f"{len(overlap['speakers'])} speaker(s) with the trials ({overlap['trial_utt2spk']}); every PLDA "
                     "and score-normalised row is marked: they measure memory of those speakers, not verification.**")
    cohort = Path(recipe.baseline_backend_dir) / "cohort.scp"
    top_k = args.top_k or SCORING_DEFAULTS["top_k"]
    if any(n != "none" for n in args.norms) and cohort.is_file():
        n = len(read_kv(cohort))
        if n < top_k:
            lines.append(f"Note: the AS-norm cohort has {n} speakers, fewer than top-k {top_k}: every cohort score "
                         "is used (top-k is capped at the cohort size); with tens of speakers AS-norm is unreliable.")
    return lines


def espnet_comparison_section(extractor, agg, args):
    """ESPnet-SPK extractors: the published Vox1-O numbers of the tag beside this recipe's baseline."""
    spec = extractor.get("spec") or ""
    if not spec.startswith("espnet"):
        return ""
    tag, published = published_vox1_o(spec)
    base = next((r for r in agg if (r["condition"], r["system"], r["backend"], r["norm"])
                 == (CLEAN, "baseline", "cosine", "none")), None)
    lines = ["", "## ESPnet-SPK comparison (main list, clean)", "",
             f"Does the extraction reproduce ESPnet-SPK? Extractor `{spec}`, test crops "
             f"`{extractor.get('crop_policy')}` (ESPnet-SPK's published scoring uses crops:4x8 — `--extract-crops "
             f"crops:4x8`), EER convention `{args.eer_method}` (`--eer-method espnet` for ESPnet's).", "",
             "| source | EER % | minDCF@0.05 |", "|---|---|---|"]
    if published is not None:
        lines.append(f"| ESPnet-SPK published, `{tag}` ({PUBLISHED_SOURCE}) | {published[0]:g} | {published[1]:g} |")
    else:
        lines.append(f"| ESPnet-SPK published | no published numbers for `{tag or spec}` in {PUBLISHED_SOURCE} "
                     "| – |")
    if base is not None:
        lines.append(f"| this recipe: baseline, cosine, no norm | {base['eer']:.3f} | {base['min_dcf_p0.05']:.4f} |")
    return "\n".join(lines) + "\n"


def header_lines(args, argv, recipe, trials, env, seed_cfg, extractor=None, lists=None):
    lists = lists or {}
    labelled = (f"PLDA and the AS-norm cohort: `{recipe.labelled_set}` with its speaker labels"
                if recipe.labelled_set != recipe.pairs_set else
                f"PLDA and the AS-norm cohort: no labelled set was given (--plda-set), so SEED's clean training "
                f"copies `{recipe.pairs_set}` with their speaker labels are used, as the other recipes do")
    lines = [f"# {args.title}", "",
             f"Main list `{recipe.main_list}`: `{args.trials}` — {trials.n_target} target / "
             f"{trials.n_nontarget} non-target, scored on every simulated condition. "
             "Enrolment is always the clean utterance; the test side is the condition's copy."
             + (" Other trial lists (clean, as distributed): "
                + "; ".join(f"`{n}` ({r['n_target']} target / {r['n_nontarget']} non-target)" for n, r in lists.items())
                + "." if lists else ""),
             (f"Extractor: `{extractor['spec']}`, test crops `{extractor.get('crop_policy')}`. " if extractor else "")
             + f"{labelled}. EER convention: `{args.eer_method}`.",
             f"Eval seeds (SEED rows are mean ± sample std over them): {', '.join(map(str, recipe.eval_seeds))}.",
             "Centering control: baseline cosine after subtracting the mean of the clean training crops SEED "
             "learns from (no model). Domain centering: baseline cosine after subtracting the mean of the target "
             "domain's own unlabelled embeddings, "
             + (f"here the clean test set `{recipe.test_set}` itself — TRANSDUCTIVE (the evaluation audio, without "
                "labels; pass --adapt-set for held-out target-domain audio)" if recipe.transductive else
                f"here `{recipe.domain_set}` (--adapt-set)")
             + "; `+ domain centering` subtracts the mean of the same set enhanced by that system (first eval "
             "seed). The domain rows' PLDA takes that mean as its centring mean; their AS-norm cohort is "
             + ("the training cohort (a transductive cohort would hold the trials' own utterances)"
                if recipe.transductive else f"the utterances of `{recipe.domain_set}`")
             + ". A SEED gain counts only over the BEST free control (the summary's 'vs best free control'). "
             "Relative changes are (system − reference) / reference on EER.",
             f"Produced by: `python -m seed.bin.make_report {' '.join(shlex.quote(a) for a in argv)}`",
             f"Environment: Python {env['python']}, torch {env['packages'].get('torch')}, "
             f"numpy {env['packages'].get('numpy')}, git {env['git_revision']}, {env['platform']}."]
    if seed_cfg:
        lines.append(f"SEED config: `{seed_cfg.get('name', '?')}` — model {json.dumps(seed_cfg.get('model', {}))}, "
                     f"train {json.dumps(seed_cfg.get('train', {}))}.")
    lines.append("SEED systems (enhancement settings used at stage 4, from the recipe conf `"
                 f"{recipe.config}` and the variants): "
                 + "; ".join(f"`{s.name}` ({s.kind}: {provenance(recipe, s)}) strength "
                             f"{s.enhance['strength']:g}, t* {s.enhance['t']}" for s in recipe.systems) + "."
                 + training_speakers_note(recipe))
    return lines


if __name__ == "__main__":
    sys.exit(main())
