"""Assert that a recipe's RESULTS.md and results.json hold every expected row (used by make test)."""
import argparse
import json
import math
import sys
from pathlib import Path


def expected_combos(a):
    """Every (system, backend, norm) a report must have: the training-corpus centering control and the
    training-centred SEED rows are cosine only (PLDA centres with that mean already); the domain ones
    (domain centering, X + domain centering) have PLDA rows too, with the domain mean as PLDA's."""
    for s in a.systems.split():
        training_centred = s == "centering" or (s.endswith("_centered") and not s.endswith("_domain_centered"))
        for b in a.backends.split():
            for n in a.norms.split():
                if not (training_centred and b != "cosine"):
                    yield s, b, n


def row_problems(where, r, system, n_seeds):
    """What is wrong with one expected results.json row (missing, a non-finite metric, too few eval seeds)."""
    if r is None:
        return [f"results.json: no row for {where}"]
    out = [f"results.json: {where}: {m} is {r[m]}" for m in ("eer", "min_dcf_p0.01", "min_dcf_p0.05")
           if not math.isfinite(r[m])]
    if system == "seed" and len(r.get("eval_seeds", [])) != n_seeds:
        out.append(f"results.json: {where}: {len(r.get('eval_seeds', []))} eval seeds")
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--results-dir", required=True)
    p.add_argument("--conditions", required=True)
    p.add_argument("--systems", required=True)
    p.add_argument("--backends", required=True)
    p.add_argument("--norms", required=True)
    p.add_argument("--n-seeds", type=int, required=True)
    p.add_argument("--main-list", default="", help="name of the main list in results.json 'lists' (checked when given)")
    p.add_argument("--lists", default="", help="extra trial lists expected (each clean: every system x backend x norm)")
    a = p.parse_args()
    d = Path(a.results_dir)
    problems = []
    for name in ("RESULTS.md", "results.json", "det.png"):
        if not (d / name).is_file() or (d / name).stat().st_size == 0:
            problems.append(f"{d / name}: missing or empty")
    if problems:
        sys.exit("\n".join(problems))
    res = json.loads((d / "results.json").read_text())
    rows = {(r["condition"], r["system"], r["backend"], r["norm"]): r for r in res["rows"]}
    md = (d / "RESULTS.md").read_text()
    for c in a.conditions.split():
        for s, b, n in expected_combos(a):
            problems += row_problems(f"{c}/{s}/{b}/{n}", rows.get((c, s, b, n)), s, a.n_seeds)
        if f"| {c} |" not in md:
            problems.append(f"RESULTS.md: no row for condition {c}")
    n_mismatched = len([c for c in a.conditions.split() if c != "clean"])
    if n_mismatched > 1:
        for s in a.systems.split():
            if ("mismatched_pooled", s, "cosine", "none") not in rows:
                problems.append(f"results.json: no pooled mismatched row for {s}")
        if "| all mismatched, pooled |" not in md:
            problems.append("RESULTS.md: no pooled mismatched row")
    lists = res.get("lists", {})
    if a.main_list and lists.get(a.main_list, {}).get("n_target") != res["n_target"]:
        problems.append(f"results.json: lists has no main list '{a.main_list}' with the main trial counts")
    for name in a.lists.split():
        entry = lists.get(name)
        if entry is None:
            problems.append(f"results.json: no trial list '{name}'")
            continue
        if not entry.get("n_target") or not entry.get("n_nontarget"):
            problems.append(f"results.json: list {name}: no trial counts")
        lrows = {(r["system"], r["backend"], r["norm"]): r for r in entry["rows"] if r["condition"] == "clean"}
        for s, b, n in expected_combos(a):
            problems += row_problems(f"list {name}: {s}/{b}/{n}", lrows.get((s, b, n)), s, a.n_seeds)
        if f"### Trial list `{name}`" not in md:
            problems.append(f"RESULTS.md: no section for trial list {name}")
    for section in ("## Stage wall times", "### Summary", "## Chosen on dev, reported on test"):
        if section not in md:
            problems.append(f"RESULTS.md: no '{section}' section")
    dev_test = res.get("dev_test")
    if not isinstance(dev_test, dict) or not dev_test.get("chosen"):
        problems.append(f"results.json: no dev/test choice ({dev_test!r})")
    for s in res["summary"]:
        if s.get("best_control") and not (s.get("vs_best_control_intervals") or {}).get("clean"):
            problems.append(f"results.json: summary {s['system']}/{s['backend']}/{s['norm']}: no bootstrap interval")
    if problems:
        sys.exit("check_results: " + "\n".join(problems))
    print(f"check_results: {d}: every row present ({len(rows)} rows)")


if __name__ == "__main__":
    main()
