"""EER and minDCF of a score file against a trial list (labels are joined from the trials).

  python -m seed.bin.compute_metrics --trials data/test/trials --scores SCORES [--json OUT.json]

Prints one line: 'EER x.xxx% | minDCF@0.01 y | minDCF@0.05 z | N trials (...)'.  --json writes
{"eer", "min_dcf_p0.01", "min_dcf_p0.05", "n_target", "n_nontarget"} (EER in percent; plus
min_dcf_p<P> for every extra --p-target).  minDCF uses c_miss = c_fa = 1 unless told otherwise;
p_target 0.01 is Kaldi's/WeSpeaker's, 0.05 ESPnet-SPK's -- they are not comparable.  A trial
without a score is an error naming it.
"""
import argparse
import json
import sys


def build_parser():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--trials", required=True, help="Kaldi trial list '<enroll> <test> target|nontarget'")
    p.add_argument("--scores", required=True, help="score file '<enroll> <test> <score>'")
    p.add_argument("--json", help="write the metrics as JSON here")
    p.add_argument("--p-target", type=float, action="append", default=[], metavar="P",
                   help="extra minDCF prior besides 0.01 and 0.05, e.g. 0.001 (repeatable)")
    p.add_argument("--c-miss", type=float, default=1.0, help="minDCF cost of a miss (default 1)")
    p.add_argument("--c-fa", type=float, default=1.0, help="minDCF cost of a false alarm (default 1)")
    p.add_argument("--eer-method", choices=("interp", "espnet"), default="interp",
                   help="interp: interpolate at the FNR/FPR crossing (default, as WeSpeaker); "
                        "espnet: max(fpr, fnr) at argmin |fnr - fpr| of sklearn's ROC (ESPnet-SPK)")
    p.add_argument("--det-png", help="also draw the DET curve into this PNG")
    p.add_argument("--name", help="system name in the DET legend (default: the score file name)")
    p.add_argument("--allow-extra-scores", action="store_true",
                   help="ignore scored pairs that are not in the trial list (default: error)")
    return p


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    for p_target in args.p_target:
        if not 0 < p_target < 1:
            parser.error(f"--p-target must lie strictly between 0 and 1, got {p_target}")
    for name, value in (("--c-miss", args.c_miss), ("--c-fa", args.c_fa)):
        if not value > 0:
            parser.error(f"{name} must be positive, got {value}")
    from pathlib import Path

    from seed.data import SeedDataError, atomic_write, read_trials
    from seed.data.outputs import remove_output_file
    from seed.metrics import (MetricsError, align_scores, compute_metrics, format_metrics, plot_det,
                              read_scores)

    try:
        for path, option in ((args.json, "--json"), (args.det_png, "--det-png")):
            if path:   # a failed rerun must not leave the last run's metrics looking current
                remove_output_file(path, option)
        trials = read_trials(args.trials)
        scores = align_scores(trials, read_scores(args.scores), args.scores, allow_extra=args.allow_extra_scores)
        try:
            metrics = compute_metrics(scores, trials.labels, p_targets=args.p_target, eer_method=args.eer_method,
                                      c_miss=args.c_miss, c_fa=args.c_fa)
        except MetricsError as e:
            raise SeedDataError(args.trials, str(e)) from None
        if args.json:
            with atomic_write(args.json) as f:
                json.dump(metrics, f, indent=2)
                f.write("\n")
        if args.det_png:
            plot_det({args.name or Path(args.scores).name: (scores, trials.labels)}, args.det_png)
    except (SeedDataError, MetricsError, ValueError) as e:
        print(f"compute_metrics: {e}", file=sys.stderr)
        return 1
    print(f"{args.scores}: {format_metrics(metrics)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
