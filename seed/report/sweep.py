"""The enhancement-strength sweep: SEED rows for a grid of (strength, t*), scored like stage 6.

Each setting is an `EnhancedSystem` (in memory, the same noise per (model, seed, set) as stage 4),
scored with cosine and no normalisation through the same `evaluate_system` and summarised with the
same `summarise` as the main tables, so the sweep's row at the recipe's own setting IS the main
table's row. Choose a setting on a dev list; never on the list you report.
"""
from __future__ import annotations

from seed.report.evaluate import EnhancedSystem, evaluate_system
from seed.report.tables import aggregate_rows, summarise

SWEEP_BACKEND, SWEEP_NORM = "cosine", "none"


def setting_name(model_name, strength, t):
    return f"{model_name}@s={strength:g},t={t}"


# centering of a swept setting -> the system-name suffix (the main tables' names)
CENTERINGS = {"none": "", "training": "_centered", "domain": "_domain_centered"}


def sweep_model(model_name, model, base_options, strengths, ts, eval_seeds, trials, test_set, conditions,
                embed_dir, centering_scp, centering_keys, log=None, domain_scp=None, store=None):
    """Per-seed metric rows of `<model_name>@s=..,t=..`, its `_centered` twin (the training crops' mean,
    `centering_keys` of `centering_scp`) and, with `domain_scp` (the adaptation set's extractor
    embeddings), its `_domain_centered` twin; each mean from its set enhanced with the first eval seed.
    `store`: as `evaluate_system`'s (every score list, for the dev/test choice)."""
    means = {"none": (centering_scp, centering_keys), "training": (centering_scp, centering_keys)}
    if domain_scp is not None:
        from seed.data import read_kv
        means["domain"] = (domain_scp, list(read_kv(domain_scp)))
    rows = []
    for strength in strengths:
        for t in ts:
            enhanced = model.with_enhance_options({**base_options, "strength": float(strength), "t": int(t)})
            name = setting_name(model_name, strength, t)
            cache = {}                  # (scp, seed) -> enhanced table, for this setting only
            for seed in eval_seeds:
                for centering, (scp, keys) in means.items():
                    system = EnhancedSystem(name + CENTERINGS[centering], enhanced, embed_dir, seed, eval_seeds[0],
                                            scp, keys, centering != "none", cache)
                    r, _ = evaluate_system(system, trials, test_set, conditions, [SWEEP_BACKEND], [SWEEP_NORM],
                                           store=store)
                    for row in r:
                        row.update(model=model_name, strength=float(strength), t=int(t), centering=centering)
                    rows += r
            if log:
                log(f"sweep: {name}: {len(eval_seeds)} eval seed(s) scored")
    return rows


def summarise_sweep(rows, reference_rows):
    """(aggregated rows, summary rows) of a sweep; `reference_rows` hold the baseline and control rows
    (centering, domain centering; cosine, none) the relative changes refer to."""
    agg = aggregate_rows(rows + [r for r in reference_rows
                                 if (r["backend"], r["norm"]) == (SWEEP_BACKEND, SWEEP_NORM)])
    settings = {r["system"]: r for r in rows}
    for a in agg:
        src = settings.get(a["system"])
        if src is not None:
            a.update(model=src["model"], strength=src["strength"], t=src["t"], centering=src["centering"])
    summary = summarise(agg, systems=sorted(settings))
    for s in summary:
        src = settings[s["system"]]
        s.update(model=src["model"], strength=src["strength"], t=src["t"], centering=src["centering"])
    return agg, summary
